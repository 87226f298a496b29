//! A short look at a receiver before anyone chooses it: what a gpsd daemon reports (fix kind,
//! satellites used) and whether a serial device speaks NMEA at a given speed and has a fix.
//!
//! Each probe is bounded by a wait of a few seconds and never panics; they block their caller,
//! so the app runs them on a worker thread. A serial device is read on a thread of its own
//! (set to return from a read after half a second without data where it is a terminal), so a
//! silent device cannot hold the probe past its wait.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::gpsd::WATCH_COMMAND;
use super::nmea::{DatePolicy, NmeaEvent, NmeaReader};

/// What gpsd said during the probe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GpsdReport {
    /// The last TPV `mode`: 1 no fix, 2 two-dimensional, 3 three-dimensional.
    pub mode: Option<u8>,
    /// Satellites used, from the last SKY report that said.
    pub satellites: Option<u32>,
}

impl GpsdReport {
    /// In words, e.g. "3D fix, 8 satellites".
    pub fn words(&self) -> String {
        let fix = match self.mode {
            Some(3) => "3D fix",
            Some(2) => "2D fix",
            Some(_) => "no fix yet",
            None => "answering, no position reported yet",
        };
        match self.satellites {
            Some(n) => format!("{fix}, {n} satellites"),
            None => fix.to_string(),
        }
    }
}

/// Connects to gpsd at `addr`, asks it to report, and listens for at most `wait` (less once
/// it has reported a fix and its satellites). An error when nothing answers there.
pub fn probe_gpsd(addr: &str, wait: Duration) -> Result<GpsdReport, String> {
    let deadline = Instant::now() + wait;
    let target = addr
        .to_socket_addrs()
        .map_err(|e| format!("{addr}: {e}"))?
        .next()
        .ok_or_else(|| format!("{addr}: no address"))?;
    let mut stream = TcpStream::connect_timeout(&target, Duration::from_millis(500))
        .map_err(|e| format!("{addr}: {e}"))?;
    stream
        .set_write_timeout(Some(Duration::from_millis(500)))
        .and_then(|()| stream.write_all(WATCH_COMMAND))
        .map_err(|e| format!("{addr}: {e}"))?;
    let mut report = GpsdReport::default();
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || (report.mode.is_some_and(|m| m >= 2) && report.satellites.is_some()) {
            return Ok(report);
        }
        if reader.get_ref().set_read_timeout(Some(left)).is_err() {
            return Ok(report);
        }
        // A timeout keeps the partial line; the next turn ends at the deadline.
        match (&mut reader).take(64 * 1024).read_until(b'\n', &mut line) {
            Ok(0) => return Ok(report),
            Ok(_) if line.ends_with(b"\n") => {
                if let Ok(v) = serde_json::from_slice::<Value>(&line) {
                    read_report(&v, &mut report);
                }
                line.clear();
            }
            Ok(_) => line.clear(), // over-long line: dropped
            Err(_) => return Ok(report),
        }
    }
}

fn read_report(v: &Value, report: &mut GpsdReport) {
    match v.get("class").and_then(Value::as_str) {
        Some("TPV") => {
            if let Some(m) = v.get("mode").and_then(Value::as_u64) {
                report.mode = u8::try_from(m).ok();
            }
        }
        Some("SKY") => {
            if let Some(u) = v.get("uSat").and_then(Value::as_u64) {
                report.satellites = u32::try_from(u).ok();
            } else if let Some(sats) = v.get("satellites").and_then(Value::as_array) {
                let used = sats
                    .iter()
                    .filter(|s| s.get("used").and_then(Value::as_bool) == Some(true))
                    .count();
                report.satellites = u32::try_from(used).ok();
            }
        }
        _ => {}
    }
}

/// What a serial device sent during the probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SerialReport {
    /// NMEA with at least one usable fix.
    Fix,
    /// NMEA, but no usable fix yet.
    NoFix,
    /// Nothing that reads as NMEA at this speed.
    NoNmea,
}

impl SerialReport {
    /// In words for a device read at `baud` (`None`: the speed it was left at).
    pub fn words(&self, baud: Option<u32>) -> String {
        match (self, baud) {
            (SerialReport::Fix, _) => "NMEA, fix".into(),
            (SerialReport::NoFix, _) => "NMEA, no fix".into(),
            (SerialReport::NoNmea, Some(b)) => format!("no NMEA at {b} baud"),
            (SerialReport::NoNmea, None) => "no NMEA".into(),
        }
    }
}

/// Reads `path` for at most `wait` (less once a fix is seen), after setting it to `baud` when
/// given, and says whether it speaks NMEA and has a fix. An error when the device cannot be
/// set or opened.
pub fn probe_serial(path: &str, baud: Option<u32>, wait: Duration) -> Result<SerialReport, String> {
    if let Some(baud) = baud {
        // `min 0 time 5`: a read returns after half a second without data, so the reading
        // thread ends soon after the probe gives up on a silent device.
        set_serial_speed(path, baud, &["min", "0", "time", "5"])?;
    }
    let deadline = Instant::now() + wait;
    let (tx, rx) = mpsc::channel::<Result<Vec<u8>, String>>();
    let device = path.to_string();
    std::thread::spawn(move || {
        let mut file = match std::fs::File::open(&device) {
            Ok(f) => f,
            Err(e) => {
                let _ = tx.send(Err(format!("cannot open {device}: {e}")));
                return;
            }
        };
        let started = Instant::now();
        let mut chunk = [0u8; 1024];
        while started.elapsed() < wait {
            match file.read(&mut chunk) {
                Ok(0) => std::thread::sleep(Duration::from_millis(50)),
                Ok(n) => {
                    if tx.send(Ok(chunk[..n].to_vec())).is_err() {
                        return; // the probe is over
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.send(Err(format!("cannot read {device}: {e}")));
                    return;
                }
            }
        }
    });
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match rx.recv_timeout(left) {
            Ok(Ok(bytes)) => {
                seen.extend_from_slice(&bytes);
                if judge(&seen) == SerialReport::Fix {
                    return Ok(SerialReport::Fix);
                }
                // Enough to judge a receiver that is not sending a fix.
                if seen.len() > 64 * 1024 {
                    break;
                }
            }
            Ok(Err(e)) => return Err(e),
            Err(_) => break,
        }
    }
    Ok(judge(&seen))
}

/// What a stretch of bytes from a receiver says.
pub fn judge(bytes: &[u8]) -> SerialReport {
    let mut reader = NmeaReader::new(bytes).with_date_policy(DatePolicy::AssumeSystemDate);
    let mut fix = false;
    while let Ok(Some(event)) = reader.next_event() {
        if matches!(event, NmeaEvent::Fix(_)) {
            fix = true;
            break;
        }
    }
    if fix {
        SerialReport::Fix
    } else if reader.stats().sentences + reader.stats().unsupported > 0 {
        SerialReport::NoFix
    } else {
        SerialReport::NoNmea
    }
}

/// Sets a serial device's speed with `stty` (raw, no echo), as a receiver needs, plus `extra`
/// settings.
pub fn set_serial_speed(path: &str, baud: u32, extra: &[&str]) -> Result<(), String> {
    let out = std::process::Command::new("stty")
        .args(["-F", path, &baud.to_string(), "raw", "-echo"])
        .args(extra)
        .output()
        .map_err(|e| format!("cannot set the speed of {path}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "cannot set {path} to {baud} baud: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judges_recorded_bytes() {
        let log = |name: &str| {
            std::fs::read(format!(
                "{}/tests/data/nmea/{name}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .expect("test log")
        };
        assert_eq!(judge(&log("bu353s4.log")), SerialReport::Fix);
        // SiRF binary, not NMEA, as a receiver at the wrong speed or protocol looks.
        assert_eq!(judge(&log("bu303-nofix.log")), SerialReport::NoNmea);
        // A receiver still searching: GGA with fix quality 0, RMC void.
        let sentence = |body: &str| {
            let sum = body.bytes().fold(0u8, |a, b| a ^ b);
            format!("${body}*{sum:02X}\r\n")
        };
        let searching: String = (0..5)
            .flat_map(|i| {
                [
                    sentence(&format!("GPGGA,1200{i:02}.00,,,,,0,00,99.99,,,,,,")),
                    sentence(&format!("GPRMC,1200{i:02}.00,V,,,,,,,030126,,,N")),
                ]
            })
            .collect();
        assert_eq!(judge(searching.as_bytes()), SerialReport::NoFix);
        assert_eq!(
            judge(b"\x00\xff garbage at the wrong speed \x13"),
            SerialReport::NoNmea
        );
        assert_eq!(
            SerialReport::NoNmea.words(Some(9600)),
            "no NMEA at 9600 baud"
        );
    }

    #[test]
    fn gpsd_report_in_words() {
        let mut r = GpsdReport::default();
        read_report(&serde_json::json!({"class":"TPV","mode":3}), &mut r);
        read_report(
            &serde_json::json!({"class":"SKY","satellites":[{"used":true},{"used":false}]}),
            &mut r,
        );
        assert_eq!(r.words(), "3D fix, 1 satellites");
        read_report(&serde_json::json!({"class":"SKY","uSat":8}), &mut r);
        assert_eq!(r.words(), "3D fix, 8 satellites");
    }
}
