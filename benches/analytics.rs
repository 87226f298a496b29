//! Analytics benchmark: KP statistics and footprints over one million stones (target ≤ 1 s),
//! the store query that feeds them, and `check` over a year of one region's production; then
//! the end-to-end figure the target is about: the release `alluvium` binary run on a database
//! file of ≥ 1 000 000 stones, `report kp` for a year and `report footprint` of every region.
//! Run: `cargo bench --no-default-features --bench analytics`.
//!
//! The end-to-end database (demo data of five regions over 2026, with a correction of one entry
//! in a hundred) is generated once and kept under `target/bench-data/`, named by its
//! parameters; delete it to regenerate.

use alluvium::analytics::{
    CheckConfig, EntryTotal, Footprint, KpInputs, Period, PriceModel, ReferenceFootprint,
    StoneFact, StoneTally, kp_statistics, run_checks,
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
    let only_end_to_end = std::env::args().any(|a| a == "end-to-end");
    if !only_end_to_end {
        in_memory_and_query();
    }
    end_to_end();
}

fn in_memory_and_query() {
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
                count: 1,
            }
        })
        .collect();
    let prices = PriceModel::standard();
    let t = Instant::now();
    let kp = kp_statistics(Period::Year(2026), &inputs_of_facts(&facts));
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
        kp_stones(&kp),
        kp_carats(&kp),
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
    let inputs = store.kp_inputs(&filter).expect("kp inputs");
    let t = Instant::now();
    let kp = kp_statistics(Period::Year(2026), &inputs);
    let t_kp = t.elapsed();
    println!(
        "store query: {} stone facts in {:.0} ms ({:.2} µs per stone; 1M stones ≈ {:.2} s); KP report on them {:.1} ms ({} ct)",
        stones.len(),
        t_query.as_secs_f64() * 1e3,
        t_query.as_secs_f64() * 1e6 / stones.len().max(1) as f64,
        t_query.as_secs_f64() * 1e6 / stones.len().max(1) as f64,
        t_kp.as_secs_f64() * 1e3,
        kp_carats(&kp)
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

/// Regions of the end-to-end database: the whole catalogue.
const E2E_REGIONS: [&str; 5] = [
    "SL-KONO",
    "SL-KENEMA",
    "GH-AKWATIA",
    "CF-BERBERATI",
    "CD-TSHIKAPA",
];
/// Stones the end-to-end database holds at least (current versions).
const E2E_STONES: usize = 1_000_000;
/// Seed of the end-to-end demo data.
const E2E_SEED: u64 = 7;
/// Runs of each command; the median is reported.
const E2E_RUNS: usize = 7;

/// The report commands over the end-to-end database, timed as a user runs them: the release
/// binary, started afresh for each command, reading the file.
fn end_to_end() {
    let db = e2e_database();
    let exe = env!("CARGO_BIN_EXE_alluvium");
    let year = "2026";
    let mut commands: Vec<(String, Vec<String>)> = vec![(
        "report kp".into(),
        ["report", "kp", "--period", year]
            .map(String::from)
            .to_vec(),
    )];
    for r in E2E_REGIONS {
        commands.push((
            format!("report footprint --region {r}"),
            [
                "report",
                "footprint",
                "--region",
                r,
                "--from",
                "2026-01-01",
                "--to",
                "2026-12-31",
            ]
            .map(String::from)
            .to_vec(),
        ));
    }
    let run = |args: &[String]| -> (f64, String) {
        let t = Instant::now();
        let out = std::process::Command::new(exe)
            .arg("--db")
            .arg(&db)
            .args(args)
            .output()
            .expect("run alluvium");
        let secs = t.elapsed().as_secs_f64();
        assert!(
            out.status.success(),
            "alluvium {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (secs, String::from_utf8(out.stdout).expect("utf-8 output"))
    };
    // Cold: the file evicted from the page cache first (GNU dd's nocache), when that works.
    let evicted = evict_from_page_cache(&db);
    let mut cold = 0.0;
    let mut outputs = Vec::new();
    for (_, args) in &commands {
        let (secs, out) = run(args);
        cold += secs;
        outputs.push(out);
    }
    let mut totals = Vec::new();
    let mut per_command: Vec<Vec<f64>> = vec![Vec::new(); commands.len()];
    for _ in 0..E2E_RUNS {
        let mut total = 0.0;
        for (i, (_, args)) in commands.iter().enumerate() {
            let (secs, out) = run(args);
            assert_eq!(out, outputs[i], "same output on every run");
            per_command[i].push(secs);
            total += secs;
        }
        totals.push(total);
    }
    // Country rows: the region cell (third) is empty.
    let kp_total = outputs[0]
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(2) == Some(""))
        .collect::<Vec<_>>()
        .join(" | ");
    println!(
        "end to end, {} (release binary, one process per command):",
        db.display()
    );
    for (i, (name, _)) in commands.iter().enumerate() {
        println!(
            "  {name}: median {:.0} ms",
            median(&mut per_command[i]) * 1e3
        );
    }
    println!(
        "  KP report + footprints of the {} regions: median {:.0} ms over {E2E_RUNS} runs; first run {:.0} ms{} (target ≤ 1 000 ms)",
        E2E_REGIONS.len(),
        median(&mut totals) * 1e3,
        cold * 1e3,
        if evicted {
            ", file evicted from the page cache"
        } else {
            ", page cache not evicted (dd nocache unavailable)"
        },
    );
    println!("  KP total: {kp_total}");
    // The machine is shared: the load beside the figures says how busy it was.
    println!(
        "  load average (1, 5, 15 min): {}",
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "unknown".into())
    );
    // The JSON form adds the trade statistics (the period's exports and imports as declared).
    let json_args: Vec<String> = ["report", "kp", "--period", year, "--format", "json"]
        .map(String::from)
        .to_vec();
    let mut json_runs: Vec<f64> = (0..3).map(|_| run(&json_args).0).collect();
    println!(
        "  report kp --format json (production and trade): median {:.0} ms",
        median(&mut json_runs) * 1e3
    );
    let trade_args: Vec<String> = ["report", "kp", "--period", year, "--trade"]
        .map(String::from)
        .to_vec();
    let mut trade_runs: Vec<f64> = (0..3).map(|_| run(&trade_args).0).collect();
    println!(
        "  report kp --trade (CSV trade table): median {:.0} ms",
        median(&mut trade_runs) * 1e3
    );

    // Where the time goes, in process: opening, reading and computing apart.
    let prices = PriceModel::standard();
    let t = Instant::now();
    let store = Store::open(&db).expect("open");
    let t_open = t.elapsed();
    let filter = FactFilter::days(
        NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
    );
    let t = Instant::now();
    let inputs = store.kp_inputs(&filter).expect("kp inputs");
    let t_read = t.elapsed();
    let t = Instant::now();
    let kp = kp_statistics(Period::Year(2026), &inputs);
    let t_kp = t.elapsed();
    let t = Instant::now();
    let mut t_fp_read = std::time::Duration::ZERO;
    for r in E2E_REGIONS {
        let t1 = Instant::now();
        let of_region = store
            .stone_tallies(&filter.clone().in_region(Some(r)))
            .expect("tallies");
        t_fp_read += t1.elapsed();
        let _ = Footprint::from_tallies(&of_region, &prices);
    }
    let t_fp = t.elapsed();
    println!(
        "  in process: open {:.1} ms; KP read {:.0} ms ({} stones in {} tallies, {} entries, {} first sales) + compute {:.1} ms; five footprints read {:.0} ms + compute {:.1} ms",
        t_open.as_secs_f64() * 1e3,
        t_read.as_secs_f64() * 1e3,
        kp_stones(&kp),
        inputs.tallies.len(),
        inputs.entries.len(),
        inputs.first_sales.len(),
        t_kp.as_secs_f64() * 1e3,
        t_fp_read.as_secs_f64() * 1e3,
        (t_fp - t_fp_read).as_secs_f64() * 1e3,
    );
    // The per-stone read (ids, day, region of every stone) that checks and tracing use.
    let t = Instant::now();
    let facts = store.stone_facts(&filter).expect("facts");
    let t_facts = t.elapsed();
    // A lot is one fact of `count` stones.
    assert_eq!(
        facts.iter().map(|f| u64::from(f.count)).sum::<u64>(),
        kp_stones(&kp),
        "facts and tallies count the same stones"
    );
    let t = Instant::now();
    let slips = store
        .trade_slips(filter.from.expect("from"), filter.to.expect("to"), None)
        .expect("trade slips");
    let t_slips = t.elapsed();
    let t = Instant::now();
    let trade = alluvium::analytics::kp_trade(&slips, Period::Year(2026), None);
    let t_trade = t.elapsed();
    println!(
        "  for comparison: stone facts read {:.0} ms ({:.2} µs per stone record); trade read {:.1} ms ({} exports and imports) + compute {:.1} ms ({} rows)",
        t_facts.as_secs_f64() * 1e3,
        t_facts.as_secs_f64() * 1e6 / (facts.len().max(1) as f64),
        t_slips.as_secs_f64() * 1e3,
        slips.len(),
        t_trade.as_secs_f64() * 1e3,
        trade.rows.len(),
    );
}

/// KP inputs of stones in memory: tallies per region, class and weight; each stone its own
/// entry; no sales.
fn inputs_of_facts(facts: &[StoneFact]) -> KpInputs {
    let mut counts: std::collections::BTreeMap<(Arc<str>, StoneClass, Centicarats), u64> =
        std::collections::BTreeMap::new();
    for f in facts {
        *counts
            .entry((f.region.clone(), f.class, f.weight))
            .or_default() += 1;
    }
    KpInputs {
        tallies: counts
            .into_iter()
            .map(|((region, class, weight), stones)| StoneTally {
                region,
                weight,
                class,
                stones,
            })
            .collect(),
        entries: facts
            .iter()
            .map(|f| EntryTotal {
                production_id: f.production_id,
                region: f.region.clone(),
                day: f.day,
                weight: f.weight,
                stones: 1,
                under_query: Centicarats(0),
            })
            .collect(),
        ..KpInputs::default()
    }
}

fn kp_stones(kp: &alluvium::analytics::KpReport) -> u64 {
    kp.countries.iter().map(|c| c.total.stones).sum()
}

fn kp_carats(kp: &alluvium::analytics::KpReport) -> Centicarats {
    Centicarats(kp.countries.iter().map(|c| c.total.centicarats.0).sum())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Drops the file's pages from the page cache; false when that could not be done.
fn evict_from_page_cache(path: &std::path::Path) -> bool {
    std::process::Command::new("dd")
        .arg(format!("if={}", path.display()))
        .args(["iflag=nocache", "count=0", "status=none"])
        .status()
        .is_ok_and(|s| s.success())
}

/// The end-to-end database: generated on first use, then reused.
fn e2e_database() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench data dir");
    let path = dir.join(format!(
        "kp-{E2E_STONES}-stones-seed{E2E_SEED}-{}regions-2026-lots.db",
        E2E_REGIONS.len()
    ));
    if path.exists() {
        // Bring the schema up to date once, outside the timed runs.
        Store::open(&path).expect("open the cached database");
        return path;
    }
    let end = NaiveDate::from_ymd_opt(2026, 12, 31).expect("date");
    let t = Instant::now();
    // Demo data scales with the diggers: grow them until the stones reach the target.
    let mut diggers = 20_000;
    let data = loop {
        let opts = DemoOptions {
            seed: E2E_SEED,
            regions: E2E_REGIONS.iter().map(|s| s.to_string()).collect(),
            diggers,
            days: 365,
            end,
        };
        let data = demo::generate(&opts).expect("demo data");
        // Stones, not records: a lot of smalls counts all its stones.
        let stones: usize = data
            .production
            .iter()
            .flat_map(|(_, s)| s)
            .map(|s| s.count as usize)
            .sum();
        if stones >= E2E_STONES * 101 / 100 {
            break data;
        }
        diggers = diggers * (E2E_STONES * 105 / 100) / stones.max(1) + 1;
    };
    let partial = path.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let mut store = Store::open(&partial).expect("open");
    demo::load(&mut store, &data, end).expect("load");
    // One entry in a hundred corrected: the correction carries the stones, minus the last one,
    // so the replaced version's stones must not count.
    store
        .write(|w| {
            w.set_today(end);
            for (entry, stones) in data.production.iter().step_by(100) {
                if stones.len() < 2 {
                    continue;
                }
                let mut fixed = entry.clone();
                fixed.id = ProductionId::new();
                fixed.replaces = Some(entry.id);
                fixed.notes = "corrected: one stone was counted twice".into();
                w.add_production(&fixed)?;
                for s in &stones[..stones.len() - 1] {
                    let mut s = s.clone();
                    s.id = StoneId::new();
                    s.production_id = fixed.id;
                    w.add_stone(&s)?;
                }
            }
            Ok(())
        })
        .expect("corrections");
    drop(store);
    std::fs::rename(&partial, &path).expect("keep the database");
    println!(
        "generated {} ({} diggers) in {:.0} s",
        path.display(),
        data.diggers.len(),
        t.elapsed().as_secs_f64()
    );
    path
}
