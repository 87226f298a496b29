//! Talks to a REAL gpsd: serves an NMEA log over a loopback TCP "feed",
//! starts `gpsd -N -b -S PORT tcp://127.0.0.1:FEED` and checks that
//! `GpsdClient` reports the same positions our own NMEA reader decodes.
//!
//! Needs the Debian package `gpsd`. Without it the test FAILS, unless
//! `ALLUVIUM_SKIP_GPSD=1` is set.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use alluvium::gps::nmea::{DatePolicy, NmeaReader};
use alluvium::gps::{GpsError, GpsdClient, PositionSource, Source};
use chrono::Timelike;
use common::test_data_dir;

/// Finds the gpsd binary on PATH, or in the sbin directories that a
/// non-root PATH often lacks.
fn find_gpsd() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join("gpsd"))
        .find(|p| p.is_file())
}

/// gpsd child process, killed when dropped (also when the test panics).
struct GpsdProcess(Child);

impl Drop for GpsdProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    // The OS picks a free port; we release it just before gpsd binds it.
    TcpListener::bind("127.0.0.1:0")
        .expect("bind loopback")
        .local_addr()
        .expect("local addr")
        .port()
}

fn tod_ms(t: &chrono::DateTime<chrono::Utc>) -> u64 {
    let t = t.time();
    u64::from(t.num_seconds_from_midnight()) * 1000 + u64::from(t.nanosecond() / 1_000_000)
}

#[test]
fn real_gpsd_reports_the_logged_positions() {
    let Some(gpsd) = find_gpsd() else {
        if std::env::var("ALLUVIUM_SKIP_GPSD").as_deref() == Ok("1") {
            eprintln!("gpsd not installed; skipped because ALLUVIUM_SKIP_GPSD=1");
            return;
        }
        panic!(
            "gpsd binary not found on PATH (or /usr/sbin). Install it with \
             `apt-get install -y gpsd`, or set ALLUVIUM_SKIP_GPSD=1 to skip this test."
        );
    };

    let log = test_data_dir().join("bu353s4.log");
    let data = std::fs::read(&log).expect("read log");
    // What our own decoder makes of the log, keyed by time of day.
    let expected: BTreeMap<u64, (f64, f64)> = NmeaReader::new(&data[..])
        .with_date_policy(DatePolicy::AssumeSystemDate)
        .map(|f| f.expect("in-memory read"))
        .map(|f| (tod_ms(&f.time), (f.lat, f.lon)))
        .collect();
    assert!(expected.len() >= 20);

    // The feed: gpsd connects to it when our client enables watching (no -n),
    // so no data is lost before the watcher exists.
    let feed = TcpListener::bind("127.0.0.1:0").expect("bind feed");
    let feed_port = feed.local_addr().expect("feed addr").port();
    let (done_tx, done_rx) = mpsc::channel();
    let feed_thread = thread::spawn(move || {
        let (mut conn, _) = feed.accept().expect("gpsd connects to feed");
        thread::sleep(Duration::from_millis(300));
        for line in data.split(|&b| b == b'\n') {
            if line.starts_with(b"#") || line.is_empty() {
                continue;
            }
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if conn
                .write_all(line)
                .and_then(|_| conn.write_all(b"\r\n"))
                .is_err()
            {
                break;
            }
            thread::sleep(Duration::from_millis(5));
        }
        let _ = done_tx.send(());
        // Keep the connection open briefly so gpsd finishes the last epoch.
        thread::sleep(Duration::from_millis(1500));
    });

    let port = free_port();
    let child = Command::new(&gpsd)
        // -N foreground, -b read-only (never write config to the "device"),
        // -S control port; listens on loopback only (no -G).
        .args(["-N", "-b", "-S", &port.to_string()])
        .arg(format!("tcp://127.0.0.1:{feed_port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", gpsd.display()));
    let mut gpsd_proc = GpsdProcess(child);

    let start = Instant::now();
    let mut client = loop {
        match GpsdClient::connect(("127.0.0.1", port), Duration::from_secs(2)) {
            Ok(c) => break c,
            Err(e) => {
                if let Ok(Some(status)) = gpsd_proc.0.try_wait() {
                    let mut err = String::new();
                    if let Some(mut s) = gpsd_proc.0.stderr.take() {
                        let _ = s.read_to_string(&mut err);
                    }
                    panic!("gpsd exited early ({status}): {err}");
                }
                assert!(
                    start.elapsed() < Duration::from_secs(10),
                    "gpsd did not accept connections on 127.0.0.1:{port}: {e}"
                );
                thread::sleep(Duration::from_millis(100));
            }
        }
    };
    assert_eq!(client.kind(), Source::Gpsd);

    let mut fixes = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline && fixes.len() < expected.len() {
        match client.next_fix() {
            Ok(Some(f)) => fixes.push(f),
            Ok(None) => break,
            Err(GpsError::Timeout(_)) => {
                if done_rx.try_recv().is_ok() {
                    break; // feed finished and gpsd has gone quiet
                }
            }
            Err(e) => panic!("gpsd client error: {e}"),
        }
    }
    drop(gpsd_proc);
    let _ = feed_thread.join();

    eprintln!(
        "gpsd delivered {} fixes for {} log epochs",
        fixes.len(),
        expected.len()
    );
    assert!(
        fixes.len() >= 20,
        "only {} fixes from gpsd (expected ~{})",
        fixes.len(),
        expected.len()
    );
    for f in &fixes {
        assert_eq!(f.source, Source::Gpsd);
        let (lat, lon) = expected
            .get(&tod_ms(&f.time))
            .unwrap_or_else(|| panic!("gpsd fix at {} is not an epoch of the log", f.time));
        assert!(
            (lat - f.lat).abs() <= 1e-6 && (lon - f.lon).abs() <= 1e-6,
            "gpsd {:?} vs ours {:?} at {}",
            (f.lat, f.lon),
            (lat, lon),
            f.time
        );
        // gpsd's eph for HDOP 1.1 is ~20.9 m.
        assert!(
            f.accuracy_m > 1.0 && f.accuracy_m < 100.0,
            "{}",
            f.accuracy_m
        );
    }
    // After the first GSV burst gpsd's SKY tells us 8 satellites are used.
    assert!(fixes.iter().any(|f| f.sats == Some(8)), "{fixes:?}");
}

/// Connection refused gives a clear error naming the address.
#[test]
fn connect_refused_is_clear() {
    let port = free_port();
    let err = GpsdClient::connect(("127.0.0.1", port), Duration::from_millis(500))
        .err()
        .expect("nothing listens there");
    let msg = err.to_string();
    assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
}

/// A fake gpsd that closes the connection: the client reports end of stream,
/// and a silent one yields a timeout error, not a hang.
#[test]
fn client_timeout_and_eof() {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    let t = thread::spawn(move || {
        let (conn, _) = server.accept().unwrap();
        let mut r = BufReader::new(conn.try_clone().unwrap());
        let mut cmd = String::new();
        r.read_line(&mut cmd).unwrap();
        assert!(
            cmd.starts_with("?WATCH={\"enable\":true,\"json\":true};"),
            "{cmd}"
        );
        let mut w: TcpStream = conn;
        w.write_all(b"{\"class\":\"VERSION\",\"release\":\"3.22\"}\n")
            .unwrap();
        w.write_all(b"{\"class\":\"SKY\",\"uSat\":7,\"hdop\":0.9}\n")
            .unwrap();
        w.write_all(b"{\"class\":\"TPV\",\"mode\":3,\"time\":\"2025-01-01T00:00:00.000Z\",\"lat\":-28.7,\"lon\":24.7}\n").unwrap();
        thread::sleep(Duration::from_millis(600));
    });
    let mut c = GpsdClient::connect(addr, Duration::from_millis(300)).unwrap();
    let f = c.next_fix().unwrap().unwrap();
    assert_eq!(f.sats, Some(7));
    assert!((f.accuracy_m - 0.9 * alluvium::gps::UERE_M).abs() < 1e-9);
    assert!(matches!(c.next_fix(), Err(GpsError::Timeout(_))));
    t.join().unwrap();
    assert!(c.next_fix().unwrap().is_none());
}

/// Offline: the JSON gpsd printed in every `.chk` file decodes to fixes with
/// gpsd's positions and `eph` as accuracy (TPVs without time are skipped).
#[test]
fn decoder_on_recorded_gpsd_output() {
    use alluvium::gps::gpsd::GpsdDecoder;
    let mut total = 0;
    for log in common::logs() {
        let text = std::fs::read_to_string(log.with_extension("log.chk")).expect("read chk");
        let mut d = GpsdDecoder::new();
        for line in text.lines().filter(|l| l.starts_with('{')) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let fix = d.handle_line(line.as_bytes()).expect("gpsd JSON decodes");
            let usable = v["class"] == "TPV"
                && v["mode"].as_u64().unwrap_or(0) >= 2
                && v["lat"].is_f64()
                && v["time"].is_string();
            assert_eq!(fix.is_some(), usable, "{line}");
            if let Some(f) = fix {
                assert_eq!(f.lat, v["lat"].as_f64().unwrap());
                assert_eq!(f.lon, v["lon"].as_f64().unwrap());
                if let Some(eph) = v["eph"].as_f64() {
                    assert_eq!(f.accuracy_m, eph);
                }
                total += 1;
            }
        }
    }
    assert!(total > 400, "{total}");
}
