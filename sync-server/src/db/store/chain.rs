//! Signed changes at push: each change's signature is checked against its device's key
//! (outside the database lock; one check per run of linked changes, see
//! `alluvium::sync::chain::vouched`), then its place in the device's chain against the changes
//! on file (inside the push's transaction).
//!
//! Rules (see `alluvium::sync::canonical` for the bytes):
//! - A device with a registered key must sign every change; a device without one (enrolled by
//!   an older version, not yet registered) has its changes taken unsigned, and listed as such
//!   by `admin device list`, until it registers a key at its next sync.
//! - `prev` may be left out when the change right before it in the same push is its
//!   predecessor in the chain: the server computes that link itself (it saves 43 bytes a
//!   change on the wire); a form-2 change then leaves out `chain_seq` too.
//! - A form-2 change may come without `sig`: it is accepted when the run of linked changes
//!   after it in the same push ends in a signature that holds, and stored without one (NULL).
//!   A run whose last change has no signature, or one that fails, is refused change by change
//!   (only a change whose own signature holds is kept).
//! - One change per position of a device's chain; its `prev` must be the link of the change
//!   at the position before (when the server has it) and its own link the `prev` of the change
//!   after (when the server has it). A gap — a predecessor not received yet, like another
//!   officer's change on the same device still waiting for that officer's session — is
//!   allowed; `audit verify` names gaps that stay.

use crate::db::sql::{Sql, vals};
use crate::db::{DbError, Session};
use alluvium::sync::canonical::{Form, GENESIS, Link, Signed, decode_b64, decode_signature};
use alluvium::sync::chain::{Linked, vouched};
use alluvium::sync::wire::Change;
use ed25519_dalek::Signature;
use std::cell::RefCell;

/// The chain fields of a change whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Verified {
    pub form: Form,
    pub chain_seq: u64,
    pub prev: Link,
    /// As received: a form-2 change vouched for by its run may have none.
    pub sig: Option<[u8; 64]>,
    pub link: Link,
}

/// What the signature check says of one change: `Ok(None)` for an unsigned change that is
/// accepted as such, `Err` for a refusal.
pub(super) type Checked = Result<Option<Verified>, String>;

/// A change's fields once decoded, before its signature is checked.
struct Decoded {
    form: Form,
    chain_seq: u64,
    prev: Link,
    sig: Option<Signature>,
    canonical: Vec<u8>,
    /// The link its content and signature make, whether or not the signature holds.
    link: Link,
}

/// Checks the signatures of a push's changes, in order. The canonical bytes are built in
/// order (a left-out `prev` is the link of the change before); then one signature per run of
/// linked changes is checked (see `alluvium::sync::chain::vouched`), so a push of a device's
/// next thousand changes costs one Ed25519 check, and a refusal still names the change that
/// does not hold.
pub(super) fn check_signatures(s: &Session, changes: &[Change]) -> Vec<Checked> {
    let mut out = Vec::with_capacity(changes.len());
    check_signatures_in_pieces(s, changes, (usize::MAX, usize::MAX), |piece| {
        out.extend(piece);
        true
    });
    out
}

/// Checks the signatures of a push's changes as [`check_signatures`] does, handing the answers
/// to `emit` in order, in pieces of about `piece` changes (`first` for the first) as soon as
/// they are final, so the push can apply the first changes while the later ones are still
/// being checked. A piece ends at a change that carries a signature: when it holds, the
/// answers before it cannot change (a run is vouched for by the first signature that holds
/// after it). When it does not, the rest of the push is judged in one piece at the end, as a
/// whole push would be. Stops when `emit` returns false.
pub(super) fn check_signatures_in_pieces(
    s: &Session,
    changes: &[Change],
    (first, piece): (usize, usize),
    mut emit: impl FnMut(Vec<Checked>) -> bool,
) {
    let mut target = first;
    let mut decoded: Vec<Result<Option<Decoded>, String>> =
        Vec::with_capacity(changes.len().min(piece));
    let mut last: Option<(u64, Link)> = None;
    let mut in_pieces = true;
    for c in changes {
        let d = decode(s, c, last);
        last = match &d {
            Ok(Some(d)) => Some((d.chain_seq, d.link)),
            _ => None,
        };
        let ends_piece = matches!(&d, Ok(Some(Decoded { sig: Some(_), .. })));
        decoded.push(d);
        if in_pieces && ends_piece && decoded.len() >= target {
            let judged = judge(s, &decoded);
            if matches!(judged.last(), Some(Ok(_))) {
                decoded.clear();
                target = piece;
                if !emit(judged) {
                    return;
                }
            } else {
                in_pieces = false;
            }
        }
    }
    if !decoded.is_empty() {
        emit(judge(s, &decoded));
    }
}

/// The answers for a stretch of a push's decoded changes that no later change can vouch for.
fn judge(s: &Session, decoded: &[Result<Option<Decoded>, String>]) -> Vec<Checked> {
    let Some(key) = s.device.public_key else {
        return decoded
            .iter()
            .map(|d| d.as_ref().map(|_| None).map_err(Clone::clone))
            .collect();
    };
    let items: Vec<Option<Linked>> = decoded
        .iter()
        .map(|d| match d {
            Ok(Some(d)) => Some(Linked {
                chain_seq: d.chain_seq,
                prev: d.prev,
                link: d.link,
            }),
            _ => None,
        })
        .collect();
    let ok = vouched(&items, |i| match &decoded[i] {
        Ok(Some(Decoded {
            sig: Some(sig),
            canonical,
            ..
        })) => key.verify_strict(canonical, sig).is_ok(),
        _ => false,
    });
    decoded
        .iter()
        .zip(ok)
        .map(|(d, ok)| {
            let Some(d) = d.as_ref().map_err(Clone::clone)? else {
                return Ok(None);
            };
            if !ok && d.sig.is_none() {
                return Err("the change carries no signature, and the run of changes after it in the push does not end in one that holds: it was altered after it was signed, or its run's signature is missing".to_string());
            }
            if !ok {
                return Err("the signature does not match the change: it was altered after it was signed, or signed with another key".to_string());
            }
            Ok(Some(Verified {
                form: d.form,
                chain_seq: d.chain_seq,
                prev: d.prev,
                sig: d.sig.map(|s| s.to_bytes()),
                link: d.link,
            }))
        })
        .collect()
}

/// Decodes one change's chain fields and builds its canonical bytes; `last` is the position
/// and link of the change before it in the push.
fn decode(s: &Session, c: &Change, last: Option<(u64, Link)>) -> Result<Option<Decoded>, String> {
    if c.origin != s.device.id {
        // Another device's change: its signature is not this device's to vouch for.
        return Err(format!(
            "the change was made on device {}, not on this one",
            c.origin
        ));
    }
    if c.form == Form::V1 && c.chain_seq.is_none() && c.sig.is_none() && c.prev.is_none() {
        return match s.device.public_key {
            None => Ok(None),
            Some(_) => Err(
                "the change is not signed, and this device signs its changes; update the app"
                    .into(),
            ),
        };
    }
    if s.device.public_key.is_none() {
        return Err(
            "the change is signed with a key the server does not know; sync again so the device registers its key"
                .into(),
        );
    }
    let follows = |what: &str| match last {
        Some((n, link)) => Ok((n + 1, link)),
        None => Err(format!(
            "the change has no {what}, and the change before it in the push is not its predecessor"
        )),
    };
    let chain_seq = match (c.chain_seq, &c.prev, c.form) {
        (Some(n), _, _) => n,
        (None, None, Form::V2) => follows("chain_seq")?.0,
        _ => {
            return Err(
                "the change's chain fields are incomplete (chain_seq may be left out only with prev, in form 2)"
                    .into(),
            );
        }
    };
    if chain_seq == 0 {
        return Err("chain positions start at 1".into());
    }
    let sig = match (&c.sig, c.form) {
        (Some(sig), _) => Some(
            decode_signature(sig).ok_or("the change's signature is not 64 bytes of base64url")?,
        ),
        (None, Form::V2) => None,
        (None, Form::V1) => {
            return Err(
                "the change's chain fields are incomplete (a form-1 change carries its signature)"
                    .into(),
            );
        }
    };
    let prev = match &c.prev {
        Some(p) => decode_b64::<32>(p).ok_or("the change's prev is not 32 bytes of base64url")?,
        None => match follows("prev")? {
            (n, link) if n == chain_seq => link,
            _ => {
                return Err(
                    "the change has no prev, and the change before it in the push is not its predecessor"
                        .into(),
                );
            }
        },
    };
    let canonical = Signed::of_change(c, chain_seq, &prev).canonical_bytes();
    let link = c
        .form
        .link(&canonical, sig.as_ref())
        .ok_or("a form-1 change carries its signature")?;
    Ok(Some(Decoded {
        form: c.form,
        chain_seq,
        prev,
        link,
        sig,
        canonical,
    }))
}

/// The `prev` and link stored at a position of a device's chain (accepted or refused by the
/// record rules).
fn at(tx: &dyn Sql, origin: &str, chain_seq: u64) -> Result<Option<(String, Link, Link)>, DbError> {
    let row: Option<(String, Vec<u8>, Vec<u8>)> = tx.one(
        "SELECT change_id, prev, link FROM changes WHERE origin = ?1 AND chain_seq = ?2
         UNION ALL
         SELECT change_id, prev, link FROM rejected WHERE origin = ?1 AND chain_seq = ?2
         UNION ALL
         SELECT change_id, prev, link FROM acknowledged WHERE origin = ?1 AND chain_seq = ?2
         LIMIT 1",
        vals![origin, chain_seq as i64],
        |r| Ok((r.text_(0)?, r.blob_(1)?, r.blob_(2)?)),
    )?;
    Ok(row.map(|(id, prev, link)| {
        (
            id,
            prev.try_into().unwrap_or([0; 32]),
            link.try_into().unwrap_or([0; 32]),
        )
    }))
}

/// Where one device's chain stands inside a push's transaction: the highest position it holds
/// on file (or placed in this push) and the last change placed in this push. A device's next
/// changes arrive in order, above everything on file, so their places are checked from this
/// without a lookup; anything else is looked up.
#[derive(Debug, Clone)]
pub(super) struct Tip {
    origin: String,
    highest: u64,
    last: Option<(u64, Link)>,
}

/// The pushing device's tip, read from file the first time a push asks.
fn tip_of<'t>(
    tx: &dyn Sql,
    tip: &'t mut Option<Tip>,
    origin: &str,
) -> Result<&'t mut Tip, DbError> {
    if tip.as_ref().is_none_or(|t| t.origin != origin) {
        *tip = Some(Tip {
            origin: origin.to_string(),
            highest: highest_on_file(tx, origin)?,
            last: None,
        });
    }
    tip.as_mut()
        .ok_or_else(|| DbError::Database("no chain tip".into()))
}

/// Whether `chain_seq` is above every position of the device's chain on file or placed in
/// this push: no change at or after it was received from the device.
pub(super) fn above_tip(
    tx: &dyn Sql,
    tip: &RefCell<Option<Tip>>,
    origin: &str,
    chain_seq: u64,
) -> Result<bool, DbError> {
    Ok(chain_seq > tip_of(tx, &mut tip.borrow_mut(), origin)?.highest)
}

/// Checks a verified change's place in its device's chain against the changes on file;
/// `Ok(Err(reason))` is a refusal. A change whose place holds is stored with its chain fields
/// (applied, or refused by the record rules), so `tip` moves to it.
pub(super) fn check_place(
    tx: &dyn Sql,
    tip: &RefCell<Option<Tip>>,
    origin: &str,
    v: &Verified,
) -> Result<Result<(), String>, DbError> {
    let mut tip = tip.borrow_mut();
    let t = tip_of(tx, &mut tip, origin)?;
    let placed = if v.chain_seq > t.highest {
        // Above everything held: nothing at or after its position; the one before is the
        // last change of this push, or not held at all when it is above the highest too.
        match t.last {
            Some((n, link)) if n + 1 == v.chain_seq => Ok(if v.prev == link {
                Ok(())
            } else {
                Err(not_after(&before_id(tx, origin, n)?))
            }),
            _ if v.chain_seq > 1 && v.chain_seq - 1 <= t.highest => look_up_place(tx, origin, v),
            _ => Ok(first_link(v)),
        }
    } else {
        look_up_place(tx, origin, v)
    }?;
    if placed.is_ok() {
        t.highest = t.highest.max(v.chain_seq);
        t.last = Some((v.chain_seq, v.link));
    }
    Ok(placed)
}

/// The highest chain position of a device on file.
fn highest_on_file(tx: &dyn Sql, origin: &str) -> Result<u64, DbError> {
    let n: Option<i64> = tx
        .one(
            "SELECT max(m) FROM (
               SELECT max(chain_seq) AS m FROM changes WHERE origin = ?1 AND chain_seq IS NOT NULL
               UNION ALL
               SELECT max(chain_seq) FROM rejected WHERE origin = ?1 AND chain_seq IS NOT NULL
               UNION ALL
               SELECT max(chain_seq) FROM acknowledged WHERE origin = ?1 AND chain_seq IS NOT NULL) AS t",
            vals![origin],
            |r| r.int(0),
        )?
        .flatten();
    Ok(n.unwrap_or(0).max(0) as u64)
}

fn before_id(tx: &dyn Sql, origin: &str, chain_seq: u64) -> Result<String, DbError> {
    Ok(at(tx, origin, chain_seq)?
        .map(|(id, _, _)| id)
        .unwrap_or_default())
}

fn not_after(before: &str) -> String {
    format!(
        "broken link: the change was not signed after change {before}, which holds the position before it"
    )
}

fn first_link(v: &Verified) -> Result<(), String> {
    if v.chain_seq == 1 && v.prev != GENESIS {
        return Err("broken link: the device's first signed change must start its chain".into());
    }
    Ok(())
}

/// [`check_place`] by looking up the positions at, before and after the change.
fn look_up_place(tx: &dyn Sql, origin: &str, v: &Verified) -> Result<Result<(), String>, DbError> {
    if let Some((other, _, _)) = at(tx, origin, v.chain_seq)? {
        return Ok(Err(format!(
            "position {} of this device's chain is already held by change {other}; a change is never replaced or replayed",
            v.chain_seq
        )));
    }
    if let Err(e) = first_link(v) {
        return Ok(Err(e));
    }
    if v.chain_seq > 1
        && let Some((before, _, link)) = at(tx, origin, v.chain_seq - 1)?
        && link != v.prev
    {
        return Ok(Err(not_after(&before)));
    }
    if let Some((after, prev, _)) = at(tx, origin, v.chain_seq + 1)?
        && prev != v.link
    {
        return Ok(Err(format!(
            "broken link: change {after}, which holds the position after it, was signed after another change"
        )));
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Device;
    use alluvium::domain::{Hlc, Officer, OfficerId, RecordKind, Role};
    use alluvium::sync::canonical::encode_b64;
    use alluvium::sync::wire::Op;
    use ed25519_dalek::{Signer, SigningKey};
    use uuid::Uuid;

    fn session(key: &SigningKey) -> Session {
        Session {
            device: Device {
                id: Uuid::from_u128(1),
                region: "SL-KONO".into(),
                public_key: Some(key.verifying_key()),
            },
            officer: Officer {
                id: OfficerId(Uuid::from_u128(2)),
                username: "o".into(),
                full_name: "O".into(),
                role: Role::FieldOfficer,
                regions: vec!["SL-KONO".into()],
            },
        }
    }

    /// `n` linked form-2 changes as a device sends them: chain fields on the first, a
    /// signature on every tenth and on the last.
    fn push_of(s: &Session, key: &SigningKey, n: u64) -> Vec<Change> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|i| {
                let mut c = Change {
                    change_id: Uuid::from_u128(1000 + i as u128),
                    entity: RecordKind::Stone,
                    record_id: format!("r{i}"),
                    region: None,
                    hlc: Hlc::from_i64(i as i64),
                    base_hlc: Hlc::default(),
                    origin: s.device.id,
                    author: Some(s.officer.id.0),
                    op: Op::Insert,
                    payload: serde_json::json!({ "n": i }),
                    form: Form::V2,
                    chain_seq: None,
                    prev: None,
                    sig: None,
                };
                let (sig, link) = Signed::of_change(&c, i, &prev).sign(key);
                if i == 1 {
                    c.chain_seq = Some(1);
                    c.prev = Some(encode_b64(&prev));
                }
                if i % 10 == 0 || i == n {
                    c.sig = Some(encode_b64(&sig.to_bytes()));
                }
                prev = link;
                c
            })
            .collect()
    }

    fn in_pieces(s: &Session, changes: &[Change], piece: usize) -> (Vec<Checked>, usize) {
        let (mut out, mut pieces) = (Vec::new(), 0);
        check_signatures_in_pieces(s, changes, (piece, piece), |p| {
            out.extend(p);
            pieces += 1;
            true
        });
        (out, pieces)
    }

    #[test]
    fn pieces_give_the_answers_of_the_whole_push() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let s = session(&key);
        let good = push_of(&s, &key, 95);
        let whole = check_signatures(&s, &good);
        assert!(whole.iter().all(|c| matches!(c, Ok(Some(_)))));
        let (pieced, pieces) = in_pieces(&s, &good, 25);
        assert_eq!(pieced, whole);
        // Pieces end at the signed changes 30, 60, 90, then the rest.
        assert_eq!(pieces, 4);
        let mut sizes = Vec::new();
        check_signatures_in_pieces(&s, &good, (5, 40), |p| {
            sizes.push(p.len());
            true
        });
        assert_eq!(
            sizes,
            [10, 40, 40, 5],
            "a small first piece, then the others"
        );

        // A checkpoint signature made with another key: its run is vouched for by the next
        // signature that holds, in pieces as in the whole push.
        let mut other_key = good.clone();
        let other = SigningKey::from_bytes(&[4; 32]);
        other_key[69].sig = Some(encode_b64(&other.sign(b"x").to_bytes()));
        let whole = check_signatures(&s, &other_key);
        assert!(whole.iter().all(|c| matches!(c, Ok(Some(_)))));
        for piece in [1, 10, 25, 64] {
            assert_eq!(
                in_pieces(&s, &other_key, piece).0,
                whole,
                "pieces of {piece}"
            );
        }

        // A change altered after signing: it and every change linked after it are refused.
        let mut altered = good.clone();
        altered[44].payload = serde_json::json!({ "n": "altered" });
        let whole = check_signatures(&s, &altered);
        assert!(whole[..40].iter().all(|c| matches!(c, Ok(Some(_)))));
        assert!(whole[44..].iter().all(Result::is_err));
        for piece in [1, 10, 25, 64] {
            assert_eq!(in_pieces(&s, &altered, piece).0, whole, "pieces of {piece}");
        }
    }

    #[test]
    fn a_refused_emit_stops_the_checks() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let s = session(&key);
        let changes = push_of(&s, &key, 50);
        let mut seen = 0;
        check_signatures_in_pieces(&s, &changes, (10, 20), |p| {
            seen += p.len();
            false
        });
        assert_eq!(seen, 10);
    }
}
