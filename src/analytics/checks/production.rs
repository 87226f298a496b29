//! The checks on the production entries themselves, apart from their licence: one digger on
//! two sites in a day (`digger_double_booked`), more carats than the crew could wash
//! (`above_capacity`) and runs of copied forms (`repeated_values`). Each reads only the
//! entries and their stones, so each is judged the same wherever the licence stands.

use super::{Arg, CheckConfig, CheckData, Flag, FlagKind, Severity};
use crate::analytics::StoneFact;
use crate::domain::{Centicarats, DiggerId, Licence, ProductionEntry, ProductionId, SiteId};
use crate::note;
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
        let note = note!(
            "{} digger(s) also recorded at {} other site(s) on {}",
            diggers.len(),
            other_sites.len(),
            day
        );
        flags.push(
            Flag::new(
                FlagKind::DiggerDoubleBooked,
                id.0,
                Severity::Breach,
                json!({
                    "message": note.english(),
                    "day": day,
                    "digger_ids": diggers,
                    "other_production_ids": others,
                    "other_site_ids": other_sites,
                }),
            )
            .with_note(note),
        );
    }
}

/// Ordinary carats (large stones apart: one such stone is a day's luck, not capacity) per
/// worker of each entry, with the entry's site; per region.
type WorkerDays<'a> = HashMap<&'a str, Vec<(f64, SiteId, &'a ProductionEntry, i64)>>;

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
            .map(|v| v.iter().filter(|s| !s.is_large()).map(|s| s.weight.0).sum())
            .unwrap_or(0)
    };
    let mut by_region: WorkerDays<'a> = HashMap::new();
    for e in &data.production {
        if let Some(l) = licence_of(e) {
            let cc = ordinary_cc(e);
            let per_worker = cc as f64 / 100.0 / f64::from(e.crew_size.max(1));
            by_region
                .entry(&l.region)
                .or_default()
                .push((per_worker, e.site_id, e, cc));
        }
    }
    for (region, mut days) in by_region {
        // Largest first: a site's reference quantile is found by walking down past its own days.
        days.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut per_site: HashMap<SiteId, usize> = HashMap::new();
        for d in &days {
            *per_site.entry(d.1).or_default() += 1;
        }
        let mut threshold_of: HashMap<SiteId, Option<(f64, usize)>> = HashMap::new();
        for (&site, &own) in &per_site {
            let others = days.len() - own;
            if others < config.capacity_min_reference || per_site.len() < 2 {
                threshold_of.insert(site, None);
                continue;
            }
            // The other sites' quantile: the r-th largest of their days.
            let r = ((1.0 - config.capacity_quantile) * others as f64)
                .ceil()
                .max(1.0) as usize;
            let q = days
                .iter()
                .filter(|d| d.1 != site)
                .nth(r - 1)
                .map_or(0.0, |d| d.0);
            threshold_of.insert(site, Some((q, others)));
        }
        for &(per_worker, site, e, cc) in &days {
            let Some(Some((q, others))) = threshold_of.get(&site).copied() else {
                continue;
            };
            // A region whose other days are almost all empty has no usable scale: at least
            // one stone's worth (0.01 ct) per worker.
            let limit = config.capacity_factor * q.max(0.01);
            if per_worker <= limit {
                continue;
            }
            let note = note!(
                "{} ct found by a crew of {}: {} ct per worker, above {} ({} × the {} % quantile of {} days at other sites of {})",
                Centicarats(cc),
                e.crew_size,
                Arg::Dec(per_worker, 2),
                Arg::Dec(limit, 2),
                Arg::Num(config.capacity_factor),
                Arg::Dec(config.capacity_quantile * 100.0, 1),
                others,
                region.to_string()
            );
            flags.push(
                Flag::new(
                    FlagKind::AboveCapacity,
                    e.id.0,
                    Severity::Warning,
                    json!({
                        "message": note.english(),
                        "carats": Centicarats(cc).to_string(),
                        "crew_size": e.crew_size,
                        "gravel_m3": e.gravel.to_m3_string(),
                        "carats_per_worker": (per_worker * 100.0).round() / 100.0,
                        "reference_quantile": config.capacity_quantile,
                        "reference_carats_per_worker": (q * 100.0).round() / 100.0,
                        "reference_days": others,
                        "factor": config.capacity_factor,
                        "limit_carats_per_worker": (limit * 100.0).round() / 100.0,
                    }),
                )
                .with_note(note),
            );
        }
    }
}

/// Cubic metres in a message: `4.5`, and `4,5` in French.
fn m3(litres: i64) -> Arg {
    let text = crate::domain::Litres(litres).to_m3_string();
    Arg::Num(text.parse().unwrap_or_default())
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
            st.map_or(0, |v| v.iter().map(|s| s.count).sum::<u32>()),
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
                let note = note!(
                    "{} consecutive entries from {} to {} with the same crew {}, gravel {} m³, {} stones and {} ct",
                    run.len(),
                    run[0].day,
                    run[run.len() - 1].day,
                    sig.0,
                    m3(sig.1),
                    sig.2,
                    Centicarats(sig.3)
                );
                flags.push(
                    Flag::new(
                        FlagKind::RepeatedValues,
                        run[0].id.0,
                        Severity::Warning,
                        json!({
                            "message": note.english(),
                            "site_id": site,
                            "run_length": run.len(),
                            "from": run[0].day,
                            "to": run[run.len() - 1].day,
                            "production_ids": run.iter().map(|e| e.id).collect::<Vec<_>>(),
                        }),
                    )
                    .with_note(note),
                );
            }
            start = end;
        }
    }
}
