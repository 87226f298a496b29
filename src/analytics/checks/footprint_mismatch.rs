//! The `footprint_mismatch` check on site-months: each site's stones of a calendar month
//! against its region's reference footprint, the reference built from the stones no other
//! check doubts, so it runs last among the production checks. It hands the references on to
//! the export-slip origin check in `custody`, which judges slips against the same footprints.

use super::{CheckConfig, CheckData, Flag, FlagKind, Severity};
use crate::analytics::{
    MIN_REFERENCE_STONES, PreparedReference, PriceModel, ReferenceFootprint, StoneFact,
    unflagged_stones,
};
use crate::domain::{Centicarats, SiteId};
use chrono::Datelike;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// Parcel sizes thresholds are simulated for; a site-month uses the largest not above its size
/// (both statistics' null distributions change little with size beyond 50 stones).
const CALIBRATION_SIZES: [usize; 5] = [50, 100, 200, 400, 800];

/// A region's stones by site and calendar month.
type SiteMonths = BTreeMap<(SiteId, i32, u32), Vec<Centicarats>>;

pub(super) fn footprints(
    data: &CheckData,
    config: &CheckConfig,
    prices: &PriceModel,
    flags: &mut Vec<Flag>,
) {
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
    crate::analytics::custody::export_footprints(data, config, &references, flags);
}
