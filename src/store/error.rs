//! What can go wrong in the store, in words that say what to do next.

use crate::domain::Invalid;

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record breaks a rule of the domain.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The record clashes with one already stored (a unique number, a replaced version).
    #[error("{0}")]
    Conflict(String),
    /// A referenced record does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The file was written by a newer Alluvium; opening it here could corrupt it.
    #[error(
        "{path} was written by a newer Alluvium (schema version {found}; this build knows up to {known}): install the newer version to open it"
    )]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },
    /// The file could not be opened.
    #[error("cannot open the database {path}: {reason}")]
    Open { path: String, reason: String },
    /// A schema migration failed.
    #[error("cannot upgrade the database schema: {0}")]
    Migration(String),
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
}

// By hand rather than `#[from]`, so the message is not repeated as its own cause.
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e)
    }
}

impl From<crate::domain::rules::Refusal> for StoreError {
    fn from(r: crate::domain::rules::Refusal) -> Self {
        use crate::domain::rules::Refusal;
        // Each refusal keeps its text, so the device says what the server would say.
        match r {
            Refusal::Invalid(e) => StoreError::Invalid(e),
            Refusal::Missing(m) => StoreError::NotFound(m),
            Refusal::Conflict(m) => StoreError::Conflict(m),
        }
    }
}

impl From<crate::domain::rules::RuleError<StoreError>> for StoreError {
    fn from(e: crate::domain::rules::RuleError<StoreError>) -> Self {
        use crate::domain::rules::RuleError;
        match e {
            RuleError::Refused(r) => r.into(),
            RuleError::Lookup(e) => e,
        }
    }
}
