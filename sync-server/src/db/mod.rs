//! The server store: a trait with two backends, SQLite (embedded, one file) and PostgreSQL
//! (several server processes on one database). The logic is written once (`store`) over a
//! small SQL interface (`sql`); each backend supplies connections, transactions and its
//! versioned migrations. Every push batch is one transaction; a change id is applied once.

mod location;
mod postgres;
pub(crate) mod sql;
mod sqlite;
mod store;

pub use location::Location;
pub use postgres::{DEFAULT_POOL_SIZE, PgStore, shown_url};
pub use sqlite::{BackupCopy, Migrated, SqliteStore, latest_version as sqlite_schema_version};
pub use store::{DEFAULT_SESSION_TTL_SECS, SERVER_ORIGIN, Store};

use alluvium::domain::{Officer, Role};
use alluvium::sync::wire::{Change, ChangeResult, DeviceKey, PhotoStatus, PullResponse};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// A server store failure.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{0}")]
    NotFound(String),
    /// No connection to the database could be had in time; worth trying again.
    #[error("{0}")]
    Busy(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Unauthorized(String),
    /// Logged in, but the role may not do this.
    #[error("{0}")]
    Forbidden(String),
    #[error(
        "the database was made by a newer release of alluvium-sync (schema version {found}; \
         this release knows up to {known}): run that release, or restore a backup made by this one"
    )]
    TooNew { found: i64, known: i64 },
    #[error("the database could not be brought to the current schema: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database error: {0}")]
    Postgres(#[from] ::postgres::Error),
    /// The database answered something the store cannot use, or could not be reached.
    #[error("database error: {0}")]
    Database(String),
    /// The server's own files (the photo folder) failed.
    #[error("storage error: {0}")]
    Storage(String),
}

impl DbError {
    /// Whether a statement failed on a unique key (a name or id already taken).
    pub fn is_duplicate(&self) -> bool {
        match self {
            DbError::Sqlite(e) => {
                e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation)
            }
            DbError::Postgres(e) => {
                e.code() == Some(&::postgres::error::SqlState::UNIQUE_VIOLATION)
            }
            _ => false,
        }
    }
}

/// An enrolled device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: Uuid,
    pub region: String,
    /// The key its changes are signed with (`None`: enrolled by an older version and not
    /// registered yet; its changes are taken unsigned until it registers one).
    pub public_key: Option<ed25519_dalek::VerifyingKey>,
}

/// An enrolled device as an administrator lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceInfo {
    pub id: Uuid,
    pub region: String,
    /// Unix seconds.
    pub enrolled_at: i64,
    /// Unix seconds, when revoked.
    pub revoked_at: Option<i64>,
    /// Whether the device has a registered key (signs its changes).
    pub signed: bool,
    /// Changes in the log from this device, and how many of them are unsigned.
    pub changes: i64,
    pub unsigned_changes: i64,
}

/// One problem `audit verify` found in a device's chain. Field names are output contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditProblem {
    pub device: Uuid,
    pub change_id: String,
    /// Starts with `altered`, `removed` or `inserted`, then says what was found.
    pub problem: String,
}

/// What `audit verify` walked and found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// Devices with a key whose chains were walked.
    pub devices: usize,
    /// Signed changes checked.
    pub changes: u64,
    pub problems: Vec<AuditProblem>,
}

/// An officer's session on a device: who may push and read what.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub device: Device,
    pub officer: Officer,
}

impl Session {
    /// The officer's role.
    pub fn role(&self) -> Role {
        self.officer.role
    }
}

/// A new officer account.
#[derive(Clone)]
pub struct NewOfficer {
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub regions: Vec<String>,
    /// argon2id PHC string.
    pub password_hash: String,
}

/// An officer account as stored, for login.
#[derive(Clone)]
pub struct Account {
    pub officer: Officer,
    pub password_hash: String,
    pub disabled: bool,
}

/// Entity counts (same keys as the app's `stats --json`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub diggers: i64,
    pub licences: i64,
    pub sites: i64,
    pub production: i64,
    pub stones: i64,
    pub sales: i64,
    pub reviews: i64,
}

/// Counts in total and per region.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    #[serde(flatten)]
    pub total: Counts,
    /// Pictures held whole, and their bytes.
    pub photos: i64,
    pub photo_bytes: i64,
    pub regions: BTreeMap<String, Counts>,
}

/// Everything the server keeps.
pub trait ServerStore: Send + Sync + 'static {
    /// Adds a region (and logs it as a change, so devices receive it).
    fn add_region(&self, code: &str, name: &str, country: &str) -> Result<(), DbError>;
    /// Adds an officer.
    fn add_officer(&self, o: &NewOfficer) -> Result<Officer, DbError>;
    /// Disables an officer: logins and existing sessions are refused.
    fn disable_officer(&self, username: &str) -> Result<(), DbError>;
    /// Makes a one-time enrolment code for a region, valid for `ttl_secs`.
    fn make_enrol_code(&self, region: &str, ttl_secs: i64) -> Result<String, DbError>;
    /// Revokes a device: its token and sessions are refused.
    fn revoke_device(&self, id: Uuid) -> Result<(), DbError>;
    /// Entity counts.
    fn stats(&self) -> Result<Stats, DbError>;
    /// Uses an enrolment code, recording the device's public key when it sends one; returns
    /// the device token and region.
    fn enrol(
        &self,
        code: &str,
        device: Uuid,
        public_key: Option<&ed25519_dalek::VerifyingKey>,
    ) -> Result<(String, String), DbError>;
    /// Registers the key of a device enrolled without one (set once, never replaced).
    fn register_device_key(
        &self,
        device: Uuid,
        key: &ed25519_dalek::VerifyingKey,
    ) -> Result<(), DbError>;
    /// The keys of the devices of the session's regions (all for an admin), revoked included.
    fn device_keys(&self, s: &Session) -> Result<Vec<DeviceKey>, DbError>;
    /// Every enrolled device, for administrators (which are still unsigned).
    fn devices(&self) -> Result<Vec<DeviceInfo>, DbError>;
    /// Walks every device's chain of signed changes (see `alluvium::sync::chain`).
    fn audit(&self) -> Result<AuditReport, DbError>;
    /// The device a token belongs to, unless revoked.
    fn device_by_token(&self, token: &str) -> Result<Option<Device>, DbError>;
    /// An officer account by user name.
    fn account(&self, username: &str) -> Result<Option<Account>, DbError>;
    /// Opens a session for an officer on a device; returns its token.
    fn open_session(&self, device: Uuid, officer: Uuid) -> Result<String, DbError>;
    /// The live session a token belongs to.
    fn session(&self, token: &str) -> Result<Option<Session>, DbError>;
    /// Counts a login attempt under `username` (lower-cased) before its password is checked;
    /// false, and nothing counted, when the name has used up its attempts for now. Shared by
    /// every process on the database (see `store::logins`).
    fn reserve_login(&self, username: &str) -> Result<bool, DbError>;
    /// Clears the name's count after a successful login.
    fn login_succeeded(&self, username: &str) -> Result<(), DbError>;
    /// Gives back an attempt that was never checked.
    fn withdraw_login(&self, username: &str) -> Result<(), DbError>;
    /// The attempts counted against the name in its current window.
    fn failed_logins(&self, username: &str) -> Result<u32, DbError>;
    /// Applies a batch of changes, each exactly once; one answer per change, in order.
    fn push(&self, s: &Session, changes: &[Change]) -> Result<Vec<ChangeResult>, DbError>;
    /// Changes after `cursor` that the session may see, at most `limit`; with `count`, also
    /// how many wait in all.
    fn pull(
        &self,
        s: &Session,
        cursor: i64,
        limit: u32,
        count: bool,
    ) -> Result<PullResponse, DbError>;
    /// How much of the picture `sha256` the server holds, for a session that may send or
    /// fetch it (a photo record it may see names it).
    fn photo_status(&self, s: &Session, sha256: &str) -> Result<PhotoStatus, DbError>;
    /// Takes a chunk of the picture `sha256` at `offset` (the bytes held so far).
    fn put_photo_chunk(
        &self,
        s: &Session,
        sha256: &str,
        offset: u64,
        chunk: &[u8],
    ) -> Result<PhotoStatus, DbError>;
    /// Up to `len` bytes of the whole picture `sha256` from `offset`.
    fn photo_chunk(
        &self,
        s: &Session,
        sha256: &str,
        offset: u64,
        len: usize,
    ) -> Result<Vec<u8>, DbError>;
}
