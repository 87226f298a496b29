//! The versions of the canonical form (see [`super::canonical`]) and the rules that decide
//! where a push must carry a signature: the pull scope classes and the checkpoint interval.
//!
//! Form 1 links a change by the hash of its canonical bytes *and* its signature, so every
//! change needs its own signature to be linked at all. Form 2 links a change by the hash of
//! its canonical bytes only; since the canonical bytes include `prev`, the signature of the
//! last change of a run of consecutive linked changes vouches for every change of the run, and
//! the others need not carry theirs on the wire.

use crate::domain::{RecordKind, Role};
use ed25519_dalek::Signature;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// The SHA-256 link of a change (what the next change of its device carries as `prev`).
pub type Link = [u8; 32];

/// The `prev` of a device's first signed change.
pub const GENESIS: Link = [0u8; 32];

/// A change's canonical form. On the wire `"form": 2`; absent is form 1 (what devices and
/// servers wrote before form 2, still read and verified).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Form {
    /// Domain tag `alluvium-change-v1`; link = SHA-256(canonical bytes ‖ signature).
    #[default]
    V1,
    /// Domain tag `alluvium-change-v2`; link = SHA-256(canonical bytes).
    V2,
}

/// Every `chain_seq` that is a multiple of this carries its signature on the wire and in the
/// server's file, whatever the run around it: an altered change in the server database is
/// then localised within this many changes of its device's chain.
pub const CHECKPOINT: u64 = 64;

impl Form {
    /// The form every new change is written in.
    pub const LATEST: Form = Form::V2;

    /// The domain tag, the first field of the canonical bytes.
    pub fn tag(self) -> &'static [u8] {
        match self {
            Form::V1 => b"alluvium-change-v1",
            Form::V2 => b"alluvium-change-v2",
        }
    }

    /// The number stored and sent for this form.
    pub fn number(self) -> i64 {
        match self {
            Form::V1 => 1,
            Form::V2 => 2,
        }
    }

    /// The form of a stored or received number; `None` for a form this release does not know.
    pub fn from_number(n: i64) -> Option<Form> {
        match n {
            1 => Some(Form::V1),
            2 => Some(Form::V2),
            _ => None,
        }
    }

    /// Whether this is form 1 (left out on the wire).
    pub fn is_v1(&self) -> bool {
        *self == Form::V1
    }

    /// The link of a change from its canonical bytes and its signature. Form 1 needs the
    /// signature (`None` without one); form 2 does not read it.
    pub fn link(self, canonical: &[u8], sig: Option<&Signature>) -> Option<Link> {
        let mut h = Sha256::new();
        h.update(canonical);
        match self {
            Form::V1 => h.update(sig?.to_bytes()),
            Form::V2 => {}
        }
        Some(h.finalize().into())
    }
}

impl Serialize for Form {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.number())
    }
}

impl<'de> Deserialize<'de> for Form {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Form, D::Error> {
        let n = i64::deserialize(d)?;
        Form::from_number(n).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "canonical form {n} is unknown to this release (1 and 2 are known)"
            ))
        })
    }
}

/// The pull scope class of a kind: two kinds share a class exactly when the same roles
/// receive them (`scope::may_read`), so a puller that receives a change of a class receives
/// every change of that class. Regions are a class of their own: a device's copy of a known
/// region is acknowledged without entering the log, so no puller receives it.
pub fn scope_class(kind: RecordKind) -> u32 {
    if kind == RecordKind::Region {
        return 1 << 31;
    }
    Role::ALL
        .iter()
        .enumerate()
        .filter(|(_, role)| super::scope::may_read(**role, kind))
        .fold(0, |mask, (i, _)| mask | (1 << i))
}

/// Where a push of consecutive changes of one device must carry `sig` (form 2), given for each
/// change its chain position, its pull scope class and region, and whether the next change in
/// the push is its chain successor carrying its link (`linked[i]`, about change `i + 1`):
/// on the last change, on a change not linked to the next, on the last change before a
/// change of another scope class or region, and on every [`CHECKPOINT`].
pub fn needs_sig(chain_seq: &[u64], class: &[(u32, Option<&str>)], linked: &[bool]) -> Vec<bool> {
    let n = chain_seq.len();
    (0..n)
        .map(|i| {
            i + 1 == n
                || !linked[i]
                || class[i] != class[i + 1]
                || chain_seq[i].is_multiple_of(CHECKPOINT)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_class_is_read_by_exactly_the_same_roles() {
        for a in RecordKind::ALL {
            for b in RecordKind::ALL {
                let same_readers = Role::ALL.iter().all(|r| {
                    super::super::scope::may_read(*r, a) == super::super::scope::may_read(*r, b)
                });
                let regions = (a == RecordKind::Region) == (b == RecordKind::Region);
                assert_eq!(
                    scope_class(a) == scope_class(b),
                    same_readers && regions,
                    "{a} {b}"
                );
            }
        }
        assert_eq!(
            scope_class(RecordKind::Stone),
            scope_class(RecordKind::Production)
        );
        assert_ne!(
            scope_class(RecordKind::Stone),
            scope_class(RecordKind::Review)
        );
    }

    #[test]
    fn links_by_form() {
        let sig = Signature::from_bytes(&[3; 64]);
        let v1 = Form::V1.link(b"abc", Some(&sig)).unwrap();
        let v2 = Form::V2.link(b"abc", Some(&sig)).unwrap();
        assert_eq!(Form::V2.link(b"abc", None), Some(v2));
        assert_eq!(Form::V1.link(b"abc", None), None);
        assert_ne!(v1, v2);
        assert_eq!(v2, <[u8; 32]>::from(Sha256::digest(b"abc")));
    }

    #[test]
    fn where_a_push_carries_signatures() {
        let seqs: Vec<u64> = (60..=70).collect();
        let stone = (scope_class(RecordKind::Stone), Some("SL-KONO"));
        let review = (scope_class(RecordKind::Review), Some("SL-KONO"));
        let mut class = vec![stone; seqs.len()];
        class[8] = review; // position 68
        let mut linked = vec![true; seqs.len()];
        linked[2] = false; // 62 is not linked to 63
        let need = needs_sig(&seqs, &class, &linked);
        let at: Vec<u64> = seqs
            .iter()
            .zip(&need)
            .filter(|(_, n)| **n)
            .map(|(s, _)| *s)
            .collect();
        // 62: not linked; 64: checkpoint; 67 and 68: class boundaries; 70: last.
        assert_eq!(at, vec![62, 64, 67, 68, 70]);
        assert_eq!(serde_json::to_string(&Form::V2).unwrap(), "2");
        assert!(serde_json::from_str::<Form>("3").is_err());
    }
}
