//! Helpers shared by the GPS integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// Directory with the gpsd regression NMEA logs (`*.log` + `*.log.chk`).
///
/// Looked up as `$ALLUVIUM_NMEA_DIR`, then `tests/data/nmea` in the repository
/// (a copy of the gpsd project's logs, see its COPYING). Panics
/// with a clear message if none exists: missing test data must not silently
/// turn into passing tests.
pub fn test_data_dir() -> PathBuf {
    let mut candidates = Vec::new();
    if let Some(d) = std::env::var_os("ALLUVIUM_NMEA_DIR") {
        candidates.push(PathBuf::from(d));
    }
    candidates.push(PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/nmea"
    )));
    for c in &candidates {
        if c.join("bu353s4.log").is_file() {
            return c.clone();
        }
    }
    panic!("NMEA test data not found; looked in {candidates:?} (set ALLUVIUM_NMEA_DIR)");
}

/// All `*.log` files in the test data directory, sorted.
pub fn logs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(test_data_dir())
        .expect("read test data dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    v.sort();
    assert!(
        v.len() >= 10,
        "expected the 10 gpsd regression logs, found {v:?}"
    );
    v
}

/// `hhmmss.fff` → milliseconds of day (None if not a time).
pub fn tod_ms(s: &str) -> Option<u64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.len() != 6 {
        return None;
    }
    let h: u64 = whole[0..2].parse().ok()?;
    let m: u64 = whole[2..4].parse().ok()?;
    let sec: u64 = whole[4..6].parse().ok()?;
    let mut ms = 0u64;
    for i in 0..3 {
        ms = ms * 10 + frac.as_bytes().get(i).map_or(0, |c| u64::from(c - b'0'));
    }
    Some(((h * 60 + m) * 60 + sec) * 1000 + ms)
}

/// Time-of-day field of an NMEA sentence line as printed in a `.chk` file.
pub fn sentence_tod(line: &str) -> Option<u64> {
    let body = line.strip_prefix('$')?;
    let body = body.split('*').next()?;
    let f: Vec<&str> = body.split(',').collect();
    let kind = f.first()?.get(2..)?;
    let idx = match kind {
        "GGA" | "RMC" | "GNS" | "ZDA" => 1,
        "GLL" => 5,
        _ => return None,
    };
    tod_ms(f.get(idx)?)
}

/// One gpsd TPV with a position from a `.chk` file, keyed by the time of day
/// of the last NMEA sentence gpsd printed before it (the sentence that
/// completed the report).
#[derive(Debug, Clone)]
pub struct ChkTpv {
    pub tod_ms: u64,
    pub lat: f64,
    pub lon: f64,
    pub time: Option<String>,
}

/// Parses a `.chk` file: NMEA sentences interleaved with gpsd JSON reports.
pub fn chk_tpvs(path: &std::path::Path) -> Vec<ChkTpv> {
    let text = std::fs::read(path).expect("read .chk");
    let text = String::from_utf8_lossy(&text);
    let mut tod = None;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('$') {
            if let Some(t) = sentence_tod(line) {
                tod = Some(t);
            }
        } else if line.starts_with('{') {
            let v: serde_json::Value = serde_json::from_str(line).expect("chk JSON");
            if v["class"] != "TPV" || v["mode"].as_u64().unwrap_or(0) < 2 {
                continue;
            }
            let (Some(lat), Some(lon)) = (v["lat"].as_f64(), v["lon"].as_f64()) else {
                continue;
            };
            if let Some(t) = tod {
                out.push(ChkTpv {
                    tod_ms: t,
                    lat,
                    lon,
                    time: v["time"].as_str().map(str::to_owned),
                });
            }
        }
    }
    out
}
