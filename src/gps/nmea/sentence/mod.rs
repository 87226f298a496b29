//! Parsing of single NMEA 0183 sentences (GGA, RMC, GSA, GSV, GNS, GLL, ZDA).
//!
//! This is a small hand-written parser rather than the `nmea` crate: we only need
//! six sentence types, we want exact control over checksum and void handling,
//! and it must never panic on garbage (every field access is checked, no
//! indexing without bounds checks, no `unwrap`). Input is raw bytes because
//! serial lines deliver binary noise that is not UTF-8.
//!
//! - `checksum`: the sentence frame and its `*HH` checksum, checked before anything is read.
//! - `fields`: single values (numbers, time of day, dates, coordinates).
//! - `body`: each sentence type's struct and the parser of its fields.
//!
//! This module holds the talker, the error and [`parse_sentence`], which ties the three
//! together.

mod body;
mod checksum;
mod fields;

pub use body::{Body, Gga, Gll, Gns, Gsa, Gsv, Rmc, Zda};

use body::{parse_gga, parse_gll, parse_gns, parse_gsa, parse_gsv, parse_rmc, parse_zda};
use checksum::split_checked;

/// Longest sentence we accept, in bytes, including `$` and checksum. NMEA says
/// 82; receivers exceed it (long GSV/GSA from multi-GNSS chips), so allow
/// headroom while still bounding memory on binary garbage.
pub const MAX_SENTENCE_LEN: usize = 200;

/// Talker (the two letters after `$`): which constellation a sentence describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Talker {
    /// `GP`: GPS.
    Gps,
    /// `GN`: combined multi-GNSS solution.
    Gnss,
    /// `GL`: GLONASS.
    Glonass,
    /// `GA`: Galileo.
    Galileo,
    /// `BD` or `GB`: BeiDou.
    BeiDou,
    /// `GQ`: QZSS.
    Qzss,
    /// `GI`: NavIC/IRNSS.
    Navic,
}

impl Talker {
    fn from_bytes(b: &[u8]) -> Option<Self> {
        Some(match b {
            b"GP" => Self::Gps,
            b"GN" => Self::Gnss,
            b"GL" => Self::Glonass,
            b"GA" => Self::Galileo,
            b"BD" | b"GB" => Self::BeiDou,
            b"GQ" => Self::Qzss,
            b"GI" => Self::Navic,
            _ => return None,
        })
    }
}

/// A checksum-verified, decoded sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    /// Who sent it.
    pub talker: Talker,
    /// What it says.
    pub body: Body,
}

/// Why a line was not turned into a [`Sentence`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SentenceError {
    /// Not of the form `$TTSSS,...*HH`.
    #[error("not an NMEA sentence")]
    Malformed,
    /// The `*HH` checksum did not match the data.
    #[error("checksum mismatch")]
    BadChecksum,
    /// No `*HH` checksum and the caller requires one.
    #[error("missing checksum")]
    MissingChecksum,
    /// Talker or sentence type we do not decode (VTG, proprietary `$P...`, ...).
    #[error("unsupported sentence {0}")]
    Unsupported(String),
    /// Known sentence type, but a mandatory field is garbled.
    #[error("bad field in {0}")]
    BadField(&'static str),
}

/// Parses one sentence (starting with `$`, line ending optional).
///
/// Sentences without a checksum are rejected unless `allow_missing_checksum`
/// is true: in practice a missing checksum almost always means a truncated or
/// spliced line (see the cold-boot test log), and positions that end up in
/// Kimberley Process records must not come from corrupted data.
pub fn parse_sentence(
    line: &[u8],
    allow_missing_checksum: bool,
) -> Result<Sentence, SentenceError> {
    let data = split_checked(line, allow_missing_checksum)?;
    let mut fields = data.split(|&b| b == b',');
    let address = fields.next().ok_or(SentenceError::Malformed)?;
    if address.len() != 5 {
        return Err(SentenceError::Unsupported(lossy(address)));
    }
    let (talker, kind) = address.split_at(2);
    let talker =
        Talker::from_bytes(talker).ok_or_else(|| SentenceError::Unsupported(lossy(address)))?;
    let f: Vec<&[u8]> = fields.collect();
    let body = match kind {
        b"GGA" => Body::Gga(parse_gga(&f)?),
        b"RMC" => Body::Rmc(parse_rmc(&f)?),
        b"GSA" => Body::Gsa(parse_gsa(&f)?),
        b"GSV" => Body::Gsv(parse_gsv(&f)?),
        b"GNS" => Body::Gns(parse_gns(&f)?),
        b"GLL" => Body::Gll(parse_gll(&f)?),
        b"ZDA" => Body::Zda(parse_zda(&f)?),
        _ => return Err(SentenceError::Unsupported(lossy(address))),
    };
    Ok(Sentence { talker, body })
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
