//! Copying the write-ahead log back into the database file on a thread of its own.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its threshold, so one
//! push in every few pays for copying everything written since, with the database lock held.
//! Here a second connection copies it every half second without blocking writers (a passive
//! checkpoint), on another core. The automatic checkpoint stays as a backstop at a higher
//! threshold, so the log stays bounded even if this thread cannot keep up or cannot open.

use rusqlite::Connection;
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the log is copied back.
const EVERY: Duration = Duration::from_millis(500);

/// Pages of log after which the writing connection checkpoints by itself (about 40 MB).
pub(super) const BACKSTOP_PAGES: i64 = 10_000;

/// The checkpointing thread; stopped and joined when dropped.
pub(super) struct Checkpointer {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path` (already in WAL mode). Without a thread
    /// (it could not start) the backstop does the work.
    pub(super) fn start(path: &Path) -> Checkpointer {
        let (stop, stopped) = mpsc::channel::<()>();
        let path = path.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || {
                let Ok(conn) = Connection::open(&path) else {
                    return;
                };
                let _ = conn.busy_timeout(Duration::from_secs(1));
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                    // A busy or failed checkpoint is retried next time; the backstop bounds
                    // the log meanwhile.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .ok();
        Checkpointer {
            stop: Some(stop),
            thread,
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wal_frames(conn: &Connection) -> i64 {
        // (busy, frames in the log, frames copied back) of a checkpoint that copies nothing
        // new: asked of a connection that is not the checkpointer's.
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
            .unwrap()
    }

    #[test]
    fn the_log_is_copied_back_while_the_writer_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        conn.execute_batch("CREATE TABLE t (x BLOB)").unwrap();
        let _c = Checkpointer::start(&path);
        conn.execute("INSERT INTO t VALUES (zeroblob(100000))", [])
            .unwrap();
        // The copy is made by the thread; the log restarts at the next write.
        std::thread::sleep(EVERY * 3);
        conn.execute("INSERT INTO t VALUES (1)", []).unwrap();
        let frames = wal_frames(&conn);
        assert!(frames <= 2, "the log still holds {frames} frames");
        let n: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
    }

    #[test]
    fn dropping_it_stops_the_thread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        let started = std::time::Instant::now();
        drop(Checkpointer::start(&path));
        assert!(started.elapsed() < EVERY * 4);
    }
}
