//! Writes inside one transaction. Every write passes the record through the domain's record
//! rules ([`crate::domain::rules`], the same the server runs), stores it and appends its change
//! to the outbox — all in the caller's transaction, so a record never exists without its
//! change or the reverse. One file per family: registries, production, sales.

mod licensing;
mod photos;
mod production;
mod registries;
mod sales;

use super::StoreError;
use super::lookup::TxLookup;
use super::outbox;
use crate::domain::rules::Placed;
use crate::domain::{DeviceId, Hlc, HlcClock, OfficerId, RecordKind};
use chrono::{NaiveDate, Utc};
use rusqlite::{OptionalExtension, Transaction};
use serde::Serialize;

/// The write half of a transaction; see [`super::Store::write`].
pub struct Writer<'t> {
    tx: &'t Transaction<'t>,
    clock: &'t mut HlcClock,
    device: DeviceId,
    author: Option<OfficerId>,
    today: NaiveDate,
    remote: Option<RemoteStamp>,
    key: &'t ed25519_dalek::SigningKey,
}

/// The stamp of a change made elsewhere and applied here by sync: the record keeps its own
/// clock, origin and author, and the write does not enter this device's outbox (it is not a
/// local change and must not be pushed back).
#[derive(Debug, Clone)]
pub(crate) struct RemoteStamp {
    pub hlc: Hlc,
    pub origin: String,
    pub author: Option<String>,
}

impl<'t> Writer<'t> {
    pub(super) fn new(
        tx: &'t Transaction<'t>,
        clock: &'t mut HlcClock,
        device: DeviceId,
        author: Option<OfficerId>,
        key: &'t ed25519_dalek::SigningKey,
    ) -> Self {
        Writer {
            tx,
            clock,
            device,
            author,
            today: Utc::now().date_naive(),
            remote: None,
            key,
        }
    }

    /// Makes the following writes carry a remote change's stamp and skip the outbox.
    pub(crate) fn set_remote(&mut self, stamp: Option<RemoteStamp>) {
        self.remote = stamp;
    }

    /// The transaction, for the sync applier's own bookkeeping.
    pub(crate) fn tx(&self) -> &Transaction<'t> {
        self.tx
    }

    fn origin(&self) -> String {
        match &self.remote {
            Some(r) => r.origin.clone(),
            None => self.device.to_string(),
        }
    }

    /// The clock of the version a registry edit starts from (0 for a new record).
    fn base_hlc(&self, kind: RecordKind, id: &str) -> Result<i64, StoreError> {
        let sql = format!(
            "SELECT hlc FROM {} WHERE {} = ?1",
            kind.table(),
            kind.key_column()
        );
        Ok(self
            .tx
            .prepare_cached(&sql)?
            .query_row([id], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }

    /// Judges dates against `today` instead of the system date (demo data and tests).
    pub fn set_today(&mut self, today: NaiveDate) {
        self.today = today;
    }

    fn stamp(&mut self) -> Hlc {
        if let Some(r) = &self.remote {
            return r.hlc;
        }
        self.clock.tick(Utc::now().timestamp_millis().max(0) as u64)
    }

    /// The record rules' view of this transaction.
    fn lookup(&self) -> TxLookup<'_> {
        TxLookup::new(self.tx)
    }

    /// Appends a local change to the outbox (a remote change is not logged here).
    fn log<T: Serialize>(
        &mut self,
        kind: RecordKind,
        record_id: &str,
        placed: &Placed,
        hlc: Hlc,
        base: i64,
        record: &T,
    ) -> Result<(), StoreError> {
        if self.remote.is_some() {
            return Ok(());
        }
        let author = self.author();
        outbox::append(
            self.tx,
            outbox::NewChange {
                entity: kind,
                record_id,
                region: (!placed.region.is_empty()).then_some(placed.region.as_str()),
                hlc,
                base_hlc: base,
                author: author.as_deref(),
            },
            record,
            &outbox::ChainSigner {
                key: self.key,
                origin: self.device.0,
            },
        )
    }

    fn author(&self) -> Option<String> {
        match &self.remote {
            Some(r) => r.author.clone(),
            None => self.author.map(|a| a.to_string()),
        }
    }
}

/// A unique-key clash as the officer reads it.
fn unique_to_conflict(e: rusqlite::Error, msg: impl FnOnce() -> String) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation)
            if e.to_string().contains("UNIQUE") || e.to_string().contains("PRIMARY KEY") =>
        {
            StoreError::Conflict(msg())
        }
        _ => StoreError::Sqlite(e),
    }
}
