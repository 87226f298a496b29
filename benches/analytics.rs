//! Analytics benchmark: KP statistics and footprints over one million stones (target ≤ 1 s),
//! the store query that feeds them, and `check` over a year of one region's production.
//! Run: `cargo bench --no-default-features --bench analytics`.

use alluvium::analytics::{
    CheckConfig, Footprint, Period, PriceModel, ReferenceFootprint, StoneFact, kp_statistics,
    run_checks,
};
use alluvium::demo::{self, DemoOptions};
use alluvium::domain::{Centicarats, ProductionId, SiteId, StoneClass, StoneId};
use alluvium::store::{FactFilter, Store};
use chrono::{Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};
use std::sync::Arc;
use std::time::Instant;

fn main() {
    let end = NaiveDate::from_ymd_opt(2026, 12, 31).expect("date");

    // 1. One million stones in five regions over a year, in memory.
    let regions: Vec<(Arc<str>, f64, f64)> = vec![
        ("SL-KONO".into(), 0.15, 1.2),
        ("SL-KENEMA".into(), 0.15, 1.2),
        ("GH-AKWATIA".into(), 0.03, 0.9),
        ("CF-BERBERATI".into(), 0.12, 1.0),
        ("CD-TSHIKAPA".into(), 0.04, 1.0),
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let sites: Vec<SiteId> = (0..500).map(|_| SiteId::new()).collect();
    let facts: Vec<StoneFact> = (0..1_000_000)
        .map(|i| {
            let (region, median, sigma) = &regions[i % regions.len()];
            let w = LogNormal::new(median.ln(), *sigma).expect("lognormal");
            StoneFact {
                stone_id: StoneId::new(),
                production_id: ProductionId::new(),
                site_id: sites[rng.random_range(0..sites.len())],
                region: region.clone(),
                day: end - Duration::days(rng.random_range(0..365)),
                weight: Centicarats(((w.sample(&mut rng) * 100.0).round() as i64).max(1)),
                class: [StoneClass::Gem, StoneClass::NearGem, StoneClass::Industrial]
                    [rng.random_range(0..3)],
            }
        })
        .collect();
    let prices = PriceModel::standard();
    let t = Instant::now();
    let kp = kp_statistics(Period::Year(2026), &facts, &prices);
    let t_kp = t.elapsed();
    let t = Instant::now();
    let mut footprints = Vec::new();
    for (region, _, _) in &regions {
        let of_region = facts.iter().filter(|f| f.region == *region);
        footprints.push(Footprint::from_facts(of_region, &prices));
    }
    let t_fp = t.elapsed();
    let t = Instant::now();
    let refs: Vec<ReferenceFootprint> = regions
        .iter()
        .map(|(r, _, _)| ReferenceFootprint::from_facts(r, &facts, &prices).expect("reference"))
        .collect();
    let t_ref = t.elapsed();
    println!(
        "1 000 000 stones in memory: KP report {:.0} ms ({} stones, {} ct); 5 footprints {:.0} ms; 5 reference footprints {:.0} ms; KP + footprints {:.0} ms (target ≤ 1 000 ms)",
        t_kp.as_secs_f64() * 1e3,
        kp.total.stones,
        kp.total.centicarats,
        t_fp.as_secs_f64() * 1e3,
        t_ref.as_secs_f64() * 1e3,
        (t_kp + t_fp).as_secs_f64() * 1e3,
    );
    assert_eq!(footprints.len(), refs.len());

    // 2. A year of one region's production in a database file: the store query and `check`.
    let dir = tempfile::tempdir().expect("temp dir");
    let opts = DemoOptions {
        seed: 5,
        regions: vec!["SL-KONO".into()],
        diggers: 2000,
        days: 365,
        end,
    };
    let data = demo::generate(&opts).expect("demo data");
    let mut store = Store::open(&dir.path().join("bench.db")).expect("open");
    demo::load(&mut store, &data, end).expect("load");
    let filter = FactFilter::days(end - Duration::days(364), end);
    let t = Instant::now();
    let stones = store.stone_facts(&filter).expect("facts");
    let t_query = t.elapsed();
    let t = Instant::now();
    let kp = kp_statistics(Period::Year(2026), &stones, &prices);
    let t_kp = t.elapsed();
    println!(
        "store query: {} stone facts in {:.0} ms ({:.2} µs per stone; 1M stones ≈ {:.2} s); KP report on them {:.1} ms ({} ct)",
        stones.len(),
        t_query.as_secs_f64() * 1e3,
        t_query.as_secs_f64() * 1e6 / stones.len().max(1) as f64,
        t_query.as_secs_f64() * 1e6 / stones.len().max(1) as f64,
        t_kp.as_secs_f64() * 1e3,
        kp.total.centicarats
    );
    let t = Instant::now();
    let input = store.check_data(&filter).expect("check data");
    let t_read = t.elapsed();
    let t = Instant::now();
    let flags = run_checks(&input, &CheckConfig::default(), &prices);
    let t_check = t.elapsed();
    println!(
        "check over a year of SL-KONO: {} sites, {} entries, {} stones; read {:.0} ms, checks {:.0} ms, {} flags",
        input.sites.len(),
        input.production.len(),
        input.stones.len(),
        t_read.as_secs_f64() * 1e3,
        t_check.as_secs_f64() * 1e3,
        flags.len()
    );
}
