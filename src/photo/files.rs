//! The pictures themselves, as files in a folder beside the database (`alluvium.db` keeps its
//! photos in `alluvium.db.photos/`), each named by its SHA-256 (`ab/abcd…`). A file is written
//! whole or not at all: to a temporary name, flushed to disk, then renamed, so a power cut
//! never leaves half a picture under a hash. A download in progress keeps its bytes in
//! `partial/<hash>` and resumes from its length.

use super::PhotoError;
use super::prepare::{encode_jpeg, sha256_hex};
use crate::domain::is_sha256_hex;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Longest side of a list thumbnail, in pixels.
pub const THUMB_SIDE: u32 = 160;

/// The photo folder of one database.
#[derive(Debug, Clone)]
pub struct PhotoFiles {
    dir: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PhotoError + '_ {
    move |source| PhotoError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Flushes a folder's entries, so a rename in it survives a power cut.
fn sync_dir(dir: &Path) -> Result<(), PhotoError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

impl PhotoFiles {
    /// The photo folder beside the database file at `db`.
    pub fn beside(db: &Path) -> PhotoFiles {
        let mut name = db.file_name().unwrap_or_default().to_os_string();
        name.push(".photos");
        PhotoFiles {
            dir: db.with_file_name(name),
        }
    }

    /// The photo folder at `dir`.
    pub fn at(dir: impl Into<PathBuf>) -> PhotoFiles {
        PhotoFiles { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn checked(sha: &str) -> Result<&str, PhotoError> {
        if is_sha256_hex(sha) {
            Ok(sha)
        } else {
            Err(PhotoError::Refused(format!(
                "{sha:?} is not a photo's SHA-256 (64 lowercase hex digits)"
            )))
        }
    }

    /// Where the picture named `sha` lives (whether or not it is here).
    pub fn path(&self, sha: &str) -> Result<PathBuf, PhotoError> {
        let sha = Self::checked(sha)?;
        Ok(self.dir.join(&sha[..2]).join(sha))
    }

    /// Where the thumbnail of `sha` lives.
    pub fn thumb_path(&self, sha: &str) -> Result<PathBuf, PhotoError> {
        let sha = Self::checked(sha)?;
        Ok(self.dir.join("thumbs").join(format!("{sha}.jpg")))
    }

    fn partial_path(&self, sha: &str) -> Result<PathBuf, PhotoError> {
        let sha = Self::checked(sha)?;
        Ok(self.dir.join("partial").join(sha))
    }

    /// Whether the whole picture is here.
    pub fn has(&self, sha: &str) -> bool {
        self.path(sha).is_ok_and(|p| p.is_file())
    }

    /// Stores `bytes` under their hash (once: a picture already here is left as it is) and
    /// makes its thumbnail; returns the hash.
    pub fn put(&self, bytes: &[u8]) -> Result<String, PhotoError> {
        let sha = sha256_hex(bytes);
        let path = self.path(&sha)?;
        if !path.is_file() {
            write_whole(&path, bytes)?;
        }
        self.make_thumb(&sha, bytes)?;
        Ok(sha)
    }

    /// The picture's bytes.
    pub fn read(&self, sha: &str) -> Result<Vec<u8>, PhotoError> {
        let path = self.path(sha)?;
        fs::read(&path).map_err(io(&path))
    }

    /// Up to `len` bytes of the picture from `offset`.
    pub fn read_range(&self, sha: &str, offset: u64, len: usize) -> Result<Vec<u8>, PhotoError> {
        let path = self.path(sha)?;
        let mut f = File::open(&path).map_err(io(&path))?;
        f.seek(SeekFrom::Start(offset)).map_err(io(&path))?;
        let mut out = Vec::with_capacity(len);
        f.take(len as u64)
            .read_to_end(&mut out)
            .map_err(io(&path))?;
        Ok(out)
    }

    /// How many bytes of a download of `sha` are already here.
    pub fn partial_len(&self, sha: &str) -> Result<u64, PhotoError> {
        let path = self.partial_path(sha)?;
        Ok(fs::metadata(&path).map(|m| m.len()).unwrap_or(0))
    }

    /// Appends a received chunk to the download of `sha` at `offset` (the length already
    /// here; anything else is refused so a chunk is never written twice or out of place).
    pub fn append_partial(&self, sha: &str, offset: u64, chunk: &[u8]) -> Result<u64, PhotoError> {
        let path = self.partial_path(sha)?;
        let dir = path.parent().unwrap_or(&self.dir).to_path_buf();
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        let have = f.metadata().map_err(io(&path))?.len();
        if have != offset {
            return Err(PhotoError::Refused(format!(
                "a chunk from byte {offset} does not follow the {have} bytes already here"
            )));
        }
        f.write_all(chunk).map_err(io(&path))?;
        f.sync_data().map_err(io(&path))?;
        Ok(have + chunk.len() as u64)
    }

    /// Ends the download of `sha`: its bytes must hash to `sha`, else they are dropped (and the
    /// download starts again). Returns whether the picture is now here.
    pub fn finish_partial(&self, sha: &str) -> Result<bool, PhotoError> {
        let partial = self.partial_path(sha)?;
        let bytes = fs::read(&partial).map_err(io(&partial))?;
        if sha256_hex(&bytes) != sha {
            fs::remove_file(&partial).map_err(io(&partial))?;
            return Ok(false);
        }
        let path = self.path(sha)?;
        let dir = path.parent().unwrap_or(&self.dir).to_path_buf();
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        fs::rename(&partial, &path).map_err(io(&path))?;
        sync_dir(&dir)?;
        self.make_thumb(sha, &bytes)?;
        Ok(true)
    }

    /// The thumbnail of `sha`, made now if the picture is here and the thumbnail is not.
    pub fn thumb(&self, sha: &str) -> Result<Option<PathBuf>, PhotoError> {
        let thumb = self.thumb_path(sha)?;
        if thumb.is_file() {
            return Ok(Some(thumb));
        }
        if !self.has(sha) {
            return Ok(None);
        }
        let bytes = self.read(sha)?;
        self.make_thumb(sha, &bytes)?;
        Ok(thumb.is_file().then_some(thumb))
    }

    /// Makes the list thumbnail of a picture (a picture that does not decode gets none: the
    /// lists show its caption instead).
    fn make_thumb(&self, sha: &str, bytes: &[u8]) -> Result<(), PhotoError> {
        let thumb = self.thumb_path(sha)?;
        if thumb.is_file() {
            return Ok(());
        }
        let Ok(img) = image::load_from_memory(bytes) else {
            return Ok(());
        };
        let small = img.thumbnail(THUMB_SIDE, THUMB_SIDE);
        let jpeg = encode_jpeg(&small, 80)?;
        write_whole(&thumb, &jpeg)
    }
}

/// Writes `bytes` to `path` whole or not at all.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), PhotoError> {
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    fs::create_dir_all(&dir).map_err(io(&dir))?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    let mut f = File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    drop(f);
    fs::rename(&tmp, path).map_err(io(path))?;
    sync_dir(&dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picture_is_stored_once_under_its_hash_and_a_download_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let files = PhotoFiles::beside(&dir.path().join("alluvium.db"));
        assert!(files.dir().ends_with("alluvium.db.photos"));
        let bytes = b"not really a jpeg, but bytes all the same".repeat(100);
        let sha = files.put(&bytes).unwrap();
        assert_eq!(files.put(&bytes).unwrap(), sha);
        assert!(files.has(&sha));
        assert_eq!(files.read(&sha).unwrap(), bytes);
        assert_eq!(
            files.read_range(&sha, 10, 5).unwrap(),
            bytes[10..15].to_vec()
        );

        let other = PhotoFiles::at(dir.path().join("other"));
        assert_eq!(other.partial_len(&sha).unwrap(), 0);
        assert_eq!(other.append_partial(&sha, 0, &bytes[..1000]).unwrap(), 1000);
        // A chunk out of place is refused, not written.
        assert!(other.append_partial(&sha, 500, &bytes[500..700]).is_err());
        assert_eq!(other.partial_len(&sha).unwrap(), 1000);
        other.append_partial(&sha, 1000, &bytes[1000..]).unwrap();
        assert!(other.finish_partial(&sha).unwrap());
        assert_eq!(other.read(&sha).unwrap(), bytes);

        // Bytes that do not hash to the name are dropped.
        let wrong = "0".repeat(64);
        other.append_partial(&wrong, 0, b"garbage").unwrap();
        assert!(!other.finish_partial(&wrong).unwrap());
        assert_eq!(other.partial_len(&wrong).unwrap(), 0);
        assert!(!other.has(&wrong));
        assert!(files.path("../etc/passwd").is_err());
    }
}
