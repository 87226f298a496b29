//! Load: N devices on loopback, each enrolling, logging in and pushing a week of one site
//! (7 production entries and 210 stones) to the real server binary, all at once. Reports,
//! per N, how long enrolment and login took for all, the push throughput (records/s over the
//! wall time from the first push to the last answer) and the p50/p95/p99 latency of one
//! device's sync of its week (its push — one request, the week is under a batch — then the
//! device-key and pull requests that follow), with the machine's load average.
//!
//! Run: `cargo bench -p alluvium-sync --bench load` (N = 50, 200, 500), or
//! `cargo bench -p alluvium-sync --bench load -- 50 200` for chosen sizes. Bounded: every
//! device sends exactly one week, and a fresh server database is used per N.
//!
//! `--backend sqlite` (the default: one process on a SQLite file), `postgres1` (one process on
//! PostgreSQL), `postgres2` (two processes on one PostgreSQL database, devices alternating
//! between them, as behind a load balancer) or `all`. PostgreSQL runs on a throwaway cluster
//! the bench starts on 127.0.0.1 (Debian's `postgresql` package), with fsync off as in the
//! tests: the figures compare the servers, not the disk.

#[path = "../tests/common/mod.rs"]
mod common;

use alluvium::domain::*;
use alluvium::store::Store;
use alluvium::sync::{LoginKind, SyncClient};
use common::*;
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// Stones found per day at each site.
const STONES_PER_DAY: usize = 30;
const DAYS: u64 = 7;

/// Where the server under load keeps its data, and how many processes serve it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Backend {
    Sqlite,
    Postgres1,
    Postgres2,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let backends = match args
        .iter()
        .position(|a| a == "--backend")
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
    {
        None | Some("sqlite") => vec![Backend::Sqlite],
        Some("postgres1") => vec![Backend::Postgres1],
        Some("postgres2") => vec![Backend::Postgres2],
        Some("all") => vec![Backend::Sqlite, Backend::Postgres1, Backend::Postgres2],
        Some(other) => {
            eprintln!("--backend {other}: sqlite, postgres1, postgres2 or all");
            std::process::exit(2);
        }
    };
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() {
        vec![50, 200, 500]
    } else {
        sizes
    };
    let cluster = backends
        .iter()
        .any(|b| *b != Backend::Sqlite)
        .then(|| test_kit::postgres::Cluster::start().unwrap_or_else(|e| panic!("{e}")));
    for backend in backends {
        println!(
            "load: N devices, each enrolling, logging in and syncing a week of one site ({} records), concurrently; {}",
            DAYS as usize * (1 + STONES_PER_DAY),
            match backend {
                Backend::Sqlite => "SQLite, one server process",
                Backend::Postgres1 => "PostgreSQL, one server process",
                Backend::Postgres2 => "PostgreSQL, two server processes",
            }
        );
        for &n in &sizes {
            let servers = match (backend, &cluster) {
                (Backend::Sqlite, _) | (_, None) => vec![TestServer::start()],
                (_, Some(cluster)) => {
                    let database = ServerDatabase::Postgres {
                        url: test_kit::postgres::fresh_database_on(&cluster.url()),
                        photo_dir: tempfile::tempdir().unwrap().keep().join("photos"),
                        pool_size: 16,
                    };
                    let processes = if backend == Backend::Postgres2 { 2 } else { 1 };
                    (0..processes)
                        .map(|_| {
                            TestServer::start_on(
                                tempfile::tempdir().unwrap(),
                                database.clone(),
                                &[],
                            )
                        })
                        .collect()
                }
            };
            run(n, &servers);
        }
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// A week of production at `site`, one entry a day.
fn week(
    site: &Site,
    officer: &str,
    diggers: &[&Digger],
    seed: u64,
) -> (Vec<ProductionEntry>, Vec<Stone>) {
    let (mut ps, mut ss) = (Vec::new(), Vec::new());
    for d in 1..=DAYS {
        let mut p = production(site, officer, diggers);
        p.day = today() - chrono::Days::new(d);
        for k in 0..STONES_PER_DAY as u64 {
            ss.push(stone(&p, 5 + ((seed * 31 + d * 7 + k * 13) % 250) as i64));
        }
        ps.push(p);
    }
    (ps, ss)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn run(n: usize, servers: &[TestServer]) {
    let server = &servers[0];
    server.seed();
    // Registries from a licensing device: one site per simulated device.
    let mut lic = server.device("SL-KONO", "lic_a");
    let diggers: Vec<Digger> = (0..4)
        .map(|i| digger("SL-KONO", &format!("LOAD-{i}"), "Load Digger"))
        .collect();
    let li = licence("SL-KONO", "LOAD/1", &diggers[0]);
    let sites: Vec<Site> = (0..n).map(|i| site(&li, &format!("Pit {i}"))).collect();
    lic.store
        .write(|w| {
            diggers.iter().try_for_each(|d| w.put_digger(d))?;
            w.put_licence(&li)?;
            sites.iter().try_for_each(|s| w.put_site(s))
        })
        .unwrap();
    lic.sync();
    let codes: Vec<String> = (0..n).map(|_| server.code("SL-KONO")).collect();
    // One field officer per device, as in the field: the server limits concurrent logins of
    // one user name.
    let officers: Vec<String> = (0..n).map(|i| format!("field_{i}")).collect();
    for user in &officers {
        server
            .admin(
                &[
                    "officer",
                    "add",
                    user,
                    "--role",
                    "field_officer",
                    "--regions",
                    "SL-KONO",
                    "--password-stdin",
                ],
                &format!("{PASSWORD}\n"),
            )
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let crew: Vec<&Digger> = diggers.iter().take(2).collect();

    let started = Barrier::new(n);
    let pushing = Barrier::new(n);
    let t0 = Instant::now();
    let results: Vec<(Duration, Instant, Instant, usize, u64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let url = &servers[i % servers.len()].url;
                let (code, site, user) = (&codes[i], &sites[i], &officers[i]);
                let (dir, crew, started, pushing) = (dir.path(), &crew, &started, &pushing);
                std::thread::Builder::new()
                    .stack_size(512 * 1024)
                    .spawn_scoped(scope, move || {
                        started.wait();
                        let mut store = Store::open(&dir.join(format!("device-{i}.db"))).unwrap();
                        alluvium::sync::enrol(&mut store, url, code, None, false).unwrap();
                        // A server checking many logins at once answers 503 busy beyond
                        // its queue; a device tries again a moment later.
                        let mut busy = 0;
                        let kind = loop {
                            match alluvium::sync::login(&mut store, user, PASSWORD) {
                                Err(e) if e.to_string().contains("503 busy") && busy < 100 => {
                                    busy += 1;
                                    std::thread::sleep(Duration::from_millis(250 * busy.min(8)));
                                }
                                other => break other.unwrap(),
                            }
                        };
                        assert_eq!(kind, LoginKind::Online);
                        let client = SyncClient::from_store(&store).unwrap();
                        // The first sync registers the key and brings the registries.
                        client.sync(&mut store).unwrap();
                        let (ps, ss) = week(site, user, crew, i as u64);
                        store
                            .write(|w| {
                                for p in &ps {
                                    w.add_production(p)?;
                                }
                                ss.iter().try_for_each(|s| w.add_stone(s))
                            })
                            .unwrap();
                        let ready = Instant::now();
                        pushing.wait();
                        let begin = Instant::now();
                        let r = client.sync(&mut store).unwrap();
                        let end = Instant::now();
                        assert_eq!(r.rejected, 0, "{r:?}");
                        (end - begin, ready, begin, r.pushed, busy)
                    })
                    .unwrap()
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let set_up = results.iter().map(|r| r.1).max().unwrap() - t0;
    let first = results.iter().map(|r| r.2).min().unwrap();
    let last = results.iter().map(|r| r.2 + r.0).max().unwrap();
    let records: usize = results.iter().map(|r| r.3).sum();
    let mut lat: Vec<Duration> = results.iter().map(|r| r.0).collect();
    lat.sort();
    let wall = (last - first).as_secs_f64();
    let busy: u64 = results.iter().map(|r| r.4).sum();
    println!(
        "  N={n:>4}: enrol + login + first sync of all {:.1} s ({busy} logins answered busy and tried again); pushed {records} records in {wall:.2} s = {:.0} records/s; one device's sync of its week p50 {:.0} ms, p95 {:.0} ms, p99 {:.0} ms; load average {}",
        set_up.as_secs_f64(),
        records as f64 / wall,
        percentile(&lat, 0.50),
        percentile(&lat, 0.95),
        percentile(&lat, 0.99),
        load_average()
    );
    assert_eq!(
        records,
        n * DAYS as usize * (1 + STONES_PER_DAY),
        "every record pushed exactly once"
    );
}
