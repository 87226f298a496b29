//! Authentication: bearer-token extractors for devices and sessions (so handlers never parse
//! headers), password checks with argon2id, and the login rate limit.

use crate::AppState;
use crate::db::{Device, Session};
use crate::error::ApiError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

fn bearer(parts: &Parts) -> Result<String, ApiError> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("missing Authorization: Bearer token".into()))?;
    let text = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("unreadable Authorization header".into()))?;
    text.strip_prefix("Bearer ")
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::Unauthorized("the Authorization header is not `Bearer TOKEN`".into())
        })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::db::DbError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(ApiError::from)
}

/// A request authenticated by an enrolled device's token.
pub struct DeviceAuth(pub Device);

impl FromRequestParts<AppState> for DeviceAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        let db = state.db.clone();
        blocking(move || db.device_by_token(&token))
            .await?
            .map(DeviceAuth)
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "unknown or revoked device token; enrol the device again".into(),
                )
            })
    }
}

/// A request authenticated by an officer's session on a device.
pub struct SessionAuth(pub Session);

impl FromRequestParts<AppState> for SessionAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        let db = state.db.clone();
        blocking(move || db.session(&token))
            .await?
            .map(SessionAuth)
            .ok_or_else(|| ApiError::Unauthorized("unknown session; log in again".into()))
    }
}

/// Hashes a password with argon2id (PHC string).
pub fn hash_password(password: &str) -> Result<String, String> {
    use rand::TryRngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&bytes).map_err(|e| e.to_string())?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Checks a login's password against the account's hash, or, when there is no such account,
/// against a hash of no one's password: an unknown user name then takes as long to refuse as
/// a wrong password, so timing does not tell which names exist.
pub fn check_login(password: &str, account_hash: Option<&str>) -> bool {
    static NO_ONE: LazyLock<String> = LazyLock::new(|| {
        // Made with the same parameters as real hashes. Should the system's randomness fail,
        // an empty hash is refused at once: unknown names are then only faster to refuse.
        hash_password("the password of no one").unwrap_or_default()
    });
    match account_hash {
        Some(hash) => verify_password(password, hash),
        None => {
            verify_password(password, &NO_ONE);
            false
        }
    }
}

/// At most `max_chars` characters of a name someone sent, for the log: a refused name is
/// logged, but never whole.
pub fn shown(name: &str, max_chars: usize) -> String {
    let mut chars = name.chars();
    let head: String = chars.by_ref().take(max_chars).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// Login attempts per user name in a window. An attempt counts as a failure from the moment
/// it starts (until it succeeds), so concurrent attempts cannot all slip under the limit;
/// beyond the limit, logins under that name are refused, even with the right password, until
/// the window passes. The map holds at most `max_names` names: past that, names whose window
/// has passed go first, then the oldest.
pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    max_names: usize,
    failures: Mutex<HashMap<String, Attempts>>,
}

#[derive(Debug, Clone, Copy)]
struct Attempts {
    count: u32,
    since: Instant,
}

impl LoginLimiter {
    /// A limiter allowing `max_failures` per `window` per name, remembering at most
    /// `max_names` names.
    pub fn new(max_failures: u32, window: Duration, max_names: usize) -> LoginLimiter {
        LoginLimiter {
            max_failures,
            window,
            max_names: max_names.max(1),
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Attempts>> {
        // The map holds counters only; a poisoned lock still has usable data.
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts an attempt for `key` before its password is checked; false (and nothing
    /// counted) when `key` has used up its attempts for now.
    pub fn try_reserve(&self, key: &str) -> bool {
        let mut map = self.map();
        let now = Instant::now();
        if let Some(a) = map.get_mut(key) {
            if now.duration_since(a.since) > self.window {
                *a = Attempts {
                    count: 0,
                    since: now,
                };
            }
            if a.count >= self.max_failures {
                return false;
            }
            a.count += 1;
            return true;
        }
        if map.len() >= self.max_names {
            self.make_room(&mut map, now);
        }
        map.insert(
            key.to_string(),
            Attempts {
                count: 1,
                since: now,
            },
        );
        true
    }

    /// Drops the names whose window has passed; if that frees nothing, the oldest tenth, so
    /// that a full map costs one sort per many new names rather than a scan per name.
    fn make_room(&self, map: &mut HashMap<String, Attempts>, now: Instant) {
        map.retain(|_, a| now.duration_since(a.since) <= self.window);
        if map.len() < self.max_names {
            return;
        }
        let mut since: Vec<Instant> = map.values().map(|a| a.since).collect();
        let nth = since.len() / 10;
        let (_, cutoff, _) = since.select_nth_unstable(nth);
        let cutoff = *cutoff;
        map.retain(|_, a| a.since > cutoff);
    }

    /// Clears `key`'s count after a successful login.
    pub fn succeeded(&self, key: &str) {
        self.map().remove(key);
    }

    /// Gives back an attempt that was never checked (the server was busy or failed).
    pub fn withdraw(&self, key: &str) {
        let mut map = self.map();
        if let Some(a) = map.get_mut(key) {
            a.count = a.count.saturating_sub(1);
            if a.count == 0 {
                map.remove(key);
            }
        }
    }

    /// How many names the limiter holds now.
    pub fn names(&self) -> usize {
        self.map().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_blocks_after_the_limit_and_resets_on_success() {
        let l = LoginLimiter::new(2, Duration::from_secs(60), 100);
        assert!(l.try_reserve("a"));
        assert!(l.try_reserve("a"));
        assert!(
            !l.try_reserve("a"),
            "the third attempt in the window is refused"
        );
        assert!(l.try_reserve("b"));
        l.succeeded("a");
        assert!(l.try_reserve("a"));
        l.withdraw("a");
        assert!(l.try_reserve("a") && l.try_reserve("a") && !l.try_reserve("a"));
    }

    #[test]
    fn limiter_forgets_names_whose_window_passed() {
        let l = LoginLimiter::new(1, Duration::from_millis(50), 100);
        assert!(l.try_reserve("a"));
        assert!(!l.try_reserve("a"));
        std::thread::sleep(Duration::from_millis(80));
        assert!(l.try_reserve("a"), "the window has passed");
    }

    #[test]
    fn memory_from_logins_the_limiter_holds_a_bounded_number_of_names() {
        let l = LoginLimiter::new(5, Duration::from_secs(300), 1_000);
        for i in 0..50_000 {
            assert!(l.try_reserve(&format!("name-{i}")));
            assert!(l.names() <= 1_000);
        }
        // The newest names are still counted.
        for _ in 0..4 {
            assert!(l.try_reserve("name-49999"));
        }
        assert!(!l.try_reserve("name-49999"));
        // Expired names go first, before any live one.
        let l = LoginLimiter::new(1, Duration::from_millis(50), 10);
        for i in 0..9 {
            l.try_reserve(&format!("old-{i}"));
        }
        std::thread::sleep(Duration::from_millis(80));
        l.try_reserve("live");
        l.try_reserve("new");
        assert_eq!(l.names(), 2);
        assert!(!l.try_reserve("live"));
    }

    #[test]
    fn refused_names_are_shown_truncated() {
        assert_eq!(shown("coord_a", 32), "coord_a");
        let long = "x".repeat(10_000);
        assert_eq!(shown(&long, 32).chars().count(), 33);
        assert_eq!(shown("ééé", 2), "éé…");
    }

    #[test]
    fn passwords_verify() {
        let h = hash_password("s3cret").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("s3cret", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("s3cret", "garbage"));
    }
}
