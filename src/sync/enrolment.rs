//! Enrolment and login: a device's credentials from a one-time code, and an officer's session
//! — online against the server, or offline against the hash cached at the last online login.

use super::client::{SyncClient, check_url};
use super::error::SyncError;
use super::wire::{EnrolRequest, EnrolResponse, LoginRequest, LoginResponse};
use crate::store::{CachedOfficer, Store};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// How a login was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginKind {
    /// Against the server.
    Online,
    /// Against the hash cached at this officer's last online login (server unreachable).
    Offline,
    /// Against a local account of a device that is not enrolled (set up without a server).
    Local,
}

/// Enrols this device with a server using a one-time code; stores the server URL, the CA
/// certificate (if any) and the device token. Returns the code's region.
pub fn enrol(
    store: &mut Store,
    server_url: &str,
    code: &str,
    ca_pem: Option<&[u8]>,
    allow_plain_http: bool,
) -> Result<String, SyncError> {
    let url = check_url(server_url, allow_plain_http)?;
    let client = SyncClient::new(&url, ca_pem)?;
    let public_key = store
        .device_signing_key()?
        .map(|(_, key)| super::canonical::encode_b64(key.verifying_key().as_bytes()));
    let resp: EnrolResponse = client.post(
        "/enrol",
        None,
        &EnrolRequest {
            code: code.trim().to_string(),
            device_id: store.device_id().0,
            public_key,
        },
        false,
    )?;
    store.mark_device_key_registered()?;
    store.set_sync_setting("server_url", &url)?;
    match ca_pem {
        Some(pem) => store.set_sync_setting("ca_cert", &String::from_utf8_lossy(pem))?,
        None => store.clear_sync_setting("ca_cert")?,
    }
    store.set_sync_setting("device_token", &resp.device_token)?;
    store.set_sync_setting("device_region", &resp.region)?;
    Ok(resp.region)
}

fn hash_password(password: &str) -> Result<String, SyncError> {
    use rand::TryRngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| SyncError::Credentials(format!("no system randomness: {e}")))?;
    let salt = SaltString::encode_b64(&bytes)
        .map_err(|e| SyncError::Credentials(format!("cannot make a salt: {e}")))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| SyncError::Credentials(format!("cannot hash the password: {e}")))
}

/// Logs an officer in: online against the server when it answers (caching an argon2id hash of
/// the password for later offline logins), else offline against that cached hash. A refusal
/// from the server (wrong password, disabled, too many failed logins) is final: only an
/// unreachable or failing server leads to an offline login.
pub fn login(store: &mut Store, username: &str, password: &str) -> Result<LoginKind, SyncError> {
    let device_token = store
        .sync_setting("device_token")?
        .ok_or(SyncError::NotEnrolled)?;
    let client = SyncClient::from_store(store)?;
    let online: Result<LoginResponse, SyncError> = client.post(
        "/login",
        Some(&device_token),
        &LoginRequest {
            username: username.to_string(),
            password: password.to_string(),
        },
        false,
    );
    match online {
        Ok(resp) => {
            let o = resp.officer;
            store.remember_login(&CachedOfficer {
                officer_id: o.id,
                username: o.username,
                full_name: o.full_name,
                role: o.role,
                regions: o.regions,
                password_hash: hash_password(password)?,
                session_token: Some(resp.session_token),
            })?;
            Ok(LoginKind::Online)
        }
        // Too many failed logins: the server answered, and the officer must wait. Logging in
        // offline here would let anyone keep guessing against the cached hash.
        Err(SyncError::Server {
            status: 429,
            message,
            ..
        }) => Err(SyncError::Credentials(message)),
        Err(e) if e.is_transient() => {
            if store.cached_officer(username)?.is_none() {
                return Err(SyncError::Credentials(format!(
                    "{username} has never logged in online on this device, and the server is not reachable ({e})"
                )));
            }
            let cached = check_cached_password(store, username, password)?;
            store.open_session(cached.officer_id)?;
            Ok(LoginKind::Offline)
        }
        Err(SyncError::Server {
            status: 401 | 403,
            message,
            ..
        }) => Err(SyncError::Credentials(message)),
        Err(e) => Err(e),
    }
}

/// Checks `password` against the hash cached on this device for `username` (at the last
/// online login, or when a local account was made); opens no session. The screen lock and the
/// offline login use it.
pub fn check_cached_password(
    store: &Store,
    username: &str,
    password: &str,
) -> Result<CachedOfficer, SyncError> {
    let wrong = || SyncError::Credentials("wrong user name or password".into());
    let cached = store.cached_officer(username)?.ok_or_else(wrong)?;
    let hash = PasswordHash::new(&cached.password_hash)
        .map_err(|e| SyncError::Credentials(format!("corrupt cached credential: {e}")))?;
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .map_err(|_| wrong())?;
    Ok(cached)
}

/// Logs an officer in on this device: through the server (or its cached hash, offline) when
/// the device is enrolled, else against the device's local accounts ("set up this device").
pub fn login_on_device(
    store: &mut Store,
    username: &str,
    password: &str,
) -> Result<LoginKind, SyncError> {
    if store.sync_setting("device_token")?.is_some() {
        return login(store, username, password);
    }
    let cached = check_cached_password(store, username, password)?;
    store.open_session(cached.officer_id)?;
    Ok(LoginKind::Local)
}

/// The shortest password a local account accepts.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Makes a local account on this device (an office without a server): the officer record and
/// an argon2id hash of the password, so the officer can log in here. Opens no session.
pub fn add_local_officer(
    store: &mut Store,
    officer: &crate::domain::Officer,
    password: &str,
) -> Result<(), SyncError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(SyncError::Credentials(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if let Some(other) = store.cached_officer(&officer.username)?
        && other.officer_id != officer.id
    {
        return Err(SyncError::Credentials(format!(
            "the user name {} is taken on this device",
            officer.username
        )));
    }
    let hash = hash_password(password)?;
    store.write(|w| {
        // A device set up without a server starts with no regions: the officer's come from
        // the built-in catalogue.
        for r in &officer.regions {
            w.ensure_known_region(r)?;
        }
        w.put_officer(officer)
    })?;
    store.save_login(&CachedOfficer {
        officer_id: officer.id,
        username: officer.username.clone(),
        full_name: officer.full_name.clone(),
        role: officer.role,
        regions: officer.regions.clone(),
        password_hash: hash,
        session_token: None,
    })?;
    Ok(())
}
