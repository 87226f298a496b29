//! Every limit of the sync protocol in one place, enforced by the server and, where the device
//! can know it beforehand, by the device too. README's Sync section lists them with the
//! message an officer sees.

pub use crate::domain::{
    MAX_AREA_VERTICES, MAX_PHOTO_BYTES, MAX_PHOTO_CAPTION, MAX_PHOTO_SIDE, MAX_PHOTOS_PER_RECORD,
    MAX_REVIEW_COMMENT, MAX_SALE_LINKS,
};

/// Most changes one push may carry (the client sends batches of this size).
pub const MAX_PUSH_CHANGES: usize = 2_000;
/// Most changes one pull page returns.
pub const MAX_PULL_PAGE: u32 = 2_000;
/// Most payload bytes one pull page carries: a page stops early rather than grow past this,
/// so one region's large records never make a page the device cannot take.
pub const MAX_PULL_PAGE_BYTES: usize = 4 * 1024 * 1024;
/// How far ahead of the server's clock a change's clock may be. A clock further ahead would
/// win every later merge and drag every device's clock forward with it.
pub const MAX_CLOCK_SKEW_MS: u64 = 5 * 60 * 1000;
/// Largest push or pull body on the wire.
pub const MAX_BODY: usize = 16 * 1024 * 1024;
/// Largest push or pull body after decompression.
pub const MAX_DECODED: usize = 64 * 1024 * 1024;
/// Largest enrolment or login body, compressed or not: a code, an id, a name and a password.
pub const MAX_SMALL_BODY: usize = 4 * 1024;
/// Longest user name, in bytes; a longer one is refused before anything else is done with it.
pub const MAX_USERNAME: usize = 60;
/// Most password checks (argon2, ~20 MB each) the server runs at once.
pub const MAX_CONCURRENT_LOGINS: usize = 4;
/// Failed logins a user name may have in [`FAILED_LOGIN_WINDOW_SECS`] before logins under that
/// name are refused (even with the right password) until the window passes. An attempt counts
/// as soon as it starts, so concurrent attempts cannot slip past the limit. The server keeps
/// the counts in its database, shared by all its processes; a name is forgotten once its
/// window has passed.
pub const MAX_FAILED_LOGINS: u32 = 5;
/// The window of [`MAX_FAILED_LOGINS`], in seconds.
pub const FAILED_LOGIN_WINDOW_SECS: u64 = 5 * 60;
/// How long a login waits for one of the [`MAX_CONCURRENT_LOGINS`] password checks before
/// the server answers 503 (busy, try again).
pub const MAX_LOGIN_WAIT_SECS: u64 = 10;
/// Most large request bodies (pushes) decompressed and parsed at once, off the async workers.
pub const MAX_CONCURRENT_LARGE_BODIES: usize = 4;
/// Bytes of a picture a device sends in one request: at 64 kbit/s a chunk takes about 8 s, so a
/// cut connection costs at most that much again.
pub const PHOTO_CHUNK: usize = 64 * 1024;
/// Most bytes of a picture the server takes in one request, or sends in one answer.
pub const MAX_PHOTO_CHUNK: usize = 1024 * 1024;
/// Bytes of a picture a device asks for in one request.
pub const PHOTO_DOWNLOAD_CHUNK: usize = 256 * 1024;
/// Bytes of pictures a sync downloads at most, unless told otherwise (`sync --photo-budget`):
/// what is left waits for the next sync, so a slow link is not held by pictures.
pub const DEFAULT_PHOTO_BUDGET: u64 = 20 * 1024 * 1024;
