//! Anomaly checks (DOMAIN.md §6, DESIGN.md's anomaly kinds): each finding is a [`Flag`]
//! `{kind, record_id, severity, evidence}` that the CLI prints and the Review page shows beside
//! the record. The checks read a [`CheckData`] snapshot (current production versions only) and
//! never a database, so they are tested with tables of cases and run the same on the device
//! and on the server.
//!
//! The rules, and why:
//! * `no_licence`, `licence_expired`, `licence_suspended`: the site's licence on the production
//!   day ([`Licence::standing_on`]). No licence in force means: the licence is unknown here, not
//!   yet issued, revoked, or not a mining licence. The registries keep only the current status,
//!   so a suspension is judged as it stands now (the evidence says so).
//! * `outside_licence_area`: the entry's GPS fix lies outside the licence polygon by more than
//!   the fix's stated accuracy (`gps::geofence::contains_with_margin`).
//! * `digger_double_booked`: one registered digger on current entries of two different sites on
//!   the same day; every entry involved is flagged.
//! * `above_capacity`: carats found (specials excluded — they are reported apart) above
//!   `capacity_factor` × crew × `m3_per_worker_day` × the regional grade, the USGS capacity
//!   method (miners × m³ per miner-day × grade). The regional grade is the region's carats per m³
//!   of gravel washed in the data checked. The factor is wide (100, two orders of magnitude)
//!   because pits differ a lot (site grades are lognormal, σ ≈ 0.8), finds are overdispersed
//!   from day to day and one 5–10 ct stone outweighs a month of small ones: in a year of demo
//!   data (8 063 site-days, seed 7) the highest honest ratio was 31. What 100 catches is a
//!   slipped decimal point or a parcel of bought stones booked as a day's finds.
//! * `special_stone`: every stone of 10.8 ct or more (information: KP practice reports them
//!   separately).
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
//! The chain-of-custody kinds (`sale_exceeds_production`, `sale_without_production`,
//! `resale_exceeds_purchases`, `export_exceeds_purchases`, `unlicensed_buyer`) are computed in
//! `super::custody` over the sale slips; their `record_id` is the slip and their evidence names
//! the licence, the records drawn on and the running balance.

use super::{
    MIN_REFERENCE_STONES, PreparedReference, PriceModel, ReferenceFootprint, SPECIAL_STONE,
    StoneFact, unflagged_stones,
};
use crate::domain::{
    Centicarats, DiggerId, Licence, LicenceId, LicenceKind, LicenceStanding, ProductionEntry,
    ProductionId, RecordKind, Region, Site, SiteId,
};
use crate::gps::geofence::{Containment, contains_with_margin, distance_to_boundary_m};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// What a flag is about. The spelling is DESIGN.md's contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    NoLicence,
    LicenceExpired,
    LicenceSuspended,
    OutsideLicenceArea,
    DiggerDoubleBooked,
    AboveCapacity,
    SpecialStone,
    RepeatedValues,
    FootprintMismatch,
    SaleExceedsProduction,
    SaleWithoutProduction,
    ResaleExceedsPurchases,
    ExportExceedsPurchases,
    UnlicensedBuyer,
}

impl FlagKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [FlagKind; 14] = [
        FlagKind::NoLicence,
        FlagKind::LicenceExpired,
        FlagKind::LicenceSuspended,
        FlagKind::OutsideLicenceArea,
        FlagKind::DiggerDoubleBooked,
        FlagKind::AboveCapacity,
        FlagKind::SpecialStone,
        FlagKind::RepeatedValues,
        FlagKind::FootprintMismatch,
        FlagKind::SaleExceedsProduction,
        FlagKind::SaleWithoutProduction,
        FlagKind::ResaleExceedsPurchases,
        FlagKind::ExportExceedsPurchases,
        FlagKind::UnlicensedBuyer,
    ];

    /// The contract's spelling, e.g. `no_licence`.
    pub fn as_str(self) -> &'static str {
        match self {
            FlagKind::NoLicence => "no_licence",
            FlagKind::LicenceExpired => "licence_expired",
            FlagKind::LicenceSuspended => "licence_suspended",
            FlagKind::OutsideLicenceArea => "outside_licence_area",
            FlagKind::DiggerDoubleBooked => "digger_double_booked",
            FlagKind::AboveCapacity => "above_capacity",
            FlagKind::SpecialStone => "special_stone",
            FlagKind::RepeatedValues => "repeated_values",
            FlagKind::FootprintMismatch => "footprint_mismatch",
            FlagKind::SaleExceedsProduction => "sale_exceeds_production",
            FlagKind::SaleWithoutProduction => "sale_without_production",
            FlagKind::ResaleExceedsPurchases => "resale_exceeds_purchases",
            FlagKind::ExportExceedsPurchases => "export_exceeds_purchases",
            FlagKind::UnlicensedBuyer => "unlicensed_buyer",
        }
    }

    /// The entity whose record `record_id` names, so the Review page can open it.
    pub fn target(self) -> RecordKind {
        match self {
            FlagKind::SpecialStone => RecordKind::Stone,
            FlagKind::FootprintMismatch => RecordKind::Site,
            FlagKind::SaleExceedsProduction
            | FlagKind::SaleWithoutProduction
            | FlagKind::ResaleExceedsPurchases
            | FlagKind::ExportExceedsPurchases
            | FlagKind::UnlicensedBuyer => RecordKind::Sale,
            _ => RecordKind::Production,
        }
    }
}

impl std::fmt::Display for FlagKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much a flag matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing; nothing is wrong (a special stone).
    Info,
    /// Needs a look: may be an error or a breach.
    Warning,
    /// A rule is broken.
    Breach,
}

impl Severity {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Breach => "breach",
        }
    }
}

/// One finding. Field names are protocol (`check --format json`, sync); do not rename.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    pub kind: FlagKind,
    /// The flagged record; its entity is `kind.target()`.
    pub record_id: uuid::Uuid,
    pub severity: Severity,
    /// Why, as a JSON object; always has a human-readable `message`.
    pub evidence: serde_json::Value,
}

impl Flag {
    pub(super) fn new(
        kind: FlagKind,
        record_id: uuid::Uuid,
        severity: Severity,
        evidence: serde_json::Value,
    ) -> Flag {
        Flag {
            kind,
            record_id,
            severity,
            evidence,
        }
    }

    /// The evidence's human-readable message.
    pub fn message(&self) -> &str {
        self.evidence["message"].as_str().unwrap_or("")
    }

    /// The entity of the flagged record: the kind's, unless the evidence names another (a
    /// `footprint_mismatch` on an export slip names `"entity": "sales"`).
    pub fn target_entity(&self) -> RecordKind {
        match self.evidence["entity"].as_str() {
            Some("sales") => RecordKind::Sale,
            _ => self.kind.target(),
        }
    }

    /// One line for text output: `kind severity record_id: message`.
    pub fn line(&self) -> String {
        format!(
            "{} {} {}: {}",
            self.kind,
            self.severity.as_str(),
            self.record_id,
            self.message()
        )
    }
}

/// What the checks read: registries and the current production versions with their stones.
#[derive(Debug, Clone, Default)]
pub struct CheckData {
    pub regions: Vec<Region>,
    pub licences: Vec<Licence>,
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
    /// Gravel one worker can wash in a day, m³ (top of DOMAIN.md §7's 0.5–2).
    pub m3_per_worker_day: f64,
    /// How far above the capacity output must be to be flagged.
    pub capacity_factor: f64,
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
            m3_per_worker_day: 2.0,
            capacity_factor: 100.0,
            min_repeated_run: 5,
            parcel_min_stones: 50,
            parcel_false_alarm: 0.001,
            simulations: 10_000,
            custody_tolerance: 0.005,
        }
    }
}

/// Parcel sizes thresholds are simulated for; a site-month uses the largest not above its size
/// (both statistics' null distributions change little with size beyond 50 stones).
const CALIBRATION_SIZES: [usize; 5] = [50, 100, 200, 400, 800];

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
    licence_checks(data, &licence_of, &mut flags);
    double_booking(data, &mut flags);
    capacity(data, config, &licence_of, &stones_of, &mut flags);
    repeated_values(data, config, &stones_of, &mut flags);
    for s in data.stones.iter().filter(|s| s.weight >= SPECIAL_STONE) {
        flags.push(Flag::new(
            FlagKind::SpecialStone,
            s.stone_id.0,
            Severity::Info,
            json!({
                "message": format!("special stone of {} ct: report it separately", s.weight),
                "carats": s.weight.to_string(),
                "production_id": s.production_id,
                "site_id": s.site_id,
                "region": &*s.region,
                "day": s.day,
            }),
        ));
    }
    footprints(data, config, prices, &mut flags);
    super::custody::custody_checks(data, config, &mut flags);
    flags.sort_by_key(|f| (f.kind, f.record_id));
    flags
}

fn licence_checks<'a>(
    data: &'a CheckData,
    licence_of: &dyn Fn(&ProductionEntry) -> Option<&'a Licence>,
    flags: &mut Vec<Flag>,
) {
    for e in &data.production {
        let Some(l) = licence_of(e) else {
            flags.push(Flag::new(
                FlagKind::NoLicence,
                e.id.0,
                Severity::Breach,
                json!({
                    "message": format!("production on {} at a site whose licence is not on record", e.day),
                    "site_id": e.site_id,
                    "day": e.day,
                }),
            ));
            continue;
        };
        let ev = |why: String| {
            json!({
                "message": why,
                "licence_id": l.id,
                "licence_number": l.number,
                "status": l.status.as_str(),
                "issued_on": l.issued_on,
                "expires_on": l.expires_on,
                "site_id": e.site_id,
                "day": e.day,
            })
        };
        let standing = l.standing_on(e.day);
        let (kind, why) = if l.kind != LicenceKind::ArtisanalMining {
            (
                FlagKind::NoLicence,
                format!(
                    "licence {} is a {} licence, not a mining licence",
                    l.number, l.kind
                ),
            )
        } else {
            match standing {
                LicenceStanding::Active | LicenceStanding::Expiring(_) => continue,
                LicenceStanding::NotYetValid => (
                    FlagKind::NoLicence,
                    format!(
                        "production on {} before licence {} was issued on {}",
                        e.day, l.number, l.issued_on
                    ),
                ),
                LicenceStanding::Revoked => (
                    FlagKind::NoLicence,
                    format!("licence {} is revoked", l.number),
                ),
                LicenceStanding::Expired => (
                    FlagKind::LicenceExpired,
                    format!(
                        "production on {} under licence {} expired on {}",
                        e.day, l.number, l.expires_on
                    ),
                ),
                LicenceStanding::Suspended => (
                    FlagKind::LicenceSuspended,
                    format!(
                        "production on {} under licence {}, which is suspended (status as recorded now)",
                        e.day, l.number
                    ),
                ),
            }
        };
        flags.push(Flag::new(kind, e.id.0, Severity::Breach, ev(why)));
        let _ = standing;
    }
    for e in &data.production {
        let (Some(l), Some(fix)) = (licence_of(e), e.fix.as_ref()) else {
            continue;
        };
        let Some(area) = &l.area else { continue };
        if contains_with_margin(&area.0, fix.lat, fix.lon, fix.accuracy_m) == Containment::Outside {
            let d = distance_to_boundary_m(&area.0, fix.lat, fix.lon);
            flags.push(Flag::new(
                FlagKind::OutsideLicenceArea,
                e.id.0,
                Severity::Breach,
                json!({
                    "message": format!(
                        "fix {:.6}, {:.6} is {:.0} m outside licence {} (accuracy {:.0} m)",
                        fix.lat, fix.lon, d, l.number, fix.accuracy_m
                    ),
                    "lat": fix.lat,
                    "lon": fix.lon,
                    "accuracy_m": fix.accuracy_m,
                    "distance_m": (d * 10.0).round() / 10.0,
                    "licence_id": l.id,
                    "licence_number": l.number,
                }),
            ));
        }
    }
}

/// Per entry: the day, the diggers also booked elsewhere, those entries and their sites.
type Booking = (NaiveDate, Vec<DiggerId>, Vec<ProductionId>, Vec<SiteId>);

fn double_booking(data: &CheckData, flags: &mut Vec<Flag>) {
    let mut seen: HashMap<(DiggerId, NaiveDate), Vec<&ProductionEntry>> = HashMap::new();
    for e in &data.production {
        for d in &e.digger_ids {
            seen.entry((*d, e.day)).or_default().push(e);
        }
    }
    // Per entry: the diggers also booked elsewhere that day, and those other entries.
    let mut per_entry: BTreeMap<ProductionId, Booking> = BTreeMap::new();
    for ((digger, day), entries) in &seen {
        let mut site_ids: Vec<SiteId> = entries.iter().map(|e| e.site_id).collect();
        site_ids.sort();
        site_ids.dedup();
        if site_ids.len() < 2 {
            continue;
        }
        for e in entries {
            let slot = per_entry
                .entry(e.id)
                .or_insert_with(|| (*day, vec![], vec![], vec![]));
            slot.1.push(*digger);
            for o in entries.iter().filter(|o| o.site_id != e.site_id) {
                slot.2.push(o.id);
                slot.3.push(o.site_id);
            }
        }
    }
    for (id, (day, mut diggers, mut others, mut other_sites)) in per_entry {
        diggers.sort();
        others.sort();
        others.dedup();
        other_sites.sort();
        other_sites.dedup();
        flags.push(Flag::new(
            FlagKind::DiggerDoubleBooked,
            id.0,
            Severity::Breach,
            json!({
                "message": format!(
                    "{} digger(s) also recorded at {} other site(s) on {day}",
                    diggers.len(),
                    other_sites.len()
                ),
                "day": day,
                "digger_ids": diggers,
                "other_production_ids": others,
                "other_site_ids": other_sites,
            }),
        ));
    }
}

fn capacity<'a>(
    data: &'a CheckData,
    config: &CheckConfig,
    licence_of: &dyn Fn(&ProductionEntry) -> Option<&'a Licence>,
    stones_of: &HashMap<ProductionId, Vec<&StoneFact>>,
    flags: &mut Vec<Flag>,
) {
    let ordinary_cc = |e: &ProductionEntry| -> i64 {
        stones_of
            .get(&e.id)
            .map(|v| {
                v.iter()
                    .filter(|s| s.weight < SPECIAL_STONE)
                    .map(|s| s.weight.0)
                    .sum()
            })
            .unwrap_or(0)
    };
    // Regional grade: carats per m³ over the data checked.
    let mut totals: HashMap<&str, (i64, i64)> = HashMap::new();
    for e in &data.production {
        if let Some(l) = licence_of(e) {
            let t = totals.entry(&l.region).or_default();
            t.0 += ordinary_cc(e);
            t.1 += e.gravel.0;
        }
    }
    for e in &data.production {
        let Some(l) = licence_of(e) else { continue };
        let (cc, litres) = totals.get(l.region.as_str()).copied().unwrap_or((0, 0));
        if cc <= 0 || litres <= 0 {
            continue;
        }
        let grade = (cc as f64 / 100.0) / (litres as f64 / 1000.0);
        let found_cc = ordinary_cc(e);
        let capacity_ct = f64::from(e.crew_size.max(1)) * config.m3_per_worker_day * grade;
        let found_ct = found_cc as f64 / 100.0;
        if found_ct > config.capacity_factor * capacity_ct {
            flags.push(Flag::new(
                FlagKind::AboveCapacity,
                e.id.0,
                Severity::Warning,
                json!({
                    "message": format!(
                        "{} ct found by a crew of {}: {:.0} times the {:.2} ct they could wash at the regional grade",
                        Centicarats(found_cc), e.crew_size, found_ct / capacity_ct, capacity_ct
                    ),
                    "carats": Centicarats(found_cc).to_string(),
                    "crew_size": e.crew_size,
                    "gravel_m3": e.gravel.to_m3_string(),
                    "regional_grade_ct_per_m3": (grade * 10_000.0).round() / 10_000.0,
                    "capacity_carats": (capacity_ct * 100.0).round() / 100.0,
                    "factor": config.capacity_factor,
                }),
            ));
        }
    }
}

fn repeated_values(
    data: &CheckData,
    config: &CheckConfig,
    stones_of: &HashMap<ProductionId, Vec<&StoneFact>>,
    flags: &mut Vec<Flag>,
) {
    let mut by_site: HashMap<SiteId, Vec<&ProductionEntry>> = HashMap::new();
    for e in &data.production {
        by_site.entry(e.site_id).or_default().push(e);
    }
    let signature = |e: &ProductionEntry| {
        let st = stones_of.get(&e.id);
        (
            e.crew_size,
            e.gravel.0,
            st.map_or(0, Vec::len),
            st.map_or(0, |v| v.iter().map(|s| s.weight.0).sum::<i64>()),
        )
    };
    let min_run = config.min_repeated_run.max(2);
    for (site, mut entries) in by_site {
        entries.sort_by_key(|e| (e.day, e.id));
        let mut start = 0;
        while start < entries.len() {
            let sig = signature(entries[start]);
            let mut end = start + 1;
            while end < entries.len() && signature(entries[end]) == sig {
                end += 1;
            }
            if end - start >= min_run {
                let run = &entries[start..end];
                flags.push(Flag::new(
                    FlagKind::RepeatedValues,
                    run[0].id.0,
                    Severity::Warning,
                    json!({
                        "message": format!(
                            "{} consecutive entries from {} to {} with the same crew {}, gravel {} m³, {} stones and {} ct",
                            run.len(), run[0].day, run[run.len() - 1].day, sig.0,
                            crate::domain::Litres(sig.1).to_m3_string(), sig.2, Centicarats(sig.3)
                        ),
                        "site_id": site,
                        "run_length": run.len(),
                        "from": run[0].day,
                        "to": run[run.len() - 1].day,
                        "production_ids": run.iter().map(|e| e.id).collect::<Vec<_>>(),
                    }),
                ));
            }
            start = end;
        }
    }
}

/// A region's stones by site and calendar month.
type SiteMonths = BTreeMap<(SiteId, i32, u32), Vec<Centicarats>>;

fn footprints(data: &CheckData, config: &CheckConfig, prices: &PriceModel, flags: &mut Vec<Flag>) {
    // The reference leaves out whatever the other checks doubt.
    let clean = unflagged_stones(&data.stones, flags);
    let mut by_region: BTreeMap<&str, Vec<&StoneFact>> = BTreeMap::new();
    for s in &clean {
        by_region.entry(&s.region).or_default().push(s);
    }
    let mut parcels: BTreeMap<&str, SiteMonths> = BTreeMap::new();
    for s in &data.stones {
        parcels
            .entry(&s.region)
            .or_default()
            .entry((s.site_id, s.day.year(), s.day.month()))
            .or_default()
            .push(s.weight);
    }
    let mut references: BTreeMap<String, ReferenceFootprint> = BTreeMap::new();
    for (region, stones) in by_region {
        if stones.len() < MIN_REFERENCE_STONES {
            continue;
        }
        let Ok(reference) = ReferenceFootprint::from_facts(region, stones, prices) else {
            continue;
        };
        let reference = references.entry(region.to_string()).or_insert(reference);
        let prepared = PreparedReference::new(reference);
        let mut calibrations = HashMap::new();
        for ((site, year, month), weights) in parcels.get(region).into_iter().flatten() {
            if weights.len() < config.parcel_min_stones.max(2) {
                continue;
            }
            let size = CALIBRATION_SIZES
                .iter()
                .rev()
                .find(|&&n| n <= weights.len())
                .copied()
                .unwrap_or(weights.len());
            let cal = *calibrations.entry(size).or_insert_with(|| {
                prepared.calibrate(size, config.parcel_false_alarm, config.simulations)
            });
            let c = prepared.compare(&cal, weights);
            if c.flagged {
                flags.push(Flag::new(
                    FlagKind::FootprintMismatch,
                    site.0,
                    Severity::Warning,
                    json!({
                        "message": format!(
                            "the {} stones of {year}-{month:02} do not match the {region} footprint (A² {:.2} > {:.2} or |z| {:.2} > {:.2})",
                            weights.len(), c.statistics.anderson_darling, cal.anderson_darling,
                            c.statistics.mean_log_shift_z.abs(), cal.mean_log_shift_z
                        ),
                        "month": format!("{year}-{month:02}"),
                        "region": region,
                        "stones": weights.len(),
                        "statistics": c.statistics,
                        "threshold": cal,
                    }),
                ));
            }
        }
    }
    super::custody::export_footprints(data, config, &references, flags);
}
