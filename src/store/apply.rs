//! Applying changes pulled from the server. A pulled change is not a local change: it keeps
//! its own clock, origin and author, and never enters this device's outbox (it would otherwise
//! be pushed back). Registries merge by clock (see [`crate::domain::merge`]) with the losing
//! version of a concurrent edit kept in `sync_conflicts`; append-only records are inserted if
//! absent. A page of changes and the pull cursor after it commit in one transaction, so an
//! interrupted pull resumes exactly where it stopped.

use super::writer::RemoteStamp;
use super::{Store, StoreError, Writer, rows};
use crate::domain::merge::{self, Outcome, Version};
use crate::domain::{Hlc, Keeping, RecordKind};
use chrono::Utc;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A change made on another device, as the server hands it out.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteChange {
    /// The change's unique id.
    pub change_id: String,
    /// The kind of the changed record.
    pub entity: RecordKind,
    /// The record's id (a region's code for regions).
    pub record_id: String,
    /// The change's clock.
    pub hlc: Hlc,
    /// The clock of the version the edit started from (0 for new records).
    pub base_hlc: Hlc,
    /// The device that made the change.
    pub origin: String,
    /// The officer who made it.
    pub author: Option<String>,
    /// The record's content as JSON.
    pub payload: String,
    /// Why the change must not be applied although the server sent it (its signature does
    /// not hold); recorded as an apply failure with this reason.
    pub refused: Option<String>,
}

/// What applying one remote change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// A record new to this device.
    Inserted,
    /// A newer version replaced the local one (`conflict`: the local one was kept for review).
    Replaced { conflict: bool },
    /// The local version stays (`conflict`: the incoming one was kept for review).
    KeptLocal { conflict: bool },
    /// Already here.
    Unchanged,
    /// Could not be applied on this device; recorded in `sync_apply_failures`.
    Failed(String),
}

fn decode<T: DeserializeOwned>(c: &RemoteChange) -> Result<T, StoreError> {
    serde_json::from_str(&c.payload).map_err(|e| {
        StoreError::Conflict(format!(
            "{} {}: unreadable payload: {e}",
            c.entity, c.record_id
        ))
    })
}

fn encode<T: Serialize>(v: &T) -> String {
    // Serialising plain domain structs to JSON cannot fail (no maps with non-string keys).
    serde_json::to_string(v).unwrap_or_default()
}

impl Store {
    /// Applies one page of pulled changes and stores `cursor` (the server sequence after the
    /// page) in the same transaction. Returns what happened to each change, in order.
    pub fn apply_remote(
        &mut self,
        changes: &[RemoteChange],
        cursor: Option<i64>,
    ) -> Result<Vec<Applied>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut clock = self.clock.clone();
        let mut out = Vec::with_capacity(changes.len());
        let mut newest = Hlc::default();
        {
            let mut w = Writer::new(&tx, &mut clock, self.device, self.author, &self.key);
            for c in changes {
                newest = newest.max(c.hlc);
                tx.execute_batch("SAVEPOINT remote_change")?;
                let result = match &c.refused {
                    Some(reason) => Err(StoreError::Conflict(reason.clone())),
                    None => apply_one(&mut w, c),
                };
                match result {
                    Ok(a) => {
                        tx.execute_batch("RELEASE remote_change")?;
                        out.push(a);
                    }
                    Err(e @ StoreError::Sqlite(_)) if !is_constraint(&e) => return Err(e),
                    Err(e) => {
                        tx.execute_batch("ROLLBACK TO remote_change; RELEASE remote_change")?;
                        let reason = e.to_string();
                        tx.prepare_cached(
                            "INSERT INTO sync_apply_failures(change_id, entity, record_id, payload, reason, at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                             ON CONFLICT(change_id) DO UPDATE SET reason = excluded.reason, at = excluded.at",
                        )?
                        .execute(params![c.change_id, c.entity.as_str(), c.record_id, c.payload, reason, now()])?;
                        out.push(Applied::Failed(reason));
                    }
                }
            }
        }
        // Later local edits must sort after everything seen from other devices — but a clock
        // far ahead of this device's (the server refuses those; an old server did not) must
        // not drag this device's clock into the future with it.
        let now_ms = Utc::now().timestamp_millis().max(0) as u64;
        let bound = Hlc::new(now_ms + crate::sync::limits::MAX_CLOCK_SKEW_MS, 0);
        clock.observe(newest.min(bound), now_ms);
        tx.execute(
            "INSERT INTO meta(key, value) VALUES ('hlc', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [clock.last().as_i64().to_string()],
        )?;
        if let Some(cursor) = cursor {
            super::sync_state::set_in(&tx, "pull_cursor", &cursor.to_string())?;
        }
        tx.commit()?;
        self.clock = clock;
        Ok(out)
    }
}

fn is_constraint(e: &StoreError) -> bool {
    matches!(e, StoreError::Sqlite(s) if s.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation))
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn apply_one(w: &mut Writer<'_>, c: &RemoteChange) -> Result<Applied, StoreError> {
    w.set_remote(Some(RemoteStamp {
        hlc: c.hlc,
        origin: c.origin.clone(),
        author: c.author.clone(),
    }));
    let result = match c.entity.keeping() {
        Keeping::Registry => apply_mutable(w, c),
        Keeping::AppendOnly => apply_append_only(w, c),
    };
    w.set_remote(None);
    result
}

fn apply_mutable(w: &mut Writer<'_>, c: &RemoteChange) -> Result<Applied, StoreError> {
    let sql = format!(
        "SELECT hlc, origin, author FROM {} WHERE {} = ?1",
        c.entity.table(),
        c.entity.key_column()
    );
    let local: Option<(i64, String, Option<String>)> = w
        .tx()
        .prepare_cached(&sql)?
        .query_row([&c.record_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let outcome = merge::merge(
        local.as_ref().map(|(h, o, _)| Version {
            hlc: Hlc::from_i64(*h),
            origin: o,
        }),
        Version {
            hlc: c.hlc,
            origin: &c.origin,
        },
        c.base_hlc,
    );
    match outcome {
        Outcome::Same => Ok(Applied::Unchanged),
        Outcome::KeepLocal { conflict } => {
            if conflict && let Some((h, o, _)) = &local {
                keep_loser(
                    w,
                    c,
                    (c.hlc.as_i64(), &c.origin, c.author.as_deref(), &c.payload),
                    (*h, o),
                )?;
            }
            Ok(Applied::KeptLocal { conflict })
        }
        Outcome::Insert | Outcome::Replace { .. } => {
            if let (Outcome::Replace { conflict: true }, Some((h, o, a))) = (outcome, &local) {
                let payload = local_payload(w, c.entity, &c.record_id)?;
                keep_loser(
                    w,
                    c,
                    (*h, o, a.as_deref(), &payload),
                    (c.hlc.as_i64(), &c.origin),
                )?;
            }
            write(w, c)?;
            Ok(match outcome {
                Outcome::Replace { conflict } => Applied::Replaced { conflict },
                _ => Applied::Inserted,
            })
        }
    }
}

type Side<'a> = (i64, &'a str, Option<&'a str>, &'a str);

fn keep_loser(
    w: &Writer<'_>,
    c: &RemoteChange,
    loser: Side<'_>,
    winner: (i64, &str),
) -> Result<(), StoreError> {
    w.tx()
        .prepare_cached(
            "INSERT OR IGNORE INTO sync_conflicts(entity, record_id, loser_hlc, loser_origin, loser_author,
               loser_payload, winner_hlc, winner_origin, detected_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            c.entity.as_str(), c.record_id, loser.0, loser.1, loser.2, loser.3, winner.0, winner.1, now()
        ])?;
    Ok(())
}

/// Writes a pulled record through the same writer (and so the same rules) as a local one.
fn write(w: &mut Writer<'_>, c: &RemoteChange) -> Result<(), StoreError> {
    match c.entity {
        RecordKind::Region => w.put_region(&decode(c)?),
        RecordKind::Officer => w.put_officer(&decode(c)?),
        RecordKind::Digger => w.put_digger(&decode(c)?),
        RecordKind::Licence => w.put_licence(&decode(c)?),
        RecordKind::Site => w.put_site(&decode(c)?),
        RecordKind::Crew => w.put_crew(&decode(c)?),
        RecordKind::Supporter => w.put_supporter(&decode(c)?),
        RecordKind::LicenceEvent => w.add_licence_event(&decode(c)?),
        RecordKind::Production => w.add_production(&decode(c)?),
        RecordKind::Stone => w.add_stone(&decode(c)?),
        RecordKind::Sale => w.add_sale(&decode(c)?),
        RecordKind::Review => w.add_review(&decode(c)?),
        RecordKind::Photo => w.add_photo(&decode(c)?),
    }
}

/// The local version of a registry record as JSON, to keep it when it loses a merge.
fn local_payload(w: &Writer<'_>, kind: RecordKind, id: &str) -> Result<String, StoreError> {
    fn one<T: Serialize>(
        w: &Writer<'_>,
        sql: String,
        id: &str,
        row: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<String>, StoreError> {
        Ok(w.tx()
            .prepare(&sql)?
            .query_row([id], row)
            .optional()?
            .map(|v| encode(&v)))
    }
    let json = match kind {
        RecordKind::Region => one(
            w,
            format!("SELECT {} FROM regions WHERE code = ?1", rows::REGION_COLS),
            id,
            rows::region,
        )?,
        RecordKind::Officer => one(
            w,
            format!("SELECT {} FROM officers WHERE id = ?1", rows::OFFICER_COLS),
            id,
            rows::officer,
        )?,
        RecordKind::Digger => one(
            w,
            format!(
                "SELECT {} FROM diggers d WHERE d.id = ?1",
                rows::DIGGER_COLS
            ),
            id,
            rows::digger,
        )?,
        RecordKind::Licence => one(
            w,
            format!(
                "SELECT {} FROM licences l WHERE l.id = ?1",
                rows::LICENCE_COLS
            ),
            id,
            rows::licence,
        )?,
        RecordKind::Site => one(
            w,
            format!("SELECT {} FROM sites s WHERE s.id = ?1", rows::SITE_COLS),
            id,
            rows::site,
        )?,
        RecordKind::Crew => one(
            w,
            format!("SELECT {} FROM crews WHERE id = ?1", rows::CREW_COLS),
            id,
            rows::crew,
        )?,
        RecordKind::Supporter => one(
            w,
            format!(
                "SELECT {} FROM supporters s WHERE s.id = ?1",
                rows::SUPPORTER_COLS
            ),
            id,
            rows::supporter,
        )?,
        // Append-only records never lose a merge: a second version is a new record.
        RecordKind::LicenceEvent
        | RecordKind::Production
        | RecordKind::Stone
        | RecordKind::Sale
        | RecordKind::Review
        | RecordKind::Photo => None,
    };
    Ok(json.unwrap_or_else(|| "{}".to_string()))
}

fn apply_append_only(w: &mut Writer<'_>, c: &RemoteChange) -> Result<Applied, StoreError> {
    let sql = format!(
        "SELECT 1 FROM {} WHERE {} = ?1",
        c.entity.table(),
        c.entity.key_column()
    );
    let present = w
        .tx()
        .prepare_cached(&sql)?
        .query_row([&c.record_id], |_| Ok(()))
        .optional()?
        .is_some();
    if present {
        return Ok(Applied::Unchanged);
    }
    write(w, c)?;
    Ok(Applied::Inserted)
}
