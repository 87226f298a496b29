//! The device's sync bookkeeping: server settings and tokens, the officers who logged in here
//! (with the cached password hash for offline login), the changes the server rejected and the
//! registry versions that lost a merge. The sync client and the GUI's Sync page read it.

use super::{Store, StoreError, outbox};
use crate::domain::{Hlc, OfficerId, Role};
use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

/// An officer who logged in online on this device.
#[derive(Clone, PartialEq)]
pub struct CachedOfficer {
    pub officer_id: OfficerId,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub regions: Vec<String>,
    /// argon2id PHC string of the password of the last online login.
    pub password_hash: String,
    /// The session token the server issued at that login.
    pub session_token: Option<String>,
}

// By hand: never print the hash or the token.
impl std::fmt::Debug for CachedOfficer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedOfficer")
            .field("officer_id", &self.officer_id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("regions", &self.regions)
            .finish_non_exhaustive()
    }
}

/// A local change the server refused, with its reason.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedChange {
    pub change_id: String,
    pub entity: String,
    pub record_id: String,
    pub reason: String,
    pub rejected_at: String,
    /// The change's content as JSON.
    pub payload: String,
}

/// A registry version that lost a merge to a concurrent edit.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub entity: String,
    pub record_id: String,
    pub loser_hlc: Hlc,
    pub loser_origin: String,
    pub loser_author: Option<String>,
    /// The losing version's content as JSON.
    pub loser_payload: String,
    pub winner_hlc: Hlc,
    pub winner_origin: String,
    pub detected_at: String,
}

/// What the Sync page shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SyncStatus {
    /// The server this device is enrolled with.
    pub server_url: Option<String>,
    /// Whether the device has been enrolled.
    pub enrolled: bool,
    /// The officer logged in on this device.
    pub officer: Option<String>,
    /// Local changes not yet answered by the server.
    pub pending: i64,
    /// Changes the server rejected.
    pub rejected: i64,
    /// Registry versions kept after losing a merge.
    pub conflicts: i64,
    /// When the last sync finished without error (RFC 3339, UTC).
    pub last_success: Option<String>,
    /// The last sync error, cleared by the next success.
    pub last_error: Option<String>,
    /// The server sequence number pulled up to.
    pub pull_cursor: i64,
}

pub(super) fn get_in(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT value FROM sync_state WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub(super) fn set_in(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO sync_state(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}

/// The officer of the open session, read when the store opens.
pub(super) fn session_officer(conn: &Connection) -> Result<Option<OfficerId>, StoreError> {
    get_in(conn, "session_officer")?
        .map(|s| {
            s.parse()
                .map_err(|e: String| StoreError::Migration(format!("corrupt session officer: {e}")))
        })
        .transpose()
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn cached(r: &rusqlite::Row<'_>) -> rusqlite::Result<CachedOfficer> {
    let regions: String = r.get(4)?;
    Ok(CachedOfficer {
        officer_id: super::rows::parsed(r, 0)?,
        username: r.get(1)?,
        full_name: r.get(2)?,
        role: super::rows::parsed(r, 3)?,
        regions: regions
            .split(',')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        password_hash: r.get(5)?,
        session_token: r.get(6)?,
    })
}

const CACHED_COLS: &str =
    "officer_id, username, full_name, role, regions, password_hash, session_token";

impl Store {
    /// A sync setting (`server_url`, `device_token`, `pull_cursor`, …).
    pub fn sync_setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        get_in(self.conn(), key)
    }

    /// Stores a sync setting.
    pub fn set_sync_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        set_in(self.conn(), key, value)
    }

    /// Removes a sync setting.
    pub fn clear_sync_setting(&mut self, key: &str) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM sync_state WHERE key = ?1", [key])?;
        Ok(())
    }

    /// Records an online login: caches the officer (with the password hash for offline login
    /// and the session token) and opens the session, so following writes carry their name.
    pub fn remember_login(&mut self, o: &CachedOfficer) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        cache_in(&tx, o)?;
        set_in(&tx, "session_officer", &o.officer_id.to_string())?;
        tx.commit()?;
        self.author = Some(o.officer_id);
        Ok(())
    }

    /// Caches an officer who may log in here (a local account), without opening a session.
    pub fn save_login(&mut self, o: &CachedOfficer) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        cache_in(&tx, o)?;
        tx.commit()?;
        Ok(())
    }

    /// Every officer who may log in on this device (logged in online before, or local), by
    /// user name.
    pub fn cached_officers(&self) -> Result<Vec<CachedOfficer>, StoreError> {
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT {CACHED_COLS} FROM sync_officers ORDER BY username"
        ))?;
        let rows = st.query_map([], cached)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Ends the open session: following writes carry no officer, and nothing is pushed until
    /// an officer logs in again.
    pub fn close_session(&mut self) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM sync_state WHERE key = 'session_officer'", [])?;
        self.author = None;
        Ok(())
    }

    /// An officer who has logged in online here before, by user name.
    pub fn cached_officer(&self, username: &str) -> Result<Option<CachedOfficer>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {CACHED_COLS} FROM sync_officers WHERE username = ?1"
            ))?
            .query_row([username], cached)
            .optional()?)
    }

    /// The officer of the open session, if any.
    pub fn session(&self) -> Result<Option<CachedOfficer>, StoreError> {
        let Some(id) = get_in(self.conn(), "session_officer")? else {
            return Ok(None);
        };
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {CACHED_COLS} FROM sync_officers WHERE officer_id = ?1"
            ))?
            .query_row([id], cached)
            .optional()?)
    }

    /// Opens a session for an officer already cached here (offline login).
    pub fn open_session(&mut self, officer: OfficerId) -> Result<(), StoreError> {
        set_in(self.conn(), "session_officer", &officer.to_string())?;
        self.author = Some(officer);
        Ok(())
    }

    /// Forgets a session token the server no longer accepts.
    pub fn drop_session_token(&mut self, officer: OfficerId) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE sync_officers SET session_token = NULL WHERE officer_id = ?1",
            [officer.to_string()],
        )?;
        Ok(())
    }

    /// Records the server's answer to a push in one transaction: every answered change is
    /// marked sent, and the rejected ones are kept with their reasons.
    pub fn record_push_answer(
        &mut self,
        accepted: &[String],
        rejected: &[(String, String)],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        outbox::mark_sent_in(&tx, accepted)?;
        let ids: Vec<String> = rejected.iter().map(|(id, _)| id.clone()).collect();
        outbox::mark_sent_in(&tx, &ids)?;
        record_rejections(&tx, rejected)?;
        tx.commit()?;
        Ok(())
    }

    /// Changes the server rejected, newest first, with the reasons (the Sync page's list).
    pub fn rejected_changes(&self) -> Result<Vec<RejectedChange>, StoreError> {
        let mut st = self.conn().prepare_cached(
            "SELECT r.change_id, o.entity, o.record_id, r.reason, r.rejected_at, o.payload
             FROM sync_rejected r JOIN outbox o ON o.change_id = r.change_id
             ORDER BY o.seq DESC",
        )?;
        let rows = st.query_map([], |r| {
            Ok(RejectedChange {
                change_id: r.get(0)?,
                entity: r.get(1)?,
                record_id: r.get(2)?,
                reason: r.get(3)?,
                rejected_at: r.get(4)?,
                payload: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Registry versions that lost a merge, newest first (for coordinators to review).
    pub fn conflicts(&self) -> Result<Vec<Conflict>, StoreError> {
        let mut st = self.conn().prepare_cached(
            "SELECT entity, record_id, loser_hlc, loser_origin, loser_author, loser_payload,
                    winner_hlc, winner_origin, detected_at
             FROM sync_conflicts ORDER BY id DESC",
        )?;
        let rows = st.query_map([], |r| {
            Ok(Conflict {
                entity: r.get(0)?,
                record_id: r.get(1)?,
                loser_hlc: Hlc::from_i64(r.get(2)?),
                loser_origin: r.get(3)?,
                loser_author: r.get(4)?,
                loser_payload: r.get(5)?,
                winner_hlc: Hlc::from_i64(r.get(6)?),
                winner_origin: r.get(7)?,
                detected_at: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The state the Sync page shows.
    pub fn sync_status(&self) -> Result<SyncStatus, StoreError> {
        let c = self.conn();
        let count =
            |sql: &str| -> Result<i64, StoreError> { Ok(c.query_row(sql, [], |r| r.get(0))?) };
        Ok(SyncStatus {
            server_url: get_in(c, "server_url")?,
            enrolled: get_in(c, "device_token")?.is_some(),
            officer: self.session()?.map(|o| o.username),
            pending: count("SELECT count(*) FROM outbox WHERE sent_at IS NULL")?,
            rejected: count("SELECT count(*) FROM sync_rejected")?,
            conflicts: count("SELECT count(*) FROM sync_conflicts")?,
            last_success: get_in(c, "last_success")?,
            last_error: get_in(c, "last_error")?,
            pull_cursor: get_in(c, "pull_cursor")?
                .and_then(|s| s.parse().ok())
                .unwrap_or(0),
        })
    }
}

fn cache_in(tx: &Transaction<'_>, o: &CachedOfficer) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM sync_officers WHERE username = ?1 AND officer_id <> ?2",
        params![o.username, o.officer_id.to_string()],
    )?;
    tx.execute(
        "INSERT INTO sync_officers(officer_id, username, full_name, role, regions, password_hash, session_token, last_login)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(officer_id) DO UPDATE SET username = excluded.username, full_name = excluded.full_name,
           role = excluded.role, regions = excluded.regions, password_hash = excluded.password_hash,
           session_token = excluded.session_token, last_login = excluded.last_login",
        params![
            o.officer_id.to_string(),
            o.username,
            o.full_name,
            o.role.as_str(),
            o.regions.join(","),
            o.password_hash,
            o.session_token,
            now()
        ],
    )?;
    Ok(())
}

fn record_rejections(
    tx: &Transaction<'_>,
    rejected: &[(String, String)],
) -> Result<(), StoreError> {
    let mut st = tx.prepare_cached(
        "INSERT INTO sync_rejected(change_id, reason, rejected_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(change_id) DO UPDATE SET reason = excluded.reason",
    )?;
    let at = now();
    for (id, reason) in rejected {
        st.execute(params![id, reason, at])?;
    }
    Ok(())
}
