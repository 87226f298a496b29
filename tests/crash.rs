//! Crash harness: a child process writes production entries with their stones through the real
//! `Store`, one transaction per entry, and prints each entry's id after the commit returns; the
//! parent kills it with SIGKILL at random moments, again and again, on the same database file.
//! After every kill the file must be intact, every entry the child reported committed must be
//! there with all its stones, nothing may be half-written, and the outbox must agree with the
//! data (one row per record, and the pending counter equal to the unsent rows).
//!
//! The child is this test binary re-invoked on the ignored test `crash_child` with
//! `ALLUVIUM_CRASH_DB` set: no extra program to build, and the same library code.
//!
//! `ALLUVIUM_CRASH_RUNS` sets the number of kills (default 200, about 30 s; a fresh database
//! file every 200 kills keeps each check short); the long mode is
//! e.g. `ALLUVIUM_CRASH_RUNS=2000 cargo test --no-default-features --release --test crash`.

use alluvium::domain::*;
use alluvium::store::Store;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use test_kit::fixtures::{digger, licence, site, today};

const DB_VAR: &str = "ALLUVIUM_CRASH_DB";

/// One digger, a licence standing today and an active site: what production entries need.
fn registries(store: &mut Store) -> Site {
    let dg = digger("SL-KONO", "SL-CRASH-1", "Fatmata Kamara");
    let li = licence("SL-KONO", "KONO/AM/CRASH", &dg);
    let si = site(&li, "Pit C");
    store
        .write(|w| {
            w.ensure_known_region("SL-KONO")?;
            w.put_digger(&dg)?;
            w.put_licence(&li)?;
            w.put_site(&si)
        })
        .unwrap();
    si
}

/// The child: writes entries until killed. Each entry's note says how many stones it has, so
/// the parent can tell a whole entry from a half-written one.
#[test]
#[ignore = "the crash harness's child process; run by `killed_writers_lose_nothing`"]
fn crash_child() {
    let Some(db) = std::env::var_os(DB_VAR) else {
        return;
    };
    let mut store = Store::open(Path::new(&db)).unwrap();
    let site_id: SiteId = store
        .setting("crash_site")
        .unwrap()
        .expect("the parent stores the site id")
        .parse()
        .unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::from_os_rng();
    for i in 0u64.. {
        let k = rng.random_range(1..=6);
        let p = ProductionEntry {
            seal: String::new(),
            id: ProductionId::new(),
            site_id,
            day: today(),
            officer: "field_a".into(),
            fix: None,
            crew_size: 12,
            digger_ids: Vec::new(),
            gravel: Litres(8_000),
            notes: format!("stones={k}"),
            replaces: None,
        };
        store
            .write(|w| {
                w.add_production(&p)?;
                (0..k).try_for_each(|j| {
                    w.add_stone(&Stone {
                        id: StoneId::new(),
                        production_id: p.id,
                        weight: Centicarats(10 + j),
                        class: StoneClass::Gem,
                        colour: "white".into(),
                        count: 1,
                        sieve: None,
                    })
                })
            })
            .unwrap();
        println!("committed {} {k}", p.id);
        // Now and then acknowledge the outbox as a push answer would, so kills also land in
        // the middle of marking changes sent (and the pending counter's triggers).
        if i % 7 == 6 {
            let ids: Vec<String> = store
                .unsent_changes(50)
                .unwrap()
                .into_iter()
                .map(|c| c.change_id)
                .collect();
            store.mark_sent(&ids).unwrap();
        }
    }
}

/// Kills per database file (the default run uses one file).
const RUNS_PER_FILE: usize = 200;

fn runs() -> usize {
    std::env::var("ALLUVIUM_CRASH_RUNS")
        .ok()
        .map(|s| s.parse().expect("ALLUVIUM_CRASH_RUNS is a number"))
        .unwrap_or(200)
}

/// Checks the database after a kill; returns the number of entries in it.
fn check(db: &Path, reported: &HashMap<String, i64>, run: usize) -> i64 {
    // The real open path first: migrations and settings must survive the kill.
    let store = Store::open(db).unwrap_or_else(|e| panic!("run {run}: cannot reopen: {e}"));
    assert_eq!(store.integrity_check().unwrap(), "ok", "run {run}");
    drop(store);
    let conn = rusqlite::Connection::open(db).unwrap();
    let one = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };

    // Every entry reported committed is there with all its stones.
    let mut stones_of = conn
        .prepare("SELECT count(*) FROM stones WHERE production_id = ?1")
        .unwrap();
    for (id, k) in reported {
        let n: i64 = stones_of.query_row([id], |r| r.get(0)).unwrap();
        assert_eq!(n, *k, "run {run}: entry {id} reported with {k} stones");
    }
    // Nothing half-written: every entry has exactly the stones its note announces, and no
    // stone lacks its entry.
    assert_eq!(
        one("SELECT count(*) FROM production p
             WHERE p.notes <> 'stones=' || (SELECT count(*) FROM stones s WHERE s.production_id = p.id)"),
        0,
        "run {run}: an entry with missing stones"
    );
    assert_eq!(
        one("SELECT count(*) FROM stones WHERE production_id NOT IN (SELECT id FROM production)"),
        0,
        "run {run}: a stone without its entry"
    );
    // The outbox agrees with the data: one change per record, no change without its record.
    for (entity, table) in [("production", "production"), ("stone", "stones")] {
        assert_eq!(
            one(&format!(
                "SELECT count(*) FROM {table} t
                 WHERE (SELECT count(*) FROM outbox o WHERE o.entity = '{entity}' AND o.record_id = t.id) <> 1"
            )),
            0,
            "run {run}: a {entity} without exactly one outbox row"
        );
        assert_eq!(
            one(&format!(
                "SELECT count(*) FROM outbox WHERE entity = '{entity}'
                 AND record_id NOT IN (SELECT id FROM {table})"
            )),
            0,
            "run {run}: an outbox row for a {entity} that is not there"
        );
    }
    assert_eq!(
        one("SELECT n FROM outbox_pending"),
        one("SELECT count(*) FROM outbox WHERE sent_at IS NULL"),
        "run {run}: the pending counter disagrees with the outbox"
    );
    one("SELECT count(*) FROM production")
}

#[test]
fn killed_writers_lose_nothing() {
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::from_os_rng();
    let started = Instant::now();
    let mut killed_mid_write = 0;
    let mut reported_total = 0;
    let n = runs();
    // Every kill is checked against the whole file, so a long run moves to a fresh file now and
    // then to keep each check short; each file sees RUNS_PER_FILE kills.
    let mut run = 0;
    while run < n {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("crash.db");
        {
            let mut store = Store::open(&db).unwrap();
            let site = registries(&mut store);
            store
                .set_setting("crash_site", &site.id.to_string())
                .unwrap();
        }
        let mut reported: HashMap<String, i64> = HashMap::new();
        let last = n.min(run + RUNS_PER_FILE);
        for run in run..last {
            let mut child = Command::new(&exe)
                .args(["crash_child", "--exact", "--ignored", "--nocapture"])
                .args(["--test-threads", "1"])
                .env(DB_VAR, &db)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            // Random moments: mostly while entries stream in, sometimes while the child is still
            // opening the store.
            std::thread::sleep(Duration::from_micros(rng.random_range(0..100_000)));
            child.kill().unwrap(); // SIGKILL on Unix
            let status = child.wait().unwrap();
            let mut before = 0;
            for line in BufReader::new(child.stdout.take().unwrap()).lines() {
                let line = line.unwrap();
                if let Some(rest) = line.strip_prefix("committed ") {
                    let (id, k) = rest.split_once(' ').unwrap();
                    reported.insert(id.to_string(), k.parse().unwrap());
                    before += 1;
                }
            }
            // A child that exited by itself (not by our signal) failed: that is a bug, not a crash.
            assert!(
                !status.success() && status.code().is_none(),
                "run {run}: the child ended on its own: {status:?}"
            );
            if before > 0 {
                killed_mid_write += 1;
            }
            let stored = check(&db, &reported, run);
            assert!(stored >= reported.len() as i64, "run {run}");
        }
        reported_total += reported.len();
        run = last;
    }
    eprintln!(
        "{n} kills ({killed_mid_write} after at least one commit), {reported_total} entries reported, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // The harness must actually have killed writers mid-stream, or it proved nothing.
    assert!(
        n < 10 || killed_mid_write >= n / 4,
        "only {killed_mid_write} of {n} kills came after a commit"
    );
    assert!(n == 0 || reported_total > 0);
}
