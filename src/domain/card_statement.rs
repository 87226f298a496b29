//! The signed statement printed as a QR code on a licence card, and its offline check.
//!
//! An officer in the field has no network, so the card has to prove itself: the issuing device
//! signs a short statement of what the card says with its Ed25519 key, and any device that knows
//! that key (registries and keys travel by sync) can check it. The statement carries only what
//! an officer compares with the person and the ground; the licence's standing is looked up
//! locally, because a suspension after printing must still show.
//!
//! # Text form (version 1)
//!
//! ```text
//! ALV1.<payload>.<signature>
//! ```
//!
//! - `ALV1` is the literal format tag (ASCII).
//! - `<payload>` is the canonical binary payload below in base64url without padding
//!   (RFC 4648 §5, alphabet `A–Z a–z 0–9 - _`, no `=`).
//! - `<signature>` is the 64-byte Ed25519 signature in the same encoding (86 characters).
//! - The signed message is the ASCII text `ALV1.<payload>` exactly as printed, so the tag and
//!   the encoding are covered by the signature too.
//!
//! Decoding is strict: any character outside the alphabet, padding, non-zero unused bits in the
//! last character, trailing bytes after the payload or a field that is not UTF-8 makes the text
//! malformed. There is therefore exactly one text per statement and signature, and changing any
//! single character of a valid text makes it malformed or its signature wrong.
//!
//! # Payload (all integers big-endian)
//!
//! | bytes | field |
//! | --- | --- |
//! | 1 + n | licence number: length n (0–255), then n bytes of UTF-8 |
//! | 1 + n | holder's national id, same shape |
//! | 1 + n | holder's full name, same shape |
//! | 4 | valid until: signed days since 1970-01-01 |
//! | 32 | area hash: SHA-256 of the area's canonical corner list ([`area_hash`]) |
//! | 16 | issuing device id (UUID bytes) |
//!
//! A typical card's text is about 230 characters: a version 10–11 QR code at medium error
//! correction.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Datelike, NaiveDate};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The literal that starts every version-1 statement.
pub const TAG: &str = "ALV1";

/// What a licence card states, as signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardStatement {
    /// Licence number, e.g. `KONO/AM/2026/0042`.
    pub number: String,
    /// The holder's national id or voter card number.
    pub holder_id: String,
    /// The holder's full name.
    pub holder_name: String,
    /// Last day the licence is valid, as printed.
    pub valid_until: NaiveDate,
    /// SHA-256 of the licensed area's canonical corner list ([`area_hash`]).
    pub area_hash: [u8; 32],
    /// The device whose key signed the card.
    pub device: Uuid,
}

/// A statement with its signature, as read from a card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedStatement {
    pub statement: CardStatement,
    /// The signed message: `ALV1.<payload>` as printed.
    message: String,
    signature: Signature,
}

/// Where the keys that sign and check cards come from: this device's own key, and the public
/// keys of the devices it knows.
pub trait CardKeys {
    /// Why a key could not be read.
    type Error: std::error::Error + Send + Sync + 'static;
    /// This device's id and signing key; `None` when it has none yet.
    fn signer(&self) -> Result<Option<(Uuid, SigningKey)>, Self::Error>;
    /// The public key of `device`; `None` when this device does not know it.
    fn verifying_key(&self, device: Uuid) -> Result<Option<VerifyingKey>, Self::Error>;
}

/// Why a text is not a card statement (one line each, for the officer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MalformedStatement {
    #[error("not a licence card code: it does not start with {TAG}.")]
    WrongTag,
    #[error("not a licence card code: expected three parts separated by dots")]
    WrongShape,
    #[error("the card code is damaged: its {0} is not valid base64url")]
    BadEncoding(&'static str),
    #[error("the card code is damaged: its {0} is cut short or too long")]
    BadLength(&'static str),
    #[error("the card code is damaged: its {0} is not UTF-8 text")]
    NotText(&'static str),
    #[error("the card code's valid-until date is out of range")]
    BadDate,
}

/// Why a statement could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("the {0} is longer than 255 bytes and does not fit on a card")]
    TooLong(&'static str),
}

/// SHA-256 of the canonical corner list of a licensed area.
///
/// Canonical form: UTF-8 text of the corners in ring order as stored (first corner first, the
/// closing repeat left out), each `lat,lon` in decimal degrees with exactly five decimals (as
/// printed on the card), joined by `;`; e.g. `8.64000,-10.97000;8.64000,-10.96900;…`. Anyone
/// can recompute it from the printed corners. No area (dealers, exporters) hashes the empty
/// text.
pub fn area_hash(corners: &[(f64, f64)]) -> [u8; 32] {
    Sha256::digest(canonical_corners(corners).as_bytes()).into()
}

/// The text [`area_hash`] hashes.
pub fn canonical_corners(corners: &[(f64, f64)]) -> String {
    corners
        .iter()
        .map(|(lat, lon)| format!("{lat:.5},{lon:.5}"))
        .collect::<Vec<_>>()
        .join(";")
}

impl CardStatement {
    /// The canonical payload bytes (see the module documentation).
    pub fn payload(&self) -> Result<Vec<u8>, StatementError> {
        let mut out = Vec::with_capacity(128);
        for (name, text) in [
            ("licence number", &self.number),
            ("holder's national id", &self.holder_id),
            ("holder's name", &self.holder_name),
        ] {
            let len = u8::try_from(text.len()).map_err(|_| StatementError::TooLong(name))?;
            out.push(len);
            out.extend_from_slice(text.as_bytes());
        }
        out.extend_from_slice(&days_since_epoch(self.valid_until).to_be_bytes());
        out.extend_from_slice(&self.area_hash);
        out.extend_from_slice(self.device.as_bytes());
        Ok(out)
    }

    /// The QR text of this statement signed with `key`.
    pub fn sign(&self, key: &SigningKey) -> Result<String, StatementError> {
        let message = format!("{TAG}.{}", URL_SAFE_NO_PAD.encode(self.payload()?));
        let signature = key.sign(message.as_bytes());
        Ok(format!(
            "{message}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        ))
    }

    fn from_payload(bytes: &[u8]) -> Result<CardStatement, MalformedStatement> {
        let mut rest = bytes;
        let mut text = |what: &'static str| -> Result<String, MalformedStatement> {
            let (&len, tail) = rest
                .split_first()
                .ok_or(MalformedStatement::BadLength("payload"))?;
            let len = usize::from(len);
            if tail.len() < len {
                return Err(MalformedStatement::BadLength("payload"));
            }
            let (field, tail) = tail.split_at(len);
            rest = tail;
            String::from_utf8(field.to_vec()).map_err(|_| MalformedStatement::NotText(what))
        };
        let number = text("licence number")?;
        let holder_id = text("holder's national id")?;
        let holder_name = text("holder's name")?;
        let fixed: &[u8; 4 + 32 + 16] = rest
            .try_into()
            .map_err(|_| MalformedStatement::BadLength("payload"))?;
        let days = i32::from_be_bytes([fixed[0], fixed[1], fixed[2], fixed[3]]);
        let valid_until = day_from_epoch(days).ok_or(MalformedStatement::BadDate)?;
        let mut area_hash = [0u8; 32];
        area_hash.copy_from_slice(&fixed[4..36]);
        let mut device = [0u8; 16];
        device.copy_from_slice(&fixed[36..]);
        Ok(CardStatement {
            number,
            holder_id,
            holder_name,
            valid_until,
            area_hash,
            device: Uuid::from_bytes(device),
        })
    }
}

impl SignedStatement {
    /// Reads a card's QR text. Surrounding white space (a scanner's trailing newline) is ignored;
    /// anything else that is not exactly a version-1 statement is refused.
    pub fn decode(text: &str) -> Result<SignedStatement, MalformedStatement> {
        let text = text.trim();
        let mut parts = text.split('.');
        let (Some(tag), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(if text.starts_with(&format!("{TAG}.")) {
                MalformedStatement::WrongShape
            } else {
                MalformedStatement::WrongTag
            });
        };
        if tag != TAG {
            return Err(MalformedStatement::WrongTag);
        }
        let payload_bytes = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| MalformedStatement::BadEncoding("content"))?;
        let signature_bytes: [u8; 64] = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| MalformedStatement::BadEncoding("signature"))?
            .try_into()
            .map_err(|_| MalformedStatement::BadLength("signature"))?;
        Ok(SignedStatement {
            statement: CardStatement::from_payload(&payload_bytes)?,
            message: format!("{TAG}.{payload}"),
            signature: Signature::from_bytes(&signature_bytes),
        })
    }

    /// Whether `key` made the signature (strict Ed25519: no malleable or weak-key forms).
    pub fn is_signed_by(&self, key: &VerifyingKey) -> bool {
        key.verify_strict(self.message.as_bytes(), &self.signature)
            .is_ok()
    }
}

/// The outcome of checking a card's text against the keys a device knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authenticity {
    /// Signed by the key of the device it names.
    Authentic,
    /// The named device is known, but its key did not make this signature: altered or forged.
    BadSignature,
    /// This device does not know the key of the device the card names.
    UnknownSigner,
}

/// Decodes `text` and checks its signature against the key `keys` hold for the device it names.
pub fn check<K: CardKeys>(
    text: &str,
    keys: &K,
) -> Result<Result<(SignedStatement, Authenticity), MalformedStatement>, K::Error> {
    let signed = match SignedStatement::decode(text) {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let verdict = match keys.verifying_key(signed.statement.device)? {
        None => Authenticity::UnknownSigner,
        Some(key) if signed.is_signed_by(&key) => Authenticity::Authentic,
        Some(_) => Authenticity::BadSignature,
    };
    Ok(Ok((signed, verdict)))
}

/// 1970-01-01 counted in days from 0001-01-01 (chrono's "common era" day 1).
const EPOCH_FROM_CE: i32 = 719_163;

fn days_since_epoch(day: NaiveDate) -> i32 {
    // chrono's dates span ±262 143 years, so this never overflows.
    day.num_days_from_ce() - EPOCH_FROM_CE
}

fn day_from_epoch(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days.checked_add(EPOCH_FROM_CE)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::convert::Infallible;

    struct Keys(HashMap<Uuid, SigningKey>);

    impl CardKeys for Keys {
        type Error = Infallible;
        fn signer(&self) -> Result<Option<(Uuid, SigningKey)>, Infallible> {
            Ok(self.0.iter().next().map(|(d, k)| (*d, k.clone())))
        }
        fn verifying_key(&self, device: Uuid) -> Result<Option<VerifyingKey>, Infallible> {
            Ok(self.0.get(&device).map(|k| k.verifying_key()))
        }
    }

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn statement(device: Uuid) -> CardStatement {
        CardStatement {
            number: "KONO/AM/2026/0042".into(),
            holder_id: "SL-0042-KN".into(),
            holder_name: "Fatmata Kamara-Sésay".into(),
            valid_until: NaiveDate::from_ymd_opt(2027, 1, 9).unwrap(),
            area_hash: area_hash(&[(8.64, -10.97), (8.64, -10.969), (8.641, -10.969)]),
            device,
        }
    }

    #[test]
    fn a_signed_statement_reads_back_and_checks() {
        let device = Uuid::now_v7();
        let keys = Keys(HashMap::from([(device, key(7))]));
        let text = statement(device).sign(&key(7)).unwrap();
        assert!(text.starts_with("ALV1."));
        assert!(text.len() < 240, "{} characters", text.len());
        let (signed, verdict) = check(&text, &keys).unwrap().unwrap();
        assert_eq!(verdict, Authenticity::Authentic);
        assert_eq!(signed.statement, statement(device));
        // A scanner's trailing newline changes nothing.
        let (_, verdict) = check(&format!("{text}\r\n"), &keys).unwrap().unwrap();
        assert_eq!(verdict, Authenticity::Authentic);
    }

    #[test]
    fn any_single_altered_character_makes_the_text_invalid() {
        let device = Uuid::now_v7();
        let keys = Keys(HashMap::from([(device, key(7))]));
        let text = statement(device).sign(&key(7)).unwrap();
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
        for (i, original) in text.char_indices() {
            // Two replacements per position: the next symbol of the alphabet, and one far away.
            let at = alphabet.find(original).unwrap_or(0);
            for step in [1, 31] {
                let c = alphabet.chars().cycle().nth(at + step).unwrap();
                if c == original {
                    continue;
                }
                let mut altered = text.clone();
                altered.replace_range(i..i + 1, &c.to_string());
                if let Ok((_, verdict)) = check(&altered, &keys).unwrap() {
                    assert_ne!(
                        verdict,
                        Authenticity::Authentic,
                        "position {i}: {original:?} → {c:?} still verifies"
                    );
                }
            }
        }
    }

    #[test]
    fn another_devices_key_does_not_verify_and_an_unknown_device_is_said_so() {
        let device = Uuid::now_v7();
        let forged = statement(device).sign(&key(9)).unwrap();
        let keys = Keys(HashMap::from([(device, key(7))]));
        let (_, verdict) = check(&forged, &keys).unwrap().unwrap();
        assert_eq!(verdict, Authenticity::BadSignature);
        let stranger = Keys(HashMap::from([(Uuid::now_v7(), key(7))]));
        let text = statement(device).sign(&key(7)).unwrap();
        let (_, verdict) = check(&text, &stranger).unwrap().unwrap();
        assert_eq!(verdict, Authenticity::UnknownSigner);
    }

    #[test]
    fn malformed_texts_say_why() {
        let device = Uuid::now_v7();
        let text = statement(device).sign(&key(7)).unwrap();
        let (head, sig) = text.rsplit_once('.').unwrap();
        let cases: Vec<(String, MalformedStatement)> = vec![
            ("".into(), MalformedStatement::WrongTag),
            ("hello".into(), MalformedStatement::WrongTag),
            (
                text.replacen("ALV1", "ALV2", 1),
                MalformedStatement::WrongTag,
            ),
            (head.to_string(), MalformedStatement::WrongShape),
            (format!("{text}.x"), MalformedStatement::WrongShape),
            (
                format!("{head}.{}", &sig[..40]),
                MalformedStatement::BadLength("signature"),
            ),
            (
                format!("{head}=.{sig}"),
                MalformedStatement::BadEncoding("content"),
            ),
            (
                format!("ALV1.{}.{sig}", URL_SAFE_NO_PAD.encode([3u8, b'a'])),
                MalformedStatement::BadLength("payload"),
            ),
            (
                format!("ALV1.{}.{sig}", URL_SAFE_NO_PAD.encode([1u8, 0xff])),
                MalformedStatement::NotText("licence number"),
            ),
        ];
        for (input, why) in cases {
            assert_eq!(SignedStatement::decode(&input), Err(why), "{input:?}");
        }
    }

    #[test]
    fn the_area_hash_follows_the_printed_corners() {
        assert_eq!(
            canonical_corners(&[(8.64, -10.97), (8.641234567, -10.969)]),
            "8.64000,-10.97000;8.64123,-10.96900"
        );
        // A change below the printed precision does not change the hash; one above it does.
        let a = area_hash(&[(8.64, -10.97)]);
        assert_eq!(a, area_hash(&[(8.640001, -10.97)]));
        assert_ne!(a, area_hash(&[(8.64001, -10.97)]));
        assert_eq!(
            area_hash(&[]),
            <[u8; 32]>::from(Sha256::digest(b"")),
            "no area hashes the empty text"
        );
    }

    #[test]
    fn a_field_too_long_for_one_length_byte_is_refused() {
        let mut s = statement(Uuid::now_v7());
        s.holder_name = "é".repeat(128);
        assert_eq!(
            s.sign(&key(1)),
            Err(StatementError::TooLong("holder's name"))
        );
    }
}
