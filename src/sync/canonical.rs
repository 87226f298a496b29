//! The canonical bytes of a change, its signature and its link: what a device signs, what the
//! server and other devices verify, and what chains a device's changes together. Defined once,
//! here, and used unchanged by the device, the server and `audit verify` on both.
//!
//! # Canonical form (versions 1 and 2)
//!
//! The canonical bytes of a change are the concatenation of twelve fields, each written as its
//! length in bytes (unsigned 32-bit, big-endian) followed by the bytes themselves:
//!
//! | # | field | bytes |
//! | - | ----- | ----- |
//! | 1 | domain tag | the 18 ASCII bytes `alluvium-change-v1` (form 1) or `alluvium-change-v2` (form 2) |
//! | 2 | `change_id` | the UUID's 16 bytes (RFC 9562 order) |
//! | 3 | `origin` (device) | the UUID's 16 bytes |
//! | 4 | `chain_seq` | unsigned 64-bit big-endian (1 for a device's first signed change) |
//! | 5 | `entity` | UTF-8 of the kind's wire name (`digger`, `stone`, …) |
//! | 6 | `record_id` | UTF-8 |
//! | 7 | `op` | `upsert` or `insert` |
//! | 8 | `hlc` | unsigned 64-bit big-endian |
//! | 9 | `base_hlc` | unsigned 64-bit big-endian |
//! | 10 | `author` | the officer UUID's 16 bytes, or nothing (length 0) when there is none |
//! | 11 | `payload` | canonical JSON, UTF-8 (below) |
//! | 12 | `prev` | the 32-byte link of the device's previous signed change ([`GENESIS`] for the first) |
//!
//! Canonical JSON: no whitespace; object members sorted by the bytes of their UTF-8 keys
//! (recursively); arrays in their order; strings escaped as `serde_json` writes them (only `"`,
//! `\`, and control characters are escaped; other characters are written as UTF-8); numbers as
//! `serde_json` prints a parsed number (integers exactly, floats in their shortest round-trip
//! form; floats are parsed correctly rounded — `serde_json`'s `float_roundtrip` — so printing
//! and parsing again changes nothing). A payload re-serialised with other key order or whitespace therefore has the same
//! canonical bytes. The change's `region` is not signed: the server derives the region itself.
//!
//! * **Signature**: Ed25519 (RFC 8032) by the origin device's key over the canonical bytes.
//!   The device signs every change when it writes it and keeps the signature in its outbox.
//! * **Link** of a change ([`Form::link`]): form 1, SHA-256 of its canonical bytes followed by
//!   its 64-byte signature; form 2, SHA-256 of its canonical bytes only. The next change of
//!   the same device carries it as `prev`, so altering, removing or inserting a change
//!   anywhere breaks the chain at that point. A device's chain may switch from form 1 to form 2
//!   at any position (the first form-2 change's `prev` is the form-1 link before it); every
//!   change written now is form 2.
//! * Since the canonical bytes include `prev`, a signature vouches for the change before it
//!   and, through its link, for every change before that up to a change whose link does not
//!   match (form 2 links need no signature to be computed).
//! * Signatures are checked with `verify_strict` (no small-order keys, no malleable forms).
//! * On the wire, `prev` and `sig` are unpadded base64url text ([`encode_b64`]) and `form` a
//!   number (`2`; absent is 1). What a push may leave out:
//!   - `prev`, when the change just before it in the same request is its predecessor
//!     (`chain_seq` one less) and that change's link is this `prev`: the server computes it.
//!   - `chain_seq` (form 2), only when `prev` is left out: it is then the previous change's
//!     + 1.
//!   - `sig` (form 2), except on: the last change of the request; a change whose next change
//!     in the request is not its successor carrying its link; the last change before a change
//!     of another pull scope class or region ([`super::form::scope_class`]), so a puller that
//!     receives a change also receives the changes up to its run's signature; every change
//!     whose `chain_seq` is a multiple of [`super::form::CHECKPOINT`]; and a change just before
//!     one whose own signature does not hold (so a change altered in the outbox is refused
//!     alone). The server accepts a change when its own signature holds or when it is
//!     vouched for by the run after it in the same request, and stores `sig` only where it
//!     was received.
//!   - A pull gives `form`, `chain_seq` and `prev` as stored, and `sig` where the server holds
//!     one. A puller applies a change it cannot vouch for only because its run's signature
//!     did not reach it as the server vouches for it, and counts it; that happens when the
//!     server refused the run's signed last change by its record rules (kept, never pulled),
//!     or when the device's idea of a record's region differs from the server's.

pub use super::form::{Form, GENESIS, Link};
use super::wire::{Change, Op};
use crate::domain::{Hlc, RecordKind};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The signed fields of one change, borrowed from wherever the change lives (an outbox row, a
/// wire change, a server row).
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    pub form: Form,
    pub change_id: Uuid,
    pub origin: Uuid,
    pub chain_seq: u64,
    pub entity: RecordKind,
    pub record_id: &'a str,
    pub op: Op,
    pub hlc: Hlc,
    pub base_hlc: Hlc,
    pub author: Option<Uuid>,
    pub payload: &'a serde_json::Value,
    pub prev: &'a Link,
}

impl<'a> Signed<'a> {
    /// The signed fields of a wire change, with its `prev` already decoded.
    pub fn of_change(c: &'a Change, chain_seq: u64, prev: &'a Link) -> Signed<'a> {
        Signed {
            form: c.form,
            change_id: c.change_id,
            origin: c.origin,
            chain_seq,
            entity: c.entity,
            record_id: &c.record_id,
            op: c.op,
            hlc: c.hlc,
            base_hlc: c.base_hlc,
            author: c.author,
            payload: &c.payload,
            prev,
        }
    }

    /// The canonical bytes (see the module documentation).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.record_id.len());
        let mut json = Vec::with_capacity(256);
        write_json(&mut json, self.payload);
        field(&mut out, self.form.tag());
        field(&mut out, self.change_id.as_bytes());
        field(&mut out, self.origin.as_bytes());
        field(&mut out, &self.chain_seq.to_be_bytes());
        field(&mut out, self.entity.as_str().as_bytes());
        field(&mut out, self.record_id.as_bytes());
        field(&mut out, op_name(self.op).as_bytes());
        field(&mut out, &self.hlc.0.to_be_bytes());
        field(&mut out, &self.base_hlc.0.to_be_bytes());
        field(
            &mut out,
            self.author.as_ref().map_or(&[][..], |a| a.as_bytes()),
        );
        field(&mut out, &json);
        field(&mut out, self.prev);
        out
    }

    /// Signs the change; returns the signature and the change's link.
    pub fn sign(&self, key: &SigningKey) -> (Signature, Link) {
        let bytes = self.canonical_bytes();
        let sig = key.sign(&bytes);
        let link = link_of(self.form, &bytes, &sig);
        (sig, link)
    }

    /// Checks the signature against `key`; returns the change's link when it holds.
    pub fn verify(&self, key: &VerifyingKey, sig: &Signature) -> Option<Link> {
        let bytes = self.canonical_bytes();
        key.verify_strict(&bytes, sig).ok()?;
        Some(link_of(self.form, &bytes, sig))
    }
}

/// The link of a signed change of `form` from its canonical bytes and signature.
pub fn link_of(form: Form, canonical: &[u8], sig: &Signature) -> Link {
    let mut h = Sha256::new();
    h.update(canonical);
    if form == Form::V1 {
        h.update(sig.to_bytes());
    }
    h.finalize().into()
}

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Upsert => "upsert",
        Op::Insert => "insert",
    }
}

fn field(out: &mut Vec<u8>, bytes: &[u8]) {
    // A field longer than 4 GiB cannot reach here: bodies are limited to far less.
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Writes canonical JSON: sorted keys, no whitespace.
fn write_json(out: &mut Vec<u8>, v: &serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut members: Vec<_> = map.iter().collect();
            members.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k);
                out.push(b':');
                write_json(out, item);
            }
            out.push(b'}');
        }
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    // serde_json's string escaping is fixed (quote, backslash, control characters only); writing
    // a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Unpadded base64url (RFC 4648 §5), the wire text of signatures and links.
pub fn encode_b64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Decodes [`encode_b64`] text of exactly `N` bytes; `None` for anything else.
pub fn decode_b64<const N: usize>(text: &str) -> Option<[u8; N]> {
    let text = text.as_bytes();
    if text.len() != (N * 4).div_ceil(3) {
        return None;
    }
    let mut out = [0u8; N];
    let mut at = 0;
    for chunk in text.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            let v = B64.iter().position(|b| b == c)? as u32;
            n |= v << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            *out.get_mut(at)? = (n >> (16 - 8 * i)) as u8;
            at += 1;
        }
        // Bits below the last byte must be zero, so each value has one text.
        let unused = 8 * (3 - (chunk.len() - 1)) as u32;
        if unused < 24 && n & ((1 << unused) - 1) != 0 {
            return None;
        }
    }
    (at == N).then_some(out)
}

/// Decodes a wire signature.
pub fn decode_signature(text: &str) -> Option<Signature> {
    decode_b64::<64>(text).map(|b| Signature::from_bytes(&b))
}

/// A new device key from 32 bytes of the system's randomness.
pub fn new_signing_key() -> Result<SigningKey, String> {
    use rand::TryRngCore;
    let mut seed = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut seed)
        .map_err(|e| format!("no system randomness for the device key: {e}"))?;
    Ok(SigningKey::from_bytes(&seed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(n: u8) -> SigningKey {
        SigningKey::from_bytes(&[n; 32])
    }

    fn sample<'a>(payload: &'a serde_json::Value, prev: &'a Link) -> Signed<'a> {
        Signed {
            form: Form::V1,
            change_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001),
            origin: Uuid::from_u128(2),
            chain_seq: 1,
            entity: RecordKind::Stone,
            record_id: "0190aaaa-0000-7000-8000-000000000003",
            op: Op::Insert,
            hlc: Hlc(0x1234_5678_0001),
            base_hlc: Hlc(0),
            author: Some(Uuid::from_u128(4)),
            payload,
            prev,
        }
    }

    #[test]
    fn the_bytes_are_exactly_the_documented_layout() {
        let payload = json!({"b": [1, 2.5, "x"], "a": {"z": null, "y": true}});
        let c = sample(&payload, &GENESIS);
        let bytes = c.canonical_bytes();
        let mut want = Vec::new();
        let mut f = |b: &[u8]| {
            want.extend_from_slice(&(b.len() as u32).to_be_bytes());
            want.extend_from_slice(b);
        };
        f(b"alluvium-change-v1");
        f(c.change_id.as_bytes());
        f(c.origin.as_bytes());
        f(&1u64.to_be_bytes());
        f(b"stone");
        f(c.record_id.as_bytes());
        f(b"insert");
        f(&0x1234_5678_0001u64.to_be_bytes());
        f(&0u64.to_be_bytes());
        f(Uuid::from_u128(4).as_bytes());
        f(br#"{"a":{"y":true,"z":null},"b":[1,2.5,"x"]}"#);
        f(&[0u8; 32]);
        assert_eq!(bytes, want);
        // No author: an empty field, which no UUID can be confused with.
        let mut none = c;
        none.author = None;
        assert_ne!(none.canonical_bytes(), bytes);
        assert_eq!(&none.canonical_bytes()[..], {
            let at = want.len() - (4 + 32) - (4 + 41) - (4 + 16);
            let mut w = want[..at].to_vec();
            w.extend_from_slice(&0u32.to_be_bytes());
            w.extend_from_slice(&want[at + 20..]);
            w
        });
    }

    #[test]
    fn key_order_and_whitespace_do_not_change_the_bytes() {
        let a: serde_json::Value = serde_json::from_str(
            r#"{"id":"x","carats":125,"fix":{"lat":8.642001,"lon":-10.5},"note":"é \"q\"\n"}"#,
        )
        .unwrap();
        let b: serde_json::Value = serde_json::from_str(
            "{ \"note\" : \"é \\\"q\\\"\\n\",\n \"fix\": {\"lon\": -10.5, \"lat\": 8.642001},\n \"carats\": 125, \"id\": \"x\" }",
        )
        .unwrap();
        assert_eq!(
            sample(&a, &GENESIS).canonical_bytes(),
            sample(&b, &GENESIS).canonical_bytes()
        );
        // Re-serialising and parsing again (what the server stores) keeps them too.
        let again: serde_json::Value = serde_json::from_str(&b.to_string()).unwrap();
        assert_eq!(
            sample(&a, &GENESIS).canonical_bytes(),
            sample(&again, &GENESIS).canonical_bytes()
        );
        // A different value is different bytes.
        let c: serde_json::Value = serde_json::from_str(
            r#"{"id":"x","carats":126,"fix":{"lat":8.642001,"lon":-10.5},"note":"é \"q\"\n"}"#,
        )
        .unwrap();
        assert_ne!(
            sample(&a, &GENESIS).canonical_bytes(),
            sample(&c, &GENESIS).canonical_bytes()
        );
    }

    #[test]
    fn floats_keep_their_bytes_through_text_and_back() {
        // Coordinates like a GPS fix's: the device signs the value, the server the text.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let lat = 8.642 + (x % 1_000_000) as f64 * 1e-6;
            let lon = -10.968 + ((x >> 20) % 1_000_000) as f64 * 1e-7;
            let value = json!({"lat": lat, "lon": lon, "accuracy_m": 3.0 + (x % 10) as f64});
            let text = serde_json::to_string(&value).unwrap();
            let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
            let again: serde_json::Value = serde_json::from_str(&parsed.to_string()).unwrap();
            let bytes = sample(&value, &GENESIS).canonical_bytes();
            assert_eq!(bytes, sample(&parsed, &GENESIS).canonical_bytes(), "{text}");
            assert_eq!(bytes, sample(&again, &GENESIS).canonical_bytes(), "{text}");
        }
    }

    #[test]
    fn every_signed_field_is_covered() {
        let payload = json!({"id": "r"});
        let other = json!({"id": "s"});
        let prev = [7u8; 32];
        let base = sample(&payload, &GENESIS);
        let k = key(1);
        let (sig, link) = base.sign(&k);
        assert_eq!(base.verify(&k.verifying_key(), &sig), Some(link));
        let variants: Vec<Signed<'_>> = vec![
            Signed {
                change_id: Uuid::from_u128(9),
                ..base
            },
            Signed {
                origin: Uuid::from_u128(9),
                ..base
            },
            Signed {
                chain_seq: 2,
                ..base
            },
            Signed {
                entity: RecordKind::Production,
                ..base
            },
            Signed {
                record_id: "other",
                ..base
            },
            Signed {
                op: Op::Upsert,
                ..base
            },
            Signed {
                hlc: Hlc(1),
                ..base
            },
            Signed {
                base_hlc: Hlc(1),
                ..base
            },
            Signed {
                author: None,
                ..base
            },
            Signed {
                payload: &other,
                ..base
            },
            Signed {
                prev: &prev,
                ..base
            },
        ];
        for v in variants {
            assert_eq!(v.verify(&k.verifying_key(), &sig), None, "{v:?}");
        }
        // Another device's key does not verify it.
        assert_eq!(base.verify(&key(2).verifying_key(), &sig), None);
    }

    #[test]
    fn the_link_covers_the_signature_in_form_1_only() {
        let payload = json!({"id": "r"});
        let c = sample(&payload, &GENESIS);
        let (sig, link) = c.sign(&key(1));
        let bytes = c.canonical_bytes();
        assert_eq!(link, link_of(Form::V1, &bytes, &sig));
        let mut h = Sha256::new();
        h.update(&bytes);
        h.update(sig.to_bytes());
        assert_eq!(link, <[u8; 32]>::from(h.finalize()));
        assert_ne!(
            link,
            link_of(Form::V1, &bytes, &Signature::from_bytes(&[0; 64]))
        );
        // Form 2: the tag names it, and the link is the hash of the bytes alone.
        let v2 = Signed {
            form: Form::V2,
            ..c
        };
        let bytes2 = v2.canonical_bytes();
        assert_eq!(&bytes2[4..22], b"alluvium-change-v2");
        assert_eq!(bytes2[22..], bytes[22..]);
        let (sig2, link2) = v2.sign(&key(1));
        assert_eq!(link2, <[u8; 32]>::from(Sha256::digest(&bytes2)));
        assert_eq!(v2.verify(&key(1).verifying_key(), &sig2), Some(link2));
        // A form-1 signature does not hold for the same change as form 2, nor the reverse.
        assert_eq!(v2.verify(&key(1).verifying_key(), &sig), None);
        assert_eq!(c.verify(&key(1).verifying_key(), &sig2), None);
    }

    #[test]
    fn base64url_round_trips_and_refuses_other_text() {
        for n in 0..70usize {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            let text = encode_b64(&bytes);
            assert!(!text.contains('='));
            assert_eq!(text.len(), (n * 4).div_ceil(3));
        }
        let link = [0xABu8; 32];
        let text = encode_b64(&link);
        assert_eq!(text.len(), 43);
        assert_eq!(decode_b64::<32>(&text), Some(link));
        assert_eq!(encode_b64(b"\xfb\xff"), "-_8");
        assert_eq!(decode_b64::<32>(&text[1..]), None);
        assert_eq!(decode_b64::<32>(&format!("{}=", &text[..42])), None);
        // A last character with stray low bits is another text for the same bytes: refused.
        let mut stray = text.clone();
        stray.pop();
        stray.push('t');
        assert_eq!(decode_b64::<32>(&stray), None);
        let sig = [0x5Au8; 64];
        assert_eq!(
            decode_signature(&encode_b64(&sig)).map(|s| s.to_bytes()),
            Some(sig)
        );
    }
}
