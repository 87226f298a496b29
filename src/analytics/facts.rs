//! The flat facts the analyses read: one stone with where and when it was found, or many stones
//! of one region, class and weight counted together. The store builds both from current
//! production versions only; tests and benchmarks build them directly.

use crate::domain::{
    Centicarats, Cents, ProductionId, SaleId, SiteId, StoneClass, StoneId, spread_lot,
};
use chrono::NaiveDate;
use std::sync::Arc;

/// A stone (or a lot of small stones) of a current (not replaced) production entry, with its
/// site, region and day.
#[derive(Debug, Clone, PartialEq)]
pub struct StoneFact {
    pub stone_id: StoneId,
    pub production_id: ProductionId,
    pub site_id: SiteId,
    /// Region code of the site's licence; shared between facts, since a region has many stones.
    pub region: Arc<str>,
    /// The production day, a calendar date in the site's local time.
    pub day: NaiveDate,
    /// The stone's weight, or a lot's total weight.
    pub weight: Centicarats,
    pub class: StoneClass,
    /// 1 for a stone weighed alone, else the number of stones of the lot.
    pub count: u32,
}

impl StoneFact {
    /// The weights at which the record's stones count in footprints and size classes, with how
    /// many stones each (a lot: its mean weight in whole centicarats, see
    /// [`crate::domain::spread_lot`]); entries with no stone are left out.
    pub fn stones(&self) -> impl Iterator<Item = (Centicarats, u32)> + use<> {
        spread_lot(self.weight, self.count)
            .into_iter()
            .filter(|&(_, n)| n > 0)
    }

    /// Whether the record is a single stone of `SPECIAL_STONE` or more.
    pub fn is_large(&self) -> bool {
        self.count <= 1 && self.weight >= super::SPECIAL_STONE
    }
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

/// A current production entry's carats and stones, for the value of production: what a
/// first-sale slip's price is shared by, and what is left unsold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryTotal {
    pub production_id: ProductionId,
    /// Region code of the site's licence.
    pub region: Arc<str>,
    pub day: NaiveDate,
    /// The entry's stones that count (a rejected stone does not).
    pub weight: Centicarats,
    pub stones: u64,
    /// Carats of the entry under a coordinator's query (all of them when the entry itself is
    /// queried, else its queried stones).
    pub under_query: Centicarats,
}

/// A first-sale slip as the value of production reads it: its price and the entries it lists,
/// each with the carats recorded for it (the price is shared in proportion to those).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstSale {
    pub sale_id: SaleId,
    pub day: NaiveDate,
    pub price: Cents,
    /// The current version of each entry listed, and its carats.
    pub lines: Vec<(ProductionId, Centicarats)>,
}
