//! Authentication: bearer-token extractors for devices and sessions (so handlers never parse
//! headers), password checks with argon2id, and the login rate limit.

use crate::AppState;
use crate::db::{Device, Session};
use crate::error::ApiError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::collections::HashMap;
use std::sync::Mutex;
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

/// Failed logins per user name in a sliding window; beyond the limit, logins are refused
/// (even with the right password) until the window passes.
pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    /// A limiter allowing `max_failures` per `window`.
    pub fn new(max_failures: u32, window: Duration) -> LoginLimiter {
        LoginLimiter {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u32, Instant)>> {
        // The map holds counters only; a poisoned lock still has usable data.
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `key` may try now.
    pub fn allowed(&self, key: &str) -> bool {
        let mut map = self.map();
        match map.get(key) {
            Some((_, since)) if since.elapsed() > self.window => {
                map.remove(key);
                true
            }
            Some((n, _)) => *n < self.max_failures,
            None => true,
        }
    }

    /// Records a failed attempt.
    pub fn failed(&self, key: &str) {
        let mut map = self.map();
        let e = map.entry(key.to_string()).or_insert((0, Instant::now()));
        e.0 += 1;
    }

    /// Clears the count after a success.
    pub fn succeeded(&self, key: &str) {
        self.map().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_blocks_after_the_limit_and_resets_on_success() {
        let l = LoginLimiter::new(2, Duration::from_secs(60));
        assert!(l.allowed("a"));
        l.failed("a");
        l.failed("a");
        assert!(!l.allowed("a"));
        assert!(l.allowed("b"));
        l.succeeded("a");
        assert!(l.allowed("a"));
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
