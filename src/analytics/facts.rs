//! The flat facts the analyses read: one stone with where and when it was found. The store
//! builds them in one query (current production versions only); tests and benchmarks build them
//! directly.

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
