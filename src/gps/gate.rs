//! The accuracy/age gate: decides whether a fix is good enough to stamp on a
//! production record, and explains in plain words why not. Also averaging of
//! several fixes taken while standing still, to get a better position for a
//! pit or washing site than any single fix.

use chrono::{DateTime, Duration, Utc};
use geo::{Distance, Haversine, Point};

use super::Fix;

/// Tolerance for fixes stamped slightly in the future (receiver and phone
/// clocks are never exactly aligned).
const FUTURE_TOLERANCE_S: i64 = 5;

/// Thresholds a fix must meet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AccuracyGate {
    /// Worst acceptable horizontal accuracy in metres (default 10 m).
    pub max_accuracy_m: f64,
    /// Oldest acceptable fix (default 30 s).
    pub max_age: Duration,
}

impl Default for AccuracyGate {
    fn default() -> Self {
        Self {
            max_accuracy_m: 10.0,
            max_age: Duration::seconds(30),
        }
    }
}

/// Why a fix was refused. `Display` gives a sentence suitable for the UI.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GateRejection {
    /// There is no fix at all.
    #[error("no GPS fix")]
    NoFix,
    /// Accuracy worse than allowed.
    #[error("GPS fix too inaccurate: {accuracy_m:.1} m > {max_m:.1} m")]
    TooInaccurate {
        /// Fix accuracy.
        accuracy_m: f64,
        /// Allowed maximum.
        max_m: f64,
    },
    /// Fix older than allowed.
    #[error("GPS fix too old: {age_s} s (max {max_s} s)")]
    TooOld {
        /// Age in whole seconds.
        age_s: i64,
        /// Allowed maximum in seconds.
        max_s: i64,
    },
    /// Fix time lies in the future (wrong clock or receiver date bug).
    #[error("GPS fix time is {ahead_s} s in the future; check the device clock")]
    InFuture {
        /// Seconds ahead of `now`.
        ahead_s: i64,
    },
    /// Coordinates or accuracy are not valid numbers.
    #[error("GPS fix is invalid: {0}")]
    Invalid(String),
}

impl AccuracyGate {
    /// Accepts or rejects `fix` as of `now`.
    pub fn check(&self, fix: &Fix, now: DateTime<Utc>) -> Result<(), GateRejection> {
        fix.validate()
            .map_err(|e| GateRejection::Invalid(e.to_string()))?;
        // NaN/negative thresholds would accept everything; treat them as 0.
        let max_m = if self.max_accuracy_m.is_finite() {
            self.max_accuracy_m.max(0.0)
        } else {
            0.0
        };
        if fix.accuracy_m > max_m {
            return Err(GateRejection::TooInaccurate {
                accuracy_m: fix.accuracy_m,
                max_m,
            });
        }
        let age = now - fix.time;
        if age > self.max_age {
            return Err(GateRejection::TooOld {
                age_s: age.num_seconds(),
                max_s: self.max_age.num_seconds(),
            });
        }
        if age < -Duration::seconds(FUTURE_TOLERANCE_S) {
            return Err(GateRejection::InFuture {
                ahead_s: -age.num_seconds(),
            });
        }
        Ok(())
    }

    /// Like [`check`](Self::check), with `None` meaning "no fix".
    pub fn check_latest(&self, fix: Option<&Fix>, now: DateTime<Utc>) -> Result<(), GateRejection> {
        match fix {
            Some(f) => self.check(f, now),
            None => Err(GateRejection::NoFix),
        }
    }
}

/// Averages fixes taken at one spot. Invalid fixes are ignored; `None` if none
/// is valid.
///
/// Position: arithmetic mean of lat/lon (fine for a cluster a few metres wide;
/// longitudes are unwrapped relative to the first fix so a cluster on the
/// antimeridian does not average to 0°).
///
/// Accuracy: `max(mean_accuracy / sqrt(n), rms_spread)`, where `rms_spread`
/// is the root-mean-square Haversine distance of the fixes from the mean.
/// The `1/sqrt(n)` term is what independent errors would give; GNSS errors are
/// strongly correlated over minutes (ionosphere, multipath), so that term is
/// optimistic on its own, and the observed spread acts as a floor that stops
/// a drifting or jumping receiver from looking precise.
///
/// Other fields: time of the newest fix (so the age gate sees the latest
/// reading), mean altitude of those that have one, the smallest satellite
/// count (conservative), source of the newest fix, no HDOP/quality (they do not
/// describe an average).
pub fn average(fixes: &[Fix]) -> Option<Fix> {
    let valid: Vec<&Fix> = fixes.iter().filter(|f| f.validate().is_ok()).collect();
    let first = valid.first()?;
    let n = valid.len() as f64;
    let unwrap = |lon: f64| {
        let d = lon - first.lon;
        if d > 180.0 {
            lon - 360.0
        } else if d < -180.0 {
            lon + 360.0
        } else {
            lon
        }
    };
    let lat = valid.iter().map(|f| f.lat).sum::<f64>() / n;
    let mut lon = valid.iter().map(|f| unwrap(f.lon)).sum::<f64>() / n;
    if lon > 180.0 {
        lon -= 360.0;
    } else if lon < -180.0 {
        lon += 360.0;
    }
    let mean_acc = valid.iter().map(|f| f.accuracy_m).sum::<f64>() / n;
    let centre = Point::new(lon, lat);
    let spread = (valid
        .iter()
        .map(|f| Haversine.distance(centre, Point::new(f.lon, f.lat)).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    let accuracy_m = (mean_acc / n.sqrt()).max(spread);
    let newest = valid.iter().max_by_key(|f| f.time)?;
    let alts: Vec<f64> = valid.iter().filter_map(|f| f.altitude_m).collect();
    let altitude_m = (!alts.is_empty()).then(|| alts.iter().sum::<f64>() / alts.len() as f64);
    let sats = if valid.iter().all(|f| f.sats.is_some()) {
        valid.iter().filter_map(|f| f.sats).min()
    } else {
        None
    };
    let source = newest.source;
    Some(Fix {
        lat,
        lon,
        altitude_m,
        accuracy_m,
        sats,
        time: newest.time,
        source,
        hdop: None,
        quality: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn fix(lat: f64, lon: f64, acc: f64, secs: i64) -> Fix {
        let t0 = Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap();
        Fix::manual(lat, lon, acc, t0 + Duration::seconds(secs)).unwrap()
    }

    #[test]
    fn gate_reasons() {
        let g = AccuracyGate::default();
        let now = Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 10).unwrap();
        assert_eq!(g.check(&fix(1.0, 1.0, 4.0, 0), now), Ok(()));
        let e = g.check(&fix(1.0, 1.0, 12.5, 0), now).unwrap_err();
        assert_eq!(e.to_string(), "GPS fix too inaccurate: 12.5 m > 10.0 m");
        let e = g.check(&fix(1.0, 1.0, 4.0, -60), now).unwrap_err();
        assert_eq!(e.to_string(), "GPS fix too old: 70 s (max 30 s)");
        assert!(matches!(
            g.check(&fix(1.0, 1.0, 4.0, 100), now),
            Err(GateRejection::InFuture { ahead_s: 90 })
        ));
        assert_eq!(g.check_latest(None, now), Err(GateRejection::NoFix));
        assert_eq!(GateRejection::NoFix.to_string(), "no GPS fix");
        let mut bad = fix(1.0, 1.0, 4.0, 0);
        bad.lat = f64::NAN;
        assert!(matches!(g.check(&bad, now), Err(GateRejection::Invalid(_))));
    }

    #[test]
    fn averaging() {
        assert!(average(&[]).is_none());
        let fixes: Vec<Fix> = (0..4).map(|i| fix(-28.0, 24.0, 8.0, i)).collect();
        let a = average(&fixes).unwrap();
        assert!((a.accuracy_m - 4.0).abs() < 1e-9); // 8 / sqrt(4), no spread
        assert_eq!(a.time, fixes[3].time);
        // Two fixes ~111 m apart: spread dominates.
        let a = average(&[fix(0.0, 0.0, 5.0, 0), fix(0.001, 0.0, 5.0, 1)]).unwrap();
        assert!((a.lat - 0.0005).abs() < 1e-12);
        assert!(
            a.accuracy_m > 50.0 && a.accuracy_m < 60.0,
            "{}",
            a.accuracy_m
        );
        // Antimeridian cluster stays near ±180.
        let a = average(&[fix(0.0, 179.9999, 5.0, 0), fix(0.0, -179.9999, 5.0, 1)]).unwrap();
        assert!(a.lon.abs() > 179.99, "{}", a.lon);
    }
}
