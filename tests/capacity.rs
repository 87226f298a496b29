//! `above_capacity` against a baseline independent of what it judges: a day's carats per
//! worker against the other sites of its region. Measured on clean demo data (its false-alarm
//! rate must stay at or below 0.5 % of the days) and on an injected day no crew could wash.

use alluvium::analytics::{CheckConfig, FlagKind, PriceModel, run_checks};
use alluvium::demo::{self, DemoOptions};
use alluvium::domain::{
    Centicarats, LicenceStatus, Litres, ProductionEntry, ProductionId, Stone, StoneClass, StoneId,
};
use alluvium::store::{FactFilter, Store};
use chrono::{Duration, NaiveDate};

fn end() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
}

/// A year of demo data in the five regions, every licence standing throughout.
fn clean_store(seed: u64) -> Store {
    let opts = DemoOptions {
        seed,
        regions: demo::DEFAULT_REGIONS
            .iter()
            .map(|s| s.to_string())
            .collect(),
        diggers: 600,
        days: 365,
        end: end(),
    };
    let mut data = demo::generate(&opts).unwrap();
    for l in &mut data.licences {
        l.status = LicenceStatus::Active;
        l.expires_on = l.issued_on + Duration::days(3 * 365);
    }
    let mut store = Store::open_in_memory().unwrap();
    demo::load(&mut store, &data, end()).unwrap();
    store
}

/// The checks without the (slow) footprint test, which this file is not about.
fn capacity_flags(store: &Store) -> (usize, Vec<uuid::Uuid>) {
    let data = store.check_data(&FactFilter::default()).unwrap();
    let config = CheckConfig {
        parcel_min_stones: usize::MAX,
        ..CheckConfig::default()
    };
    let flags = run_checks(&data, &config, &PriceModel::empty());
    (
        data.production.len(),
        flags
            .iter()
            .filter(|f| f.kind == FlagKind::AboveCapacity)
            .map(|f| f.record_id)
            .collect(),
    )
}

#[test]
fn clean_days_are_flagged_at_most_half_a_percent_and_an_impossible_day_is_flagged() {
    let mut days = 0;
    let mut flagged = 0;
    for seed in [7, 11] {
        let (n, flags) = capacity_flags(&clean_store(seed));
        eprintln!(
            "seed {seed}: {} of {n} clean days flagged above capacity ({:.3} %)",
            flags.len(),
            flags.len() as f64 * 100.0 / n as f64
        );
        days += n;
        flagged += flags.len();
    }
    let rate = flagged as f64 / days as f64;
    eprintln!(
        "above_capacity false alarms on clean demo data: {flagged} of {days} days ({:.3} %)",
        rate * 100.0
    );
    assert!(days > 10_000, "a year of five regions");
    assert!(rate <= 0.005, "false-alarm rate {rate}");

    // A day of 40 ct from a crew of two washing 0.5 m³, at a Kono site whose days run near 1 ct.
    let mut store = clean_store(7);
    let (_, before) = capacity_flags(&store);
    let kono_site = store
        .sites()
        .unwrap()
        .into_iter()
        .find(|s| {
            store
                .licences()
                .unwrap()
                .iter()
                .any(|l| l.id == s.licence_id && l.region == "SL-KONO")
        })
        .unwrap();
    let e = ProductionEntry {
        seal: String::new(),
        id: ProductionId::new(),
        site_id: kono_site.id,
        day: NaiveDate::from_ymd_opt(2026, 11, 3).unwrap(),
        officer: "fo".into(),
        fix: None,
        crew_size: 2,
        digger_ids: vec![],
        gravel: Litres(500),
        notes: String::new(),
        replaces: None,
    };
    store
        .write(|w| {
            w.set_today(end());
            w.add_production(&e)?;
            for _ in 0..40 {
                w.add_stone(&Stone {
                    id: StoneId::new(),
                    production_id: e.id,
                    weight: Centicarats(100),
                    class: StoneClass::Gem,
                    colour: "white".into(),
                    count: 1,
                    sieve: None,
                })?;
            }
            Ok(())
        })
        .unwrap();
    let (_, after) = capacity_flags(&store);
    assert!(after.contains(&e.id.0), "the 40 ct day is flagged");
    // Days are judged against other sites: the injected day can only raise the reference of
    // the other sites, so it flags nothing new.
    for id in after.iter().filter(|id| **id != e.id.0) {
        assert!(before.contains(id), "{id} flagged only after the injection");
    }
}
