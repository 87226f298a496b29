//! NMEA decoding checked against gpsd's own decoding of the same logs.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use alluvium::gps::nmea::{DatePolicy, NmeaEvent, NmeaReader, NoFixReason, read_nmea_file};
use alluvium::gps::{Fix, Source, fixes_to_json_lines};
use chrono::Timelike;
use common::{chk_tpvs, logs, test_data_dir};

fn fix_tod_ms(f: &Fix) -> u64 {
    let t = f.time.time();
    u64::from(t.num_seconds_from_midnight()) * 1000 + u64::from(t.nanosecond() / 1_000_000)
}

fn all_fixes(path: &std::path::Path, policy: DatePolicy) -> Vec<Fix> {
    let file = std::fs::File::open(path).expect("open log");
    NmeaReader::new(file)
        .with_date_policy(policy)
        .collect::<Result<Vec<_>, _>>()
        .expect("reading a file does not fail")
}

/// Every fix we decode has a gpsd TPV for the same epoch at the same position
/// (within 1e-6°), and every epoch for which gpsd reported a position yields
/// a fix from us.
#[test]
fn positions_match_gpsd_chk_for_every_log() {
    let mut summary = Vec::new();
    for log in logs() {
        let chk = log.with_extension("log.chk");
        let expected = chk_tpvs(&chk);
        let mut by_tod: BTreeMap<u64, Vec<(f64, f64)>> = BTreeMap::new();
        for t in &expected {
            by_tod.entry(t.tod_ms).or_default().push((t.lat, t.lon));
        }
        // Positions are what is compared here, so let GGA-only epochs before
        // the first date through (see gga_without_date test for the default).
        let fixes = all_fixes(&log, DatePolicy::AssumeSystemDate);
        let mut seen = BTreeSet::new();
        for f in &fixes {
            assert_eq!(f.source, Source::Nmea);
            let tod = fix_tod_ms(f);
            let cands = by_tod.get(&tod).unwrap_or_else(|| {
                panic!(
                    "{}: fix at {} has no gpsd TPV for that epoch",
                    log.display(),
                    f.time
                )
            });
            assert!(
                cands
                    .iter()
                    .any(|(lat, lon)| (lat - f.lat).abs() <= 1e-6 && (lon - f.lon).abs() <= 1e-6),
                "{}: fix {:?} at {} does not match gpsd {:?}",
                log.display(),
                (f.lat, f.lon),
                f.time,
                cands
            );
            assert!(f.accuracy_m.is_finite() && f.accuracy_m > 0.0);
            assert!(
                seen.insert(tod),
                "{}: two fixes for epoch {tod}",
                log.display()
            );
        }
        let missing: Vec<_> = by_tod.keys().filter(|k| !seen.contains(k)).collect();
        assert!(
            missing.is_empty(),
            "{}: gpsd reported positions for epochs (ms of day) {missing:?} but we did not",
            log.display()
        );
        summary.push(format!(
            "{}: {} fixes, {} gpsd TPVs with position",
            log.file_name().unwrap().to_string_lossy(),
            fixes.len(),
            expected.len()
        ));
    }
    eprintln!("{}", summary.join("\n"));
}

#[test]
fn logs_with_fixes_produce_fixes() {
    for log in logs() {
        let n = all_fixes(&log, DatePolicy::RequireDate).len();
        let name = log.file_name().unwrap().to_string_lossy().into_owned();
        if name == "bu303-nofix.log" {
            assert_eq!(n, 0, "{name}");
        } else {
            assert!(n > 0, "{name}: no fixes");
        }
    }
}

/// bu303-nofix.log is binary SiRF protocol only (no NMEA at all): no fix,
/// no event, no panic, and nothing decoded as a sentence.
#[test]
fn binary_only_log_yields_nothing() {
    let path = test_data_dir().join("bu303-nofix.log");
    let mut r = read_nmea_file(&path).unwrap();
    let mut events = 0;
    while let Some(_ev) = r.next_event().unwrap() {
        events += 1;
    }
    assert_eq!(events, 0);
    assert_eq!(r.stats().fixes, 0);
    assert_eq!(r.stats().sentences, 0);
}

/// The cold-boot log: an epoch before any date (no fix by default policy),
/// a dated fix, then the receiver restarts ($PLCS) and reports only void
/// epochs. Checks the no-fix → fix → no-fix transitions and that the dated fix
/// carries the same time gpsd reported.
#[test]
fn coldboot_transitions() {
    let path = test_data_dir().join("gp-320fw-2019-04-07-coldboot.log");
    let mut r = read_nmea_file(&path).unwrap();
    let mut events = Vec::new();
    while let Some(ev) = r.next_event().unwrap() {
        events.push(ev);
    }
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match e {
            NmeaEvent::Fix(_) => "fix",
            NmeaEvent::NoFix {
                reason: NoFixReason::NoDate,
                ..
            } => "nodate",
            NmeaEvent::NoFix {
                reason: NoFixReason::Void,
                ..
            } => "void",
            NmeaEvent::NoFix { .. } => "nopos",
        })
        .collect();
    assert_eq!(kinds.first(), Some(&"nodate"), "{kinds:?}");
    let first_fix = kinds.iter().position(|k| *k == "fix").expect("a fix");
    assert!(kinds[first_fix + 1..].contains(&"void"), "{kinds:?}");
    assert!(!kinds[first_fix + 1..].contains(&"fix"), "{kinds:?}");
    let NmeaEvent::Fix(f) = &events[first_fix] else {
        unreachable!()
    };
    assert_eq!(f.time.to_rfc3339(), "2019-04-07T00:03:45.030+00:00");
    assert_eq!(f.sats, Some(4));
    assert_eq!(f.hdop, Some(1.4));
    assert!((f.lat - 48.149988333).abs() < 1e-6 && (f.lon - 11.584663333).abs() < 1e-6);
    // gpsd agrees on the time of that fix.
    let chk = chk_tpvs(&path.with_extension("log.chk"));
    assert!(
        chk.iter()
            .any(|t| t.time.as_deref() == Some("2019-04-07T00:03:45.030Z"))
    );
    // Truncated/spliced lines in this log were dropped, not misread.
    let s = r.stats();
    assert!(s.bad_checksum + s.missing_checksum > 0, "{s:?}");
}

/// Multi-GNSS talkers: GN (ublox-8, bu353-glonass) and GL GGA (sirfstarv).
#[test]
fn gnss_talkers_are_used() {
    for name in ["ublox-8.log", "bu353-glonass.log", "sirfstarv-nmea.log"] {
        let mut r = read_nmea_file(test_data_dir().join(name)).unwrap();
        let mut n = 0;
        while r.next_fix().unwrap().is_some() {
            n += 1;
        }
        assert!(n >= 9, "{name}: only {n} fixes");
        assert_eq!(r.stats().bad_checksum, 0, "{name}");
    }
}

#[test]
fn json_lines_output() {
    let path = test_data_dir().join("bu353s4.log");
    let fixes: Vec<Fix> = read_nmea_file(&path).unwrap().map(|f| f.unwrap()).collect();
    let mut out = Vec::new();
    let n = fixes_to_json_lines(fixes.clone(), &mut out).unwrap();
    assert_eq!(n, fixes.len());
    let text = String::from_utf8(out).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["source"], "nmea");
    assert_eq!(first["time"], "2014-12-31T03:07:19Z");
    assert_eq!(first["sats"], 8);
    assert!((first["accuracy_m"].as_f64().unwrap() - 5.5).abs() < 1e-9);
}

#[test]
fn missing_file_is_a_clear_error() {
    let err = read_nmea_file("/nonexistent/x.log").err().expect("error");
    assert!(err.to_string().contains("/nonexistent/x.log"), "{err}");
}
