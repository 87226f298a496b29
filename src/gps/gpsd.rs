//! gpsd client: connects to a gpsd daemon over TCP, enables JSON watch mode
//! and turns TPV reports into [`Fix`]es.
//!
//! gpsd is the usual way a Linux field laptop/Raspberry Pi shares one receiver
//! between programs, and it already handles binary protocols (SiRF, u-blox
//! UBX) that our own NMEA reader does not. Plain blocking `std::net` keeps the
//! dependency tree small; one client is one thread.
//!
//! Mapping: a TPV with `mode >= 2`, `lat`, `lon` and `time` becomes a fix.
//! Accuracy is gpsd's `eph` if present, else `sqrt(epx² + epy²)`, else the last
//! SKY's `hdop × UERE`, else [`UNKNOWN_ACCURACY_M`]. Satellites used come from
//! the last SKY (`uSat`, else the number of `used: true` satellites). TPVs
//! without a time are skipped, mirroring the NMEA reader's "no date, no fix"
//! policy. TPV `status` dead-reckoning (5), time-only (7) and simulated (8)
//! are skipped: they are not measured positions.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{
    Fix, FixQuality, GpsError, PositionSource, Source, UERE_M, UNKNOWN_ACCURACY_M, check_lat_lon,
};

/// The command that switches gpsd into JSON streaming mode.
pub const WATCH_COMMAND: &[u8] = b"?WATCH={\"enable\":true,\"json\":true};\n";

/// Largest JSON line we buffer; gpsd SKY reports with many satellites are a
/// few KiB. Longer lines are skipped rather than growing memory without bound.
const MAX_LINE: usize = 256 * 1024;

/// Stateful decoder of gpsd JSON lines (kept separate from the socket so it can
/// be tested on recorded output).
#[derive(Debug, Default, Clone)]
pub struct GpsdDecoder {
    sky_hdop: Option<f64>,
    sky_used: Option<u32>,
}

impl GpsdDecoder {
    /// New decoder with no satellite information yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Satellites used according to the last SKY report.
    pub fn satellites_used(&self) -> Option<u32> {
        self.sky_used
    }

    /// Processes one JSON line. Returns a fix for usable TPVs, `Ok(None)` for
    /// other classes, and an error for gpsd `ERROR` reports or non-JSON lines.
    pub fn handle_line(&mut self, line: &[u8]) -> Result<Option<Fix>, GpsError> {
        let line = trim(line);
        if line.is_empty() {
            return Ok(None);
        }
        let v: Value = serde_json::from_slice(line).map_err(|e| {
            GpsError::Protocol(format!(
                "{e}: {}",
                String::from_utf8_lossy(&line[..line.len().min(120)])
            ))
        })?;
        match v.get("class").and_then(Value::as_str) {
            Some("TPV") => Ok(self.tpv(&v)),
            Some("SKY") => {
                self.sky(&v);
                Ok(None)
            }
            Some("ERROR") => Err(GpsError::Protocol(format!(
                "gpsd error: {}",
                v.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("(no message)")
            ))),
            _ => Ok(None),
        }
    }

    fn sky(&mut self, v: &Value) {
        // gpsd sends partial SKY reports (e.g. DOPs only, from GSA) too; only
        // overwrite what this report actually contains.
        if let Some(h) = v.get("hdop").and_then(Value::as_f64).filter(|h| *h > 0.0) {
            self.sky_hdop = Some(h);
        }
        if let Some(u) = v.get("uSat").and_then(Value::as_u64) {
            self.sky_used = u32::try_from(u).ok();
        } else if let Some(sats) = v.get("satellites").and_then(Value::as_array) {
            let used = sats
                .iter()
                .filter(|s| s.get("used").and_then(Value::as_bool) == Some(true))
                .count();
            self.sky_used = u32::try_from(used).ok();
        }
    }

    fn tpv(&self, v: &Value) -> Option<Fix> {
        let num = |k: &str| v.get(k).and_then(Value::as_f64).filter(|x| x.is_finite());
        let mode = v.get("mode").and_then(Value::as_u64)?;
        if mode < 2 {
            return None;
        }
        let quality = match v.get("status").and_then(Value::as_u64) {
            None | Some(0 | 1 | 6) => Some(FixQuality::Autonomous),
            Some(2) => Some(FixQuality::Differential),
            Some(3) => Some(FixQuality::RtkFixed),
            Some(4) => Some(FixQuality::RtkFloat),
            Some(9) => Some(FixQuality::Precise),
            Some(_) => return None, // 5 DR, 7 time only, 8 simulated
        };
        let (lat, lon) = (num("lat")?, num("lon")?);
        check_lat_lon(lat, lon).ok()?;
        let time = v
            .get("time")
            .and_then(Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())?
            .with_timezone(&Utc);
        let accuracy_m = num("eph")
            .or_else(|| match (num("epx"), num("epy")) {
                (Some(x), Some(y)) => Some(x.hypot(y)),
                _ => None,
            })
            .or_else(|| self.sky_hdop.map(|h| h * UERE_M))
            .filter(|a| *a >= 0.0)
            .unwrap_or(UNKNOWN_ACCURACY_M);
        Some(Fix {
            lat,
            lon,
            altitude_m: num("altMSL").or_else(|| num("alt")),
            accuracy_m,
            sats: self.sky_used,
            time,
            source: Source::Gpsd,
            hdop: self.sky_hdop,
            quality,
        })
    }
}

fn trim(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if first.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
}

/// Blocking client for one gpsd connection.
pub struct GpsdClient {
    reader: BufReader<TcpStream>,
    timeout: Duration,
    decoder: GpsdDecoder,
    line: Vec<u8>,
    /// Currently discarding the rest of an over-long line.
    skipping: bool,
    closed: bool,
}

impl GpsdClient {
    /// Connects to gpsd at `addr` (e.g. `"127.0.0.1:2947"`) and enables JSON
    /// watch mode. `timeout` bounds the connect, each write and each wait for
    /// data in [`next_fix`](Self::next_fix).
    pub fn connect(addr: impl ToSocketAddrs, timeout: Duration) -> Result<Self, GpsError> {
        let addrs: Vec<_> = addr
            .to_socket_addrs()
            .map_err(|e| GpsError::Connect {
                addr: "(unresolved)".into(),
                reason: e.to_string(),
            })?
            .collect();
        // A zero timeout would mean "block forever" to set_read_timeout
        // (and is an error there); use a tiny one instead.
        let timeout = timeout.max(Duration::from_millis(1));
        let mut last_err = String::from("no address to connect to");
        let mut stream = None;
        for a in &addrs {
            match TcpStream::connect_timeout(a, timeout) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last_err = format!("{a}: {e}"),
            }
        }
        let name = addrs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let mut stream = stream.ok_or(GpsError::Connect {
            addr: name,
            reason: last_err,
        })?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        stream.write_all(WATCH_COMMAND)?;
        stream.flush()?;
        Ok(Self {
            reader: BufReader::new(stream),
            timeout,
            decoder: GpsdDecoder::new(),
            line: Vec::new(),
            skipping: false,
            closed: false,
        })
    }

    /// Satellites used according to gpsd's last SKY report.
    pub fn satellites_used(&self) -> Option<u32> {
        self.decoder.satellites_used()
    }

    /// Waits for the next usable TPV. `Ok(None)` when gpsd closed the
    /// connection; `Err(GpsError::Timeout)` when nothing arrived within the
    /// timeout (the client stays usable, call again to keep waiting).
    pub fn next_fix(&mut self) -> Result<Option<Fix>, GpsError> {
        loop {
            let Some(line) = self.next_line()? else {
                return Ok(None);
            };
            match self.decoder.handle_line(&line) {
                Ok(Some(fix)) => return Ok(Some(fix)),
                Ok(None) => {}
                // A garbled line is not fatal: gpsd may have been restarted
                // mid-line. gpsd ERROR reports are.
                Err(GpsError::Protocol(msg)) if !msg.starts_with("gpsd error") => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn next_line(&mut self) -> Result<Option<Vec<u8>>, GpsError> {
        if self.closed {
            return Ok(None);
        }
        loop {
            let room = (MAX_LINE - self.line.len().min(MAX_LINE)) as u64 + 1;
            // `read_until` keeps already-read bytes in `self.line` on error, so
            // a timeout in the middle of a line loses nothing.
            let res = (&mut self.reader)
                .take(room)
                .read_until(b'\n', &mut self.line);
            match res {
                Ok(0) => {
                    self.closed = true;
                    return Ok(None);
                }
                Ok(_) => {
                    if self.line.last() == Some(&b'\n') {
                        let line = std::mem::take(&mut self.line);
                        if std::mem::take(&mut self.skipping) {
                            continue; // tail of an over-long line
                        }
                        return Ok(Some(line));
                    }
                    if self.line.len() > MAX_LINE {
                        self.line.clear();
                        self.skipping = true;
                    }
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Err(GpsError::Timeout(self.timeout));
                }
                Err(e) => return Err(GpsError::Io(e)),
            }
        }
    }
}

impl PositionSource for GpsdClient {
    fn next_fix(&mut self) -> Result<Option<Fix>, GpsError> {
        GpsdClient::next_fix(self)
    }

    fn kind(&self) -> Source {
        Source::Gpsd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tpv_accuracy_fallbacks() {
        let mut d = GpsdDecoder::new();
        let f = d
            .handle_line(br#"{"class":"TPV","mode":3,"time":"2020-01-01T00:00:00.000Z","lat":1.5,"lon":2.5,"eph":7.0}"#)
            .unwrap()
            .unwrap();
        assert_eq!(f.accuracy_m, 7.0);
        assert_eq!(f.source, Source::Gpsd);
        let f = d
            .handle_line(br#"{"class":"TPV","mode":2,"time":"2020-01-01T00:00:00Z","lat":1.5,"lon":2.5,"epx":3.0,"epy":4.0}"#)
            .unwrap()
            .unwrap();
        assert_eq!(f.accuracy_m, 5.0);
        d.handle_line(br#"{"class":"SKY","hdop":1.2,"satellites":[{"used":true},{"used":false},{"used":true}]}"#)
            .unwrap();
        let f = d
            .handle_line(
                br#"{"class":"TPV","mode":2,"time":"2020-01-01T00:00:00Z","lat":1.5,"lon":2.5}"#,
            )
            .unwrap()
            .unwrap();
        assert!((f.accuracy_m - 1.2 * UERE_M).abs() < 1e-9);
        assert_eq!(f.sats, Some(2));
        d.handle_line(br#"{"class":"SKY","uSat":9}"#).unwrap();
        assert_eq!(d.satellites_used(), Some(9));
    }

    #[test]
    fn tpv_without_fix_or_time_is_skipped() {
        let mut d = GpsdDecoder::new();
        for l in [
            &br#"{"class":"TPV","mode":1,"time":"2020-01-01T00:00:00Z"}"#[..],
            br#"{"class":"TPV","mode":3,"lat":1.0,"lon":2.0}"#,
            br#"{"class":"TPV","mode":3,"time":"2020-01-01T00:00:00Z","lat":91.0,"lon":2.0}"#,
            br#"{"class":"TPV","mode":3,"status":5,"time":"2020-01-01T00:00:00Z","lat":1.0,"lon":2.0}"#,
            br#"{"class":"VERSION","release":"3.22"}"#,
            b"   ",
        ] {
            assert!(d.handle_line(l).unwrap().is_none());
        }
        assert!(d.handle_line(b"{not json").is_err());
        assert!(
            d.handle_line(br#"{"class":"ERROR","message":"Unrecognized request"}"#)
                .is_err()
        );
    }
}
