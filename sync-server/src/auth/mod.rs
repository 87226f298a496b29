//! Authentication: bearer-token extractors for devices and sessions (so handlers never parse
//! headers) and password checks with argon2id. (Failed logins are counted in the database:
//! `db::store::logins`.)

use crate::AppState;
use crate::db::{Device, Session};
use crate::error::ApiError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::sync::LazyLock;

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

#[cfg(test)]
mod tests {
    use super::*;

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
