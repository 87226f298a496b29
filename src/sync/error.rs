//! What can go wrong while syncing, in words that say what to do next.

use crate::store::StoreError;

/// A sync failure.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The device has no server yet.
    #[error("this device is not enrolled: run `alluvium enrol --server URL --code CODE`")]
    NotEnrolled,
    /// No officer has logged in.
    #[error("no officer is logged in: run `alluvium login --user NAME --password-stdin`")]
    NotLoggedIn,
    /// The session must be renewed online.
    #[error("{0}: log in again while the server is reachable")]
    SessionExpired(String),
    /// Wrong user name or password (online or offline).
    #[error("{0}")]
    Credentials(String),
    /// The server URL is not acceptable.
    #[error("{0}")]
    BadUrl(String),
    /// The enrolment file cannot be read or is not one (the words say which).
    #[error("{0}")]
    EnrolmentFile(String),
    /// The CA certificate file is unusable.
    #[error("cannot use the CA certificate: {0}")]
    BadCertificate(String),
    /// The server could not be reached (network, TLS); safe to retry.
    #[error("cannot reach the sync server at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The server answered with an error.
    #[error("the sync server refused the request ({status} {code}): {message}")]
    Server {
        status: u16,
        code: String,
        message: String,
    },
    /// The server's answer could not be understood.
    #[error("the sync server sent an answer this device cannot read: {0}")]
    BadResponse(String),
    /// The device's photo folder failed.
    #[error("{0}")]
    Photo(String),
    /// The device database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    /// Whether trying again later may succeed (network trouble, server overloaded or down).
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Unreachable { .. } => true,
            SyncError::Server { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}
