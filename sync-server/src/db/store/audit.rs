//! `admin audit verify`, the device list and the device keys: every device's chain of signed
//! changes walked in the server database, checking each stored change against the signature
//! its device made, and the links between them (see `alluvium::sync::chain`).
//!
//! Speed: the walk streams each chain in position order from its index, 4 096 changes at a
//! time: their canonical bytes and links are built on every core, and one signature per run of
//! linked changes is checked (a change altered in the database breaks the run, so it is checked
//! on its own and named); memory stays flat however long the chain. Form-2 changes stored
//! without a signature are vouched for by the signature that ends their run, so the unsigned
//! changes at the end of a batch wait for the next batch. A form-2 change altered in the
//! database is named `altered` (its content no longer makes the link its successor carries),
//! and the unsigned changes before it, back to the previous signature (at most
//! `sync::form::CHECKPOINT`), `unproven`: nothing proves them any more. A chain's tail removed from the server shows once the device pushes its next change
//! (the gap); until then only the device's own `audit verify` can tell.

use super::accounts::stored_key;
use crate::db::sql::{Sql, vals};
use crate::db::{AuditProblem, AuditReport, DbError, DeviceInfo, Session};
use alluvium::domain::{Hlc, RecordKind};
use alluvium::sync::canonical::{Form, Link, Signed};
use alluvium::sync::chain::{self, Candidate, ChainWalk, Standing, candidate_standings};
use alluvium::sync::scope;
use alluvium::sync::wire::{DeviceKey, Op};
use ed25519_dalek::{Signature, VerifyingKey};
use uuid::Uuid;

/// Changes whose signatures are checked together.
const CHUNK: usize = 4_096;

/// One stored change of a chain, as read.
struct Row {
    change_id: String,
    chain_seq: i64,
    entity: String,
    record_id: String,
    hlc: i64,
    base_hlc: i64,
    author: Option<String>,
    payload: String,
    prev: Option<Vec<u8>>,
    sig: Option<Vec<u8>>,
    form: i64,
}

/// The columns every table of the chain shares, in [`Row`]'s order.
const ROW_COLS: &str =
    "change_id, chain_seq, entity, record_id, hlc, base_hlc, author, payload, prev, sig, form";

/// Walks every chain; see the module documentation.
pub(super) fn audit(conn: &dyn Sql) -> Result<AuditReport, DbError> {
    let devices: Vec<(String, Option<Vec<u8>>)> = conn.all(
        "SELECT id, public_key FROM devices ORDER BY id",
        vals![],
        |r| Ok((r.text_(0)?, r.blob(1)?)),
    )?;
    let mut report = AuditReport::default();
    for (id, key) in &devices {
        let device: Uuid = id
            .parse()
            .map_err(|_| DbError::Invalid(format!("corrupt device id {id}")))?;
        let problem = |change_id: String, problem: String| AuditProblem {
            device,
            change_id,
            problem,
        };
        let Some(key) = stored_key(key.clone())? else {
            // A device without a key signs nothing: any signed change under its name was put
            // there by someone else.
            let ids = conn.all(
                "SELECT change_id FROM changes WHERE origin = ?1 AND chain_seq IS NOT NULL",
                vals![id],
                |r| r.text_(0),
            )?;
            for change_id in ids {
                report.problems.push(problem(
                    change_id,
                    "inserted: a signed change from a device that has no key".into(),
                ));
            }
            continue;
        };
        report.devices += 1;
        walk_device(conn, device, id, &key, &mut report)?;
        // Unsigned changes logged after the device's first signed one: the server takes none
        // once a device has a key, so these were written into the database directly.
        let ids = conn.all(
            "SELECT change_id FROM changes WHERE origin = ?1 AND chain_seq IS NULL
               AND seq > (SELECT min(seq) FROM changes WHERE origin = ?1 AND chain_seq IS NOT NULL)",
            vals![id],
            |r| r.text_(0),
        )?;
        for change_id in ids {
            report.problems.push(problem(
                change_id,
                "inserted: an unsigned change after the device began signing".into(),
            ));
        }
    }
    Ok(report)
}

/// Walks one device's chain in position order.
fn walk_device(
    conn: &dyn Sql,
    device: Uuid,
    id: &str,
    key: &VerifyingKey,
    report: &mut AuditReport,
) -> Result<(), DbError> {
    let sql = format!(
        "SELECT {ROW_COLS} FROM changes WHERE origin = ?1 AND chain_seq IS NOT NULL
         UNION ALL SELECT {ROW_COLS} FROM rejected WHERE origin = ?1 AND chain_seq IS NOT NULL
         UNION ALL SELECT {ROW_COLS} FROM acknowledged WHERE origin = ?1 AND chain_seq IS NOT NULL
         ORDER BY chain_seq"
    );
    let mut walk = ChainWalk::new();
    let mut chunk: Vec<Row> = Vec::with_capacity(CHUNK);
    let mut check = |chunk: &mut Vec<Row>, last: bool| {
        // The unsigned changes after the batch's last signature are vouched for by the
        // next batch: they wait for it (a batch without any signature goes as it is).
        let rest = match chunk.iter().rposition(|r| r.sig.is_some()) {
            Some(p) if !last => chunk.split_off(p + 1),
            _ => Vec::new(),
        };
        let standings = verify_all(device, key, chunk);
        for (row, standing) in chunk.drain(..).zip(standings) {
            report.changes += 1;
            let stored = chain::Stored {
                chain_seq: row.chain_seq as u64,
                prev: row.prev.and_then(|p| p.try_into().ok()).unwrap_or([0; 32]),
                standing,
            };
            if let Some(problem) = walk.step(&stored) {
                report.problems.push(AuditProblem {
                    device,
                    change_id: row.change_id,
                    problem,
                });
            }
        }
        *chunk = rest;
    };
    conn.each(&sql, vals![id], &mut |r| {
        chunk.push(Row {
            change_id: r.text_(0)?,
            chain_seq: r.int_(1)?,
            entity: r.text_(2)?,
            record_id: r.text_(3)?,
            hlc: r.int(4)?.unwrap_or(0),
            base_hlc: r.int(5)?.unwrap_or(0),
            author: r.text(6)?,
            payload: r.text_(7)?,
            prev: r.blob(8)?,
            sig: r.blob(9)?,
            form: r.int_(10)?,
        });
        if chunk.len() >= CHUNK {
            check(&mut chunk, false);
        }
        Ok(true)
    })?;
    if !chunk.is_empty() {
        check(&mut chunk, true);
    }
    Ok(())
}

/// What its device's signatures say of each row's stored content: one Ed25519 check per run
/// of linked rows (see `alluvium::sync::chain::vouched`); the canonical bytes and links are
/// built on every core.
fn verify_all(device: Uuid, key: &VerifyingKey, rows: &[Row]) -> Vec<Standing> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = rows.len().div_ceil(threads).max(1);
    let candidates: Vec<Option<Candidate>> = std::thread::scope(|scope| {
        let handles: Vec<_> = rows
            .chunks(per)
            .map(|part| {
                let h = scope.spawn(move || {
                    part.iter()
                        .map(|r| candidate(device, r))
                        .collect::<Vec<_>>()
                });
                (part.len(), h)
            })
            .collect();
        handles
            .into_iter()
            // Building bytes does not panic; a lost answer counts as an unverifiable row.
            .flat_map(|(len, h)| h.join().unwrap_or_else(|_| vec![None; len]))
            .collect()
    });
    candidate_standings(&candidates, key)
}

fn candidate(device: Uuid, r: &Row) -> Option<Candidate> {
    let entity: RecordKind = r.entity.parse().ok()?;
    let payload: serde_json::Value = serde_json::from_str(&r.payload).ok()?;
    let prev: Link = r.prev.clone()?.try_into().ok()?;
    let sig = match &r.sig {
        Some(s) => Some(Signature::from_bytes(&s.clone().try_into().ok()?)),
        None => None,
    };
    let form = Form::from_number(r.form)?;
    let author = match &r.author {
        Some(a) => Some(a.parse().ok()?),
        None => None,
    };
    Candidate::of(
        &Signed {
            form,
            change_id: r.change_id.parse().ok()?,
            origin: device,
            chain_seq: r.chain_seq as u64,
            entity,
            record_id: &r.record_id,
            op: Op::of(entity),
            hlc: Hlc::from_i64(r.hlc),
            base_hlc: Hlc::from_i64(r.base_hlc),
            author,
            payload: &payload,
            prev: &prev,
        },
        sig,
    )
}

/// Every enrolled device, with whether it signs and how many unsigned changes it has.
pub(super) fn devices(conn: &dyn Sql) -> Result<Vec<DeviceInfo>, DbError> {
    conn.all(
        "SELECT d.id, d.region, d.enrolled_at, d.revoked_at, d.public_key IS NOT NULL,
                (SELECT count(*) FROM changes c WHERE c.origin = d.id),
                (SELECT count(*) FROM changes c WHERE c.origin = d.id AND c.chain_seq IS NULL)
         FROM devices d ORDER BY d.region, d.enrolled_at, d.id",
        vals![],
        |r| {
            Ok(DeviceInfo {
                id: r.text_(0)?.parse().unwrap_or_default(),
                region: r.text_(1)?,
                enrolled_at: r.int_(2)?,
                revoked_at: r.int(3)?,
                signed: r.int_(4)? != 0,
                changes: r.int_(5)?,
                unsigned_changes: r.int_(6)?,
            })
        },
    )
}

/// The keys of the devices of the session's regions (every region for an admin).
pub(super) fn device_keys(conn: &dyn Sql, s: &Session) -> Result<Vec<DeviceKey>, DbError> {
    let rows = conn.all(
        "SELECT id, region, public_key, revoked_at FROM devices WHERE public_key IS NOT NULL
         ORDER BY id",
        vals![],
        |r| Ok((r.text_(0)?, r.text_(1)?, r.blob_(2)?, r.int(3)?)),
    )?;
    let mut keys = Vec::new();
    for (id, region, key, revoked) in rows {
        if !scope::in_region(s.role(), &s.officer.regions, &region) {
            continue;
        }
        let Ok(device) = id.parse() else { continue };
        keys.push(DeviceKey {
            device,
            region,
            public_key: alluvium::sync::canonical::encode_b64(&key),
            revoked_at: revoked.and_then(|t| {
                chrono::DateTime::from_timestamp(t, 0)
                    .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            }),
        });
    }
    Ok(keys)
}
