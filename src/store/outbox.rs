//! The outbox: the device's change log, the only thing sync pushes.

use super::{Store, StoreError};
use crate::domain::{Hlc, RecordKind};
use crate::sync::canonical::{Form, GENESIS, Link, Signed};
use crate::sync::wire::Op;
use chrono::Utc;
use ed25519_dalek::SigningKey;
use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::Serialize;
use uuid::Uuid;

/// One recorded change.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    /// Local order of the change.
    pub seq: i64,
    /// Globally unique change id (UUIDv7); the server applies each one once.
    pub change_id: String,
    /// The kind of the changed record.
    pub entity: RecordKind,
    /// The changed record's id (a region's code for regions).
    pub record_id: String,
    /// The region the record belongs to, when known on the device.
    pub region: Option<String>,
    /// The clock of the change.
    pub hlc: Hlc,
    /// The clock of the version the edit started from (0 for a new record or an insert).
    pub base_hlc: Hlc,
    /// The officer logged in when the change was made (`None` before any login).
    pub author: Option<String>,
    /// `upsert` for registries, `insert` for append-only records.
    pub op: String,
    /// The record's new content as JSON.
    pub payload: String,
    /// Whether the server has answered for it (accepted or rejected).
    pub sent: bool,
    /// Its place in this device's chain of signed changes (`None` for a change written before
    /// the device had a key).
    pub chain: Option<ChainFields>,
}

/// The chain fields of a signed change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainFields {
    /// The canonical form it was signed in.
    pub form: Form,
    /// Position in the device's chain (1 for the first signed change).
    pub chain_seq: u64,
    /// The link of the previous signed change.
    pub prev: Link,
    /// The Ed25519 signature of the change's canonical bytes.
    pub sig: [u8; 64],
}

/// The key that signs this device's changes and the device's id (the changes' origin).
pub(super) struct ChainSigner<'k> {
    pub key: &'k SigningKey,
    pub origin: Uuid,
}

/// What the writer records about one change.
pub(super) struct NewChange<'a> {
    pub entity: RecordKind,
    pub record_id: &'a str,
    pub region: Option<&'a str>,
    pub hlc: Hlc,
    pub base_hlc: i64,
    pub author: Option<&'a str>,
}

pub(super) fn append<T: Serialize>(
    tx: &Transaction<'_>,
    c: NewChange<'_>,
    record: &T,
    signer: &ChainSigner<'_>,
) -> Result<(), StoreError> {
    let encode = |e: serde_json::Error| StoreError::Conflict(format!("cannot encode: {e}"));
    let payload = serde_json::to_string(record).map_err(encode)?;
    let value = serde_json::to_value(record).map_err(encode)?;
    let change_id = Uuid::now_v7();
    let author = c.author.map(str::parse::<Uuid>).transpose().map_err(|e| {
        StoreError::Conflict(format!("the officer id on this change is not a UUID: {e}"))
    })?;
    let (chain_seq, prev) = chain_tip(tx)?;
    let (sig, link) = Signed {
        form: Form::LATEST,
        change_id,
        origin: signer.origin,
        chain_seq,
        entity: c.entity,
        record_id: c.record_id,
        op: Op::of(c.entity),
        hlc: c.hlc,
        base_hlc: Hlc::from_i64(c.base_hlc),
        author,
        payload: &value,
        prev: &prev,
    }
    .sign(signer.key);
    tx.prepare_cached(
        "INSERT INTO outbox(change_id, entity, record_id, region, hlc, op, payload, created_at, author, base_hlc,
                            chain_seq, prev, sig, link, form)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        change_id.to_string(),
        c.entity.as_str(),
        c.record_id,
        c.region,
        c.hlc.as_i64(),
        if c.entity.is_registry() { "upsert" } else { "insert" },
        payload,
        Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        c.author,
        c.base_hlc,
        chain_seq as i64,
        &prev[..],
        &sig.to_bytes()[..],
        &link[..],
        Form::LATEST.number(),
    ])?;
    Ok(())
}

/// The position and `prev` of the next signed change: one past the last signed one.
pub(super) fn chain_tip(tx: &rusqlite::Connection) -> Result<(u64, Link), StoreError> {
    let last: Option<(i64, Vec<u8>)> = tx
        .prepare_cached(
            "SELECT chain_seq, link FROM outbox WHERE chain_seq IS NOT NULL
             ORDER BY chain_seq DESC LIMIT 1",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(match last {
        None => (1, GENESIS),
        Some((n, link)) => (
            n as u64 + 1,
            link.try_into().map_err(|_| {
                StoreError::Conflict(format!(
                    "change #{n} of this device's chain has a damaged link; run `alluvium audit verify`"
                ))
            })?,
        ),
    })
}

const COLS: &str = "seq, change_id, entity, record_id, region, hlc, op, payload, sent_at IS NOT NULL, author, base_hlc, chain_seq, prev, sig, form";

fn row(r: &Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        seq: r.get(0)?,
        change_id: r.get(1)?,
        entity: {
            let text: String = r.get(2)?;
            text.parse().map_err(|e: String| {
                rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, e.into())
            })?
        },
        record_id: r.get(3)?,
        region: r.get(4)?,
        hlc: Hlc::from_i64(r.get(5)?),
        op: r.get(6)?,
        payload: r.get(7)?,
        sent: r.get(8)?,
        author: r.get(9)?,
        base_hlc: Hlc::from_i64(r.get(10)?),
        chain: {
            let seq: Option<i64> = r.get(11)?;
            let prev: Option<Vec<u8>> = r.get(12)?;
            let sig: Option<Vec<u8>> = r.get(13)?;
            // An unknown number is a damaged row: sent as form 2, which its signature refutes.
            let form = Form::from_number(r.get(14)?).unwrap_or(Form::LATEST);
            match (seq, prev, sig) {
                (Some(n), Some(p), Some(s)) => match (p.try_into(), s.try_into()) {
                    (Ok(prev), Ok(sig)) => Some(ChainFields {
                        form,
                        chain_seq: n as u64,
                        prev,
                        sig,
                    }),
                    // A damaged row goes out as it is; the server and `audit verify` name it.
                    _ => Some(ChainFields {
                        form,
                        chain_seq: n as u64,
                        prev: [0; 32],
                        sig: [0; 64],
                    }),
                },
                _ => None,
            }
        },
    })
}

impl Store {
    /// Changes not yet acknowledged by the server, oldest first.
    pub fn unsent_changes(&self, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT {COLS} FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT ?1"
        ))?;
        let rows = st.query_map([limit as i64], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Unsent changes made by one officer, oldest first: a session pushes only its officer's
    /// own changes.
    pub fn unsent_changes_by(
        &self,
        author: &str,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT {COLS} FROM outbox WHERE sent_at IS NULL AND author = ?1 ORDER BY seq LIMIT ?2"
        ))?;
        let rows = st.query_map(params![author, limit as i64], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many changes of `author` wait to be sent.
    pub fn unsent_count_by(&self, author: &str) -> Result<usize, StoreError> {
        let n: i64 = self.conn().query_row(
            "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND author = ?1",
            params![author],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as usize)
    }

    /// Changes of one record, oldest first (its audit trail on this device).
    pub fn changes_of(&self, record_id: &str) -> Result<Vec<OutboxRow>, StoreError> {
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT {COLS} FROM outbox WHERE record_id = ?1 ORDER BY seq"
        ))?;
        let rows = st.query_map([record_id], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks changes as acknowledged by the server.
    pub fn mark_sent(&mut self, change_ids: &[String]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        mark_sent_in(&tx, change_ids)?;
        tx.commit()?;
        Ok(())
    }

    /// Number of changes waiting to be pushed.
    pub fn pending_changes(&self) -> Result<i64, StoreError> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM outbox WHERE sent_at IS NULL",
            [],
            |r| r.get(0),
        )?)
    }
}

pub(super) fn mark_sent_in(tx: &Transaction<'_>, change_ids: &[String]) -> Result<(), StoreError> {
    let mut st = tx.prepare_cached(
        "UPDATE outbox SET sent_at = ?2 WHERE change_id = ?1 AND sent_at IS NULL",
    )?;
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    for id in change_ids {
        st.execute(params![id, now])?;
    }
    Ok(())
}
