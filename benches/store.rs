//! Store benchmark: production entries with stones written per second (one transaction per
//! saved entry, as the app does, and in bulk as an import does), and digger search over
//! 100 000 diggers. Run: `cargo bench --no-default-features --bench store`.

use alluvium::demo::{self, DemoOptions};
use alluvium::domain::{
    Centicarats, Litres, ProductionEntry, ProductionId, Stone, StoneClass, StoneId,
};
use alluvium::store::Store;
use chrono::NaiveDate;
use std::time::{Duration, Instant};

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let end = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");

    // 100 000 diggers (one day of production keeps the rest small).
    let t = Instant::now();
    let opts = DemoOptions {
        seed: 42,
        diggers: 100_000,
        days: 1,
        end,
        ..DemoOptions::default()
    };
    let data = demo::generate(&opts).expect("demo data");
    let mut store = Store::open(&dir.path().join("bench.db")).expect("open");
    demo::load(&mut store, &data, end).expect("load");
    println!(
        "setup: {} diggers, {} licences, {} sites loaded in {:.1} s",
        data.diggers.len(),
        data.licences.len(),
        data.sites.len(),
        t.elapsed().as_secs_f64()
    );

    // Writes: a production entry with three stones per transaction, durable (synchronous=FULL).
    let site = data.sites[0].id;
    let entry = |i: i64| ProductionEntry {
        seal: String::new(),
        id: ProductionId::new(),
        site_id: site,
        day: end,
        officer: "fo.kono".into(),
        fix: None,
        crew_size: 12,
        digger_ids: vec![],
        gravel: Litres(15_000 + i),
        notes: String::new(),
        replaces: None,
    };
    let stones = |p: ProductionId| -> Vec<Stone> {
        (0..3)
            .map(|k| Stone {
                id: StoneId::new(),
                production_id: p,
                weight: Centicarats(15 + k),
                class: StoneClass::Gem,
                colour: "white".into(),
                count: 1,
                sieve: None,
            })
            .collect()
    };
    let n = 500;
    let t = Instant::now();
    for i in 0..n {
        let p = entry(i);
        let st = stones(p.id);
        store
            .write(|w| {
                w.set_today(end);
                w.add_production(&p)?;
                st.iter().try_for_each(|s| w.add_stone(s))
            })
            .expect("write");
    }
    let per_tx = n as f64 / t.elapsed().as_secs_f64();
    println!(
        "write, one transaction per entry (entry + 3 stones + 4 outbox rows): {per_tx:.0} entries/s"
    );
    let n = 20_000;
    let batch: Vec<(ProductionEntry, Vec<Stone>)> = (0..n)
        .map(|i| {
            let p = entry(i);
            let s = stones(p.id);
            (p, s)
        })
        .collect();
    let t = Instant::now();
    store
        .write(|w| {
            w.set_today(end);
            for (p, st) in &batch {
                w.add_production(p)?;
                st.iter().try_for_each(|s| w.add_stone(s))?;
            }
            Ok(())
        })
        .expect("bulk write");
    let bulk = n as f64 / t.elapsed().as_secs_f64();
    println!(
        "write, bulk in one transaction: {bulk:.0} entries/s ({:.0} stones/s)",
        bulk * 3.0
    );

    // Search: first page of 50, as the Diggers page asks while the officer types.
    let sample = &data.diggers[31_337];
    let surname = sample
        .full_name
        .split(' ')
        .next_back()
        .unwrap_or("Kamara")
        .to_string();
    let queries = [
        "k".to_string(),
        "ka".to_string(),
        surname[..3].to_string(),
        format!("{} {}", &sample.full_name[..3], &surname[..2]),
        sample.national_id.clone(),
        data.licences[100].number.clone(),
        String::new(),
    ];
    println!(
        "search over {} diggers, first page of 50 (median / max of 30 runs):",
        data.diggers.len()
    );
    let mut worst = Duration::ZERO;
    for q in &queries {
        let mut times = Vec::new();
        let mut hits = 0;
        for _ in 0..30 {
            let t = Instant::now();
            hits = store.search_diggers(q, 0, 50).expect("search").len();
            times.push(t.elapsed());
        }
        times.sort();
        worst = worst.max(times[times.len() / 2]);
        println!(
            "  {:<28} {:>3} hits  {:>7.2} ms / {:>7.2} ms",
            format!("{q:?}"),
            hits,
            times[times.len() / 2].as_secs_f64() * 1e3,
            times[times.len() - 1].as_secs_f64() * 1e3
        );
    }
    let t = Instant::now();
    let count = store.count_diggers_matching("ka").expect("count");
    println!(
        "  count of \"ka\" matches: {count} in {:.2} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    println!(
        "worst median search: {:.2} ms (target ≤ 50 ms)",
        worst.as_secs_f64() * 1e3
    );
}
