//! The server store: a trait, so that PostgreSQL can follow SQLite, and its SQLite
//! implementation. Every push batch is one transaction; a change id is applied once.

mod sqlite;

pub use sqlite::{DEFAULT_SESSION_TTL_SECS, SERVER_ORIGIN, SqliteStore};

use alluvium::domain::{Officer, Role};
use alluvium::sync::wire::{Change, ChangeResult, PullResponse};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// A server store failure.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// An enrolled device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: Uuid,
    pub region: String,
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
    /// Uses an enrolment code; returns the device token and region.
    fn enrol(&self, code: &str, device: Uuid) -> Result<(String, String), DbError>;
    /// The device a token belongs to, unless revoked.
    fn device_by_token(&self, token: &str) -> Result<Option<Device>, DbError>;
    /// An officer account by user name.
    fn account(&self, username: &str) -> Result<Option<Account>, DbError>;
    /// Opens a session for an officer on a device; returns its token.
    fn open_session(&self, device: Uuid, officer: Uuid) -> Result<String, DbError>;
    /// The live session a token belongs to.
    fn session(&self, token: &str) -> Result<Option<Session>, DbError>;
    /// Applies a batch of changes, each exactly once; one answer per change, in order.
    fn push(&self, s: &Session, changes: &[Change]) -> Result<Vec<ChangeResult>, DbError>;
    /// Changes after `cursor` that the session may see, at most `limit`.
    fn pull(&self, s: &Session, cursor: i64, limit: u32) -> Result<PullResponse, DbError>;
}
