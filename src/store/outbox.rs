//! The outbox: the device's change log, the only thing sync pushes.

use super::{Store, StoreError};
use crate::domain::Hlc;
use chrono::Utc;
use rusqlite::{Transaction, params};
use serde::Serialize;

/// One recorded change.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    /// Local order of the change.
    pub seq: i64,
    /// Globally unique change id (UUIDv7); the server applies each one once.
    pub change_id: String,
    pub entity: String,
    pub record_id: String,
    pub region: Option<String>,
    pub hlc: Hlc,
    /// `upsert` for registries, `insert` for append-only records.
    pub op: String,
    /// The record's new content as JSON.
    pub payload: String,
    pub sent: bool,
}

pub(super) fn append<T: Serialize>(
    tx: &Transaction<'_>,
    entity: &str,
    record_id: &str,
    region: Option<&str>,
    hlc: Hlc,
    op: &str,
    record: &T,
) -> Result<(), StoreError> {
    let payload = serde_json::to_string(record)
        .map_err(|e| StoreError::Conflict(format!("cannot encode: {e}")))?;
    tx.prepare_cached(
        "INSERT INTO outbox(change_id, entity, record_id, region, hlc, op, payload, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        uuid::Uuid::now_v7().to_string(),
        entity,
        record_id,
        region,
        hlc.as_i64(),
        op,
        payload,
        Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    ])?;
    Ok(())
}

impl Store {
    /// Changes not yet acknowledged by the server, oldest first.
    pub fn unsent_changes(&self, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        let mut st = self.conn().prepare_cached(
            "SELECT seq, change_id, entity, record_id, region, hlc, op, payload, sent_at IS NOT NULL
             FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT ?1",
        )?;
        let rows = st.query_map([limit as i64], |r| {
            Ok(OutboxRow {
                seq: r.get(0)?,
                change_id: r.get(1)?,
                entity: r.get(2)?,
                record_id: r.get(3)?,
                region: r.get(4)?,
                hlc: Hlc::from_i64(r.get(5)?),
                op: r.get(6)?,
                payload: r.get(7)?,
                sent: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Changes of one record, oldest first (its audit trail on this device).
    pub fn changes_of(&self, record_id: &str) -> Result<Vec<OutboxRow>, StoreError> {
        let mut st = self.conn().prepare_cached(
            "SELECT seq, change_id, entity, record_id, region, hlc, op, payload, sent_at IS NOT NULL
             FROM outbox WHERE record_id = ?1 ORDER BY seq",
        )?;
        let rows = st.query_map([record_id], |r| {
            Ok(OutboxRow {
                seq: r.get(0)?,
                change_id: r.get(1)?,
                entity: r.get(2)?,
                record_id: r.get(3)?,
                region: r.get(4)?,
                hlc: Hlc::from_i64(r.get(5)?),
                op: r.get(6)?,
                payload: r.get(7)?,
                sent: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks changes as acknowledged by the server.
    pub fn mark_sent(&mut self, change_ids: &[String]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut st = tx.prepare_cached(
                "UPDATE outbox SET sent_at = ?2 WHERE change_id = ?1 AND sent_at IS NULL",
            )?;
            let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            for id in change_ids {
                st.execute(params![id, now])?;
            }
        }
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
