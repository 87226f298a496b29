//! Accounts and credentials: regions, officers, enrolment codes, devices and sessions. Tokens
//! and codes are stored only as hashes.

use super::{SERVER_ORIGIN, now};
use crate::db::sql::{Row, Sql, vals};
use crate::db::{Account, DbError, Device, NewOfficer, Session};
use alluvium::domain::{Hlc, Officer, Region, Role};
use chrono::Utc;
use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Tokens are 256-bit random values; a fast hash is enough to store them (no brute force on
/// 2^256), and lets a lookup be an index probe.
pub fn token_hash(token: &str) -> String {
    let mut h = Sha256::new();
    h.update(token.trim().as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh 256-bit random token, hex-encoded.
pub fn new_token() -> String {
    use rand::TryRngCore;
    let mut bytes = [0u8; 32];
    // The OS random source failing is not recoverable for a server that issues credentials.
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .expect("the operating system's random source failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn new_code() -> String {
    use rand::TryRngCore;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 12];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .expect("the operating system's random source failed");
    let chars: String = bytes
        .iter()
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect();
    format!("{}-{}-{}", &chars[0..4], &chars[4..8], &chars[8..12])
}

fn normalise_code(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

/// Device id, device region, expiry, revocation time, the officer (with hash, disabled), and
/// the device's public key.
type SessionRow = (
    String,
    String,
    i64,
    Option<i64>,
    (Officer, String, bool),
    Option<Vec<u8>>,
);

/// The officer in columns `at..at + 7` (id, username, full name, role, regions, password
/// hash, disabled).
pub(super) fn officer_row(r: &dyn Row, at: usize) -> Result<(Officer, String, bool), DbError> {
    let bad = |e: String| DbError::Invalid(format!("a stored officer cannot be read: {e}"));
    Ok((
        Officer {
            id: r.text_(at)?.parse().map_err(bad)?,
            username: r.text_(at + 1)?,
            full_name: r.text_(at + 2)?,
            role: r.text_(at + 3)?.parse().map_err(bad)?,
            regions: r
                .text_(at + 4)?
                .split(',')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        },
        r.text_(at + 5)?,
        r.int_(at + 6)? != 0,
    ))
}

/// A region as an admin adds it, its code and country checked.
pub(super) fn region(code: &str, name: &str, country: &str) -> Result<Region, DbError> {
    let code = code.trim().to_string();
    if code.is_empty() || code.len() > 40 || code.chars().any(|c| c.is_whitespace() || c == ',') {
        return Err(DbError::Invalid(format!(
            "{code:?} is not a region code (e.g. SL-KONO)"
        )));
    }
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(DbError::Invalid(format!(
            "{country:?} is not an ISO 3166 country code (two capital letters, e.g. SL)"
        )));
    }
    let catalogue = Region::known(&code).filter(|r| r.code == code);
    Ok(Region {
        utc_offset_minutes: catalogue.as_ref().map_or(0, |r| r.utc_offset_minutes),
        centre: catalogue.as_ref().map_or((0.0, 0.0), |r| r.centre),
        code,
        name: name.to_string(),
        country: country.to_string(),
    })
}

/// Adds a region and logs it as a change (in a transaction that appends to the log).
pub(super) fn add_region(db: &dyn Sql, region: &Region) -> Result<(), DbError> {
    let code = &region.code;
    let n = db.exec(
        "INSERT INTO regions(code, name, country, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(code) DO NOTHING",
        vals![code, &region.name, &region.country, now()],
    )?;
    if n == 0 {
        return Err(DbError::Conflict(format!("region {code} already exists")));
    }
    let hlc = Hlc::new(Utc::now().timestamp_millis().max(0) as u64, 0);
    let payload = serde_json::to_string(region).map_err(|e| DbError::Invalid(e.to_string()))?;
    db.exec(
        "INSERT INTO changes(change_id, entity, record_id, region, hlc, base_hlc, origin, author, op, payload)
         VALUES (?1, 'region', ?2, ?2, ?3, 0, ?4, NULL, 'upsert', ?5)",
        vals![
            &Uuid::now_v7().to_string(),
            code,
            hlc.as_i64(),
            &SERVER_ORIGIN.to_string(),
            &payload
        ],
    )?;
    db.exec(
        "INSERT INTO records(entity, record_id, region, hlc, origin) VALUES ('region', ?1, ?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
        vals![code, hlc.as_i64(), &SERVER_ORIGIN.to_string()],
    )?;
    Ok(())
}

fn region_exists(db: &dyn Sql, code: &str) -> Result<bool, DbError> {
    db.exists("SELECT 1 FROM regions WHERE code = ?1", vals![code])
}

pub(super) fn add_officer(db: &dyn Sql, o: &NewOfficer) -> Result<Officer, DbError> {
    let username = o.username.trim();
    if username.is_empty() || username.len() > 60 || username.chars().any(char::is_whitespace) {
        return Err(DbError::Invalid(format!("{username:?} is not a user name")));
    }
    if o.regions.is_empty() && o.role != Role::Admin {
        return Err(DbError::Invalid(
            "give the officer's regions with --regions A,B".into(),
        ));
    }
    for r in &o.regions {
        if !region_exists(db, r)? {
            return Err(DbError::NotFound(format!(
                "region {r} does not exist (add it with `admin region add`)"
            )));
        }
    }
    let officer = Officer {
        id: alluvium::domain::OfficerId::new(),
        username: username.to_string(),
        full_name: o.full_name.clone(),
        role: o.role,
        regions: o.regions.clone(),
    };
    db.exec(
        "INSERT INTO officers(id, username, full_name, role, regions, password_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        vals![
            &officer.id.to_string(),
            &officer.username,
            &officer.full_name,
            officer.role.as_str(),
            &officer.regions.join(","),
            &o.password_hash,
            now()
        ],
    )
    .map_err(|e| {
        if e.is_duplicate() {
            DbError::Conflict(format!("user name {username} is already taken"))
        } else {
            e
        }
    })?;
    Ok(officer)
}

pub(super) fn disable_officer(db: &dyn Sql, username: &str) -> Result<(), DbError> {
    let n = db.exec(
        "UPDATE officers SET disabled = 1 WHERE username = ?1",
        vals![username],
    )?;
    if n == 0 {
        return Err(DbError::NotFound(format!("no officer {username}")));
    }
    // Sessions stay, so their next request is told the account was disabled.
    Ok(())
}

pub(super) fn make_enrol_code(
    db: &dyn Sql,
    region: &str,
    ttl_secs: i64,
) -> Result<String, DbError> {
    if !region_exists(db, region)? {
        return Err(DbError::NotFound(format!("region {region} does not exist")));
    }
    let expires = now().checked_add(ttl_secs).ok_or_else(|| {
        DbError::Invalid("the code's validity is too long; give fewer hours".into())
    })?;
    let code = new_code();
    db.exec(
        "INSERT INTO enrol_codes(code_hash, region, expires_at) VALUES (?1, ?2, ?3)",
        vals![&token_hash(&code), region, expires],
    )?;
    Ok(code)
}

pub(super) fn revoke_device(db: &dyn Sql, id: Uuid) -> Result<(), DbError> {
    let n = db.exec(
        "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        vals![&id.to_string(), now()],
    )?;
    if n == 0 {
        return Err(DbError::NotFound(format!("no enrolled device {id}")));
    }
    // Sessions stay, so their next request is told the device was revoked.
    Ok(())
}

pub(super) fn enrol(
    db: &dyn Sql,
    code: &str,
    device: Uuid,
    public_key: Option<&VerifyingKey>,
) -> Result<(String, String), DbError> {
    let hash = token_hash(&normalise_code(code));
    let row: Option<(String, i64, Option<String>)> = db.one(
        "SELECT region, expires_at, used_by FROM enrol_codes WHERE code_hash = ?1",
        vals![&hash],
        |r| Ok((r.text_(0)?, r.int_(1)?, r.text(2)?)),
    )?;
    let region = match row {
        None => return Err(DbError::Unauthorized("unknown enrolment code".into())),
        Some((_, _, Some(_))) => {
            return Err(DbError::Unauthorized(
                "this enrolment code was already used; ask an admin for a new one".into(),
            ));
        }
        Some((_, exp, None)) if exp < now() => {
            return Err(DbError::Unauthorized(
                "this enrolment code has expired; ask an admin for a new one".into(),
            ));
        }
        Some((region, _, None)) => region,
    };
    // A device id is enrolled once: enrolling it again would hand its token and region to
    // whoever knows the id (it travels with every change). The code stays unused.
    let enrolled: Option<Option<i64>> = db.one(
        "SELECT revoked_at FROM devices WHERE id = ?1",
        vals![&device.to_string()],
        |r| r.int(0),
    )?;
    match enrolled {
        Some(Some(_)) => return Err(DbError::Unauthorized("this device has been revoked".into())),
        Some(None) => return Err(already_enrolled(device)),
        None => {}
    }
    // The code is taken first, so that two servers given the same code at once cannot both
    // use it: the second finds it used and enrols nothing.
    let taken = db.exec(
        "UPDATE enrol_codes SET used_by = ?2 WHERE code_hash = ?1 AND used_by IS NULL",
        vals![&hash, &device.to_string()],
    )?;
    if taken == 0 {
        return Err(DbError::Unauthorized(
            "this enrolment code was already used; ask an admin for a new one".into(),
        ));
    }
    let token = new_token();
    let key = public_key.map(|k| k.to_bytes().to_vec());
    let now = now();
    db.exec(
        "INSERT INTO devices(id, token_hash, region, enrolled_at, public_key, key_registered_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        vals![
            &device.to_string(),
            &token_hash(&token),
            &region,
            now,
            key.as_ref(),
            key.as_ref().map(|_| now)
        ],
    )
    .map_err(|e| {
        if e.is_duplicate() {
            already_enrolled(device)
        } else {
            e
        }
    })?;
    Ok((token, region))
}

fn already_enrolled(device: Uuid) -> DbError {
    DbError::Conflict(format!(
        "device {device} is already enrolled with this server, and stays enrolled as it was; \
         a device enrols only once. If this device's database was copied from another device \
         or restored, reset the app's device id (start from a fresh device database) and \
         enrol again with the same code; otherwise ask an administrator"
    ))
}

pub(super) fn device_by_token(db: &dyn Sql, token: &str) -> Result<Option<Device>, DbError> {
    let row: Option<(String, String, Option<Vec<u8>>)> = db.one(
        "SELECT id, region, public_key FROM devices WHERE token_hash = ?1 AND revoked_at IS NULL",
        vals![&token_hash(token)],
        |r| Ok((r.text_(0)?, r.text_(1)?, r.blob(2)?)),
    )?;
    row.map(|(id, region, key)| {
        Ok(Device {
            id: id
                .parse()
                .map_err(|_| DbError::Invalid("corrupt device id".into()))?,
            region,
            public_key: stored_key(key)?,
        })
    })
    .transpose()
}

/// A device's stored public key.
pub(super) fn stored_key(bytes: Option<Vec<u8>>) -> Result<Option<VerifyingKey>, DbError> {
    bytes
        .map(|b| {
            <[u8; 32]>::try_from(b)
                .ok()
                .and_then(|b| VerifyingKey::from_bytes(&b).ok())
                .ok_or_else(|| DbError::Invalid("a device's stored public key is damaged".into()))
        })
        .transpose()
}

/// Registers the key of a device enrolled without one. A device's key is set once: the same
/// key again is acknowledged; another is refused, or a stolen device token could replace it.
pub(super) fn register_device_key(
    db: &dyn Sql,
    device: Uuid,
    key: &VerifyingKey,
) -> Result<(), DbError> {
    let n = db.exec(
        "UPDATE devices SET public_key = ?2, key_registered_at = ?3
         WHERE id = ?1 AND public_key IS NULL AND revoked_at IS NULL",
        vals![&device.to_string(), &key.to_bytes()[..], now()],
    )?;
    if n == 1 {
        return Ok(());
    }
    let stored: Option<Option<Vec<u8>>> = db.one(
        "SELECT public_key FROM devices WHERE id = ?1",
        vals![&device.to_string()],
        |r| r.blob(0),
    )?;
    match stored {
        Some(Some(k)) if k == key.to_bytes() => Ok(()),
        Some(Some(_)) => Err(DbError::Conflict(
            "this device already has another key, and a device key is never replaced; \
             an administrator revokes the device and it enrols again"
                .into(),
        )),
        _ => Err(DbError::NotFound(format!("no enrolled device {device}"))),
    }
}

pub(super) fn account(db: &dyn Sql, username: &str) -> Result<Option<Account>, DbError> {
    let row = db.one(
        "SELECT id, username, full_name, role, regions, password_hash, disabled
         FROM officers WHERE username = ?1",
        vals![username],
        |r| officer_row(r, 0),
    )?;
    Ok(row.map(|(officer, password_hash, disabled)| Account {
        officer,
        password_hash,
        disabled,
    }))
}

pub(super) fn open_session(
    db: &dyn Sql,
    ttl_secs: i64,
    device: Uuid,
    officer: Uuid,
) -> Result<String, DbError> {
    let expires = now().checked_add(ttl_secs).ok_or_else(|| {
        DbError::Invalid("the session lifetime is too long; give fewer --session-ttl-secs".into())
    })?;
    let token = new_token();
    db.exec(
        "INSERT INTO sessions(token_hash, device_id, officer_id, expires_at) VALUES (?1, ?2, ?3, ?4)",
        vals![
            &token_hash(&token),
            &device.to_string(),
            &officer.to_string(),
            expires
        ],
    )?;
    Ok(token)
}

pub(super) fn session(db: &dyn Sql, token: &str) -> Result<Option<Session>, DbError> {
    let row: Option<SessionRow> = db.one(
        "SELECT s.device_id, d.region, s.expires_at, d.revoked_at,
                o.id, o.username, o.full_name, o.role, o.regions, o.password_hash, o.disabled,
                d.public_key
         FROM sessions s JOIN devices d ON d.id = s.device_id JOIN officers o ON o.id = s.officer_id
         WHERE s.token_hash = ?1",
        vals![&token_hash(token)],
        |r| {
            Ok((
                r.text_(0)?,
                r.text_(1)?,
                r.int_(2)?,
                r.int(3)?,
                officer_row(r, 4)?,
                r.blob(11)?,
            ))
        },
    )?;
    let Some((device, region, expires, revoked, (officer, _, disabled), key)) = row else {
        return Ok(None);
    };
    if revoked.is_some() {
        return Err(DbError::Unauthorized("this device has been revoked".into()));
    }
    if disabled {
        return Err(DbError::Unauthorized(
            "this officer account is disabled".into(),
        ));
    }
    if expires < now() {
        return Err(DbError::Unauthorized("the session has expired".into()));
    }
    Ok(Some(Session {
        device: Device {
            id: device
                .parse()
                .map_err(|_| DbError::Invalid("corrupt device id".into()))?,
            region,
            public_key: stored_key(key)?,
        },
        officer,
    }))
}
