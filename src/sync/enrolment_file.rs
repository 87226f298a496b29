//! The enrolment file an office hands a device instead of three things to type: the server's
//! address, a one-time code and the server's CA certificate, in one small JSON file (written
//! by `alluvium-sync admin … enrolment-file`, carried on a USB stick). Anyone holding it can
//! enrol one device until the code is used or expires, so it is written readable by its owner
//! only.

use super::error::SyncError;
use crate::store::Store;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What the file says it is; a later layout gets a new number.
pub const FORMAT: &str = "alluvium-enrolment/1";

/// Largest file read: a URL, a code and a certificate chain fit in far less.
const MAX_BYTES: u64 = 256 * 1024;

/// The file's content. Field names are the file format; do not rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// The server, e.g. `https://sync.example.org`.
    pub server_url: String,
    /// The one-time enrolment code.
    pub code: String,
    /// The region the code enrols into.
    pub region: String,
    /// When the code stops working (RFC 3339, UTC).
    pub expires_at: String,
    /// The CA certificate (PEM) the server's TLS certificate chains to; absent for a server
    /// with a publicly trusted certificate, or plain http on loopback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<String>,
}

impl EnrolmentFile {
    /// The file's text: indented JSON and a final newline.
    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads `path`; an error in plain words when it cannot be read or is not an enrolment
    /// file.
    pub fn read(path: &Path) -> Result<EnrolmentFile, SyncError> {
        let shown = path.display();
        let bad = |why: String| SyncError::EnrolmentFile(why);
        let meta = std::fs::metadata(path).map_err(|e| bad(format!("cannot read {shown}: {e}")))?;
        if meta.is_dir() {
            return Err(bad(format!("{shown} is a folder, not an enrolment file")));
        }
        if meta.len() > MAX_BYTES {
            return Err(bad(format!(
                "{shown} is not an enrolment file (far too large)"
            )));
        }
        let bytes = std::fs::read(path).map_err(|e| bad(format!("cannot read {shown}: {e}")))?;
        let not_one = || {
            bad(format!(
                "{shown} is not an Alluvium enrolment file: ask the office for the file `alluvium-sync admin enrolment-file` writes"
            ))
        };
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| not_one())?;
        match value.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT) => {}
            Some(other) if other.starts_with("alluvium-enrolment/") => {
                return Err(bad(format!(
                    "{shown} is an enrolment file of a newer kind ({other}) than this version of Alluvium reads"
                )));
            }
            _ => return Err(not_one()),
        }
        let file: EnrolmentFile = serde_json::from_value(value)
            .map_err(|e| bad(format!("{shown} is a damaged enrolment file: {e}")))?;
        if file.server_url.trim().is_empty() || file.code.trim().is_empty() {
            return Err(bad(format!(
                "{shown} is a damaged enrolment file: no server or no code"
            )));
        }
        Ok(file)
    }

    /// Whether the code has expired at `now` (the server has the last word; this saves a
    /// trip and says it plainly).
    pub fn expired_at(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        chrono::DateTime::parse_from_rfc3339(&self.expires_at).is_ok_and(|t| t < now)
    }
}

/// Enrols this device from the enrolment file at `path`. Returns the region.
pub fn enrol_from_file(
    store: &mut Store,
    path: &Path,
    allow_plain_http: bool,
) -> Result<String, SyncError> {
    let file = EnrolmentFile::read(path)?;
    if file.expired_at(chrono::Utc::now()) {
        return Err(SyncError::EnrolmentFile(format!(
            "the code in {} expired at {}: ask the office for a new enrolment file",
            path.display(),
            file.expires_at
        )));
    }
    super::enrol(
        store,
        &file.server_url,
        &file.code,
        file.ca_cert.as_deref().map(str::as_bytes),
        allow_plain_http,
    )
}

/// Writes `file` to `path`, readable by its owner only where the system has such rights.
pub fn write_enrolment_file(path: &Path, file: &EnrolmentFile) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut out = options.open(path)?;
    out.write_all(file.to_text().as_bytes())?;
    out.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EnrolmentFile {
        EnrolmentFile {
            format: FORMAT.into(),
            server_url: "https://sync.example.org".into(),
            code: "abc".into(),
            region: "SL-KONO".into(),
            expires_at: "2026-01-02T03:04:05Z".into(),
            ca_cert: Some("-----BEGIN CERTIFICATE-----\n…".into()),
        }
    }

    #[test]
    fn reads_what_it_writes_and_refuses_other_files_in_plain_words() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.enrol");
        write_enrolment_file(&path, &sample()).unwrap();
        assert_eq!(EnrolmentFile::read(&path).unwrap(), sample());

        let missing = EnrolmentFile::read(&dir.path().join("nothing")).unwrap_err();
        assert!(missing.to_string().starts_with("cannot read "), "{missing}");
        std::fs::write(&path, "-----BEGIN CERTIFICATE-----\n").unwrap();
        let pem = EnrolmentFile::read(&path).unwrap_err().to_string();
        assert!(pem.contains("is not an Alluvium enrolment file"), "{pem}");
        std::fs::write(&path, r#"{"format":"alluvium-enrolment/9"}"#).unwrap();
        let newer = EnrolmentFile::read(&path).unwrap_err().to_string();
        assert!(newer.contains("newer kind"), "{newer}");
        let dir_err = EnrolmentFile::read(dir.path()).unwrap_err().to_string();
        assert!(dir_err.contains("is a folder"), "{dir_err}");
    }

    #[test]
    fn an_expired_code_is_said_before_asking_the_server() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.enrol");
        write_enrolment_file(&path, &sample()).unwrap();
        let mut store = Store::open_in_memory().unwrap();
        let e = enrol_from_file(&mut store, &path, false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("expired at 2026-01-02T03:04:05Z"), "{e}");
        assert!(store.sync_setting("device_token").unwrap().is_none());
    }
}
