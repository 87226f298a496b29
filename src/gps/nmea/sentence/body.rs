//! What each sentence type carries ([`Gga`], [`Rmc`], [`Gsa`], [`Gsv`], [`Gns`], [`Gll`],
//! [`Zda`], gathered in [`Body`]) and how its comma-separated fields decode. One parser per
//! type, each reading fields by their position in the NMEA 0183 layout noted beside it.

use super::SentenceError;
use super::fields::{field, num, parse_date_ddmmyy, parse_position, parse_time, single_char, uint};
use chrono::{NaiveDate, NaiveTime};

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

pub(super) fn parse_gga(f: &[&[u8]]) -> Result<Gga, SentenceError> {
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

pub(super) fn parse_rmc(f: &[&[u8]]) -> Result<Rmc, SentenceError> {
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

pub(super) fn parse_gsa(f: &[&[u8]]) -> Result<Gsa, SentenceError> {
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

pub(super) fn parse_gsv(f: &[&[u8]]) -> Result<Gsv, SentenceError> {
    let bad = SentenceError::BadField("GSV counts");
    Ok(Gsv {
        total_msgs: uint(field(f, 0)).ok_or(bad.clone())?,
        msg_num: uint(field(f, 1)).ok_or(bad.clone())?,
        sats_in_view: uint(field(f, 2)).ok_or(bad)?,
    })
}

pub(super) fn parse_gns(f: &[&[u8]]) -> Result<Gns, SentenceError> {
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

pub(super) fn parse_gll(f: &[&[u8]]) -> Result<Gll, SentenceError> {
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

pub(super) fn parse_zda(f: &[&[u8]]) -> Result<Zda, SentenceError> {
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
    use super::super::{Sentence, Talker, parse_sentence};
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
    fn rmc_void_and_date() {
        let s = p("$GPRMC,000425.00,V,0000.0000,N,00000.0000,E,,,220899,,,N*4D").unwrap();
        let Body::Rmc(r) = s.body else { panic!() };
        assert!(!r.valid);
        assert_eq!(r.date, NaiveDate::from_ymd_opt(1999, 8, 22));
        assert_eq!(r.mode, Some(b'N'));
    }
}
