//! `admin backup`: a consistent copy of the live database through SQLite's online backup API.
//! The pages are copied in one step, inside one read transaction, so the copy is the database
//! at one moment even while devices push; it is written beside the target under a temporary
//! name, checked, flushed to disk and only then renamed, so a failed or interrupted backup
//! leaves no file that looks like a backup.

use crate::db::DbError;
use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a backup copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupCopy {
    /// Changes in the copy's log.
    pub changes: i64,
    /// Database pages copied.
    pub pages: i64,
    /// Pictures copied to the photo folder beside the copy, and their bytes.
    pub photos: u64,
    pub photo_bytes: u64,
}

/// How often a step that found the database locked by a writer is tried again.
const BUSY_RETRIES: u32 = 50;

/// Copies the database open on `conn` to the new file `out`.
pub(super) fn backup_to(conn: &Connection, out: &Path) -> Result<BackupCopy, DbError> {
    if out.exists() {
        return Err(DbError::Conflict(format!(
            "{} already exists; a backup is written to a new file",
            out.display()
        )));
    }
    let name = out
        .file_name()
        .ok_or_else(|| DbError::Invalid(format!("{} is not a file name", out.display())))?;
    let partial = out.with_file_name(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = copy(conn, &partial).and_then(|copied| {
        std::fs::rename(&partial, out).map_err(io(out))?;
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The rename itself survives a power cut only once its directory is on disk.
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(io(dir))?;
        }
        Ok(copied)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

fn copy(conn: &Connection, to: &PathBuf) -> Result<BackupCopy, DbError> {
    let pages = {
        let mut dst = Connection::open(to)?;
        let backup = Backup::new(conn, &mut dst)?;
        let mut tries = 0;
        loop {
            match backup.step(-1)? {
                StepResult::Done => break,
                StepResult::More => {}
                StepResult::Busy | StepResult::Locked if tries < BUSY_RETRIES => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(100));
                }
                _ => {
                    return Err(DbError::Conflict(
                        "the database stayed locked by a writer; try the backup again".into(),
                    ));
                }
            }
        }
        i64::from(backup.progress().pagecount)
    };
    let dst = Connection::open(to)?;
    let check: String = dst.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(DbError::Invalid(format!(
            "the copy failed its check: {check}"
        )));
    }
    let changes = dst.query_row("SELECT count(*) FROM changes", [], |r| r.get(0))?;
    drop(dst);
    std::fs::File::open(to)
        .and_then(|f| f.sync_all())
        .map_err(io(to))?;
    Ok(BackupCopy {
        changes,
        pages,
        photos: 0,
        photo_bytes: 0,
    })
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> DbError + '_ {
    move |e| DbError::Invalid(format!("cannot write {}: {e}", path.display()))
}
