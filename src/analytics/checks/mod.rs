//! Anomaly checks (DOMAIN.md §6, DESIGN.md's anomaly kinds): each finding is a [`Flag`]
//! `{kind, record_id, severity, evidence}` that the CLI prints and the Review page shows beside
//! the record. The checks read a [`CheckData`] snapshot (current production versions only) and
//! never a database, so they are tested with tables of cases and run the same on the device
//! and on the server.
//!
//! The rules, and why:
//! * `no_licence`, `licence_expired`, `licence_suspended`: the site's licence on the production
//!   day, replayed from its dated events ([`crate::domain::LicenceHistory`]): a renewal does
//!   not cover the lapse before it, and a suspension from June leaves March alone. No licence
//!   in force means: the licence is unknown here, not yet issued, revoked, or not a mining
//!   licence.
//! * `outside_licence_area`: the entry's GPS fix lies outside the licence polygon by more than
//!   the fix's stated accuracy (`gps::geofence::contains_with_margin`).
//! * `digger_double_booked`: one registered digger on current entries of two different sites on
//!   the same day; every entry involved is flagged.
//! * `above_capacity`: a day's ordinary carats (large stones apart) per worker above
//!   `capacity_factor` × the `capacity_quantile` of carats per worker-day at the *other* sites
//!   of the region (at least `capacity_min_reference` days of them; a rejected entry is not
//!   among them, the store leaves it out). The reference never contains the days it judges,
//!   so a site cannot raise its own bar. With the 99.5 % quantile and a factor of 2, clean
//!   demo data (a year of the five regions, seeds 7 and 11) raises a false alarm on fewer than
//!   0.5 % of days (`tests/capacity.rs` measures it), while a day of 40 ct from a crew of two
//!   where the region runs near 1 ct a day is flagged.
//! * `special_stone`: every large stone, of 10.8 ct or more (information: the trade calls them
//!   "specials" and prices them one by one; the KP statistics count them within production).
//! * `repeated_values`: `min_repeated_run` or more consecutive entries of a site (by day) with
//!   identical crew, gravel, stone count and carats — copied forms, not field work.
//! * `footprint_mismatch`: a site's stones of one calendar month (at least
//!   `parcel_min_stones`) against the region's reference footprint, built from the stones that
//!   no other check flags; thresholds calibrated by simulation at `parcel_false_alarm` per
//!   site-month (0.1 % by default, so a year of a few hundred site-months raises no false flag
//!   in most years).
//!
//!   The same kind is raised on an export slip (`"entity": "sales"` in the evidence) whose
//!   declared stone count is too high for its carats given where the chain says the goods came
//!   from (see `super::custody`).
//!
//! * `seal_in_two_open_bags`, `seal_never_sealed`, `seal_without_its_carats`: sealed bags from
//!   the pit to the slip that moves them (see `seals`).
//!
//! The chain-of-custody kinds (`sale_exceeds_production`, `sale_without_production`,
//! `resale_exceeds_purchases`, `export_exceeds_purchases`, `unlicensed_buyer`) are computed in
//! `super::custody` over the sale slips; their `record_id` is the slip and their evidence names
//! the licence, the records drawn on and the running balance.
//!
//! - `flag`: the finding kinds, their severity and the [`Flag`] record.
//! - `licence`: the licence in force on the day, and the fix inside its area.
//! - `production`: double-booked diggers, output above capacity, repeated values.
//! - `seals`: sealed bags, open until a slip moves them.
//! - `footprint_mismatch`: site-months against their region's reference footprint.
//!
//! This module holds what they all read ([`CheckData`], [`CheckConfig`]) and [`run_checks`],
//! which runs them in the one order that matters: the footprint reference leaves out what the
//! other checks flagged, so it comes after them.

mod flag;
mod footprint_mismatch;
mod licence;
mod production;
mod seals;

pub use flag::{Arg, Flag, FlagKind, Note, Severity};

use super::{PriceModel, StoneFact};
use crate::domain::{
    Licence, LicenceBook, LicenceEvent, LicenceId, ProductionEntry, ProductionId, Region, Site,
    SiteId,
};
use crate::note;
use footprint_mismatch::footprints;
use licence::licence_checks;
use production::{capacity, double_booking, repeated_values};
use seals::seal_checks;
use serde_json::json;
use std::collections::HashMap;

/// What the checks read: registries and the current production versions with their stones.
#[derive(Debug, Clone, Default)]
pub struct CheckData {
    pub regions: Vec<Region>,
    pub licences: Vec<Licence>,
    /// The stored events of those licences, from which their standing on each day is replayed.
    pub licence_events: Vec<LicenceEvent>,
    pub sites: Vec<Site>,
    /// Current (not replaced) production entries.
    pub production: Vec<ProductionEntry>,
    /// The stones of those entries.
    pub stones: Vec<StoneFact>,
    /// Sale slips, with their production ids resolved to the current versions.
    pub sales: Vec<crate::domain::Sale>,
}

/// The checks' tunable limits (see the module documentation for why these values).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckConfig {
    /// The quantile of other sites' carats per worker-day that a day is compared with.
    pub capacity_quantile: f64,
    /// How far above that quantile a day must be to be flagged.
    pub capacity_factor: f64,
    /// Fewest days at other sites of the region for a reference.
    pub capacity_min_reference: usize,
    /// Shortest run of identical consecutive entries at a site that is flagged.
    pub min_repeated_run: usize,
    /// Fewest stones in a site-month for the footprint test.
    pub parcel_min_stones: usize,
    /// False-alarm rate of the footprint test per site-month.
    pub parcel_false_alarm: f64,
    /// Simulated clean parcels per calibration.
    pub simulations: usize,
    /// Share of a licence's inflow by which its sales may exceed it before a mass-balance
    /// flag (scales differ between the pit and the dealer's office).
    pub custody_tolerance: f64,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            capacity_quantile: 0.995,
            capacity_factor: 2.0,
            capacity_min_reference: 50,
            min_repeated_run: 5,
            parcel_min_stones: 50,
            parcel_false_alarm: 0.001,
            simulations: 10_000,
            custody_tolerance: 0.005,
        }
    }
}

/// Runs every check; flags come sorted by kind, then record id.
pub fn run_checks(data: &CheckData, config: &CheckConfig, prices: &PriceModel) -> Vec<Flag> {
    let licences: HashMap<LicenceId, &Licence> = data.licences.iter().map(|l| (l.id, l)).collect();
    let sites: HashMap<SiteId, &Site> = data.sites.iter().map(|s| (s.id, s)).collect();
    let mut stones_of: HashMap<ProductionId, Vec<&StoneFact>> = HashMap::new();
    for s in &data.stones {
        stones_of.entry(s.production_id).or_default().push(s);
    }
    let licence_of = |e: &ProductionEntry| {
        sites
            .get(&e.site_id)
            .and_then(|s| licences.get(&s.licence_id).copied())
    };
    let mut flags = Vec::new();
    let book = LicenceBook::new(&data.licences, &data.licence_events);
    licence_checks(data, &licence_of, &book, &mut flags);
    double_booking(data, &mut flags);
    capacity(data, config, &licence_of, &stones_of, &mut flags);
    repeated_values(data, config, &stones_of, &mut flags);
    for s in data.stones.iter().filter(|s| s.is_large()) {
        let note = note!(
            "large stone of {} ct (10.8 ct or more, a \"special\" in the trade)",
            s.weight
        );
        flags.push(
            Flag::new(
                FlagKind::SpecialStone,
                s.stone_id.0,
                Severity::Info,
                json!({
                    "message": note.english(),
                    "carats": s.weight.to_string(),
                    "production_id": s.production_id,
                    "site_id": s.site_id,
                    "region": &*s.region,
                    "day": s.day,
                }),
            )
            .with_note(note),
        );
    }
    seal_checks(data, &stones_of, &mut flags);
    footprints(data, config, prices, &mut flags);
    super::custody::custody_checks(data, config, &mut flags);
    flags.sort_by_key(|f| (f.kind, f.record_id));
    flags
}
