//! The SQLite backend: one file in WAL mode with a busy timeout, so `alluvium-sync admin` can
//! work on it while the server runs. The connection sits behind a mutex (handlers call it
//! from `spawn_blocking`), so one process writes at a time and the change log's sequence
//! numbers (`seq`, its rowid) become visible in order.

mod backup;
mod checkpoint;
mod kept;
mod migrations;
mod schema;

use super::DbError;
use super::sql::{Engine, Row, Sql, Val};
use super::store::Store;
use crate::photo_vault::PhotoVault;
use rusqlite::Connection;
use rusqlite::types::{ToSqlOutput, ValueRef};
use std::path::Path;
use std::sync::Mutex;

pub use backup::BackupCopy;
pub use migrations::{Migrated, latest_version};

/// The server store on its embedded SQLite file.
pub type SqliteStore = Store<SqliteEngine>;

/// One SQLite connection, shared.
pub struct SqliteEngine {
    conn: Mutex<Connection>,
    /// Declared after the connection: dropped after it, so the last checkpoint comes after
    /// the last write.
    _checkpointer: checkpoint::Checkpointer,
}

impl SqliteEngine {
    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back on
        // drop), so a poisoned lock is still safe to use.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store<SqliteEngine> {
    /// Opens (creating if needed) the server database and brings it to the current schema.
    pub fn open(path: &Path) -> Result<SqliteStore, DbError> {
        Ok(Self::open_migrated(path)?.0)
    }

    /// Opens the server database, brings it to the current schema, and says from which
    /// version (`alluvium-sync migrate`).
    pub fn open_migrated(path: &Path) -> Result<(SqliteStore, Migrated), DbError> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "page_size", 16384)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // NORMAL in WAL mode: a power cut may lose the last commits but never corrupts; the
        // device keeps every change until the server has answered, so nothing is lost.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "wal_autocheckpoint", checkpoint::BACKSTOP_PAGES)?;
        let migrated = migrations::to_latest(&mut conn)?;
        let engine = SqliteEngine {
            conn: Mutex::new(conn),
            _checkpointer: checkpoint::Checkpointer::start(path),
        };
        Ok((Store::new(engine, PhotoVault::beside(path)), migrated))
    }

    /// Writes a consistent copy of the database to the new file `out`, and its pictures to
    /// the photo folder beside it.
    pub fn backup_to(&self, out: &Path) -> Result<BackupCopy, DbError> {
        let mut copy = backup::backup_to(&self.engine.conn(), out)?;
        // The pictures after the database: every picture the copy records as held is in the
        // vault by then (pictures are never removed).
        (copy.photos, copy.photo_bytes) = self
            .vault
            .copy_whole_to(&PhotoVault::beside(out))
            .map_err(|e| DbError::Storage(e.to_string()))?;
        Ok(copy)
    }
}

impl Engine for SqliteEngine {
    fn read<T>(&self, f: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError> {
        f(&*self.conn())
    }

    fn write<T>(&self, f: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError> {
        let conn = self.conn();
        // Immediate: the write lock is taken at the start, so a transaction that read
        // something never finds it changed by the time it writes (`admin` may share the file).
        let tx =
            rusqlite::Transaction::new_unchecked(&conn, rusqlite::TransactionBehavior::Immediate)?;
        let kept = kept::Kept::new(&conn);
        let out = f(&kept)?;
        drop(kept);
        tx.commit()?;
        Ok(out)
    }

    fn append<T>(&self, f: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError> {
        // One writer at a time already: the mutex here, SQLite's write lock across processes.
        self.write(f)
    }
}

impl rusqlite::ToSql for Val<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match *self {
            Val::Null => ValueRef::Null,
            Val::Int(v) => ValueRef::Integer(v),
            Val::Text(s) => ValueRef::Text(s.as_bytes()),
            Val::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

impl Row for rusqlite::Row<'_> {
    fn int(&self, i: usize) -> Result<Option<i64>, DbError> {
        Ok(self.get(i)?)
    }

    fn text(&self, i: usize) -> Result<Option<String>, DbError> {
        Ok(self.get(i)?)
    }

    fn blob(&self, i: usize) -> Result<Option<Vec<u8>>, DbError> {
        Ok(self.get(i)?)
    }
}

impl Sql for Connection {
    fn exec(&self, sql: &str, params: &[Val<'_>]) -> Result<u64, DbError> {
        let n = self
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(params))?;
        Ok(n as u64)
    }

    fn each(
        &self,
        sql: &str,
        params: &[Val<'_>],
        f: &mut dyn FnMut(&dyn Row) -> Result<bool, DbError>,
    ) -> Result<(), DbError> {
        each_row(&mut *self.prepare_cached(sql)?, params, f)
    }
}

/// Runs a query on a prepared statement, handing each row to `f` in order until it returns
/// false.
fn each_row(
    st: &mut rusqlite::Statement<'_>,
    params: &[Val<'_>],
    f: &mut dyn FnMut(&dyn Row) -> Result<bool, DbError>,
) -> Result<(), DbError> {
    let mut rows = st.query(rusqlite::params_from_iter(params))?;
    while let Some(r) = rows.next()? {
        if !f(r)? {
            break;
        }
    }
    Ok(())
}
