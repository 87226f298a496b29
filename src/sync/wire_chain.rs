//! The chain fields of changes on the wire, on the device's side: what a push leaves out
//! (see `canonical`'s documentation for the rules) and what the signatures of a pulled page
//! vouch for.

use super::canonical::{Form, Signed, decode_b64, decode_signature};
use super::chain::{self, Standing};
use super::error::SyncError;
use super::form::{needs_sig, scope_class};
use super::wire::Change;
use crate::store::{OutboxRow, Store};

/// Leaves out the chain fields a push need not carry (see `canonical`'s documentation):
/// each `prev` the server can compute (the link of the change just before it in the push,
/// when that is its predecessor and the link matches: a row edited since it was signed keeps
/// its successor's `prev` on the wire, so the successor still verifies), a form-2 `chain_seq`
/// with it, and each form-2 `sig` that no run, pull scope class or checkpoint needs. A
/// signature that must go but does not hold (a row edited since it was signed) takes the
/// signature of the row before it along, so the edited row is refused alone.
pub(super) fn leave_out_what_the_server_derives(
    rows: &[OutboxRow],
    changes: &mut [Change],
    key: Option<&ed25519_dalek::VerifyingKey>,
) {
    let n = rows.len();
    let built: Vec<Option<chain::Candidate>> = rows
        .iter()
        .zip(changes.iter())
        .map(|(row, c)| {
            let f = row.chain.as_ref()?;
            chain::Candidate::of(
                &Signed::of_change(c, f.chain_seq, &f.prev),
                Some(f.signature()),
            )
        })
        .collect();
    let linked: Vec<bool> = (0..n)
        .map(
            |i| match (&built[i], built.get(i + 1).and_then(|b| b.as_ref())) {
                (Some(a), Some(b)) => {
                    b.linked.chain_seq == a.linked.chain_seq + 1 && b.linked.prev == a.linked.link
                }
                _ => false,
            },
        )
        .collect();
    let seqs: Vec<u64> = rows
        .iter()
        .map(|r| r.chain.as_ref().map_or(0, |f| f.chain_seq))
        .collect();
    let classes: Vec<(u32, Option<&str>)> = rows
        .iter()
        .map(|r| (scope_class(r.entity), r.region.as_deref()))
        .collect();
    let mut need = needs_sig(&seqs, &classes, &linked);
    for i in (1..n).rev() {
        let fails = || match (&built[i], key) {
            (Some(c), Some(k)) => !c.holds(k),
            _ => false,
        };
        if need[i] && linked[i - 1] && fails() {
            need[i - 1] = true;
        }
    }
    for i in 0..n {
        let Some(f) = rows[i].chain.as_ref() else {
            continue;
        };
        let v2 = f.form == Form::V2;
        if v2 && !need[i] {
            changes[i].sig = None;
        }
        if i > 0 && linked[i - 1] {
            changes[i].prev = None;
            if v2 {
                changes[i].chain_seq = None;
            }
        }
    }
}

/// Why each pulled change's signature does not hold, when its origin's key is known here
/// (one Ed25519 check per run of linked changes of a device, see [`chain::vouched`]), and
/// which are open: form-2 changes without a signature whose successors up to the next
/// signature did not come. A change from a device whose key this device does not know (yet)
/// cannot be checked and is applied as the server vouches for it; so is an unsigned change of
/// a legacy device, and an open change that cannot wait for its run (counted).
pub(super) fn signature_problems(
    changes: &[&Change],
    store: &Store,
) -> Result<(Vec<Option<String>>, Vec<bool>), SyncError> {
    let mut refused = vec![None; changes.len()];
    let mut open = vec![false; changes.len()];
    let mut by_origin: std::collections::BTreeMap<uuid::Uuid, Vec<usize>> = Default::default();
    for (i, c) in changes.iter().enumerate() {
        by_origin.entry(c.origin).or_default().push(i);
    }
    for (origin, mut indices) in by_origin {
        let Some(key) = store.known_device_key(origin)? else {
            continue;
        };
        // Chain order: a device's changes reach the server in the order its officers push.
        indices.sort_by_key(|&i| changes[i].chain_seq.unwrap_or(0));
        let (mut candidates, mut malformed) = (Vec::new(), Vec::new());
        for &i in &indices {
            let (c, m) = match pulled_candidate(changes[i]) {
                Ok(c) => (c, None),
                Err(why) => (None, Some(why)),
            };
            candidates.push(c);
            malformed.push(m);
        }
        let standings = chain::candidate_standings(&candidates, &key);
        for (((&i, c), malformed), standing) in indices
            .iter()
            .zip(&candidates)
            .zip(malformed)
            .zip(standings)
        {
            refused[i] = match (malformed, c, standing) {
                (Some(why), _, _) => Some(why),
                (None, None, _) | (None, Some(_), Standing::Holds(_)) => None,
                (None, Some(_), Standing::Unproven { missing: true, .. }) => {
                    open[i] = true;
                    None
                }
                (None, Some(_), Standing::Unproven { at, .. }) => Some(format!(
                    "nothing from device {origin} vouches for the change as received: change #{at} of its chain, which follows it before the next signature, does not hold"
                )),
                (None, Some(_), _) => Some(format!(
                    "the signature of device {origin} does not match the change as received; it was altered after it was signed"
                )),
            };
        }
    }
    Ok((refused, open))
}

/// A pulled change's canonical bytes and signature: `Ok(None)` for an unsigned change, `Err`
/// for malformed chain fields.
fn pulled_candidate(c: &Change) -> Result<Option<chain::Candidate>, String> {
    let (Some(n), Some(prev)) = (c.chain_seq, &c.prev) else {
        return Ok(None);
    };
    let malformed = || "the change's chain fields are malformed".to_string();
    let prev = decode_b64::<32>(prev).ok_or_else(malformed)?;
    let sig = match &c.sig {
        Some(s) => Some(decode_signature(s).ok_or_else(malformed)?),
        None => None,
    };
    // A form-1 change cannot be linked without its signature.
    chain::Candidate::of(&Signed::of_change(c, n, &prev), sig)
        .map(Some)
        .ok_or_else(malformed)
}
