//! The flat facts the analyses read: one stone with where and when it was found, or many stones
//! of one region, class and weight counted together. The store builds both from current
//! production versions only; tests and benchmarks build them directly.

use crate::domain::{Centicarats, ProductionId, SiteId, StoneClass, StoneId};
use chrono::NaiveDate;
use std::sync::Arc;

/// A stone of a current (not replaced) production entry, with its site, region and day.
#[derive(Debug, Clone, PartialEq)]
pub struct StoneFact {
    pub stone_id: StoneId,
    pub production_id: ProductionId,
    pub site_id: SiteId,
    /// Region code of the site's licence; shared between facts, since a region has many stones.
    pub region: Arc<str>,
    /// The production day, a calendar date in the site's local time.
    pub day: NaiveDate,
    pub weight: Centicarats,
    pub class: StoneClass,
}

/// Stones of current production of one region, class and weight, counted: what KP statistics
/// and footprints need of a span of days. They need no ids and no day (the store has already
/// kept the span's stones), so a million stones arrive as a few thousand tallies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoneTally {
    /// Region code of the sites' licences; shared between tallies of the region.
    pub region: Arc<str>,
    pub weight: Centicarats,
    pub class: StoneClass,
    /// How many stones (at least one).
    pub stones: u64,
}
