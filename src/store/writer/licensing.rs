//! Licensing writes beside the licence itself: its dated events (append-only) and its
//! supporters (a registry).

use super::{StoreError, Writer, unique_to_conflict};
use crate::domain::rules;
use crate::domain::{LicenceEvent, RecordKind, Supporter};
use rusqlite::params;

impl Writer<'_> {
    /// Records a dated event of a licence: issued, renewed, suspended, reinstated, revoked.
    pub fn add_licence_event(&mut self, e: &LicenceEvent) -> Result<(), StoreError> {
        let placed = rules::licence_event(e, &self.lookup())?;
        let id = e.id.to_string();
        let hlc = self.stamp();
        self.tx
            .prepare_cached(
                "INSERT INTO licence_events(id, licence_id, kind, on_day, until, fee_cents, receipt, reason,
                   hlc, origin, author)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                id,
                e.licence_id.to_string(),
                e.kind.as_str(),
                e.on.to_string(),
                e.until.map(|d| d.to_string()),
                e.fee_cents.map(|c| c.0),
                e.receipt.trim(),
                e.reason.trim(),
                hlc.as_i64(),
                self.origin(),
                self.author()
            ])
            .map_err(|err| {
                unique_to_conflict(err, || {
                    format!("licence event {id} already exists; a correction is a new event")
                })
            })?;
        self.log(RecordKind::LicenceEvent, &id, &placed, hlc, 0, e)
    }

    /// Names a supporter on a licence, or saves a change to one.
    pub fn put_supporter(&mut self, s: &Supporter) -> Result<(), StoreError> {
        let placed = rules::supporter(s, &self.lookup())?;
        let id = s.id.to_string();
        let base = self.base_hlc(RecordKind::Supporter, &id)?;
        let hlc = self.stamp();
        self.tx
            .prepare_cached(
                "INSERT INTO supporters(id, licence_id, digger_id, full_name, national_id, hlc, origin, author)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(id) DO UPDATE SET licence_id = excluded.licence_id, digger_id = excluded.digger_id,
                   full_name = excluded.full_name, national_id = excluded.national_id, hlc = excluded.hlc,
                   origin = excluded.origin, author = excluded.author",
            )?
            .execute(params![
                id,
                s.licence_id.to_string(),
                s.digger_id.map(|d| d.to_string()),
                s.full_name.trim(),
                s.national_id.trim(),
                hlc.as_i64(),
                self.origin(),
                self.author()
            ])?;
        self.log(RecordKind::Supporter, &id, &placed, hlc, base, s)
    }
}
