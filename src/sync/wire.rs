//! The JSON bodies of the sync API under `/api/v1`. Field names are protocol; do not rename.
//! Requests reject unknown fields, so a typo or a newer client's field is an error with a
//! reason instead of being silently dropped.

use super::form::Form;
use crate::domain::{Hlc, Officer, RecordKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The API's path prefix.
pub const API_PREFIX: &str = "/api/v1";
pub use super::limits::{MAX_PULL_PAGE, MAX_PUSH_CHANGES};

/// What a change does to its record. Field names are protocol; do not rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// A registry record created or replaced as a whole (merged by clock).
    Upsert,
    /// An append-only record (inserted if absent).
    Insert,
}

impl Op {
    /// The operation a kind's changes carry: registries are upserted, the rest inserted.
    pub fn of(kind: RecordKind) -> Op {
        if kind.is_registry() {
            Op::Upsert
        } else {
            Op::Insert
        }
    }
}

/// One change of one record. Field names are protocol; do not rename.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// Unique per change; the server applies each id once.
    pub change_id: Uuid,
    /// The record's kind: `region`, `officer`, `digger`, `licence`, `site`, `crew`,
    /// `production`, `stone`, `sale` or `review`. An unknown kind refuses the whole request
    /// (400) rather than one change, so a newer client's record is kept until the server knows
    /// its kind instead of being rejected for good.
    pub entity: RecordKind,
    /// The record's id (a region's code for regions).
    pub record_id: String,
    /// The record's region as the sender knows it (the server derives its own).
    #[serde(default)]
    pub region: Option<String>,
    /// Hybrid logical clock of the change.
    pub hlc: Hlc,
    /// Clock of the version the edit started from (0 for a new record).
    #[serde(default)]
    pub base_hlc: Hlc,
    /// The device that made the change.
    pub origin: Uuid,
    /// The officer who made it.
    #[serde(default)]
    pub author: Option<Uuid>,
    pub op: Op,
    /// The record itself, as the domain type serialises it.
    pub payload: serde_json::Value,
    /// The canonical form the change is signed in (`2`; absent: 1), see [`super::canonical`].
    #[serde(default, skip_serializing_if = "Form::is_v1")]
    pub form: Form,
    /// Position in the origin device's chain of signed changes (1 for its first). The chain
    /// fields are absent on an unsigned change, which the server takes only from a device
    /// that has registered no key; [`super::canonical`] says when a signed change may leave them out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_seq: Option<u64>,
    /// The link of the device's previous signed change (unpadded base64url of 32 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// Ed25519 signature of the change's canonical bytes by the origin device (unpadded
    /// base64url of 64 bytes); in form 2, only where a run of changes needs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig: Option<String>,
}

/// `POST /push`. Field names are protocol; do not rename.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub changes: Vec<Change>,
}

/// The server's answer for one change. Field names are protocol; do not rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Verdict {
    /// Applied (now or by an earlier delivery of the same change).
    Accepted,
    /// Refused, with a reason the officer can read.
    Rejected { reason: String },
}

/// One change's answer. Field names are protocol; do not rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeResult {
    /// The change answered. Sent for rejections only: an accepted change is identified by its
    /// position, which keeps the answer to a large batch to a few bytes per change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_id: Option<Uuid>,
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// The answer to a push: one result per change, in request order (the client checks the
/// count and, for rejections, the id). Field names are protocol; do not rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<ChangeResult>,
}

/// `POST /pull`. Field names are protocol; do not rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullRequest {
    /// The last server sequence number the device has applied (0 at first).
    pub cursor: i64,
    /// Page size (at most [`MAX_PULL_PAGE`]).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Asks the server to say how many changes wait after the cursor for this device
    /// ([`PullResponse::waiting`]), for a progress "of total"; sent on a sync's first page.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub count: bool,
}

/// How much of a picture the server holds: the answer to `GET /photos/{sha256}` and to each
/// `PUT /photos/{sha256}?offset=N` chunk. Field names are protocol; do not rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoStatus {
    pub sha256: String,
    /// The picture's size, as its photo records declare it.
    pub bytes: u64,
    /// Bytes held so far: an upload goes on from here.
    pub received: u64,
    /// Whether the whole picture is held and its hash checked.
    pub complete: bool,
}

/// One change as the server numbered it. Field names are protocol; do not rename.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PulledChange {
    pub seq: i64,
    pub change: Change,
}

/// A page of changes after the cursor. Field names are protocol; do not rename.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub changes: Vec<PulledChange>,
    /// The cursor to ask with next (the last sequence number scanned).
    pub cursor: i64,
    /// Whether more changes wait after this page.
    pub has_more: bool,
    /// When asked for (`count`): how many changes this device may see waited after the
    /// request's cursor, this page's included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<u64>,
}

/// `POST /enrol`. Field names are protocol; do not rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// The one-time code an admin made.
    pub code: String,
    /// This device's id (the origin of its changes).
    pub device_id: Uuid,
    /// The device's Ed25519 public key (unpadded base64url of 32 bytes); the server checks
    /// every change the device signs against it. Absent from older clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
}

/// `POST /device-key`, authenticated by the device token: registers the key of a device
/// enrolled before devices had keys. A device's key is set once; the same key again is
/// acknowledged, another one refused. Field names are protocol; do not rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceKeyRequest {
    /// Unpadded base64url of the 32-byte Ed25519 public key.
    pub public_key: String,
}

/// The public key of one device, as devices receive them (`GET /device-keys`). Field names
/// are protocol; do not rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceKey {
    pub device: Uuid,
    pub region: String,
    /// Unpadded base64url of the 32-byte Ed25519 public key.
    pub public_key: String,
    /// When the device was revoked (RFC 3339, UTC): its key verifies what it signed before,
    /// and nothing new is accepted from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

/// `GET /device-keys`: the keys of the devices of the officer's regions (every region for an
/// admin), revoked ones included. Field names are protocol; do not rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceKeysResponse {
    pub keys: Vec<DeviceKey>,
}

/// Field names are protocol; do not rename.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolResponse {
    /// Bearer token of the device (256-bit random, shown once).
    pub device_token: String,
    /// The region the code was made for.
    pub region: String,
}

impl std::fmt::Debug for EnrolResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrolResponse")
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// `POST /login`, authenticated by the device token. Field names are protocol; do not rename.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Field names are protocol; do not rename.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Bearer token of the session, bound to the device.
    pub session_token: String,
    pub officer: Officer,
}

impl std::fmt::Debug for LoginResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginResponse")
            .field("officer", &self.officer)
            .finish_non_exhaustive()
    }
}

/// `GET /health`. Field names are protocol; do not rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
}

/// Every error response. Field names are protocol; do not rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable code (`bad_request`, `unauthorized`, `forbidden`, …).
    pub error: String,
    /// What went wrong and what to do, for people.
    pub message: String,
}
