//! This device's Ed25519 key, the public keys of the region's devices, and `audit verify` of
//! the device's own chain of signed changes.
//!
//! Every store has a key: it is made the first time a database is opened by a version that
//! signs (a new device, a standalone office, or an upgrade). At that moment the changes still
//! waiting to be pushed are signed, in order, and start the chain; changes already sent stay
//! unsigned, as the server holds them. The public key goes to the server at enrolment, or for
//! a device enrolled before keys existed, at its next sync.

use super::outbox::{self, ChainFields};
use super::{Store, StoreError};
use crate::domain::{Hlc, RecordKind};
use crate::sync::canonical::{Form, Link, Signed, new_signing_key};
use crate::sync::chain::{self, ChainWalk};
use crate::sync::wire::{DeviceKey, Op};
use chrono::Utc;
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use uuid::Uuid;

/// One problem `audit verify` found in this device's chain. Field names are output contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainProblem {
    pub change_id: String,
    /// Starts with `altered`, `removed` or `inserted`, then says what was found.
    pub problem: String,
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Loads this device's key, or makes one and signs the pending changes with it (one
/// transaction: a crash leaves either no key or a key and a signed backlog).
pub(super) fn load_or_make(conn: &mut Connection, device: Uuid) -> Result<SigningKey, StoreError> {
    let stored: Option<Vec<u8>> = conn
        .query_row("SELECT secret FROM device_key WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(secret) = stored {
        let bytes: [u8; 32] = secret
            .try_into()
            .map_err(|_| StoreError::Migration("this device's key is damaged".into()))?;
        return Ok(SigningKey::from_bytes(&bytes));
    }
    let key = new_signing_key().map_err(StoreError::Migration)?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT INTO device_key(id, secret, public_key, created_at) VALUES (1, ?1, ?2, ?3)",
        params![
            &key.to_bytes()[..],
            &key.verifying_key().to_bytes()[..],
            now()
        ],
    )?;
    sign_backlog(&tx, &key, device)?;
    tx.commit()?;
    Ok(key)
}

/// Signs the unsent changes written before the device had a key, oldest first.
fn sign_backlog(tx: &Connection, key: &SigningKey, device: Uuid) -> Result<(), StoreError> {
    type Row = (
        i64,
        String,
        String,
        String,
        i64,
        i64,
        Option<String>,
        String,
    );
    let rows: Vec<Row> = tx
        .prepare(
            "SELECT seq, change_id, entity, record_id, hlc, base_hlc, author, payload FROM outbox
             WHERE sent_at IS NULL AND chain_seq IS NULL ORDER BY seq",
        )?
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let bad = |id: &str, what: &str| StoreError::Migration(format!("outbox change {id}: {what}"));
    for (seq, change_id, entity, record_id, hlc, base_hlc, author, payload) in rows {
        let entity: RecordKind = entity.parse().map_err(|e: String| bad(&change_id, &e))?;
        let value: serde_json::Value =
            serde_json::from_str(&payload).map_err(|e| bad(&change_id, &e.to_string()))?;
        let (chain_seq, prev) = outbox::chain_tip(tx)?;
        let (sig, link) = Signed {
            form: Form::LATEST,
            change_id: change_id.parse().map_err(|_| bad(&change_id, "bad id"))?,
            origin: device,
            chain_seq,
            entity,
            record_id: &record_id,
            op: Op::of(entity),
            hlc: Hlc::from_i64(hlc),
            base_hlc: Hlc::from_i64(base_hlc),
            author: author
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(|_| bad(&change_id, "bad author"))?,
            payload: &value,
            prev: &prev,
        }
        .sign(key);
        tx.execute(
            "UPDATE outbox SET chain_seq = ?2, prev = ?3, sig = ?4, link = ?5, form = ?6 WHERE seq = ?1",
            params![
                seq,
                chain_seq as i64,
                &prev[..],
                &sig.to_bytes()[..],
                &link[..],
                Form::LATEST.number()
            ],
        )?;
    }
    Ok(())
}

impl Store {
    /// This device's id and signing key. Every store has one (made when the database is first
    /// opened by a version that signs), so this is `None` only if the key row is missing.
    pub fn device_signing_key(&self) -> Result<Option<(Uuid, SigningKey)>, StoreError> {
        Ok(Some((self.device.0, self.key.clone())))
    }

    /// The public key of `device`: this device's own, or one of the region's devices as the
    /// server last handed them out. A revoked device's key stays known, so what it signed
    /// before still verifies; [`Store::device_key_revoked`] tells when it was revoked.
    pub fn known_device_key(&self, device: Uuid) -> Result<Option<VerifyingKey>, StoreError> {
        if device == self.device.0 {
            return Ok(Some(self.key.verifying_key()));
        }
        let bytes: Option<Vec<u8>> = self
            .conn()
            .prepare_cached("SELECT public_key FROM device_keys WHERE device = ?1")?
            .query_row([device.to_string()], |r| r.get(0))
            .optional()?;
        Ok(bytes
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .and_then(|b| VerifyingKey::from_bytes(&b).ok()))
    }

    /// When `device` was revoked (RFC 3339), if it was, as the server last said.
    pub fn device_key_revoked(&self, device: Uuid) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT revoked_at FROM device_keys WHERE device = ?1")?
            .query_row([device.to_string()], |r| r.get(0))
            .optional()?
            .flatten())
    }

    /// Replaces the known keys of other devices with the server's list (a full refresh).
    pub fn replace_device_keys(&mut self, keys: &[DeviceKey]) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM device_keys", [])?;
        let mut kept = 0;
        {
            let mut ins = tx.prepare_cached(
                "INSERT INTO device_keys(device, region, public_key, revoked_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(device) DO NOTHING",
            )?;
            for k in keys {
                // A key that is not a valid point is not kept: it could verify nothing.
                let Some(bytes) = crate::sync::canonical::decode_b64::<32>(&k.public_key) else {
                    continue;
                };
                if VerifyingKey::from_bytes(&bytes).is_err() {
                    continue;
                }
                kept += ins.execute(params![
                    k.device.to_string(),
                    k.region,
                    &bytes[..],
                    k.revoked_at
                ])?;
            }
        }
        tx.commit()?;
        Ok(kept)
    }

    /// Whether the server has this device's public key (sent at enrolment or registered
    /// since).
    pub fn device_key_registered(&self) -> Result<bool, StoreError> {
        Ok(self.conn().query_row(
            "SELECT registered_at IS NOT NULL FROM device_key WHERE id = 1",
            [],
            |r| r.get(0),
        )?)
    }

    /// Records that the server has this device's public key.
    pub fn mark_device_key_registered(&mut self) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE device_key SET registered_at = ?1 WHERE id = 1 AND registered_at IS NULL",
            [now()],
        )?;
        Ok(())
    }

    /// Walks this device's chain of signed changes in its outbox and names every change that
    /// shows it was altered, removed from or inserted into since it was written. Empty when
    /// the chain is intact. One signature is checked per run of linked rows (see
    /// [`chain::vouched`]), 4 096 rows at a time.
    pub fn audit_chain(&self) -> Result<Vec<ChainProblem>, StoreError> {
        const CHUNK: usize = 4_096;
        let public = self.key.verifying_key();
        let origin = self.device.0;
        let mut problems = Vec::new();
        let mut walk = ChainWalk::new();
        let mut st = self.conn().prepare(
            "SELECT seq, change_id, entity, record_id, hlc, base_hlc, author, payload, chain_seq, prev, sig, form
             FROM outbox ORDER BY chain_seq IS NULL, chain_seq, seq",
        )?;
        let mut rows = st.query([])?;
        let mut first_signed_seq: Option<i64> = None;
        let mut chunk: Vec<(String, u64, Link, Option<chain::Candidate>)> =
            Vec::with_capacity(CHUNK);
        let mut flush = |chunk: &mut Vec<(String, u64, Link, Option<chain::Candidate>)>,
                         problems: &mut Vec<ChainProblem>| {
            let candidates: Vec<Option<chain::Candidate>> =
                chunk.iter_mut().map(|c| c.3.take()).collect();
            let standings = chain::candidate_standings(&candidates, &public);
            for ((change_id, chain_seq, prev, _), standing) in chunk.drain(..).zip(standings) {
                let stored = chain::Stored {
                    chain_seq,
                    prev,
                    standing,
                };
                if let Some(problem) = walk.step(&stored) {
                    problems.push(ChainProblem { change_id, problem });
                }
            }
        };
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let change_id: String = r.get(1)?;
            let chain_seq: Option<i64> = r.get(8)?;
            let Some(chain_seq) = chain_seq else {
                // Unsigned rows come last in this order: any written after the first signed
                // change was put there by hand.
                if first_signed_seq.is_some_and(|f| seq > f) {
                    problems.push(ChainProblem {
                        change_id,
                        problem: "inserted: an unsigned change after this device began signing"
                            .into(),
                    });
                }
                continue;
            };
            first_signed_seq = Some(first_signed_seq.map_or(seq, |f| f.min(seq)));
            let prev: Option<Link> = r
                .get::<_, Option<Vec<u8>>>(9)?
                .and_then(|p| p.try_into().ok());
            let sig: Option<[u8; 64]> = r
                .get::<_, Option<Vec<u8>>>(10)?
                .and_then(|s| s.try_into().ok());
            let c = candidate(r, origin, chain_seq as u64, prev.as_ref(), sig.as_ref());
            chunk.push((change_id, chain_seq as u64, prev.unwrap_or([0; 32]), c));
            if chunk.len() == CHUNK {
                flush(&mut chunk, &mut problems);
            }
        }
        flush(&mut chunk, &mut problems);
        Ok(problems)
    }
}

/// What an outbox row's stored content and signature make; `None` when malformed.
fn candidate(
    r: &rusqlite::Row<'_>,
    origin: Uuid,
    chain_seq: u64,
    prev: Option<&Link>,
    sig: Option<&[u8; 64]>,
) -> Option<chain::Candidate> {
    let change_id: Uuid = r.get::<_, String>(1).ok()?.parse().ok()?;
    let entity: RecordKind = r.get::<_, String>(2).ok()?.parse().ok()?;
    let record_id: String = r.get(3).ok()?;
    let payload: serde_json::Value = serde_json::from_str(&r.get::<_, String>(7).ok()?).ok()?;
    let author = match r.get::<_, Option<String>>(6).ok()? {
        Some(a) => Some(a.parse().ok()?),
        None => None,
    };
    let form = Form::from_number(r.get(11).ok()?)?;
    chain::Candidate::of(
        &Signed {
            form,
            change_id,
            origin,
            chain_seq,
            entity,
            record_id: &record_id,
            op: Op::of(entity),
            hlc: Hlc::from_i64(r.get(4).ok()?),
            base_hlc: Hlc::from_i64(r.get(5).ok()?),
            author,
            payload: &payload,
            prev: prev?,
        },
        // Every change this device wrote carries its signature in the outbox.
        Some(Signature::from_bytes(sig?)),
    )
}

impl ChainFields {
    /// The fields as the wire carries them: position, `prev` and `sig` in base64url.
    pub fn to_wire(&self) -> (u64, String, String) {
        use crate::sync::canonical::encode_b64;
        (
            self.chain_seq,
            encode_b64(&self.prev),
            encode_b64(&self.sig),
        )
    }

    /// The signature as Ed25519 bytes.
    pub fn signature(&self) -> Signature {
        Signature::from_bytes(&self.sig)
    }
}
