//! The checks on the production entries themselves, apart from their licence: one digger on
//! two sites in a day (`digger_double_booked`), more carats than the crew could wash
//! (`above_capacity`) and runs of copied forms (`repeated_values`). Each reads only the
//! entries and their stones, so each is judged the same wherever the licence stands.

use super::{CheckConfig, CheckData, Flag, FlagKind, Severity};
use crate::analytics::{SPECIAL_STONE, StoneFact};
use crate::domain::{Centicarats, DiggerId, Licence, ProductionEntry, ProductionId, SiteId};
use chrono::NaiveDate;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// Per entry: the day, the diggers also booked elsewhere, those entries and their sites.
type Booking = (NaiveDate, Vec<DiggerId>, Vec<ProductionId>, Vec<SiteId>);

pub(super) fn double_booking(data: &CheckData, flags: &mut Vec<Flag>) {
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

pub(super) fn capacity<'a>(
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

pub(super) fn repeated_values(
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
