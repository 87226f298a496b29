//! The `footprint_mismatch` check on site-months: each site's stones of a calendar month
//! against its region's reference footprint, the reference built from the stones no other
//! check doubts, so it runs last among the production checks. It hands the references on to
//! the export-slip origin check in `custody`, which judges slips against the same footprints.
//!
//! A baseline is independent of what it judges: a site's months are compared with the
//! reference of the *other* sites of its region (the site's own stones taken out), so neither
//! the parcel judged nor the rest of its site's production bends the footprint it is judged
//! by. The thresholds are simulated once per region and parcel size from the whole region's
//! reference: both statistics are measured against the reference's own distribution, and the
//! null distribution of each changes little when one site's stones are taken out (a site whose
//! removal leaves fewer than `MIN_REFERENCE_STONES` is not judged).

use super::{Arg, CheckConfig, CheckData, Flag, FlagKind, Severity};
use crate::analytics::{
    MIN_REFERENCE_STONES, PreparedReference, PriceModel, ReferenceFootprint, StoneFact,
    unflagged_stones,
};
use crate::domain::{Centicarats, SiteId};
use crate::note;
use chrono::Datelike;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// Parcel sizes thresholds are simulated for; a site-month uses the smallest not below its
/// size (the largest for a bigger one). Where many stones tie under the finest sieve (smalls
/// weighed in lots), A² grows with the parcel's size, so thresholds of the next size up keep
/// the false-alarm rate at or below the one asked for.
const CALIBRATION_SIZES: [usize; 6] = [50, 100, 200, 400, 800, 1600];

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
    // Per region and site, the weights the site adds to the region's reference.
    let mut own: BTreeMap<(&str, SiteId), Vec<Centicarats>> = BTreeMap::new();
    for s in &clean {
        by_region.entry(&s.region).or_default().push(s);
        let weights = own.entry((&s.region, s.site_id)).or_default();
        for (w, n) in s.stones() {
            weights.extend(std::iter::repeat_n(w, n as usize));
        }
    }
    let mut parcels: BTreeMap<&str, SiteMonths> = BTreeMap::new();
    for s in &data.stones {
        let weights = parcels
            .entry(&s.region)
            .or_default()
            .entry((s.site_id, s.day.year(), s.day.month()))
            .or_default();
        for (w, n) in s.stones() {
            weights.extend(std::iter::repeat_n(w, n as usize));
        }
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
        // The reference of the other sites, made once per site judged.
        let mut others: Option<(SiteId, Option<ReferenceFootprint>)> = None;
        for ((site, year, month), weights) in parcels.get(region).into_iter().flatten() {
            if weights.len() < config.parcel_min_stones.max(2) {
                continue;
            }
            if others.as_ref().is_none_or(|(s, _)| s != site) {
                let without = match own.get(&(region, *site)) {
                    Some(w) => reference.without(w).ok(),
                    None => Some(reference.clone()),
                };
                others = Some((*site, without));
            }
            let Some((_, Some(reference_of_others))) = &others else {
                continue;
            };
            let judged_against = PreparedReference::new(reference_of_others);
            let size = CALIBRATION_SIZES
                .iter()
                .find(|&&n| n >= weights.len())
                .copied()
                .unwrap_or(CALIBRATION_SIZES[CALIBRATION_SIZES.len() - 1]);
            let cal = *calibrations.entry(size).or_insert_with(|| {
                prepared.calibrate(size, config.parcel_false_alarm, config.simulations)
            });
            let c = judged_against.compare(&cal, weights);
            if c.flagged {
                let note = note!(
                    "the {} stones of {} do not match the {} footprint (A² {} > {} or |z| {} > {})",
                    weights.len(),
                    format!("{year}-{month:02}"),
                    region.to_string(),
                    Arg::Dec(c.statistics.anderson_darling, 2),
                    Arg::Dec(cal.anderson_darling, 2),
                    Arg::Dec(c.statistics.mean_log_shift_z.abs(), 2),
                    Arg::Dec(cal.mean_log_shift_z, 2)
                );
                flags.push(
                    Flag::new(
                        FlagKind::FootprintMismatch,
                        site.0,
                        Severity::Warning,
                        json!({
                            "message": note.english(),
                            "month": format!("{year}-{month:02}"),
                            "region": region,
                            "stones": weights.len(),
                            "reference_stones": c.reference_stones,
                            "reference": "the other sites of the region",
                            "statistics": c.statistics,
                            "threshold": cal,
                        }),
                    )
                    .with_note(note),
                );
            }
        }
    }
    crate::analytics::custody::export_footprints(data, config, &references, flags);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ProductionId, StoneClass, StoneId};
    use chrono::NaiveDate;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use std::sync::Arc;

    fn fact(site: SiteId, day: NaiveDate, cc: i64, count: u32) -> StoneFact {
        StoneFact {
            stone_id: StoneId::new(),
            production_id: ProductionId::new(),
            site_id: site,
            region: Arc::from("XA-ONE"),
            day,
            weight: Centicarats(cc),
            class: StoneClass::Gem,
            count,
        }
    }

    /// A site whose month is most of its region's stones must not be judged against a
    /// reference made mostly of itself: it is compared with the other sites alone.
    #[test]
    fn a_site_month_is_judged_against_the_other_sites_only() {
        let mut rng = ChaCha8Rng::seed_from_u64(16);
        let judged = SiteId::new();
        let others: Vec<SiteId> = (0..4).map(|_| SiteId::new()).collect();
        let mut stones = Vec::new();
        // 800 stones of 0.05–2 ct at four other sites, spread over eight months (25 a month).
        for (i, site) in others.iter().enumerate() {
            for k in 0..200 {
                let day = NaiveDate::from_ymd_opt(2026, 1 + (k % 8) as u32, 1 + i as u32).unwrap();
                stones.push(fact(*site, day, rng.random_range(5..200), 1));
            }
        }
        // The judged site: 2 000 small stones in March, partly recorded as lots.
        let march = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        for _ in 0..1500 {
            stones.push(fact(judged, march, rng.random_range(1..5), 1));
        }
        for _ in 0..10 {
            stones.push(fact(judged, march, 150, 50)); // 50 stones of 0.03 ct each
        }
        let data = CheckData {
            stones,
            ..CheckData::default()
        };
        let config = CheckConfig {
            simulations: 1000,
            ..CheckConfig::default()
        };
        let mut flags = Vec::new();
        footprints(&data, &config, &PriceModel::empty(), &mut flags);
        let flag = flags
            .iter()
            .find(|f| f.record_id == judged.0)
            .expect("the judged site's month is flagged");
        assert_eq!(flag.evidence["stones"], 2000, "the lots' stones count");
        assert_eq!(
            flag.evidence["reference_stones"], 800,
            "the reference holds the other sites' stones only: {}",
            flag.evidence
        );
    }
}
