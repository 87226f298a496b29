//! Applying changes pulled from the server. A pulled change is not a local change: it keeps
//! its own clock, origin and author, and never enters this device's outbox (it would otherwise
//! be pushed back). Registries merge by clock (see [`crate::domain::merge`]) with the losing
//! version of a concurrent edit kept in `sync_conflicts`; append-only records are inserted if
//! absent. A page of changes and the pull cursor after it commit in one transaction, so an
//! interrupted pull resumes exactly where it stopped.

use super::writer::RemoteStamp;
use super::{Store, StoreError, Writer, rows};
use crate::domain::merge::{self, Outcome, Version};
use crate::domain::{
    Crew, Digger, Hlc, Licence, Officer, ProductionEntry, Region, Review, Sale, Site, Stone,
};
use chrono::Utc;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A change made on another device, as the server hands it out.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteChange {
    /// The change's unique id.
    pub change_id: String,
    /// Entity name (`digger`, `production`, …).
    pub entity: String,
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

const MUTABLE: &[(&str, &str, &str)] = &[
    ("region", "regions", "code"),
    ("officer", "officers", "id"),
    ("digger", "diggers", "id"),
    ("licence", "licences", "id"),
    ("site", "sites", "id"),
    ("crew", "crews", "id"),
];

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
            let mut w = Writer::new(&tx, &mut clock, self.device, self.author);
            for c in changes {
                newest = newest.max(c.hlc);
                tx.execute_batch("SAVEPOINT remote_change")?;
                match apply_one(&mut w, c) {
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
                        .execute(params![c.change_id, c.entity, c.record_id, c.payload, reason, now()])?;
                        out.push(Applied::Failed(reason));
                    }
                }
            }
        }
        // Later local edits must sort after everything seen from other devices.
        clock.observe(newest, Utc::now().timestamp_millis().max(0) as u64);
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
    let result = if let Some((_, table, key)) = MUTABLE.iter().find(|(e, _, _)| *e == c.entity) {
        apply_mutable(w, c, table, key)
    } else {
        apply_append_only(w, c)
    };
    w.set_remote(None);
    result
}

fn apply_mutable(
    w: &mut Writer<'_>,
    c: &RemoteChange,
    table: &str,
    key: &str,
) -> Result<Applied, StoreError> {
    let local: Option<(i64, String, Option<String>)> = w
        .tx()
        .prepare_cached(&format!(
            "SELECT hlc, origin, author FROM {table} WHERE {key} = ?1"
        ))?
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
                let payload = local_payload(w, &c.entity, &c.record_id)?;
                keep_loser(
                    w,
                    c,
                    (*h, o, a.as_deref(), &payload),
                    (c.hlc.as_i64(), &c.origin),
                )?;
            }
            match c.entity.as_str() {
                "region" => w.put_region(&decode::<Region>(c)?)?,
                "officer" => w.put_officer(&decode::<Officer>(c)?)?,
                "digger" => w.put_digger(&decode::<Digger>(c)?)?,
                "licence" => w.put_licence(&decode::<Licence>(c)?)?,
                "site" => w.put_site(&decode::<Site>(c)?)?,
                "crew" => w.put_crew(&decode::<Crew>(c)?)?,
                other => return Err(StoreError::NotFound(format!("unknown entity {other:?}"))),
            }
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
            c.entity, c.record_id, loser.0, loser.1, loser.2, loser.3, winner.0, winner.1, now()
        ])?;
    Ok(())
}

/// The local version of a registry record as JSON, to keep it when it loses a merge.
fn local_payload(w: &Writer<'_>, entity: &str, id: &str) -> Result<String, StoreError> {
    let tx = w.tx();
    let one = |sql: String| -> Result<Option<String>, StoreError> {
        let mut st = tx.prepare(&sql)?;
        Ok(match entity {
            "region" => st
                .query_row([id], rows::region)
                .optional()?
                .map(|v| encode(&v)),
            "officer" => st
                .query_row([id], rows::officer)
                .optional()?
                .map(|v| encode(&v)),
            "digger" => st
                .query_row([id], rows::digger)
                .optional()?
                .map(|v| encode(&v)),
            "licence" => st
                .query_row([id], rows::licence)
                .optional()?
                .map(|v| encode(&v)),
            "site" => st
                .query_row([id], rows::site)
                .optional()?
                .map(|v| encode(&v)),
            _ => st
                .query_row([id], rows::crew)
                .optional()?
                .map(|v| encode(&v)),
        })
    };
    let sql = match entity {
        "region" => format!("SELECT {} FROM regions WHERE code = ?1", rows::REGION_COLS),
        "officer" => format!("SELECT {} FROM officers WHERE id = ?1", rows::OFFICER_COLS),
        "digger" => format!(
            "SELECT {} FROM diggers d WHERE d.id = ?1",
            rows::DIGGER_COLS
        ),
        "licence" => format!(
            "SELECT {} FROM licences l WHERE l.id = ?1",
            rows::LICENCE_COLS
        ),
        "site" => format!("SELECT {} FROM sites s WHERE s.id = ?1", rows::SITE_COLS),
        _ => format!("SELECT {} FROM crews WHERE id = ?1", rows::CREW_COLS),
    };
    Ok(one(sql)?.unwrap_or_else(|| "{}".to_string()))
}

fn apply_append_only(w: &mut Writer<'_>, c: &RemoteChange) -> Result<Applied, StoreError> {
    let table = match c.entity.as_str() {
        "production" => "production",
        "stone" => "stones",
        "sale" => "sales",
        "review" => "reviews",
        other => return Err(StoreError::NotFound(format!("unknown entity {other:?}"))),
    };
    let present = w
        .tx()
        .prepare_cached(&format!("SELECT 1 FROM {table} WHERE id = ?1"))?
        .query_row([&c.record_id], |_| Ok(()))
        .optional()?
        .is_some();
    if present {
        return Ok(Applied::Unchanged);
    }
    match table {
        "production" => w.add_production(&decode::<ProductionEntry>(c)?)?,
        "stones" => w.add_stone(&decode::<Stone>(c)?)?,
        "sales" => w.add_sale(&decode::<Sale>(c)?)?,
        _ => w.add_review(&decode::<Review>(c)?)?,
    }
    Ok(Applied::Inserted)
}
