//! The SQLite server store: one file in WAL mode with a busy timeout, so `alluvium-sync admin`
//! can work on it while the server runs. The connection sits behind a mutex; handlers call it
//! from `spawn_blocking`. One file per concern: the schema, accounts and credentials, push
//! (the record rules and authorisation), pull, and statistics.

mod accounts;
mod audit;
mod backup;
mod chain;
mod lookup;
mod migrations;
mod photos;
mod pull;
mod push;
mod schema;
mod stats;

use super::{
    Account, AuditReport, DbError, Device, DeviceInfo, NewOfficer, ServerStore, Session, Stats,
};
use crate::photo_vault::PhotoVault;
use alluvium::domain::Officer;
use alluvium::sync::wire::{Change, ChangeResult, DeviceKey, PhotoStatus, PullResponse};
use chrono::Utc;
use ed25519_dalek::VerifyingKey;
use rusqlite::Connection;
use std::path::Path;
use std::sync::Mutex;

pub use backup::BackupCopy;
pub use migrations::Migrated;
use uuid::Uuid;

/// The origin of changes made on the server itself (regions added by an admin).
pub const SERVER_ORIGIN: Uuid = Uuid::nil();
/// How long a session lasts by default.
pub const DEFAULT_SESSION_TTL_SECS: i64 = 30 * 24 * 3600;

fn now() -> i64 {
    Utc::now().timestamp()
}

/// The SQLite server store.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    session_ttl_secs: i64,
    /// The pictures, beside the database file.
    vault: PhotoVault,
}

impl SqliteStore {
    /// Opens (creating if needed) the server database and brings it to the current schema.
    pub fn open(path: &Path) -> Result<SqliteStore, DbError> {
        Ok(Self::open_migrated(path)?.0)
    }

    /// Opens the server database, brings it to the current schema, and says from which
    /// version (`alluvium-sync migrate`).
    pub fn open_migrated(path: &Path) -> Result<(SqliteStore, Migrated), DbError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // NORMAL in WAL mode: a power cut may lose the last commits but never corrupts; the
        // device keeps every change until the server has answered, so nothing is lost.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut conn = conn;
        let migrated = migrations::to_latest(&mut conn)?;
        let store = SqliteStore {
            conn: Mutex::new(conn),
            session_ttl_secs: DEFAULT_SESSION_TTL_SECS,
            vault: PhotoVault::beside(path),
        };
        Ok((store, migrated))
    }

    /// Sets how long new sessions last.
    pub fn with_session_ttl(mut self, secs: i64) -> SqliteStore {
        self.session_ttl_secs = secs;
        self
    }

    /// Writes a consistent copy of the database to the new file `out`, and its pictures to
    /// the photo folder beside it.
    pub fn backup_to(&self, out: &Path) -> Result<BackupCopy, DbError> {
        let mut copy = backup::backup_to(&self.conn(), out)?;
        // The pictures after the database: every picture the copy records as held is in the
        // vault by then (pictures are never removed).
        (copy.photos, copy.photo_bytes) = self
            .vault
            .copy_whole_to(&PhotoVault::beside(out))
            .map_err(|e| DbError::Storage(e.to_string()))?;
        Ok(copy)
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back on
        // drop), so a poisoned lock is still safe to use.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl ServerStore for SqliteStore {
    fn add_region(&self, code: &str, name: &str, country: &str) -> Result<(), DbError> {
        accounts::add_region(&mut self.conn(), code, name, country)
    }

    fn add_officer(&self, o: &NewOfficer) -> Result<Officer, DbError> {
        accounts::add_officer(&self.conn(), o)
    }

    fn disable_officer(&self, username: &str) -> Result<(), DbError> {
        accounts::disable_officer(&mut self.conn(), username)
    }

    fn make_enrol_code(&self, region: &str, ttl_secs: i64) -> Result<String, DbError> {
        accounts::make_enrol_code(&self.conn(), region, ttl_secs)
    }

    fn revoke_device(&self, id: Uuid) -> Result<(), DbError> {
        accounts::revoke_device(&mut self.conn(), id)
    }

    fn stats(&self) -> Result<Stats, DbError> {
        let conn = self.conn();
        let mut stats = stats::stats(&conn)?;
        (stats.photos, stats.photo_bytes) = photos::held(&conn)?;
        Ok(stats)
    }

    fn enrol(
        &self,
        code: &str,
        device: Uuid,
        public_key: Option<&VerifyingKey>,
    ) -> Result<(String, String), DbError> {
        accounts::enrol(&mut self.conn(), code, device, public_key)
    }

    fn register_device_key(&self, device: Uuid, key: &VerifyingKey) -> Result<(), DbError> {
        accounts::register_device_key(&self.conn(), device, key)
    }

    fn device_keys(&self, s: &Session) -> Result<Vec<DeviceKey>, DbError> {
        audit::device_keys(&self.conn(), s)
    }

    fn devices(&self) -> Result<Vec<DeviceInfo>, DbError> {
        audit::devices(&self.conn())
    }

    fn audit(&self) -> Result<AuditReport, DbError> {
        audit::audit(&self.conn())
    }

    fn device_by_token(&self, token: &str) -> Result<Option<Device>, DbError> {
        accounts::device_by_token(&self.conn(), token)
    }

    fn account(&self, username: &str) -> Result<Option<Account>, DbError> {
        accounts::account(&self.conn(), username)
    }

    fn open_session(&self, device: Uuid, officer: Uuid) -> Result<String, DbError> {
        accounts::open_session(&self.conn(), self.session_ttl_secs, device, officer)
    }

    fn session(&self, token: &str) -> Result<Option<Session>, DbError> {
        accounts::session(&self.conn(), token)
    }

    fn push(&self, s: &Session, changes: &[Change]) -> Result<Vec<ChangeResult>, DbError> {
        let now = Utc::now();
        let (today, now_ms) = (now.date_naive(), now.timestamp_millis().max(0) as u64);
        // Reading and checking each change on its own needs no lock: done before taking it.
        let prepared = changes
            .iter()
            .map(|c| push::prepare(s, c, now_ms))
            .collect();
        // So are the signatures, on every core.
        let checked = chain::check_signatures(s, changes);
        push::push(&mut self.conn(), s, changes, prepared, checked, today)
    }

    fn pull(
        &self,
        s: &Session,
        cursor: i64,
        limit: u32,
        count: bool,
    ) -> Result<PullResponse, DbError> {
        pull::pull(&self.conn(), s, cursor, limit, count)
    }

    fn photo_status(&self, s: &Session, sha256: &str) -> Result<PhotoStatus, DbError> {
        let a = photos::access(&self.conn(), s, sha256)?;
        photos::status(&self.vault, sha256, a.bytes)
    }

    fn put_photo_chunk(
        &self,
        s: &Session,
        sha256: &str,
        offset: u64,
        chunk: &[u8],
    ) -> Result<PhotoStatus, DbError> {
        let a = photos::access(&self.conn(), s, sha256)?;
        // The chunk is written and flushed without the database lock; only a whole picture's
        // row takes it again.
        photos::append(
            |sha, bytes| photos::record_whole(&self.conn(), sha, bytes),
            &self.vault,
            sha256,
            a,
            offset,
            chunk,
        )
    }

    fn photo_chunk(
        &self,
        s: &Session,
        sha256: &str,
        offset: u64,
        len: usize,
    ) -> Result<Vec<u8>, DbError> {
        let a = photos::access(&self.conn(), s, sha256)?;
        photos::read(&self.vault, sha256, a, offset, len)
    }
}
