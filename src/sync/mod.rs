//! Sync between a device and the central server: the wire types (shared with the server, so a
//! change means the same on both ends), the role/region scope rules, the compression of
//! request bodies, and the blocking client that pushes the outbox and pulls what the officer
//! may see.

pub mod canonical;
pub mod chain;
mod client;
pub mod codec;
pub mod columns;
mod enrolment;
pub mod enrolment_file;
mod error;
pub mod form;
pub mod limits;
mod photos;
mod progress;
pub mod scope;
pub mod wire;
mod wire_chain;

pub use client::{Backoff, SyncClient, SyncReport};
pub use enrolment::{
    LoginKind, MIN_PASSWORD_CHARS, add_local_officer, check_cached_password, enrol, login,
    login_on_device,
};
pub use enrolment_file::{EnrolmentFile, enrol_from_file};
pub use error::SyncError;
pub use progress::{PictureProgress, SyncProgress};
