//! Walking a device's chain of signed changes: the one rule `audit verify` applies on the
//! device (its own outbox) and on the server (every device's changes). The walk is fed the
//! stored changes of one device in chain order, each with what its signature check found, and
//! names every change that shows the chain was altered, removed from or inserted into.

use super::canonical::{GENESIS, Link};

/// What the walk is told about one stored change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Its position in the device's chain.
    pub chain_seq: u64,
    /// The link it carries to the change before it.
    pub prev: Link,
    /// Its own link when its signature verifies over its stored content; `None` when not.
    pub link: Option<Link>,
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
        } else if c.link.is_none() {
            Some("altered: the signature does not match the stored change".to_string())
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
            // After a change that does not verify, its successor's link cannot be checked.
            self.last = c.link;
        }
        problem
    }
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
            link,
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
}
