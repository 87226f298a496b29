//! How two versions of a registry record (digger, licence, site, …) are merged: the highest
//! hybrid logical clock wins, ties broken by the origin device id, so every device and the
//! server pick the same winner whatever order the versions arrive in. A version that loses to
//! an edit it did not know about is a conflict, kept for review rather than dropped.

use super::Hlc;

/// One version of a mutable record: its clock and the device that wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version<'a> {
    pub hlc: Hlc,
    pub origin: &'a str,
}

impl Version<'_> {
    /// The total order of versions: clock first, then device id.
    fn key(&self) -> (Hlc, &str) {
        (self.hlc, self.origin)
    }
}

/// What to do with an incoming version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The record is new here: store it.
    Insert,
    /// The incoming version wins; `conflict` when the local version was a concurrent edit
    /// (the incoming one was not made on top of it), so the local one is kept for review.
    Replace { conflict: bool },
    /// The local version wins; `conflict` when the incoming one came from another device and
    /// is kept for review.
    KeepLocal { conflict: bool },
    /// The same version is already here.
    Same,
}

/// Decides how `incoming` (made on top of the version with clock `incoming_base`) merges into
/// `local`.
pub fn merge(local: Option<Version<'_>>, incoming: Version<'_>, incoming_base: Hlc) -> Outcome {
    let Some(local) = local else {
        return Outcome::Insert;
    };
    if local.key() == incoming.key() {
        return Outcome::Same;
    }
    if incoming.key() > local.key() {
        Outcome::Replace {
            conflict: incoming_base != local.hlc,
        }
    } else {
        Outcome::KeepLocal {
            conflict: incoming.origin != local.origin,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(ms: u64, origin: &str) -> Version<'_> {
        Version {
            hlc: Hlc::new(ms, 0),
            origin,
        }
    }

    #[test]
    fn merge_table() {
        let h = |ms| Hlc::new(ms, 0);
        let cases: &[(Option<Version>, Version, Hlc, Outcome)] = &[
            (None, v(5, "a"), h(0), Outcome::Insert),
            (Some(v(5, "a")), v(5, "a"), h(0), Outcome::Same),
            // a later edit made on top of the local version: no conflict
            (
                Some(v(5, "a")),
                v(9, "b"),
                h(5),
                Outcome::Replace { conflict: false },
            ),
            // a later edit made without seeing the local version: the local one is kept
            (
                Some(v(5, "a")),
                v(9, "b"),
                h(1),
                Outcome::Replace { conflict: true },
            ),
            // an older version from another device loses and is kept
            (
                Some(v(9, "a")),
                v(5, "b"),
                h(1),
                Outcome::KeepLocal { conflict: true },
            ),
            // an older version from the same device is just history
            (
                Some(v(9, "a")),
                v(5, "a"),
                h(1),
                Outcome::KeepLocal { conflict: false },
            ),
            // equal clocks: the higher device id wins, on either side
            (
                Some(v(5, "a")),
                v(5, "b"),
                h(0),
                Outcome::Replace { conflict: true },
            ),
            (
                Some(v(5, "b")),
                v(5, "a"),
                h(0),
                Outcome::KeepLocal { conflict: true },
            ),
        ];
        for (local, incoming, base, want) in cases {
            assert_eq!(
                merge(*local, *incoming, *base),
                *want,
                "{local:?} ← {incoming:?}"
            );
        }
    }

    #[test]
    fn both_orders_agree_on_the_winner() {
        let a = v(7, "dev-a");
        let b = v(7, "dev-b");
        let ab = merge(Some(a), b, Hlc::default());
        let ba = merge(Some(b), a, Hlc::default());
        assert!(matches!(ab, Outcome::Replace { .. }));
        assert!(matches!(ba, Outcome::KeepLocal { .. }));
    }
}
