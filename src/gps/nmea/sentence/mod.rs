//! Parsing of single NMEA 0183 sentences (GGA, RMC, GSA, GSV, GNS, GLL, ZDA).
//!
//! This is a small hand-written parser rather than the `nmea` crate: we only need
//! six sentence types, we want exact control over checksum and void handling,
//! and it must never panic on garbage (every field access is checked, no
//! indexing without bounds checks, no `unwrap`). Input is raw bytes because
//! serial lines deliver binary noise that is not UTF-8.

use chrono::{NaiveDate, NaiveTime};

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

/// GGA: time, position, fix quality, satellites used, HDOP, altitude.
#[derive(Debug, Clone, PartialEq)]
pub struct Gga {
    /// UTC time of day.
    pub time: Option<NaiveTime>,
    /// Latitude/longitude in degrees, when present and well formed.
    pub position: Option<(f64, f64)>,
    /// Quality indicator (0 = invalid, 1 = GPS, 2 = DGPS, 6 = estimated, ...).
    pub quality: u8,
    /// Satellites used.
    pub sats: Option<u32>,
    /// Horizontal dilution of precision.
    pub hdop: Option<f64>,
    /// Altitude above mean sea level, metres.
    pub altitude_m: Option<f64>,
}

/// RMC: time, date, status, position.
#[derive(Debug, Clone, PartialEq)]
pub struct Rmc {
    /// UTC time of day.
    pub time: Option<NaiveTime>,
    /// `true` for status `A` (valid); `V` means the receiver has no fix.
    pub valid: bool,
    /// Position, when present and well formed.
    pub position: Option<(f64, f64)>,
    /// UTC date.
    pub date: Option<NaiveDate>,
    /// NMEA 2.3+ mode indicator (`A`, `D`, `E`, `N`, ...), when present.
    pub mode: Option<u8>,
}

/// GSA: fix type, satellites used, DOPs.
#[derive(Debug, Clone, PartialEq)]
pub struct Gsa {
    /// 1 = no fix, 2 = 2D, 3 = 3D.
    pub fix_type: u8,
    /// Number of satellite ids listed as used.
    pub sats_used: u32,
    /// Position DOP.
    pub pdop: Option<f64>,
    /// Horizontal DOP.
    pub hdop: Option<f64>,
    /// Vertical DOP.
    pub vdop: Option<f64>,
}

/// GSV: satellites in view (only the counts are kept).
#[derive(Debug, Clone, PartialEq)]
pub struct Gsv {
    /// Total number of GSV messages in this group.
    pub total_msgs: u32,
    /// This message's number (1-based).
    pub msg_num: u32,
    /// Satellites in view.
    pub sats_in_view: u32,
}

/// GNS: multi-constellation fix data.
#[derive(Debug, Clone, PartialEq)]
pub struct Gns {
    /// UTC time of day.
    pub time: Option<NaiveTime>,
    /// Position, when present.
    pub position: Option<(f64, f64)>,
    /// Mode indicator characters, one per constellation (`N` = no fix).
    pub mode: Vec<u8>,
    /// Satellites used.
    pub sats: Option<u32>,
    /// Horizontal DOP.
    pub hdop: Option<f64>,
    /// Altitude above mean sea level, metres.
    pub altitude_m: Option<f64>,
}

/// GLL: position, time, status.
#[derive(Debug, Clone, PartialEq)]
pub struct Gll {
    /// Position, when present.
    pub position: Option<(f64, f64)>,
    /// UTC time of day.
    pub time: Option<NaiveTime>,
    /// `true` for status `A`.
    pub valid: bool,
    /// NMEA 2.3+ mode indicator, when present.
    pub mode: Option<u8>,
}

/// ZDA: time and date.
#[derive(Debug, Clone, PartialEq)]
pub struct Zda {
    /// UTC time of day.
    pub time: Option<NaiveTime>,
    /// UTC date.
    pub date: Option<NaiveDate>,
}

/// The sentence types we understand.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Global positioning system fix data.
    Gga(Gga),
    /// Recommended minimum data.
    Rmc(Rmc),
    /// DOP and active satellites.
    Gsa(Gsa),
    /// Satellites in view.
    Gsv(Gsv),
    /// GNSS fix data.
    Gns(Gns),
    /// Geographic position.
    Gll(Gll),
    /// Time and date.
    Zda(Zda),
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

/// Verifies the checksum and splits a sentence into (address, fields).
///
/// `line` is one sentence starting at `$` (or `!`), without the line ending.
/// A missing `*HH` is accepted only if `allow_missing_checksum` is set.
fn split_checked(line: &[u8], allow_missing_checksum: bool) -> Result<&[u8], SentenceError> {
    let rest = match line.split_first() {
        Some((b'$' | b'!', rest)) => rest,
        _ => return Err(SentenceError::Malformed),
    };
    if line.len() > MAX_SENTENCE_LEN {
        return Err(SentenceError::Malformed);
    }
    // Trailing whitespace (some loggers add spaces) is not part of the sentence.
    let rest = trim_end(rest);
    let data = match rest.iter().rposition(|&b| b == b'*') {
        Some(star) => {
            let (data, cs) = (&rest[..star], &rest[star + 1..]);
            let want = match cs {
                [h, l] => hex(*h)
                    .zip(hex(*l))
                    .map(|(h, l)| (h << 4) | l)
                    .ok_or(SentenceError::BadChecksum)?,
                _ => return Err(SentenceError::BadChecksum),
            };
            if data.iter().fold(0u8, |acc, b| acc ^ b) != want {
                return Err(SentenceError::BadChecksum);
            }
            data
        }
        None if allow_missing_checksum => rest,
        None => return Err(SentenceError::MissingChecksum),
    };
    // Sentences are printable ASCII; anything else means line noise that
    // happened to pass the (weak, 8-bit) checksum.
    if data.iter().any(|b| !(0x20..0x7f).contains(b)) {
        return Err(SentenceError::Malformed);
    }
    Ok(data)
}

fn trim_end(mut b: &[u8]) -> &[u8] {
    while let Some((last, init)) = b.split_last() {
        if last.is_ascii_whitespace() {
            b = init;
        } else {
            break;
        }
    }
    b
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
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

/// Field `i`, or empty if the sentence is short (older NMEA versions omit
/// trailing fields, so absence is treated like an empty field).
fn field<'a>(f: &[&'a [u8]], i: usize) -> &'a [u8] {
    f.get(i).copied().unwrap_or(b"")
}

fn text(b: &[u8]) -> Option<&str> {
    std::str::from_utf8(b).ok().filter(|s| !s.is_empty())
}

fn num(b: &[u8]) -> Option<f64> {
    text(b)?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

fn uint(b: &[u8]) -> Option<u32> {
    text(b)?.trim().parse::<u32>().ok()
}

fn single_char(b: &[u8]) -> Option<u8> {
    match b {
        [c] => Some(*c),
        _ => None,
    }
}

/// `hhmmss[.sss...]` → time of day. Second 60 (leap second) is accepted.
pub(crate) fn parse_time(b: &[u8]) -> Option<NaiveTime> {
    let s = text(b)?;
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s, ""),
    };
    if whole.len() != 6 || !whole.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let h: u32 = whole.get(0..2)?.parse().ok()?;
    let m: u32 = whole.get(2..4)?.parse().ok()?;
    let sec: u32 = whole.get(4..6)?.parse().ok()?;
    // Nanoseconds from up to 9 fraction digits; extra digits are ignored.
    let mut nanos: u32 = 0;
    for i in 0..9 {
        let d = frac.as_bytes().get(i).map_or(0, |c| u32::from(c - b'0'));
        nanos = nanos * 10 + d;
    }
    if sec == 60 {
        // chrono represents a leap second as second 59 + >= 1e9 nanoseconds.
        return NaiveTime::from_hms_nano_opt(h, m, 59, 1_000_000_000 + nanos);
    }
    NaiveTime::from_hms_nano_opt(h, m, sec, nanos)
}

/// `ddmmyy` → date. Two-digit years are mapped to 1980–2079: GPS did not
/// exist before 1980, so this window is unambiguous for real receivers.
fn parse_date_ddmmyy(b: &[u8]) -> Option<NaiveDate> {
    let s = text(b)?;
    if s.len() != 6 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let d: u32 = s.get(0..2)?.parse().ok()?;
    let m: u32 = s.get(2..4)?.parse().ok()?;
    let y: i32 = s.get(4..6)?.parse().ok()?;
    let y = if y >= 80 { 1900 + y } else { 2000 + y };
    NaiveDate::from_ymd_opt(y, m, d)
}

/// `(d)ddmm.mmmm` + hemisphere → signed degrees. Rejects minutes ≥ 60 and
/// out-of-range results rather than guessing.
fn parse_coord(value: &[u8], hemi: &[u8], max_deg: f64) -> Option<f64> {
    let v = num(value)?;
    if v < 0.0 {
        return None;
    }
    let deg = (v / 100.0).trunc();
    let min = v - deg * 100.0;
    if min >= 60.0 {
        return None;
    }
    let abs = deg + min / 60.0;
    if abs > max_deg {
        return None;
    }
    match single_char(hemi)? {
        b'N' | b'E' => Some(abs),
        b'S' | b'W' => Some(-abs),
        _ => None,
    }
}

fn parse_position(f: &[&[u8]], i: usize) -> Option<(f64, f64)> {
    let lat = parse_coord(field(f, i), field(f, i + 1), 90.0)?;
    let lon = parse_coord(field(f, i + 2), field(f, i + 3), 180.0)?;
    Some((lat, lon))
}

fn parse_gga(f: &[&[u8]]) -> Result<Gga, SentenceError> {
    // 0 time, 1-4 lat/N/lon/E, 5 quality, 6 sats, 7 hdop, 8 alt, 9 M, 10 sep, 11 M
    let quality = match field(f, 5) {
        b"" => 0,
        q => uint(q)
            .and_then(|q| u8::try_from(q).ok())
            .ok_or(SentenceError::BadField("GGA quality"))?,
    };
    Ok(Gga {
        time: parse_time(field(f, 0)),
        position: parse_position(f, 1),
        quality,
        sats: uint(field(f, 6)),
        hdop: num(field(f, 7)).filter(|h| *h > 0.0),
        altitude_m: num(field(f, 8)),
    })
}

fn parse_rmc(f: &[&[u8]]) -> Result<Rmc, SentenceError> {
    // 0 time, 1 status, 2-5 position, 6 speed, 7 course, 8 date, 9-10 magvar, 11 mode
    let valid = match field(f, 1) {
        b"A" => true,
        b"V" | b"" => false,
        _ => return Err(SentenceError::BadField("RMC status")),
    };
    Ok(Rmc {
        time: parse_time(field(f, 0)),
        valid,
        position: parse_position(f, 2),
        date: parse_date_ddmmyy(field(f, 8)),
        mode: single_char(field(f, 11)),
    })
}

fn parse_gsa(f: &[&[u8]]) -> Result<Gsa, SentenceError> {
    // 0 A/M, 1 fix type, 2-13 sat ids, 14 pdop, 15 hdop, 16 vdop, (17 system id)
    let fix_type = uint(field(f, 1))
        .and_then(|v| u8::try_from(v).ok())
        .ok_or(SentenceError::BadField("GSA fix type"))?;
    let sats_used = (2..14).filter(|&i| !field(f, i).is_empty()).count();
    Ok(Gsa {
        fix_type,
        sats_used: u32::try_from(sats_used).unwrap_or(u32::MAX),
        pdop: num(field(f, 14)),
        hdop: num(field(f, 15)).filter(|h| *h > 0.0),
        vdop: num(field(f, 16)),
    })
}

fn parse_gsv(f: &[&[u8]]) -> Result<Gsv, SentenceError> {
    let bad = SentenceError::BadField("GSV counts");
    Ok(Gsv {
        total_msgs: uint(field(f, 0)).ok_or(bad.clone())?,
        msg_num: uint(field(f, 1)).ok_or(bad.clone())?,
        sats_in_view: uint(field(f, 2)).ok_or(bad)?,
    })
}

fn parse_gns(f: &[&[u8]]) -> Result<Gns, SentenceError> {
    // 0 time, 1-4 position, 5 mode chars, 6 sats, 7 hdop, 8 alt, 9 sep, ...
    Ok(Gns {
        time: parse_time(field(f, 0)),
        position: parse_position(f, 1),
        mode: field(f, 5).to_vec(),
        sats: uint(field(f, 6)),
        hdop: num(field(f, 7)).filter(|h| *h > 0.0),
        altitude_m: num(field(f, 8)),
    })
}

fn parse_gll(f: &[&[u8]]) -> Result<Gll, SentenceError> {
    // 0-3 position, 4 time, 5 status, 6 mode
    let valid = match field(f, 5) {
        b"A" => true,
        b"V" | b"" => false,
        _ => return Err(SentenceError::BadField("GLL status")),
    };
    Ok(Gll {
        position: parse_position(f, 0),
        time: parse_time(field(f, 4)),
        valid,
        mode: single_char(field(f, 6)),
    })
}

fn parse_zda(f: &[&[u8]]) -> Result<Zda, SentenceError> {
    // 0 time, 1 day, 2 month, 3 year (4 digits)
    let date = match (uint(field(f, 1)), uint(field(f, 2)), uint(field(f, 3))) {
        (Some(d), Some(m), Some(y)) => i32::try_from(y)
            .ok()
            .and_then(|y| NaiveDate::from_ymd_opt(y, m, d)),
        _ => None,
    };
    Ok(Zda {
        time: parse_time(field(f, 0)),
        date,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Sentence, SentenceError> {
        parse_sentence(s.as_bytes(), false)
    }

    #[test]
    fn gga_decodes() {
        let s = p("$GPGGA,030719.000,3747.0873,S,17518.8938,E,1,08,1.1,59.9,M,23.7,M,,0000*7D")
            .unwrap();
        assert_eq!(s.talker, Talker::Gps);
        let Body::Gga(g) = s.body else { panic!() };
        let (lat, lon) = g.position.unwrap();
        assert!((lat - -37.784788333).abs() < 1e-8);
        assert!((lon - 175.314896667).abs() < 1e-8);
        assert_eq!(g.quality, 1);
        assert_eq!(g.sats, Some(8));
        assert_eq!(g.hdop, Some(1.1));
        assert_eq!(g.altitude_m, Some(59.9));
        assert_eq!(g.time, NaiveTime::from_hms_opt(3, 7, 19));
    }

    #[test]
    fn checksum_rules() {
        assert_eq!(
            p("$GPGGA,030719.000,3747.0873,S,17518.8938,E,1,08,1.1,59.9,M,23.7,M,,0000*7E"),
            Err(SentenceError::BadChecksum)
        );
        assert_eq!(
            p("$GPGLL,4808.9993,N,01135.0798,E,000343.03,A,A"),
            Err(SentenceError::MissingChecksum)
        );
        assert!(parse_sentence(b"$GPGLL,4808.9993,N,01135.0798,E,000343.03,A,A", true).is_ok());
        // lower-case hex checksum is accepted
        assert!(p("$GPGLL,4808.9993,N,01135.0798,E,000343.03,A,A*60").is_ok());
        assert_eq!(p("$GP"), Err(SentenceError::MissingChecksum));
        assert_eq!(p("$GPVTG,,T,,M,2C"), Err(SentenceError::MissingChecksum));
        assert!(matches!(
            p("$GPVTG,,T,,M,,N,,K,N*2C"),
            Err(SentenceError::Unsupported(_))
        ));
    }

    #[test]
    fn rmc_void_and_date() {
        let s = p("$GPRMC,000425.00,V,0000.0000,N,00000.0000,E,,,220899,,,N*4D").unwrap();
        let Body::Rmc(r) = s.body else { panic!() };
        assert!(!r.valid);
        assert_eq!(r.date, NaiveDate::from_ymd_opt(1999, 8, 22));
        assert_eq!(r.mode, Some(b'N'));
    }

    #[test]
    fn garbage_is_rejected() {
        for g in [
            &b""[..],
            b"$",
            b"$*",
            b"$*00",
            b"$\xff\xfe*01",
            b"hello",
            b"$GPGGA*56",
        ] {
            assert!(parse_sentence(g, true).is_err() || parse_sentence(g, true).is_ok());
        }
        assert!(parse_time(b"256199").is_none());
        assert!(parse_time(b"12345").is_none());
        assert!(parse_coord(b"9060.0", b"N", 90.0).is_none());
        assert!(parse_coord(b"-100.0", b"N", 90.0).is_none());
    }

    #[test]
    fn leap_second_time_parses() {
        assert!(parse_time(b"235960.5").is_some());
    }
}
