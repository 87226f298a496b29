//! Sync benchmark: pushes 10k and 100k records (production entries + stones) from a device to
//! the real server binary over loopback HTTP, through a counting TCP proxy, and reports
//! records/s and bytes on the wire per record (both directions, HTTP headers included). Then
//! compares the server's ingest of the same batch (in process, validation included) with a
//! raw SQLite insert of the same rows in one transaction.
//!
//! Run: `cargo bench -p alluvium-sync --bench sync`
//!
//! To profile the server's ingest alone: `mkfifo /tmp/ctl; PERF_CTL=/tmp/ctl perf record -D -1
//! --control fifo:/tmp/ctl <bench binary> --bench ingest` (the bench turns recording on for
//! the pushes only).

#[path = "../tests/common/mod.rs"]
mod common;

use alluvium::domain::*;
use alluvium::sync::canonical;
use alluvium::sync::wire::{Change, Op};
use alluvium_sync::db::{ServerStore, Session, SqliteStore};
use common::*;
use serde::Deserialize;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// The server's allocator (see `main.rs`): the ingest is measured as the server runs it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn records(
    si: &Site,
    diggers: &[Digger],
    n: usize,
    seed: u64,
) -> (Vec<ProductionEntry>, Vec<Stone>) {
    // Three stones per entry on average (0–6), weights spread like alluvial finds.
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let (mut ps, mut ss) = (Vec::new(), Vec::new());
    let mut day = 0u64;
    while ps.len() + ss.len() < n {
        day += 1;
        let mut p = production(
            si,
            "field_a",
            &[
                &diggers[(day % 10) as usize],
                &diggers[((day + 3) % 10) as usize],
            ],
        );
        p.day = today() - chrono::Days::new(day % 300);
        p.crew_size = 10 + (next() % 15) as u32;
        p.gravel = Litres(((next() % 40) * 500) as i64);
        p.fix = Some(PositionFix {
            lat: 8.642 + (next() % 1000) as f64 * 1e-6,
            lon: -10.968 + (next() % 1000) as f64 * 1e-6,
            accuracy_m: 3.0 + (next() % 10) as f64,
            source: FixSource::Nmea,
            time: None,
        });
        let k = (next() % 7) as usize;
        for _ in 0..k {
            if ps.len() + ss.len() + 1 >= n {
                break;
            }
            let mut s = stone(&p, 5 + (next() % 300) as i64);
            s.class = [StoneClass::Gem, StoneClass::NearGem, StoneClass::Industrial]
                [(next() % 3) as usize];
            s.colour = ["white", "yellow", "brown"][(next() % 3) as usize].into();
            ss.push(s);
        }
        ps.push(p);
    }
    (ps, ss)
}

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let want = |part: &str| only.is_empty() || only.iter().any(|o| o == part);
    let diggers: Vec<Digger> = (0..10)
        .map(|i| digger("SL-KONO", &format!("B-{i}"), "Bench Digger"))
        .collect();
    let li = licence("SL-KONO", "BENCH/1", &diggers[0]);
    let si = site(&li, "Bench pit");
    if want("wire") {
        wire(&diggers, &li, &si);
    }
    if want("wire-demo") {
        wire_demo();
    }
    if want("ingest") {
        println!(
            "server ingest vs raw SQLite insert (same rows, one transaction; median of {RUNS} runs)"
        );
        // One run not counted: the process's first push pays once for what a running server
        // has long paid (the allocator's first pages, lazily built tables, code paged in).
        ingest_vs_raw(10_000, &diggers, &li, &si);
        for n in [10_000usize, 100_000] {
            let runs: Vec<Figures> = (0..RUNS)
                .map(|_| ingest_vs_raw(n, &diggers, &li, &si))
                .collect();
            let med = |f: fn(&Figures) -> f64| median(runs.iter().map(f).collect());
            // Each run's ingest against the raw insert made right after it, on the same disk
            // in the same minute: the machine's drift between runs cancels out.
            let ratio = med(|f| f.ingest / f.raw);
            let (ingest, raw) = (med(|f| f.ingest), med(|f| f.raw));
            let (decode, rows) = (med(|f| f.decode), med(|f| f.rows));
            println!(
                "  {n:>7} records: server ingest {ingest:.3} s ({:.0}/s), raw insert {raw:.3} s ({:.0}/s), ratio {ratio:.1}x (each run's own; {:.1}x of the medians)",
                n as f64 / ingest,
                n as f64 / raw,
                ingest / raw
            );
            println!(
                "           beside it: decode + validate alone {decode:.3} s ({:.1} µs/record, on the checking thread during a push); the server's own rows written raw, without checks {rows:.3} s ({:.1}x raw)",
                decode * 1e6 / n as f64,
                rows / raw,
            );
            // The spread says how much a run can be worth on this machine.
            let each: Vec<String> = runs
                .iter()
                .map(|f| format!("{:.1}", f.ingest / f.raw))
                .collect();
            println!("           each run's ratio: {}", each.join(" "));
        }
    }
}

const RUNS: usize = 7;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Pushes 10k and 100k records from a field device to the real server through a counting proxy.
fn wire(diggers: &[Digger], li: &Licence, si: &Site) {
    let server = TestServer::start();
    server.seed();
    // Registries first (from a licensing device), then the field device through the proxy.
    let mut lic = server.device("SL-KONO", "lic_a");
    lic.store
        .write(|w| {
            diggers.iter().try_for_each(|d| w.put_digger(d))?;
            w.put_licence(li)?;
            w.put_site(si)
        })
        .unwrap();
    lic.sync();
    let proxy = Proxy::start(&server.url);
    let mut field = server.device_at(&proxy.url(), "SL-KONO", "field_a", None);

    println!(
        "push over loopback HTTP (zstd level {}, batches of 2000)",
        alluvium::sync::codec::LEVEL
    );
    for n in [10_000usize, 100_000] {
        let (ps, ss) = records(si, diggers, n, n as u64);
        field
            .store
            .write(|w| {
                w.set_today(today() + chrono::Days::new(1));
                let mut it = ss.iter().peekable();
                for p in &ps {
                    w.add_production(p)?;
                    while let Some(s) = it.next_if(|s| s.production_id == p.id) {
                        w.add_stone(s)?;
                    }
                }
                Ok(())
            })
            .unwrap();
        let s = counted_sync(&proxy, &mut field, n);
        println!(
            "  {n:>7} records ({} production, {} stones): {:>6.2} s, {:>8.0} records/s, {}",
            ps.len(),
            ss.len(),
            s.secs,
            n as f64 / s.secs,
            s.per_record(n)
        );
    }
}

/// The measure of the wire: a year of one region's demo data (`alluvium demo-data
/// --seed 21 --regions SL-KONO --days 365`), its registries written on a licensing device and
/// synced first, then its production entries and stones pushed by a field officer through the
/// counting proxy; bytes of that one sync (both directions, headers included) per record.
fn wire_demo() {
    let opts = alluvium::demo::DemoOptions {
        seed: 21,
        regions: vec!["SL-KONO".into()],
        days: 365,
        ..Default::default()
    };
    let data = alluvium::demo::generate(&opts).unwrap();
    let server = TestServer::start();
    server.seed();
    let mut lic = server.device("SL-KONO", "lic_a");
    lic.store
        .write(|w| {
            w.set_today(opts.end);
            data.diggers.iter().try_for_each(|d| w.put_digger(d))?;
            data.licences.iter().try_for_each(|l| w.put_licence(l))?;
            data.licence_events
                .iter()
                .try_for_each(|e| w.add_licence_event(e))?;
            data.supporters
                .iter()
                .try_for_each(|s| w.put_supporter(s))?;
            data.sites.iter().try_for_each(|s| w.put_site(s))?;
            data.crews.iter().try_for_each(|c| w.put_crew(c))
        })
        .unwrap();
    let r = lic.sync();
    assert_eq!(r.rejected, 0, "{r:?}");
    let proxy = Proxy::start(&server.url);
    // Enrolled and synced once through the proxy: the registries are on the device before
    // the counted sync.
    let mut field = server.device_at(&proxy.url(), "SL-KONO", "field_a", None);
    field
        .store
        .write(|w| {
            w.set_today(opts.end);
            for (entry, stones) in &data.production {
                w.add_production(entry)?;
                stones.iter().try_for_each(|s| w.add_stone(s))?;
            }
            Ok(())
        })
        .unwrap();
    let n: usize = data.production.iter().map(|(_, s)| 1 + s.len()).sum();
    let s = counted_sync(&proxy, &mut field, n);
    println!(
        "demo data (seed 21, SL-KONO, 365 days), pushed by a field officer: {n} records ({} production, {} stones) in {:.2} s: {}",
        data.production.len(),
        n - data.production.len(),
        s.secs,
        s.per_record(n)
    );
}

/// One sync through the counting proxy: how long it took and the bytes each way.
struct CountedSync {
    secs: f64,
    up: u64,
    down: u64,
}

impl CountedSync {
    /// Bytes per record on the wire, both ways and each way.
    fn per_record(&self, n: usize) -> String {
        let per = |b: u64| b as f64 / n as f64;
        format!(
            "{:.1} B/record on the wire ({:.1} up + {:.1} down)",
            per(self.up + self.down),
            per(self.up),
            per(self.down)
        )
    }
}

/// Syncs `field` through `proxy`, which must push exactly `n` records, none refused.
fn counted_sync(proxy: &Proxy, field: &mut Device, n: usize) -> CountedSync {
    let (up0, down0) = (
        proxy.up.load(Ordering::SeqCst),
        proxy.down.load(Ordering::SeqCst),
    );
    let t = Instant::now();
    let r = field.sync();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!((r.pushed, r.rejected), (n, 0), "{r:?}");
    CountedSync {
        secs,
        up: proxy.up.load(Ordering::SeqCst) - up0,
        down: proxy.down.load(Ordering::SeqCst) - down0,
    }
}

/// Seconds taken by one size of the ingest comparison.
struct Figures {
    /// The server's push of the batch (checks, log and record index).
    ingest: f64,
    /// A raw insert of the same records into device-style tables.
    raw: f64,
    /// Decoding and validating the payloads alone.
    decode: f64,
    /// A raw insert of the server's own rows (log + record index), no checks.
    rows: f64,
}

/// The server's ingest of `n` records (in process, validation included) and a raw SQLite insert
/// of the same rows in one transaction, in seconds.
fn ingest_vs_raw(n: usize, diggers: &[Digger], li: &Licence, si: &Site) -> Figures {
    {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("ingest.db")).unwrap();
        store.add_region("SL-KONO", "Kono", "SL").unwrap();
        let hash = alluvium_sync::auth::hash_password("bench-password").unwrap();
        let officer = store
            .add_officer(&alluvium_sync::db::NewOfficer {
                username: "admin".into(),
                full_name: "Admin".into(),
                role: Role::Admin,
                regions: vec!["SL-KONO".into()],
                password_hash: hash,
            })
            .unwrap();
        let device = uuid::Uuid::now_v7();
        let code = store.make_enrol_code("SL-KONO", 600).unwrap();
        // The device signs its changes, as every device does: the ingest includes checking
        // each signature and its place in the chain.
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        store
            .enrol(&code, device, Some(&key.verifying_key()))
            .unwrap();
        let session = Session {
            device: alluvium_sync::db::Device {
                id: device,
                region: "SL-KONO".into(),
                public_key: Some(key.verifying_key()),
            },
            officer: officer.clone(),
        };
        let mut hlc = HlcClock::default();
        let mut chain = (0u64, canonical::GENESIS);
        let mut change = |entity: &str, id: String, op: Op, payload: serde_json::Value| {
            let mut c = Change {
                change_id: uuid::Uuid::now_v7(),
                entity: entity.parse().unwrap(),
                record_id: id,
                region: None,
                hlc: hlc.tick(chrono::Utc::now().timestamp_millis() as u64),
                base_hlc: Hlc::default(),
                origin: device,
                author: Some(officer.id.0),
                op,
                payload,
                form: canonical::Form::V2,
                chain_seq: None,
                prev: None,
                sig: None,
            };
            let n = chain.0 + 1;
            let (sig, link) = canonical::Signed::of_change(&c, n, &chain.1).sign(&key);
            c.prev = Some(canonical::encode_b64(&chain.1));
            c.chain_seq = Some(n);
            c.sig = Some(canonical::encode_b64(&sig.to_bytes()));
            chain = (n, link);
            c
        };
        let mut reg: Vec<Change> = Vec::new();
        for d in diggers {
            reg.push(change(
                "digger",
                d.id.to_string(),
                Op::Upsert,
                serde_json::to_value(d).unwrap(),
            ));
        }
        reg.push(change(
            "licence",
            li.id.to_string(),
            Op::Upsert,
            serde_json::to_value(li).unwrap(),
        ));
        reg.push(change(
            "site",
            si.id.to_string(),
            Op::Upsert,
            serde_json::to_value(si).unwrap(),
        ));
        // As the client sends them: `prev` and `chain_seq` only on the first change of a
        // push, `sig` only on its last (one scope class here) and at checkpoints.
        let trim = |changes: &mut [Change]| {
            let last = changes.len() - 1;
            for (i, c) in changes.iter_mut().enumerate() {
                if i != last
                    && !c
                        .chain_seq
                        .is_some_and(|n| n.is_multiple_of(alluvium::sync::form::CHECKPOINT))
                {
                    c.sig = None;
                }
                if i > 0 {
                    c.prev = None;
                    c.chain_seq = None;
                }
            }
        };
        trim(&mut reg);
        store.push(&session, &reg).unwrap();
        let (ps, ss) = records(si, diggers, n, n as u64 + 7);
        let mut batch = Vec::with_capacity(n);
        let mut it = ss.iter().peekable();
        for p in &ps {
            batch.push(change(
                "production",
                p.id.to_string(),
                Op::Insert,
                serde_json::to_value(p).unwrap(),
            ));
            while let Some(s) = it.next_if(|s| s.production_id == p.id) {
                batch.push(change(
                    "stone",
                    s.id.to_string(),
                    Op::Insert,
                    serde_json::to_value(s).unwrap(),
                ));
            }
        }
        batch.chunks_mut(2000).for_each(trim);
        // `perf`'s control FIFO, when profiling (see the top of this file).
        let perf = std::env::var("PERF_CTL").ok();
        let ctl = |w: &str| {
            if let Some(f) = &perf {
                std::fs::write(f, format!("{w}\n")).unwrap();
            }
        };
        ctl("enable");
        let t = Instant::now();
        for chunk in batch.chunks(2000) {
            let res = store.push(&session, chunk).unwrap();
            assert!(
                res.iter()
                    .all(|r| r.verdict == alluvium::sync::wire::Verdict::Accepted)
            );
        }
        let ingest = t.elapsed().as_secs_f64();
        ctl("disable");

        // What the ingest is made of: decoding and validating the payloads alone, and writing
        // the server's own rows (change log + record index) raw, without any check.
        let today = chrono::Utc::now().date_naive();
        let t = Instant::now();
        for c in &batch {
            if c.entity == alluvium::domain::RecordKind::Production {
                let p = ProductionEntry::deserialize(&c.payload).unwrap();
                p.validate(today).unwrap();
            } else {
                let s = Stone::deserialize(&c.payload).unwrap();
                s.validate().unwrap();
            }
        }
        let decode = t.elapsed().as_secs_f64();
        let rows_path = dir.path().join("rows.db");
        drop(SqliteStore::open(&rows_path).unwrap());
        let rows_db = rusqlite::Connection::open(&rows_path).unwrap();
        rows_db
            .pragma_update(None, "synchronous", "NORMAL")
            .unwrap();
        let t = Instant::now();
        let tx = rows_db.unchecked_transaction().unwrap();
        {
            // Insert-only records: their row in the log is their only row (schema version 5),
            // with its place in the device's chain.
            let mut log = tx
                .prepare(
                    "INSERT INTO changes(change_id, entity, record_id, region, hlc, base_hlc, origin, author, op, payload,
                                         chain_seq, prev, link, form, parent)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 2, ?14)",
                )
                .unwrap();
            let mut link = [0u8; 32];
            for (i, c) in batch.iter().enumerate() {
                let parent = match c.payload.get("production_id") {
                    Some(p) => p.as_str().unwrap().to_string(),
                    None => si.id.to_string(),
                };
                let prev = link;
                link[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
                log.execute(rusqlite::params![
                    c.change_id.to_string(),
                    c.entity.as_str(),
                    c.record_id,
                    "SL-KONO",
                    c.hlc.as_i64(),
                    c.base_hlc.as_i64(),
                    c.origin.to_string(),
                    c.author.map(|a| a.to_string()),
                    "insert",
                    serde_json::to_string(&c.payload).unwrap(),
                    i as i64 + 1,
                    &prev[..],
                    &link[..],
                    parent
                ])
                .unwrap();
            }
        }
        tx.commit().unwrap();
        let rows = t.elapsed().as_secs_f64();

        let raw_db = rusqlite::Connection::open(dir.path().join("raw.db")).unwrap();
        raw_db.pragma_update(None, "journal_mode", "WAL").unwrap();
        raw_db.pragma_update(None, "synchronous", "NORMAL").unwrap();
        raw_db
            .execute_batch(
                "CREATE TABLE production (id TEXT PRIMARY KEY, site_id TEXT NOT NULL, day TEXT NOT NULL,
                   officer TEXT NOT NULL, lat REAL, lon REAL, accuracy_m REAL, crew_size INTEGER NOT NULL,
                   gravel_litres INTEGER NOT NULL, notes TEXT NOT NULL, hlc INTEGER NOT NULL, origin TEXT NOT NULL) STRICT;
                 CREATE TABLE production_diggers (production_id TEXT NOT NULL, digger_id TEXT NOT NULL,
                   PRIMARY KEY (production_id, digger_id)) STRICT, WITHOUT ROWID;
                 CREATE TABLE stones (id TEXT PRIMARY KEY, production_id TEXT NOT NULL, centicarats INTEGER NOT NULL,
                   class TEXT NOT NULL, colour TEXT NOT NULL, hlc INTEGER NOT NULL, origin TEXT NOT NULL) STRICT;",
            )
            .unwrap();
        let t = Instant::now();
        let tx = raw_db.unchecked_transaction().unwrap();
        {
            let mut ip = tx
                .prepare("INSERT INTO production VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)")
                .unwrap();
            let mut id = tx
                .prepare("INSERT INTO production_diggers VALUES (?1,?2)")
                .unwrap();
            let mut is = tx
                .prepare("INSERT INTO stones VALUES (?1,?2,?3,?4,?5,?6,?7)")
                .unwrap();
            let origin = device.to_string();
            for (i, p) in ps.iter().enumerate() {
                let f = p.fix.unwrap();
                ip.execute(rusqlite::params![
                    p.id.to_string(),
                    p.site_id.to_string(),
                    p.day.to_string(),
                    p.officer,
                    f.lat,
                    f.lon,
                    f.accuracy_m,
                    p.crew_size,
                    p.gravel.0,
                    p.notes,
                    i as i64,
                    origin
                ])
                .unwrap();
                for d in &p.digger_ids {
                    id.execute(rusqlite::params![p.id.to_string(), d.to_string()])
                        .unwrap();
                }
            }
            for (i, s) in ss.iter().enumerate() {
                is.execute(rusqlite::params![
                    s.id.to_string(),
                    s.production_id.to_string(),
                    s.weight.0,
                    s.class.as_str(),
                    s.colour,
                    i as i64,
                    origin
                ])
                .unwrap();
            }
        }
        tx.commit().unwrap();
        let raw = t.elapsed().as_secs_f64();
        Figures {
            ingest,
            raw,
            decode,
            rows,
        }
    }
}
