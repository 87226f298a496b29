//! Walking a device's chain of signed changes: the one rule `audit verify` applies on the
//! device (its own outbox) and on the server (every device's changes). The walk is fed the
//! stored changes of one device in chain order, each with what its signature check found, and
//! names every change that shows the chain was altered, removed from or inserted into.
//!
//! It also holds the rule that keeps checking cheap ([`vouched`]): a signature covers the
//! change's `prev`, the SHA-256 link of the change before it, and that link covers the earlier
//! change's canonical bytes (and, in form 1, its signature). So when a device's changes come in
//! a run of consecutive positions, each carrying its predecessor's link, the signature of the
//! run's last change vouches for every change in the run — one Ed25519 check per run instead
//! of one per change, and in form 2 the other changes of the run need no signature at all. A
//! run whose last signature fails is checked change by change, so a refusal or an audit
//! problem still names the very change that was altered; where a form-2 change without a
//! signature of its own no longer matches the link its vouched successor carries, that change
//! is the altered one, and the unsigned changes before it up to the previous signature are
//! reported as unproven ([`standings`]).

use super::canonical::{GENESIS, Link, Signed};
use ed25519_dalek::{Signature, VerifyingKey};

/// What the walk is told about one stored change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Its position in the device's chain.
    pub chain_seq: u64,
    /// The link it carries to the change before it.
    pub prev: Link,
    /// What its device's signatures say of its stored content ([`standings`]).
    pub standing: Standing,
}

/// What the signatures of a device say of one stored change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Vouched for (its own signature, or a run ending in one): its link.
    Holds(Link),
    /// Its own signature does not hold over its stored content, or its fields are malformed.
    BadSignature,
    /// No signature of its own (form 2), and the change after it carries another link: the
    /// chain was altered here (its content is not what was signed, when that change holds).
    Mismatch,
    /// No signature of its own, and the change at position `at` — after it, before the next
    /// signature — is missing (`missing`) or does not hold, so nothing vouches for it.
    Unproven { at: u64, missing: bool },
}

/// A walk over one device's chain, in chain order.
#[derive(Debug, Default)]
pub struct ChainWalk {
    /// The position expected next (the chain starts at 1).
    next: u64,
    /// The link of the previous change, when that change verified.
    last: Option<Link>,
}

impl ChainWalk {
    /// A walk at the start of a chain.
    pub fn new() -> ChainWalk {
        ChainWalk {
            next: 1,
            last: Some(GENESIS),
        }
    }

    /// Feeds the next change in chain order; returns what it shows, if anything. Each problem
    /// starts with `altered`, `removed` or `inserted`.
    pub fn step(&mut self, c: &Stored) -> Option<String> {
        let problem = if c.chain_seq < self.next {
            Some(format!(
                "inserted: another change already holds position {} of the chain",
                c.chain_seq
            ))
        } else if c.standing == Standing::BadSignature {
            Some("altered: the signature does not match the stored change".to_string())
        } else if c.standing == Standing::Mismatch {
            Some(
                "altered: the stored change no longer matches the link the change after it carries"
                    .to_string(),
            )
        } else if c.chain_seq > self.next {
            Some(if c.chain_seq == self.next + 1 {
                format!(
                    "removed: change #{} of the chain, just before this one, is missing",
                    self.next
                )
            } else {
                format!(
                    "removed: changes #{} to #{} of the chain, before this one, are missing",
                    self.next,
                    c.chain_seq - 1
                )
            })
        } else if let Standing::Unproven { at, missing } = c.standing {
            Some(if missing {
                format!(
                    "unproven: it has no signature of its own, and change #{at}, which follows it before the next signature, is missing"
                )
            } else {
                format!(
                    "unproven: it has no signature of its own, and change #{at}, which follows it before the next signature, does not hold"
                )
            })
        } else if self.last.is_some_and(|l| l != c.prev) {
            Some(if c.chain_seq == 1 {
                "inserted: the chain's first change does not start from the beginning".to_string()
            } else {
                "inserted: the change before it is not the one it was signed after".to_string()
            })
        } else {
            None
        };
        if c.chain_seq >= self.next {
            self.next = c.chain_seq + 1;
            // After a change that does not hold, its successor's link cannot be checked.
            self.last = match c.standing {
                Standing::Holds(link) => Some(link),
                _ => None,
            };
        }
        problem
    }
}

/// What [`vouched`] found, per change, for the audit walk: `signed[i]` whether change `i`
/// carries a signature of its own, `ok` [`vouched`]'s answer.
pub fn standings(items: &[Option<Linked>], signed: &[bool], ok: &[bool]) -> Vec<Standing> {
    let n = items.len();
    let mut out = vec![Standing::BadSignature; n];
    for i in (0..n).rev() {
        out[i] = match items[i] {
            Some(a) if ok[i] => Standing::Holds(a.link),
            None => Standing::BadSignature,
            Some(_) if signed[i] => Standing::BadSignature,
            Some(a) => match items.get(i + 1).copied().flatten() {
                Some(b) if b.chain_seq == a.chain_seq + 1 => match out[i + 1] {
                    _ if b.prev != a.link => Standing::Mismatch,
                    Standing::Unproven { at, missing } => Standing::Unproven { at, missing },
                    _ => Standing::Unproven {
                        at: b.chain_seq,
                        missing: false,
                    },
                },
                _ => Standing::Unproven {
                    at: a.chain_seq + 1,
                    missing: true,
                },
            },
        };
    }
    out
}

/// One change of a device's chain as [`vouched`] sees it: its position, the link it carries
/// to its predecessor, and its own link computed from its content and signature as stored or
/// received (whether or not that signature holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Linked {
    pub chain_seq: u64,
    pub prev: Link,
    pub link: Link,
}

/// Which changes of one device, in chain order, are vouched for by their device's signature:
/// a change is when its own signature holds (`verify(i)`) or when the next change in `items`
/// is its successor, carries its link and is vouched for. `None` items (malformed) are never.
/// Only the last change of each run is verified at first, on every core; the changes of a run
/// whose last signature fails are then verified one by one.
pub fn vouched(items: &[Option<Linked>], verify: impl Fn(usize) -> bool + Sync) -> Vec<bool> {
    let n = items.len();
    // `linked[i]`: item i+1 is item i's successor and carries its link.
    let linked: Vec<bool> = (0..n)
        .map(|i| match (items[i], items.get(i + 1).copied().flatten()) {
            (Some(a), Some(b)) => b.chain_seq == a.chain_seq + 1 && b.prev == a.link,
            _ => false,
        })
        .collect();
    let heads: Vec<usize> = (0..n)
        .filter(|&i| items[i].is_some() && !linked[i])
        .collect();
    let mut own: Vec<Option<bool>> = vec![None; n];
    for (i, ok) in heads.iter().copied().zip(verify_each(&heads, &verify)) {
        own[i] = Some(ok);
    }
    // The members of runs whose head failed: each on its own.
    let mut retry = Vec::new();
    let mut head_ok = false;
    for i in (0..n).rev() {
        if !linked[i] {
            head_ok = own[i] == Some(true);
        } else if !head_ok && items[i].is_some() {
            retry.push(i);
        }
    }
    for (i, ok) in retry.iter().copied().zip(verify_each(&retry, &verify)) {
        own[i] = Some(ok);
    }
    let mut ok = vec![false; n];
    for i in (0..n).rev() {
        ok[i] = own[i] == Some(true) || (linked[i] && ok[i + 1]);
    }
    ok
}

/// A change's canonical bytes and signature (if it carries one), as stored or received, with
/// the links they make: what [`vouched`] needs of each change wherever it lives.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub canonical: Vec<u8>,
    pub sig: Option<Signature>,
    pub linked: Linked,
}

impl Candidate {
    /// `None` when the change cannot be linked: a form-1 change needs its signature.
    pub fn of(signed: &Signed<'_>, sig: Option<Signature>) -> Option<Candidate> {
        let canonical = signed.canonical_bytes();
        let link = signed.form.link(&canonical, sig.as_ref())?;
        Some(Candidate {
            canonical,
            sig,
            linked: Linked {
                chain_seq: signed.chain_seq,
                prev: *signed.prev,
                link,
            },
        })
    }

    /// Whether it carries a signature and that signature holds under `key`.
    pub fn holds(&self, key: &VerifyingKey) -> bool {
        self.sig
            .is_some_and(|sig| key.verify_strict(&self.canonical, &sig).is_ok())
    }
}

/// [`vouched`] over candidates of one device (`None`: malformed), checked against its key.
pub fn vouched_candidates(candidates: &[Option<Candidate>], key: &VerifyingKey) -> Vec<bool> {
    let items: Vec<Option<Linked>> = candidates
        .iter()
        .map(|c| c.as_ref().map(|c| c.linked))
        .collect();
    vouched(&items, |i| {
        candidates[i].as_ref().is_some_and(|c| c.holds(key))
    })
}

/// [`standings`] of candidates of one device, checked against its key.
pub fn candidate_standings(candidates: &[Option<Candidate>], key: &VerifyingKey) -> Vec<Standing> {
    let ok = vouched_candidates(candidates, key);
    let items: Vec<Option<Linked>> = candidates
        .iter()
        .map(|c| c.as_ref().map(|c| c.linked))
        .collect();
    let signed: Vec<bool> = candidates
        .iter()
        .map(|c| c.as_ref().is_some_and(|c| c.sig.is_some()))
        .collect();
    standings(&items, &signed, &ok)
}

/// `verify` of each index, spread over the machine's cores when there are many.
fn verify_each(indices: &[usize], verify: &(impl Fn(usize) -> bool + Sync)) -> Vec<bool> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || indices.len() < 32 {
        return indices.iter().map(|&i| verify(i)).collect();
    }
    let per = indices.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = indices
            .chunks(per)
            .map(|part| {
                let h = scope.spawn(move || part.iter().map(|&i| verify(i)).collect::<Vec<_>>());
                (part.len(), h)
            })
            .collect();
        handles
            .into_iter()
            // A verifying thread only checks signatures, which do not panic; a lost answer
            // counts as a failed check, never as a pass.
            .flat_map(|(len, h)| h.join().unwrap_or_else(|_| vec![false; len]))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(n: u8) -> Link {
        [n; 32]
    }

    fn at(chain_seq: u64, prev: Link, link: Option<Link>) -> Stored {
        Stored {
            chain_seq,
            prev,
            standing: link.map_or(Standing::BadSignature, Standing::Holds),
        }
    }

    fn walk(changes: &[Stored]) -> Vec<(u64, String)> {
        let mut w = ChainWalk::new();
        changes
            .iter()
            .filter_map(|c| w.step(c).map(|p| (c.chain_seq, p)))
            .collect()
    }

    fn kinds(found: &[(u64, String)]) -> Vec<(u64, &str)> {
        found
            .iter()
            .map(|(n, p)| (*n, p.split(':').next().unwrap_or_default()))
            .collect()
    }

    #[test]
    fn table_of_chains() {
        let good = [
            at(1, GENESIS, Some(l(1))),
            at(2, l(1), Some(l(2))),
            at(3, l(2), Some(l(3))),
        ];
        type Case = (&'static str, Vec<Stored>, Vec<(u64, &'static str)>);
        let cases: Vec<Case> = vec![
            ("intact", good.to_vec(), vec![]),
            ("empty", vec![], vec![]),
            (
                "altered in the middle: only that change is named",
                vec![good[0].clone(), at(2, l(1), None), good[2].clone()],
                vec![(2, "altered")],
            ),
            (
                "removed in the middle: the next one is named",
                vec![good[0].clone(), good[2].clone()],
                vec![(3, "removed")],
            ),
            (
                "removed at the start",
                vec![good[1].clone(), good[2].clone()],
                vec![(2, "removed")],
            ),
            (
                "a second change at a position",
                vec![
                    good[0].clone(),
                    good[1].clone(),
                    at(2, l(1), Some(l(9))),
                    good[2].clone(),
                ],
                vec![(2, "inserted")],
            ),
            (
                "validly signed but linked elsewhere",
                vec![good[0].clone(), at(2, l(7), Some(l(2))), good[2].clone()],
                vec![(2, "inserted")],
            ),
            (
                "a first change not from genesis",
                vec![at(1, l(5), Some(l(1))), good[1].clone()],
                vec![(1, "inserted")],
            ),
            (
                "an unverifiable change, then a gap",
                vec![good[0].clone(), at(2, l(1), None), at(4, l(3), Some(l(4)))],
                vec![(2, "altered"), (4, "removed")],
            ),
        ];
        for (name, chain, want) in cases {
            assert_eq!(kinds(&walk(&chain)), want, "{name}");
        }
        let found = walk(&[good[0].clone(), at(5, l(4), Some(l(5)))]);
        assert!(found[0].1.contains("#2 to #4"), "{found:?}");
    }

    fn linked(chain_seq: u64, prev: u8, link: u8) -> Option<Linked> {
        Some(Linked {
            chain_seq,
            prev: l(prev),
            link: l(link),
        })
    }

    /// `vouched` with the signatures that hold, counting the checks it makes.
    fn run(items: &[Option<Linked>], good_sigs: &[usize]) -> (Vec<bool>, Vec<usize>) {
        let asked = std::sync::Mutex::new(Vec::new());
        let ok = vouched(items, |i| {
            asked.lock().unwrap().push(i);
            good_sigs.contains(&i)
        });
        let mut asked = asked.into_inner().unwrap();
        asked.sort();
        (ok, asked)
    }

    #[test]
    fn one_signature_vouches_for_a_linked_run() {
        let chain: Vec<_> = (1..=100u8).map(|n| linked(n as u64, n - 1, n)).collect();
        let (ok, asked) = run(&chain, &[99]);
        assert!(ok.iter().all(|&v| v));
        assert_eq!(asked, vec![99], "only the run's last change is verified");
    }

    #[test]
    fn a_failed_run_is_checked_change_by_change() {
        // 2's content was altered: its link no longer matches what 3 carries, so the run
        // breaks there; 2's own signature fails, 0 and 1 verify on their own.
        let chain = [
            linked(1, 0, 1),
            linked(2, 1, 2),
            linked(3, 2, 3),
            linked(4, 3, 4),
        ];
        let chain = [
            chain[0],
            chain[1],
            Some(Linked {
                link: l(99),
                ..chain[2].unwrap()
            }),
            Some(Linked {
                prev: l(3),
                ..chain[3].unwrap()
            }),
        ];
        let (ok, asked) = run(&chain, &[0, 1, 3]);
        assert_eq!(ok, vec![true, true, false, true]);
        assert_eq!(asked, vec![0, 1, 2, 3]);
    }

    #[test]
    fn gaps_and_malformed_changes_start_new_runs() {
        let chain = [
            linked(1, 0, 1),
            linked(2, 1, 2),
            None,
            linked(5, 4, 5),
            linked(6, 5, 6),
        ];
        let (ok, asked) = run(&chain, &[1, 4]);
        assert_eq!(ok, vec![true, true, false, true, true]);
        assert_eq!(asked, vec![1, 4]);
        // A forged last signature leaves the whole run unvouched unless each holds alone.
        let (ok, _) = run(&chain, &[0]);
        assert_eq!(ok, vec![true, false, false, false, false]);
    }

    #[test]
    fn an_unsigned_altered_change_is_named_and_the_run_before_it_unproven() {
        // Form 2: only 4 and 8 carry signatures. 6's content was changed: its link is 66,
        // not the 6 that 7 carries.
        let mut chain: Vec<_> = (1..=8u8).map(|n| linked(n as u64, n - 1, n)).collect();
        chain[5] = Some(Linked {
            link: l(66),
            ..chain[5].unwrap()
        });
        let signed: Vec<bool> = (1..=8).map(|n| n % 4 == 0).collect();
        let (ok, _) = run(&chain, &[3, 7]);
        assert_eq!(ok, vec![true, true, true, true, false, false, true, true]);
        let st = standings(&chain, &signed, &ok);
        assert_eq!(st[5], Standing::Mismatch);
        assert_eq!(
            st[4],
            Standing::Unproven {
                at: 6,
                missing: false
            }
        );
        let stored: Vec<Stored> = chain
            .iter()
            .zip(&st)
            .map(|(c, s)| Stored {
                chain_seq: c.unwrap().chain_seq,
                prev: c.unwrap().prev,
                standing: *s,
            })
            .collect();
        let found = walk(&stored);
        assert_eq!(kinds(&found), vec![(5, "unproven"), (6, "altered")]);
        assert!(found[0].1.contains("#6"), "{found:?}");
        // 6 removed instead: 5 is unproven (its successor is missing), 7 names the gap.
        let mut gone = chain.clone();
        gone.remove(5);
        let signed: Vec<bool> = [1, 2, 3, 4, 5, 7, 8].iter().map(|n| n % 4 == 0).collect();
        let (ok, _) = run(&gone, &[3, 6]);
        let st = standings(&gone, &signed, &ok);
        assert_eq!(
            st[4],
            Standing::Unproven {
                at: 6,
                missing: true
            }
        );
        let stored: Vec<Stored> = gone
            .iter()
            .zip(&st)
            .map(|(c, s)| Stored {
                chain_seq: c.unwrap().chain_seq,
                prev: c.unwrap().prev,
                standing: *s,
            })
            .collect();
        assert_eq!(kinds(&walk(&stored)), vec![(5, "unproven"), (7, "removed")]);
    }
}
