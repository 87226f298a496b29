//! The pictures the server holds, as files beside its database (`server.db` keeps them in
//! `server.db.photos/`), each named by its SHA-256. An upload arrives in chunks appended to
//! `partial/<hash>`, each flushed to disk before it is acknowledged, so a resumed upload goes
//! on from the bytes already held and never sends a finished chunk again. When the last byte
//! arrives the whole is hashed: a match is renamed into place, a mismatch is dropped and the
//! device starts that picture again. Nothing here knows who may send what: the store decides.

use alluvium::domain::is_sha256_hex;
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What an appended chunk did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Bytes held so far, the picture not yet whole.
    Partial(u64),
    /// The picture is whole and its hash matched.
    Complete,
    /// The picture was whole but did not hash to its name: dropped.
    Mismatch,
}

/// Why a chunk was not taken.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("the server holds {held} bytes of this photo; send from byte {held}")]
    WrongOffset { held: u64 },
    #[error("the chunk ends at byte {end}, past the photo's {bytes} bytes")]
    PastTheEnd { end: u64, bytes: u64 },
    #[error("{0:?} is not a photo's SHA-256 (64 lowercase hex digits)")]
    BadName(String),
    #[error("the photo store at {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// The photo folder of one server database.
pub struct PhotoVault {
    dir: PathBuf,
    /// One writer at a time: chunks are short, and two uploads of one picture must not
    /// interleave their appends.
    writing: Mutex<()>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> VaultError + '_ {
    move |source| VaultError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl PhotoVault {
    /// The vault in the folder `dir` (a PostgreSQL server's `--photo-dir`).
    pub fn at(dir: &Path) -> PhotoVault {
        PhotoVault {
            dir: dir.to_path_buf(),
            writing: Mutex::new(()),
        }
    }

    /// The photo folder beside the database file at `db`.
    pub fn beside(db: &Path) -> PhotoVault {
        let mut name = db.file_name().unwrap_or_default().to_os_string();
        name.push(".photos");
        PhotoVault {
            dir: db.with_file_name(name),
            writing: Mutex::new(()),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn named(sha: &str) -> Result<&str, VaultError> {
        if is_sha256_hex(sha) {
            Ok(sha)
        } else {
            Err(VaultError::BadName(sha.chars().take(80).collect()))
        }
    }

    fn path(&self, sha: &str) -> Result<PathBuf, VaultError> {
        let sha = Self::named(sha)?;
        Ok(self.dir.join(&sha[..2]).join(sha))
    }

    fn partial(&self, sha: &str) -> Result<PathBuf, VaultError> {
        Ok(self.dir.join("partial").join(Self::named(sha)?))
    }

    /// Whether the whole picture is here.
    pub fn has(&self, sha: &str) -> bool {
        self.path(sha).is_ok_and(|p| p.is_file())
    }

    /// Bytes held of a picture: all of it when whole, else what a partial upload holds.
    pub fn held(&self, sha: &str) -> Result<u64, VaultError> {
        let whole = self.path(sha)?;
        if let Ok(m) = fs::metadata(&whole) {
            return Ok(m.len());
        }
        Ok(fs::metadata(self.partial(sha)?)
            .map(|m| m.len())
            .unwrap_or(0))
    }

    /// Appends `chunk` at `offset` to the picture `sha` of `bytes` bytes.
    pub fn append(
        &self,
        sha: &str,
        bytes: u64,
        offset: u64,
        chunk: &[u8],
    ) -> Result<Appended, VaultError> {
        let _one_writer = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        if self.has(sha) {
            return Ok(Appended::Complete);
        }
        let partial = self.partial(sha)?;
        let held = fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
        if offset != held {
            return Err(VaultError::WrongOffset { held });
        }
        let end = offset + chunk.len() as u64;
        if end > bytes {
            return Err(VaultError::PastTheEnd { end, bytes });
        }
        let dir = self.dir.join("partial");
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&partial)
            .map_err(io(&partial))?;
        f.write_all(chunk).map_err(io(&partial))?;
        f.sync_data().map_err(io(&partial))?;
        drop(f);
        if end < bytes {
            return Ok(Appended::Partial(end));
        }
        let mut hasher = Sha256::new();
        let mut f = File::open(&partial).map_err(io(&partial))?;
        std::io::copy(&mut f, &mut hasher).map_err(io(&partial))?;
        let got: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if got != sha {
            fs::remove_file(&partial).map_err(io(&partial))?;
            return Ok(Appended::Mismatch);
        }
        let whole = self.path(sha)?;
        let dir = whole.parent().unwrap_or(&self.dir).to_path_buf();
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        fs::rename(&partial, &whole).map_err(io(&whole))?;
        File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(io(&dir))?;
        Ok(Appended::Complete)
    }

    /// Copies every whole picture not yet in `to` there (a backup's photo folder); returns the
    /// pictures and bytes copied. Partial uploads are left out: the device sends them again.
    pub fn copy_whole_to(&self, to: &PhotoVault) -> Result<(u64, u64), VaultError> {
        let (mut n, mut bytes) = (0, 0);
        let Ok(top) = fs::read_dir(&self.dir) else {
            return Ok((0, 0));
        };
        for prefix in top.flatten() {
            let name = prefix.file_name().to_string_lossy().into_owned();
            if name.len() != 2 || !prefix.path().is_dir() {
                continue;
            }
            for entry in fs::read_dir(prefix.path())
                .map_err(io(&prefix.path()))?
                .flatten()
            {
                let sha = entry.file_name().to_string_lossy().into_owned();
                if !is_sha256_hex(&sha) || to.has(&sha) {
                    continue;
                }
                let target = to.path(&sha)?;
                let dir = target.parent().unwrap_or(&to.dir).to_path_buf();
                fs::create_dir_all(&dir).map_err(io(&dir))?;
                let tmp = dir.join(format!(".{sha}.tmp"));
                let copied = fs::copy(entry.path(), &tmp).map_err(io(&tmp))?;
                File::open(&tmp)
                    .and_then(|f| f.sync_all())
                    .map_err(io(&tmp))?;
                fs::rename(&tmp, &target).map_err(io(&target))?;
                File::open(&dir)
                    .and_then(|d| d.sync_all())
                    .map_err(io(&dir))?;
                n += 1;
                bytes += copied;
            }
        }
        Ok((n, bytes))
    }

    /// Up to `len` bytes of the whole picture `sha` from `offset`.
    pub fn read(&self, sha: &str, offset: u64, len: usize) -> Result<Vec<u8>, VaultError> {
        let path = self.path(sha)?;
        let mut f = File::open(&path).map_err(io(&path))?;
        f.seek(SeekFrom::Start(offset)).map_err(io(&path))?;
        let mut out = Vec::with_capacity(len.min(1 << 20));
        f.take(len as u64)
            .read_to_end(&mut out)
            .map_err(io(&path))?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(bytes: &[u8]) -> String {
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn chunks_in_order_make_the_picture_and_a_wrong_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let vault = PhotoVault::beside(&dir.path().join("server.db"));
        let bytes: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let name = sha(&bytes);
        let n = bytes.len() as u64;
        assert_eq!(
            vault.append(&name, n, 0, &bytes[..4000]).unwrap(),
            Appended::Partial(4000)
        );
        let again = vault.append(&name, n, 0, &bytes[..4000]).unwrap_err();
        assert_eq!(
            again.to_string(),
            "the server holds 4000 bytes of this photo; send from byte 4000"
        );
        assert!(matches!(
            vault.append(&name, n, 4000, &[0; 7000]),
            Err(VaultError::PastTheEnd { .. })
        ));
        assert_eq!(vault.held(&name).unwrap(), 4000);
        assert_eq!(
            vault.append(&name, n, 4000, &bytes[4000..]).unwrap(),
            Appended::Complete
        );
        assert!(vault.has(&name));
        assert_eq!(vault.read(&name, 0, 20_000).unwrap(), bytes);
        assert_eq!(vault.held(&name).unwrap(), n);

        let liar = sha(b"something else");
        assert_eq!(
            vault.append(&liar, 3, 0, b"abc").unwrap(),
            Appended::Mismatch
        );
        assert_eq!(vault.held(&liar).unwrap(), 0);
        assert!(vault.append("../../x", 3, 0, b"abc").is_err());
    }
}
