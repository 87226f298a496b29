//! GPS positions for field records: one [`Fix`] type, the sources that produce it
//! (NMEA 0183 byte streams, a gpsd daemon, or manual entry), the accuracy/age gate
//! that decides whether a fix is good enough to stamp on a production record, and
//! the geofence checks against licence polygons.
//!
//! Everything that turns outside data into a [`Fix`] lives here so that the rest
//! of Alluvium only ever sees validated WGS84 coordinates with an honest accuracy
//! estimate and a full UTC timestamp. No function in this module panics on any
//! input: receivers, cables and daemons all produce garbage from time to time.

pub mod gate;
pub mod geofence;
pub mod gpsd;
pub mod nmea;
pub mod probe;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use gate::{AccuracyGate, GateRejection, average};
pub use geofence::Containment;
pub use gpsd::GpsdClient;
pub use nmea::{NmeaReader, read_nmea_file};

/// User Equivalent Range Error (metres, 1 sigma) used to turn a dilution of
/// precision into a horizontal accuracy: `accuracy_m = HDOP × UERE`.
///
/// Why 5 m: a modern single-frequency consumer receiver (SiRF IV, MediaTek,
/// u-blox M8 class) has a pseudorange error budget of roughly 3–6 m once
/// ionosphere, troposphere, clock/ephemeris and multipath are added up; 5 m
/// makes HDOP 1.0 map to ~5 m, which is what these receivers actually achieve
/// (about the 68 % horizontal error phones report). It is deliberately not
/// gpsd's ~15–19 m, which is a 95 % figure and would make almost every fix fail
/// the default 10 m gate. Note that a fix taken from gpsd uses gpsd's own `eph`
/// as-is and is therefore more conservative than one decoded from NMEA here.
pub const UERE_M: f64 = 5.0;

/// Accuracy (metres) assigned when the receiver gave a position but no DOP or
/// error estimate at all: 99.99 (the NMEA "no DOP" value) × [`UERE_M`]. It keeps
/// the position usable for tracks while guaranteeing any sane gate rejects it.
pub const UNKNOWN_ACCURACY_M: f64 = 99.99 * UERE_M;

/// Where a [`Fix`] came from. Serialized lowercase: `"nmea"`, `"gpsd"`, `"manual"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Decoded here from NMEA 0183 sentences (file or serial device).
    Nmea,
    /// Reported by a gpsd daemon (TPV report).
    Gpsd,
    /// Typed in by a person (e.g. read off a handheld GPS).
    Manual,
}

/// Kind of position solution, from GGA's quality field or gpsd's TPV `status`.
/// Serialized in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FixQuality {
    /// Plain autonomous GNSS fix (GGA quality 1).
    Autonomous,
    /// Differential / SBAS corrected fix (GGA quality 2).
    Differential,
    /// PPS / precise code fix (GGA quality 3).
    Precise,
    /// RTK with fixed integers (GGA quality 4).
    RtkFixed,
    /// RTK float solution (GGA quality 5).
    RtkFloat,
}

impl FixQuality {
    /// Maps a GGA quality indicator to a usable fix kind. Returns `None` for
    /// 0 (invalid), 6 (dead-reckoning estimate), 7 (manual input), 8 (simulator)
    /// and anything unknown: none of those is a measured position.
    pub fn from_gga(q: u8) -> Option<Self> {
        match q {
            1 => Some(Self::Autonomous),
            2 => Some(Self::Differential),
            3 => Some(Self::Precise),
            4 => Some(Self::RtkFixed),
            5 => Some(Self::RtkFloat),
            _ => None,
        }
    }
}

/// One position, ready to be stored with a field record.
///
/// JSON field names: `lat`, `lon`, `altitude_m`, `accuracy_m`, `sats`, `time`
/// (RFC 3339 UTC), `source`, `hdop`, `quality`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    /// Latitude, degrees WGS84, north positive.
    pub lat: f64,
    /// Longitude, degrees WGS84, east positive.
    pub lon: f64,
    /// Altitude above mean sea level in metres, when known.
    #[serde(default)]
    pub altitude_m: Option<f64>,
    /// Estimated horizontal error in metres (see [`UERE_M`] for how it is derived).
    pub accuracy_m: f64,
    /// Number of satellites used in the solution, when known.
    #[serde(default)]
    pub sats: Option<u32>,
    /// Time of the fix (UTC), as reported by the receiver.
    pub time: DateTime<Utc>,
    /// Where the fix came from.
    pub source: Source,
    /// Horizontal dilution of precision, when known.
    #[serde(default)]
    pub hdop: Option<f64>,
    /// Kind of solution, when known.
    #[serde(default)]
    pub quality: Option<FixQuality>,
}

impl Fix {
    /// Builds a manually entered fix, validating ranges: latitude in [-90, 90],
    /// longitude in [-180, 180], accuracy finite and ≥ 0.
    pub fn manual(
        lat: f64,
        lon: f64,
        accuracy_m: f64,
        time: DateTime<Utc>,
    ) -> Result<Fix, GpsError> {
        let fix = Fix {
            lat,
            lon,
            altitude_m: None,
            accuracy_m,
            sats: None,
            time,
            source: Source::Manual,
            hdop: None,
            quality: None,
        };
        fix.validate()?;
        Ok(fix)
    }

    /// Checks that coordinates and accuracy are finite and in range. Useful for
    /// fixes that came back from JSON or another untrusted place.
    pub fn validate(&self) -> Result<(), GpsError> {
        check_lat_lon(self.lat, self.lon)?;
        if !self.accuracy_m.is_finite() || self.accuracy_m < 0.0 {
            return Err(GpsError::InvalidFix(format!(
                "accuracy {} m is not a finite, non-negative number",
                self.accuracy_m
            )));
        }
        if let Some(alt) = self.altitude_m
            && !alt.is_finite()
        {
            return Err(GpsError::InvalidFix(format!(
                "altitude {alt} m is not finite"
            )));
        }
        Ok(())
    }
}

/// Validates a latitude/longitude pair (finite, within WGS84 ranges).
pub(crate) fn check_lat_lon(lat: f64, lon: f64) -> Result<(), GpsError> {
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(GpsError::InvalidFix(format!(
            "latitude {lat} is outside -90..=90"
        )));
    }
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(GpsError::InvalidFix(format!(
            "longitude {lon} is outside -180..=180"
        )));
    }
    Ok(())
}

/// Everything that can go wrong while getting a position.
#[derive(Debug, thiserror::Error)]
pub enum GpsError {
    /// Reading the NMEA file/device or the gpsd socket failed.
    #[error("GPS I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// Could not open an NMEA file or serial device.
    #[error("cannot open GPS data at {path}: {source}")]
    Open {
        /// Path that failed to open.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// Could not connect to gpsd.
    #[error("cannot connect to gpsd at {addr}: {reason}")]
    Connect {
        /// Address we tried.
        addr: String,
        /// Why it failed.
        reason: String,
    },
    /// gpsd did not send anything within the read timeout.
    #[error("no data from gpsd within {0:?}")]
    Timeout(std::time::Duration),
    /// gpsd sent something that is not a JSON object we understand.
    #[error("gpsd sent malformed JSON: {0}")]
    Protocol(String),
    /// A fix (manual or deserialized) has out-of-range values.
    #[error("invalid fix: {0}")]
    InvalidFix(String),
}

/// Anything that can produce fixes: NMEA reader, gpsd client, manual entry.
pub trait PositionSource {
    /// Blocks until the next fix is available. `Ok(None)` means the source is
    /// exhausted (end of file, gpsd closed the connection, no more manual fixes).
    fn next_fix(&mut self) -> Result<Option<Fix>, GpsError>;
    /// Which kind of source this is.
    fn kind(&self) -> Source;
}

/// A queue of manually entered fixes, so manual entry can stand in wherever a
/// [`PositionSource`] is expected (e.g. when the receiver is broken).
#[derive(Debug, Default, Clone)]
pub struct ManualSource {
    queue: std::collections::VecDeque<Fix>,
}

impl ManualSource {
    /// An empty manual source.
    pub fn new() -> Self {
        Self::default()
    }

    /// Validates and queues a manual fix; it is returned by the next `next_fix`.
    pub fn push(
        &mut self,
        lat: f64,
        lon: f64,
        accuracy_m: f64,
        time: DateTime<Utc>,
    ) -> Result<(), GpsError> {
        self.queue
            .push_back(Fix::manual(lat, lon, accuracy_m, time)?);
        Ok(())
    }
}

impl PositionSource for ManualSource {
    fn next_fix(&mut self) -> Result<Option<Fix>, GpsError> {
        Ok(self.queue.pop_front())
    }

    fn kind(&self) -> Source {
        Source::Manual
    }
}

/// Writes fixes as JSON Lines (one object per line), e.g. for
/// `alluvium gps --nmea-file FILE`.
pub fn fixes_to_json_lines<I, W>(fixes: I, mut out: W) -> Result<usize, GpsError>
where
    I: IntoIterator<Item = Fix>,
    W: std::io::Write,
{
    let mut n = 0;
    for fix in fixes {
        // Fix only holds plain numbers/strings, so serialization cannot fail
        // except through the writer; map both to I/O errors.
        serde_json::to_writer(&mut out, &fix).map_err(std::io::Error::other)?;
        out.write_all(b"\n")?;
        n += 1;
    }
    out.flush()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn manual_fix_validates_ranges() {
        let t = Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap();
        assert!(Fix::manual(-28.7, 24.7, 3.0, t).is_ok());
        assert!(Fix::manual(91.0, 24.7, 3.0, t).is_err());
        assert!(Fix::manual(0.0, -180.5, 3.0, t).is_err());
        assert!(Fix::manual(f64::NAN, 0.0, 3.0, t).is_err());
        assert!(Fix::manual(0.0, 0.0, -1.0, t).is_err());
        assert!(Fix::manual(0.0, 0.0, f64::INFINITY, t).is_err());
    }

    #[test]
    fn fix_json_field_names() {
        let t = Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap();
        let fix = Fix::manual(-28.7, 24.7, 3.0, t).unwrap();
        let v: serde_json::Value = serde_json::to_value(&fix).unwrap();
        for k in ["lat", "lon", "accuracy_m", "time", "sats", "source"] {
            assert!(v.get(k).is_some(), "missing {k}");
        }
        assert_eq!(v["source"], "manual");
        assert_eq!(v["time"], "2025-01-02T03:04:05Z");
        let back: Fix = serde_json::from_value(v).unwrap();
        assert_eq!(back, fix);
        let mut out = Vec::new();
        assert_eq!(
            fixes_to_json_lines([fix.clone(), fix], &mut out).unwrap(),
            2
        );
        assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 2);
    }

    #[test]
    fn manual_source_yields_queued_fixes() {
        let t = Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap();
        let mut s = ManualSource::new();
        assert!(s.push(100.0, 0.0, 1.0, t).is_err());
        s.push(1.0, 2.0, 1.0, t).unwrap();
        assert_eq!(s.kind(), Source::Manual);
        assert_eq!(s.next_fix().unwrap().unwrap().lat, 1.0);
        assert!(s.next_fix().unwrap().is_none());
    }
}
