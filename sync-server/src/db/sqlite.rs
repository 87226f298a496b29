//! The SQLite server store: one file in WAL mode with a busy timeout, so `alluvium-sync admin`
//! can work on it while the server runs. The connection sits behind a mutex; handlers call it
//! from `spawn_blocking`.
//!
//! Tables: `changes` is the log every device pulls from (its rowid is the sequence number);
//! `records` holds, per record, what authorisation and merging need (region, parent, clock) —
//! not the content, which lives once in `changes`; `rejected` keeps refused changes with the
//! reason, so a resent one gets the same answer.

use super::{Account, Counts, DbError, Device, NewOfficer, ServerStore, Session, Stats};
use alluvium::domain::merge::{self, Outcome, Version};
use alluvium::domain::{
    Crew, Digger, Hlc, Licence, Officer, ProductionEntry, Region, Review, Role, Sale, Site, Stone,
};
use alluvium::sync::scope;
use alluvium::sync::wire::{Change, ChangeResult, Op, PullResponse, PulledChange, Verdict};
use chrono::{NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use uuid::Uuid;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS regions (
    code TEXT PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL, created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS officers (
    id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, full_name TEXT NOT NULL, role TEXT NOT NULL,
    regions TEXT NOT NULL, password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS enrol_codes (
    code_hash TEXT PRIMARY KEY, region TEXT NOT NULL REFERENCES regions(code),
    expires_at INTEGER NOT NULL, used_by TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, region TEXT NOT NULL,
    enrolled_at INTEGER NOT NULL, revoked_at INTEGER
) STRICT;
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(id),
    officer_id TEXT NOT NULL REFERENCES officers(id), expires_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, change_id TEXT NOT NULL UNIQUE, entity TEXT NOT NULL,
    record_id TEXT NOT NULL, region TEXT NOT NULL, hlc INTEGER NOT NULL, base_hlc INTEGER NOT NULL,
    origin TEXT NOT NULL, author TEXT, op TEXT NOT NULL, payload TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS records (
    entity TEXT NOT NULL, record_id TEXT NOT NULL, region TEXT NOT NULL, parent TEXT,
    replaces TEXT, hlc INTEGER NOT NULL, origin TEXT NOT NULL,
    PRIMARY KEY (entity, record_id)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rejected (
    change_id TEXT PRIMARY KEY, entity TEXT NOT NULL, record_id TEXT NOT NULL, origin TEXT NOT NULL,
    author TEXT, reason TEXT NOT NULL, payload TEXT NOT NULL, at INTEGER NOT NULL
) STRICT;
"#;

/// The origin of changes made on the server itself (regions added by an admin).
pub const SERVER_ORIGIN: Uuid = Uuid::nil();
/// How long a session lasts by default.
pub const DEFAULT_SESSION_TTL_SECS: i64 = 30 * 24 * 3600;

/// The SQLite server store.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    session_ttl_secs: i64,
}

fn now() -> i64 {
    Utc::now().timestamp()
}

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

impl SqliteStore {
    /// Opens (creating if needed) the server database.
    pub fn open(path: &Path) -> Result<SqliteStore, DbError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // NORMAL in WAL mode: a power cut may lose the last commits but never corrupts; the
        // device keeps every change until the server has answered, so nothing is lost.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.execute_batch(SCHEMA)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            session_ttl_secs: DEFAULT_SESSION_TTL_SECS,
        })
    }

    /// Sets how long new sessions last.
    pub fn with_session_ttl(mut self, secs: i64) -> SqliteStore {
        self.session_ttl_secs = secs;
        self
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back on
        // drop), so a poisoned lock is still safe to use.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn officer_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Officer, String, bool)> {
    let id: String = r.get(0)?;
    let role: String = r.get(3)?;
    let regions: String = r.get(4)?;
    let bad = |i: usize, m: String| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, m.into())
    };
    Ok((
        Officer {
            id: id.parse().map_err(|e| bad(0, e))?,
            username: r.get(1)?,
            full_name: r.get(2)?,
            role: role.parse().map_err(|e| bad(3, e))?,
            regions: regions
                .split(',')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        },
        r.get(5)?,
        r.get::<_, i64>(6)? != 0,
    ))
}

/// Device id, device region, expiry, revocation time, and the officer (with hash, disabled).
type SessionRow = (String, String, i64, Option<i64>, (Officer, String, bool));

/// What the server learns from a valid change.
struct Checked {
    region: String,
    parent: Option<String>,
    replaces: Option<String>,
}

fn decode<'a, T: Deserialize<'a>>(c: &'a Change) -> Result<T, String> {
    // Serde ignores unknown fields by default; a field the server does not know would be lost,
    // so any ignored key (at any depth) refuses the change.
    let mut extra = None;
    let v: T = serde_ignored::deserialize(&c.payload, |path| {
        extra.get_or_insert_with(|| path.to_string());
    })
    .map_err(|e| format!("{} payload: {e}", c.entity))?;
    match extra {
        Some(field) => Err(format!("{} payload: unknown field {field:?}", c.entity)),
        None => Ok(v),
    }
}

fn same_id(c: &Change, id: impl std::fmt::Display) -> Result<(), String> {
    if c.record_id == id.to_string() {
        Ok(())
    } else {
        Err(format!(
            "record_id {} does not match the payload's id {id}",
            c.record_id
        ))
    }
}

fn invalid(e: alluvium::domain::Invalid) -> String {
    format!("invalid: {e}")
}

/// One push: its transaction, the day it is judged on, and the regions of the records it has
/// written so far, so a stone finds the entry sent just before it without a lookup.
struct Batch<'t> {
    tx: &'t Connection,
    today: NaiveDate,
    /// Entity → record id → region.
    written: HashMap<String, HashMap<String, String>>,
}

impl Batch<'_> {
    /// The region of a record the server holds, `None` when it has none.
    fn record_region(&self, entity: &str, id: &str) -> Result<Option<String>, DbError> {
        if let Some(region) = self.written.get(entity).and_then(|ids| ids.get(id)) {
            return Ok(Some(region.clone()));
        }
        Ok(self
            .tx
            .prepare_cached("SELECT region FROM records WHERE entity = ?1 AND record_id = ?2")?
            .query_row([entity, id], |r| r.get(0))
            .optional()?)
    }

    /// The region of the record a change hangs off, or the reason it cannot be placed.
    fn parent_region(
        &self,
        entity: &str,
        id: impl std::fmt::Display,
        what: &str,
    ) -> Result<Result<String, String>, DbError> {
        let id = id.to_string();
        Ok(self.record_region(entity, &id)?.ok_or_else(|| {
            format!("{what} {id} is not known on the server; it must be synced first")
        }))
    }
}

/// Decodes, validates and places one change; `Ok(Err(reason))` is a rejection.
fn check(b: &Batch<'_>, c: &Change) -> Result<Result<Checked, String>, DbError> {
    let today = b.today;
    let want_op = if scope::REGISTRIES.contains(&c.entity.as_str()) {
        Op::Upsert
    } else {
        Op::Insert
    };
    if c.op != want_op {
        return Ok(Err(format!(
            "op {:?} is wrong for {} records",
            c.op, c.entity
        )));
    }
    macro_rules! tri {
        ($e:expr) => {
            match $e {
                Ok(v) => v,
                Err(reason) => return Ok(Err(reason)),
            }
        };
    }
    let checked = match c.entity.as_str() {
        "region" => {
            let r: Region = tri!(decode(c));
            tri!(same_id(c, &r.code));
            Checked {
                region: r.code,
                parent: None,
                replaces: None,
            }
        }
        "officer" => {
            let o: Officer = tri!(decode(c));
            tri!(same_id(c, o.id));
            Checked {
                region: o.regions.first().cloned().unwrap_or_default(),
                parent: None,
                replaces: None,
            }
        }
        "digger" => {
            let d: Digger = tri!(decode(c));
            tri!(same_id(c, d.id));
            tri!(d.validate(today).map_err(invalid));
            Checked {
                region: d.region,
                parent: None,
                replaces: None,
            }
        }
        "licence" => {
            let l: Licence = tri!(decode(c));
            tri!(same_id(c, l.id));
            tri!(l.validate().map_err(invalid));
            Checked {
                region: l.region,
                parent: None,
                replaces: None,
            }
        }
        "site" => {
            let s: Site = tri!(decode(c));
            tri!(same_id(c, s.id));
            tri!(s.validate(today).map_err(invalid));
            let region = tri!(b.parent_region("licence", s.licence_id, "licence")?);
            Checked {
                region,
                parent: Some(s.licence_id.to_string()),
                replaces: None,
            }
        }
        "crew" => {
            let cr: Crew = tri!(decode(c));
            tri!(same_id(c, cr.id));
            let region = tri!(b.parent_region("licence", cr.licence_id, "licence")?);
            Checked {
                region,
                parent: Some(cr.licence_id.to_string()),
                replaces: None,
            }
        }
        "production" => {
            let p: ProductionEntry = tri!(decode(c));
            tri!(same_id(c, p.id));
            tri!(p.validate(today).map_err(invalid));
            let region = tri!(b.parent_region("site", p.site_id, "site")?);
            Checked {
                region,
                parent: Some(p.site_id.to_string()),
                replaces: p.replaces.map(|r| r.to_string()),
            }
        }
        "stone" => {
            let s: Stone = tri!(decode(c));
            tri!(same_id(c, s.id));
            tri!(s.validate().map_err(invalid));
            let region =
                tri!(b.parent_region("production", s.production_id, "production entry")?);
            Checked {
                region,
                parent: Some(s.production_id.to_string()),
                replaces: None,
            }
        }
        "sale" => {
            let s: Sale = tri!(decode(c));
            tri!(same_id(c, s.id));
            tri!(s.validate(today).map_err(invalid));
            let region = tri!(b.parent_region("licence", s.seller_licence_id, "licence")?);
            Checked {
                region,
                parent: Some(s.seller_licence_id.to_string()),
                replaces: None,
            }
        }
        "review" => {
            let r: Review = tri!(decode(c));
            tri!(same_id(c, r.id));
            if !scope::is_entity(&r.target_entity) {
                return Ok(Err(format!(
                    "review target entity {:?} is unknown",
                    r.target_entity
                )));
            }
            let region = tri!(b.parent_region(&r.target_entity, r.target_id, &r.target_entity)?);
            Checked {
                region,
                parent: Some(r.target_id.to_string()),
                replaces: None,
            }
        }
        other => {
            return Ok(Err(format!(
                "unknown entity {other:?} (known: {})",
                scope::ENTITIES.join(", ")
            )));
        }
    };
    Ok(Ok(checked))
}

/// The record-index row of a new insert-only record; an existing row is kept (0 rows written).
const INSERT_RECORD: &str =
    "INSERT INTO records(entity, record_id, region, parent, replaces, hlc, origin)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(entity, record_id) DO NOTHING";
/// The record-index row of a registry record's winning version.
const UPSERT_RECORD: &str =
    "INSERT INTO records(entity, record_id, region, parent, replaces, hlc, origin)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
     ON CONFLICT(entity, record_id) DO UPDATE SET region = excluded.region,
       parent = excluded.parent, hlc = excluded.hlc, origin = excluded.origin";

/// Writes the record-index row of an accepted change with `sql` (one of the two above);
/// returns the number of rows written.
fn write_record(
    tx: &Connection,
    sql: &str,
    c: &Change,
    checked: &Checked,
    origin: &str,
) -> Result<usize, DbError> {
    Ok(tx.prepare_cached(sql)?.execute(params![
        c.entity,
        c.record_id,
        checked.region,
        checked.parent,
        checked.replaces,
        c.hlc.as_i64(),
        origin
    ])?)
}

/// Applies one change inside the batch's transaction.
fn apply_change(b: &mut Batch<'_>, s: &Session, c: &Change) -> Result<Verdict, DbError> {
    let id = c.change_id.to_string();
    // Exactly once: a change already applied (or refused) gets the same answer again. One
    // statement asks both logs: a row with a NULL reason was applied, a reason was refused.
    let seen: Option<Option<String>> =
        b.tx.prepare_cached(
            "SELECT NULL FROM changes WHERE change_id = ?1
             UNION ALL SELECT reason FROM rejected WHERE change_id = ?1 LIMIT 1",
        )?
        .query_row([&id], |r| r.get(0))
        .optional()?;
    match seen {
        Some(None) => return Ok(Verdict::Accepted),
        Some(Some(reason)) => return Ok(Verdict::Rejected { reason }),
        None => {}
    }
    match decide(b, s, c)? {
        Ok(()) => Ok(Verdict::Accepted),
        Err(reason) => {
            b.tx.prepare_cached(
                "INSERT INTO rejected(change_id, entity, record_id, origin, author, reason, payload, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                id,
                c.entity,
                c.record_id,
                c.origin.to_string(),
                c.author.map(|a| a.to_string()),
                reason,
                c.payload.to_string(),
                now()
            ])?;
            Ok(Verdict::Rejected { reason })
        }
    }
}

fn decide(b: &mut Batch<'_>, s: &Session, c: &Change) -> Result<Result<(), String>, DbError> {
    if c.origin != s.device.id {
        return Ok(Err(format!(
            "the change was made on device {}, not on this one",
            c.origin
        )));
    }
    if c.author != Some(s.officer.id.0) {
        return Ok(Err(
            "the change was not made by the officer logged in; only its author can push it".into(),
        ));
    }
    let role = s.role();
    let checked = match check(b, c)? {
        Ok(ch) => ch,
        Err(reason) => return Ok(Err(reason)),
    };
    let tx = b.tx;
    if c.entity == "region" && role != Role::Admin {
        // Devices carry the built-in region catalogue; a region the server already has is
        // acknowledged without effect, anything else is an admin's job.
        let known = tx
            .prepare_cached("SELECT 1 FROM regions WHERE code = ?1")?
            .query_row([&checked.region], |_| Ok(()))
            .optional()?;
        return Ok(if known.is_some() {
            Ok(())
        } else {
            Err(format!(
                "region {} is not registered on the server; an admin adds regions",
                checked.region
            ))
        });
    }
    if !scope::may_push(role, &c.entity) {
        return Ok(Err(format!("a {role} may not push {} records", c.entity)));
    }
    if !scope::in_region(role, &s.officer.regions, &checked.region) {
        return Ok(Err(format!(
            "region {} is not one of yours ({})",
            checked.region,
            s.officer.regions.join(", ")
        )));
    }
    let origin = c.origin.to_string();
    let outcome = if c.op == Op::Insert {
        if let Some(old) = &checked.replaces {
            let taken = tx
                .prepare_cached(
                    "SELECT 1 FROM records WHERE entity = 'production' AND replaces = ?1",
                )?
                .query_row([old], |_| Ok(()))
                .optional()?;
            if taken.is_some() {
                return Ok(Err(format!(
                    "entry {old} was already corrected; correct the newest version"
                )));
            }
        }
        // Insert-only records are never replaced: the record row goes in unless one with the
        // same id is there, which refuses the change before anything else is written.
        let inserted = write_record(tx, INSERT_RECORD, c, &checked, &origin)?;
        if inserted == 0 {
            return Ok(Err(format!(
                "{} {} already exists; a correction is a new record",
                c.entity, c.record_id
            )));
        }
        Outcome::Insert
    } else {
        let existing: Option<(i64, String)> = tx
            .prepare_cached("SELECT hlc, origin FROM records WHERE entity = ?1 AND record_id = ?2")?
            .query_row([&c.entity, &c.record_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let outcome = merge::merge(
            existing.as_ref().map(|(h, o)| Version {
                hlc: Hlc::from_i64(*h),
                origin: o,
            }),
            Version {
                hlc: c.hlc,
                origin: &origin,
            },
            c.base_hlc,
        );
        if matches!(outcome, Outcome::Insert | Outcome::Replace { .. }) {
            write_record(tx, UPSERT_RECORD, c, &checked, &origin)?;
        }
        outcome
    };
    // The log keeps every accepted version (losers included, so devices can keep them for
    // review); `records` follows the winner.
    tx.prepare_cached(
        "INSERT INTO changes(change_id, entity, record_id, region, hlc, base_hlc, origin, author, op, payload)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        c.change_id.to_string(),
        c.entity,
        c.record_id,
        checked.region,
        c.hlc.as_i64(),
        c.base_hlc.as_i64(),
        origin,
        c.author.map(|a| a.to_string()),
        if c.op == Op::Insert { "insert" } else { "upsert" },
        c.payload.to_string()
    ])?;
    if matches!(outcome, Outcome::Insert | Outcome::Replace { .. }) {
        b.written
            .entry(c.entity.clone())
            .or_default()
            .insert(c.record_id.clone(), checked.region);
    }
    Ok(Ok(()))
}

impl ServerStore for SqliteStore {
    fn add_region(&self, code: &str, name: &str, country: &str) -> Result<(), DbError> {
        let code = code.trim().to_string();
        if code.is_empty() || code.len() > 40 || code.chars().any(|c| c.is_whitespace() || c == ',')
        {
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
        let region = Region {
            code: code.clone(),
            name: name.to_string(),
            country: country.to_string(),
            utc_offset_minutes: catalogue.as_ref().map_or(0, |r| r.utc_offset_minutes),
            centre: catalogue.as_ref().map_or((0.0, 0.0), |r| r.centre),
        };
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let n = tx.execute(
            "INSERT INTO regions(code, name, country, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(code) DO NOTHING",
            params![code, name, country, now()],
        )?;
        if n == 0 {
            return Err(DbError::Conflict(format!("region {code} already exists")));
        }
        let hlc = Hlc::new(Utc::now().timestamp_millis().max(0) as u64, 0);
        tx.execute(
            "INSERT INTO changes(change_id, entity, record_id, region, hlc, base_hlc, origin, author, op, payload)
             VALUES (?1, 'region', ?2, ?2, ?3, 0, ?4, NULL, 'upsert', ?5)",
            params![
                Uuid::now_v7().to_string(),
                code,
                hlc.as_i64(),
                SERVER_ORIGIN.to_string(),
                serde_json::to_string(&region).map_err(|e| DbError::Invalid(e.to_string()))?
            ],
        )?;
        tx.execute(
            "INSERT INTO records(entity, record_id, region, hlc, origin) VALUES ('region', ?1, ?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
            params![code, hlc.as_i64(), SERVER_ORIGIN.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn add_officer(&self, o: &NewOfficer) -> Result<Officer, DbError> {
        let username = o.username.trim();
        if username.is_empty() || username.len() > 60 || username.chars().any(char::is_whitespace) {
            return Err(DbError::Invalid(format!("{username:?} is not a user name")));
        }
        if o.regions.is_empty() && o.role != Role::Admin {
            return Err(DbError::Invalid(
                "give the officer's regions with --regions A,B".into(),
            ));
        }
        let conn = self.conn();
        for r in &o.regions {
            let known = conn
                .query_row("SELECT 1 FROM regions WHERE code = ?1", [r], |_| Ok(()))
                .optional()?;
            if known.is_none() {
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
        conn.execute(
            "INSERT INTO officers(id, username, full_name, role, regions, password_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                officer.id.to_string(),
                officer.username,
                officer.full_name,
                officer.role.as_str(),
                officer.regions.join(","),
                o.password_hash,
                now()
            ],
        )
        .map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ConstraintViolation) => {
                DbError::Conflict(format!("user name {username} is already taken"))
            }
            _ => DbError::Sqlite(e),
        })?;
        Ok(officer)
    }

    fn disable_officer(&self, username: &str) -> Result<(), DbError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE officers SET disabled = 1 WHERE username = ?1",
            [username],
        )?;
        if n == 0 {
            return Err(DbError::NotFound(format!("no officer {username}")));
        }
        // Sessions stay, so their next request is told the account was disabled.
        tx.commit()?;
        Ok(())
    }

    fn make_enrol_code(&self, region: &str, ttl_secs: i64) -> Result<String, DbError> {
        let conn = self.conn();
        let known = conn
            .query_row(
                "SELECT 1 FROM regions WHERE code = ?1",
                [region],
                |_| Ok(()),
            )
            .optional()?;
        if known.is_none() {
            return Err(DbError::NotFound(format!("region {region} does not exist")));
        }
        let code = new_code();
        conn.execute(
            "INSERT INTO enrol_codes(code_hash, region, expires_at) VALUES (?1, ?2, ?3)",
            params![token_hash(&code), region, now() + ttl_secs],
        )?;
        Ok(code)
    }

    fn revoke_device(&self, id: Uuid) -> Result<(), DbError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id.to_string(), now()],
        )?;
        if n == 0 {
            return Err(DbError::NotFound(format!("no enrolled device {id}")));
        }
        // Sessions stay, so their next request is told the device was revoked.
        tx.commit()?;
        Ok(())
    }

    fn stats(&self) -> Result<Stats, DbError> {
        let conn = self.conn();
        let mut stats = Stats::default();
        let mut st = conn.prepare("SELECT code FROM regions ORDER BY code")?;
        for code in st.query_map([], |r| r.get::<_, String>(0))? {
            stats.regions.insert(code?, Counts::default());
        }
        let current = "NOT EXISTS (SELECT 1 FROM records n WHERE n.entity = 'production' AND n.replaces = r.record_id)";
        let queries = [
            (
                "digger",
                "SELECT region, count(*) FROM records r WHERE entity = 'digger' GROUP BY region"
                    .to_string(),
            ),
            (
                "licence",
                "SELECT region, count(*) FROM records r WHERE entity = 'licence' GROUP BY region"
                    .to_string(),
            ),
            (
                "site",
                "SELECT region, count(*) FROM records r WHERE entity = 'site' GROUP BY region"
                    .to_string(),
            ),
            (
                "production",
                format!(
                    "SELECT region, count(*) FROM records r WHERE entity = 'production' AND {current} GROUP BY region"
                ),
            ),
            (
                "stone",
                format!(
                    "SELECT s.region, count(*) FROM records s JOIN records r ON r.entity = 'production' AND r.record_id = s.parent WHERE s.entity = 'stone' AND {current} GROUP BY s.region"
                ),
            ),
            (
                "sale",
                "SELECT region, count(*) FROM records r WHERE entity = 'sale' GROUP BY region"
                    .to_string(),
            ),
            (
                "review",
                "SELECT region, count(*) FROM records r WHERE entity = 'review' GROUP BY region"
                    .to_string(),
            ),
        ];
        for (entity, sql) in queries {
            let mut st = conn.prepare(&sql)?;
            let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            for row in rows {
                let (region, n) = row?;
                for c in [&mut stats.total, stats.regions.entry(region).or_default()] {
                    match entity {
                        "digger" => c.diggers += n,
                        "licence" => c.licences += n,
                        "site" => c.sites += n,
                        "production" => c.production += n,
                        "stone" => c.stones += n,
                        "sale" => c.sales += n,
                        _ => c.reviews += n,
                    }
                }
            }
        }
        Ok(stats)
    }

    fn enrol(&self, code: &str, device: Uuid) -> Result<(String, String), DbError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let hash = token_hash(&normalise_code(code));
        let row: Option<(String, i64, Option<String>)> = tx
            .query_row(
                "SELECT region, expires_at, used_by FROM enrol_codes WHERE code_hash = ?1",
                [&hash],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
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
        let revoked = tx
            .query_row(
                "SELECT 1 FROM devices WHERE id = ?1 AND revoked_at IS NOT NULL",
                [device.to_string()],
                |_| Ok(()),
            )
            .optional()?;
        if revoked.is_some() {
            return Err(DbError::Unauthorized("this device has been revoked".into()));
        }
        let token = new_token();
        tx.execute(
            "INSERT INTO devices(id, token_hash, region, enrolled_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET token_hash = excluded.token_hash, region = excluded.region,
               enrolled_at = excluded.enrolled_at",
            params![device.to_string(), token_hash(&token), region, now()],
        )?;
        tx.execute(
            "UPDATE enrol_codes SET used_by = ?2 WHERE code_hash = ?1",
            params![hash, device.to_string()],
        )?;
        tx.commit()?;
        Ok((token, region))
    }

    fn device_by_token(&self, token: &str) -> Result<Option<Device>, DbError> {
        let conn = self.conn();
        let row: Option<(String, String)> = conn
            .prepare_cached(
                "SELECT id, region FROM devices WHERE token_hash = ?1 AND revoked_at IS NULL",
            )?
            .query_row([token_hash(token)], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row.and_then(|(id, region)| {
            Some(Device {
                id: id.parse().ok()?,
                region,
            })
        }))
    }

    fn account(&self, username: &str) -> Result<Option<Account>, DbError> {
        let conn = self.conn();
        let row = conn
            .prepare_cached(
                "SELECT id, username, full_name, role, regions, password_hash, disabled
                 FROM officers WHERE username = ?1",
            )?
            .query_row([username], officer_row)
            .optional()?;
        Ok(row.map(|(officer, password_hash, disabled)| Account {
            officer,
            password_hash,
            disabled,
        }))
    }

    fn open_session(&self, device: Uuid, officer: Uuid) -> Result<String, DbError> {
        let token = new_token();
        self.conn().execute(
            "INSERT INTO sessions(token_hash, device_id, officer_id, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![
                token_hash(&token),
                device.to_string(),
                officer.to_string(),
                now() + self.session_ttl_secs
            ],
        )?;
        Ok(token)
    }

    fn session(&self, token: &str) -> Result<Option<Session>, DbError> {
        let conn = self.conn();
        let row: Option<SessionRow> = conn
            .prepare_cached(
                "SELECT s.device_id, d.region, s.expires_at, d.revoked_at,
                        o.id, o.username, o.full_name, o.role, o.regions, o.password_hash, o.disabled
                 FROM sessions s JOIN devices d ON d.id = s.device_id JOIN officers o ON o.id = s.officer_id
                 WHERE s.token_hash = ?1",
            )?
            .query_row([token_hash(token)], |r| {
                let officer = {
                    let id: String = r.get(4)?;
                    let role: String = r.get(7)?;
                    let regions: String = r.get(8)?;
                    let bad = |i: usize, m: String| {
                        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, m.into())
                    };
                    (
                        Officer {
                            id: id.parse().map_err(|e| bad(4, e))?,
                            username: r.get(5)?,
                            full_name: r.get(6)?,
                            role: role.parse().map_err(|e| bad(7, e))?,
                            regions: regions.split(',').filter(|s| !s.is_empty()).map(String::from).collect(),
                        },
                        r.get(9)?,
                        r.get::<_, i64>(10)? != 0,
                    )
                };
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, officer))
            })
            .optional()?;
        let Some((device, region, expires, revoked, (officer, _, disabled))) = row else {
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
            },
            officer,
        }))
    }

    fn push(&self, s: &Session, changes: &[Change]) -> Result<Vec<ChangeResult>, DbError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut batch = Batch {
            tx: &tx,
            today: Utc::now().date_naive(),
            written: HashMap::new(),
        };
        let mut out = Vec::with_capacity(changes.len());
        for c in changes {
            let verdict = apply_change(&mut batch, s, c)?;
            let change_id = matches!(verdict, Verdict::Rejected { .. }).then_some(c.change_id);
            out.push(ChangeResult { change_id, verdict });
        }
        drop(batch);
        tx.commit()?;
        Ok(out)
    }

    fn pull(&self, s: &Session, cursor: i64, limit: u32) -> Result<PullResponse, DbError> {
        let conn = self.conn();
        let role = s.role();
        let entities: Vec<&str> = scope::ENTITIES
            .iter()
            .copied()
            .filter(|e| scope::may_read(role, e))
            .collect();
        let quote = |v: &str| format!("'{}'", v.replace('\'', "''"));
        let entity_list = entities
            .iter()
            .map(|e| quote(e))
            .collect::<Vec<_>>()
            .join(",");
        let region_filter = if role == Role::Admin {
            String::new()
        } else {
            format!(
                "AND region IN ({})",
                s.officer
                    .regions
                    .iter()
                    .map(|r| quote(r))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        };
        let max_seq: i64 =
            conn.query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |r| {
                r.get(0)
            })?;
        let sql = format!(
            "SELECT seq, change_id, entity, record_id, region, hlc, base_hlc, origin, author, op, payload
             FROM changes WHERE seq > ?1 AND seq <= ?2 AND origin <> ?3 AND entity IN ({entity_list}) {region_filter}
             ORDER BY seq LIMIT ?4"
        );
        let mut st = conn.prepare_cached(&sql)?;
        let limit = limit.clamp(1, alluvium::sync::wire::MAX_PULL_PAGE);
        let rows = st.query_map(
            params![cursor, max_seq, s.device.id.to_string(), limit + 1],
            |r| {
                let text = |i: usize| -> rusqlite::Result<String> { r.get(i) };
                let uuid = |i: usize| -> rusqlite::Result<Uuid> {
                    text(i)?.parse().map_err(|e: uuid::Error| {
                        rusqlite::Error::FromSqlConversionFailure(
                            i,
                            rusqlite::types::Type::Text,
                            e.into(),
                        )
                    })
                };
                let author: Option<String> = r.get(8)?;
                let payload: String = r.get(10)?;
                Ok(PulledChange {
                    seq: r.get(0)?,
                    change: Change {
                        change_id: uuid(1)?,
                        entity: text(2)?,
                        record_id: text(3)?,
                        region: Some(text(4)?),
                        hlc: Hlc::from_i64(r.get(5)?),
                        base_hlc: Hlc::from_i64(r.get(6)?),
                        origin: uuid(7)?,
                        author: author.and_then(|a| a.parse().ok()),
                        op: if text(9)? == "insert" {
                            Op::Insert
                        } else {
                            Op::Upsert
                        },
                        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
                    },
                })
            },
        )?;
        let mut changes = rows.collect::<Result<Vec<_>, _>>()?;
        let has_more = changes.len() > limit as usize;
        changes.truncate(limit as usize);
        // With nothing more to send, jump to the end of the log so nothing is scanned twice.
        let cursor = if has_more {
            changes.last().map_or(cursor, |c| c.seq)
        } else {
            max_seq.max(cursor)
        };
        Ok(PullResponse {
            changes,
            cursor,
            has_more,
        })
    }
}
