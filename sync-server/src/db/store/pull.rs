//! Pull: the changes after a device's cursor that its officer's role and regions may see.

use crate::db::sql::{Sql, vals};
use crate::db::{DbError, Session};
use alluvium::domain::{Hlc, Role};
use alluvium::sync::canonical::{Form, encode_b64};
use alluvium::sync::limits::MAX_PULL_PAGE_BYTES;
use alluvium::sync::scope;
use alluvium::sync::wire::{Change, Op, PullResponse, PulledChange};
use uuid::Uuid;

pub(super) fn pull(
    conn: &dyn Sql,
    s: &Session,
    cursor: i64,
    limit: u32,
    count: bool,
) -> Result<PullResponse, DbError> {
    let role = s.role();
    let quote = |v: &str| format!("'{}'", v.replace('\'', "''"));
    let entity_list = scope::readable(role)
        .map(|k| quote(k.as_str()))
        .collect::<Vec<_>>()
        .join(",");
    let region_filter = if role == Role::Admin {
        String::new()
    } else {
        format!(
            "AND region IN ({})",
            s.officer
                .regions
                .iter()
                .map(|r| quote(r))
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    let max_seq: i64 = conn
        .one("SELECT coalesce(max(seq), 0) FROM changes", vals![], |r| {
            r.int_(0)
        })?
        .unwrap_or(0);
    let visible = format!(
        "seq > ?1 AND seq <= ?2 AND origin <> ?3 AND entity IN ({entity_list}) {region_filter}"
    );
    let device = s.device.id.to_string();
    let waiting = if count {
        let sql = format!("SELECT count(*) FROM changes WHERE {visible}");
        let n = conn
            .one(&sql, vals![cursor, max_seq, &device], |r| r.int_(0))?
            .unwrap_or(0);
        Some(n.max(0) as u64)
    } else {
        None
    };
    let sql = format!(
        "SELECT seq, change_id, entity, record_id, region, hlc, base_hlc, origin, author, op, payload,
                chain_seq, prev, sig, form
         FROM changes WHERE {visible}
         ORDER BY seq LIMIT ?4"
    );
    let limit = limit.clamp(1, alluvium::sync::wire::MAX_PULL_PAGE);
    let corrupt = |what: &str, e: String| {
        DbError::Invalid(format!("a stored change's {what} cannot be read: {e}"))
    };
    let rows = conn.all(
        &sql,
        vals![cursor, max_seq, &device, i64::from(limit) + 1],
        |r| {
            let uuid = |i: usize, what: &str| -> Result<Uuid, DbError> {
                r.text_(i)?
                    .parse()
                    .map_err(|e: uuid::Error| corrupt(what, e.to_string()))
            };
            let payload = r.text_(10)?;
            let size = payload.len();
            Ok((
                size,
                PulledChange {
                    seq: r.int_(0)?,
                    change: Change {
                        change_id: uuid(1, "id")?,
                        entity: r.text_(2)?.parse().map_err(|e| corrupt("kind", e))?,
                        record_id: r.text_(3)?,
                        region: Some(r.text_(4)?),
                        hlc: Hlc::from_i64(r.int_(5)?),
                        base_hlc: Hlc::from_i64(r.int_(6)?),
                        origin: uuid(7, "origin")?,
                        author: r.text(8)?.and_then(|a| a.parse().ok()),
                        op: if r.text_(9)? == "insert" {
                            Op::Insert
                        } else {
                            Op::Upsert
                        },
                        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
                        // The chain fields go down as stored, so the receiver can check the
                        // signatures against the origin's key (see `canonical`).
                        form: Form::from_number(r.int_(14)?).unwrap_or_default(),
                        chain_seq: r.int(11)?.map(|n| n as u64),
                        prev: r.blob(12)?.map(|p| encode_b64(&p)),
                        sig: r.blob(13)?.map(|p| encode_b64(&p)),
                    },
                },
            ))
        },
    )?;
    // A page ends at `limit` changes or MAX_PULL_PAGE_BYTES of payload, whichever comes first
    // (one change always goes, however large, or the device could never get past it).
    let mut changes = Vec::new();
    let mut bytes = 0;
    let mut has_more = false;
    for (size, change) in rows {
        if changes.len() == limit as usize
            || (!changes.is_empty() && bytes + size > MAX_PULL_PAGE_BYTES)
        {
            has_more = true;
            break;
        }
        bytes += size;
        changes.push(change);
    }
    // With nothing more to send, jump to the end of the log so nothing is scanned twice.
    let cursor = if has_more {
        changes.last().map_or(cursor, |c| c.seq)
    } else {
        max_seq.max(cursor)
    };
    Ok(PullResponse {
        changes,
        cursor,
        has_more,
        waiting,
    })
}
