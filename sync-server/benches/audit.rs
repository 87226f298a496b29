//! `audit verify` on a national-size server database: builds a server file holding 1 M signed
//! changes (stones and production entries from 100 devices, each a valid chain), then times
//! `admin audit verify`'s walk over it, and checks that one altered change is found.
//!
//! Run: `cargo bench -p alluvium-sync --bench audit` (`AUDIT_CHANGES=N` for another size;
//! `AUDIT_DB=PATH` keeps the file, and reuses it when it exists).

use alluvium::domain::{Hlc, RecordKind};
use alluvium::sync::canonical::{Form, GENESIS, Signed};
use alluvium::sync::form::CHECKPOINT;
use alluvium::sync::wire::Op;
use alluvium_sync::db::{ServerStore, SqliteStore};
use ed25519_dalek::SigningKey;
use std::path::PathBuf;
use std::time::Instant;
use uuid::Uuid;

const DEVICES: usize = 100;

fn main() {
    let n: usize = std::env::var("AUDIT_CHANGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let path = std::env::var("AUDIT_DB")
        .map(PathBuf::from)
        .unwrap_or_else(|_| dir.path().join("audit.db"));
    if !path.exists() {
        let t = Instant::now();
        build(&path, n);
        println!(
            "built a server database of {n} signed changes from {DEVICES} devices in {:.1} s ({} MB)",
            t.elapsed().as_secs_f64(),
            std::fs::metadata(&path).unwrap().len() / 1_000_000
        );
    }
    let store = SqliteStore::open(&path).unwrap();
    let t = Instant::now();
    let report = store.audit().unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert!(report.problems.is_empty(), "{:?}", &report.problems[..1]);
    println!(
        "audit verify: {} changes of {} devices in {secs:.1} s ({:.0} changes/s, {} threads)",
        report.changes,
        report.devices,
        report.changes as f64 / secs,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    // One payload altered in the file: named, and the unsigned changes before it back to the
    // previous signature (fewer than a checkpoint interval) reported as unproven.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE changes SET payload = replace(payload, '\"weight\":', '\"weight\":1') WHERE seq = 500",
        [],
    )
    .unwrap();
    let report = store.audit().unwrap();
    let altered: Vec<_> = report
        .problems
        .iter()
        .filter(|p| p.problem.starts_with("altered"))
        .collect();
    assert_eq!(altered.len(), 1, "{:?}", report.problems);
    assert!(
        report.problems.len() <= CHECKPOINT as usize
            && report
                .problems
                .iter()
                .all(|p| p.problem.starts_with("altered") || p.problem.starts_with("unproven")),
        "{:?}",
        report.problems
    );
    println!(
        "one altered payload found: {} ({} unsigned changes before it unproven)",
        altered[0].problem,
        report.problems.len() - 1
    );
}

/// Writes `n` signed changes straight into a server file, as accepted pushes leave them.
fn build(path: &std::path::Path, n: usize) {
    drop(SqliteStore::open(path).unwrap());
    let mut conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "synchronous", "OFF").unwrap();
    let tx = conn.transaction().unwrap();
    let author = Uuid::now_v7();
    let site = Uuid::now_v7();
    let devices: Vec<(Uuid, SigningKey)> = (0..DEVICES)
        .map(|i| {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
            (Uuid::now_v7(), SigningKey::from_bytes(&seed))
        })
        .collect();
    for (i, (id, key)) in devices.iter().enumerate() {
        tx.execute(
            "INSERT INTO devices(id, token_hash, region, enrolled_at, public_key, key_registered_at)
             VALUES (?1, ?2, 'SL-KONO', 0, ?3, 0)",
            rusqlite::params![
                id.to_string(),
                format!("bench-{i}"),
                key.verifying_key().to_bytes().to_vec()
            ],
        )
        .unwrap();
    }
    let mut tips = vec![(0u64, GENESIS); DEVICES];
    let mut entry = Uuid::now_v7();
    {
        let mut ins = tx
            .prepare(
                "INSERT INTO changes(change_id, entity, record_id, region, hlc, base_hlc, origin, author, op,
                                     payload, chain_seq, prev, sig, link, form)
                 VALUES (?1, ?2, ?3, 'SL-KONO', ?4, 0, ?5, ?6, 'insert', ?7, ?8, ?9, ?10, ?11, 2)",
            )
            .unwrap();
        for i in 0..n {
            let d = i % DEVICES;
            let (device, key) = &devices[d];
            let id = Uuid::now_v7();
            let (entity, payload) = if i % 4 == 0 {
                entry = Uuid::now_v7();
                (
                    RecordKind::Production,
                    serde_json::json!({
                        "id": entry, "site_id": site, "day": "2026-03-14", "officer": author,
                        "fix": {"lat": 8.642113, "lon": -10.968021, "accuracy_m": 4.0, "source": "nmea"},
                        "digger_ids": [Uuid::now_v7(), Uuid::now_v7()], "crew_size": 14,
                        "gravel": 12500, "notes": ""
                    }),
                )
            } else {
                (
                    RecordKind::Stone,
                    serde_json::json!({
                        "id": id, "production_id": entry, "weight": 5 + (i % 300),
                        "class": "near_gem", "colour": "white", "count": 1
                    }),
                )
            };
            let (n_prev, prev) = tips[d];
            let hlc = Hlc::new(1_780_000_000_000 + i as u64, 0);
            let signed = Signed {
                form: Form::V2,
                change_id: id,
                origin: *device,
                chain_seq: n_prev + 1,
                entity,
                record_id: &id.to_string(),
                op: Op::Insert,
                hlc,
                base_hlc: Hlc(0),
                author: Some(author),
                payload: &payload,
                prev: &prev,
            };
            let (sig, link) = signed.sign(key);
            ins.execute(rusqlite::params![
                id.to_string(),
                entity.as_str(),
                id.to_string(),
                hlc.as_i64(),
                device.to_string(),
                author.to_string(),
                payload.to_string(),
                (n_prev + 1) as i64,
                prev.to_vec(),
                // Form 2 as pushed: a signature at each checkpoint (and where a push ended,
                // which is rarer), none on the changes its run vouches for.
                ((n_prev + 1).is_multiple_of(CHECKPOINT) || i + DEVICES >= n)
                    .then(|| sig.to_bytes().to_vec()),
                link.to_vec(),
            ])
            .unwrap();
            tips[d] = (n_prev + 1, link);
        }
    }
    tx.commit().unwrap();
}
