//! Typed reads of every entity. Exports read in id order, which for UUIDv7 is birth order, so
//! the same data always exports to the same bytes.
//!
//! - `registry`: regions, officers, diggers, licences, sites and crews.
//! - `licensing`: licence events, the history and standing replayed from them, supporters,
//!   fees paid.
//! - `search`: the registry searched as the user types.
//! - `production`: production entries and their versions, stones, recent fixes.
//! - `sales`: sale slips by id and in full.
//! - `reviews`: the review trail and the open queries it leaves.
//! - `photos`: the photos of a record and the pictures a sync sends and fetches.
//!
//! This module holds the two row-mapping helpers they all read through, and
//! [`Store::contains`], which asks about any entity.

mod licensing;
mod photos;
mod production;
mod registry;
mod reviews;
mod sales;
mod search;

pub use licensing::SupporterView;
pub use photos::WantedPicture;
pub use registry::SiteSummary;
pub use search::DiggerHit;

use super::{Store, StoreError};
use rusqlite::{OptionalExtension, Params, Row};

impl Store {
    fn all<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let mut st = self.conn().prepare_cached(sql)?;
        let rows = st.query_map(params, f)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn one<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(sql)?
            .query_row(params, f)
            .optional()?)
    }

    /// Whether a record with this id exists in `entity`'s table.
    pub fn contains(
        &self,
        entity: crate::domain::RecordKind,
        id: &str,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "SELECT 1 FROM {} WHERE {} = ?1",
            entity.table(),
            entity.key_column()
        );
        Ok(self
            .conn()
            .prepare_cached(&sql)?
            .query_row([id], |_| Ok(()))
            .optional()?
            .is_some())
    }
}
