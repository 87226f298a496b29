//! The Settings page finds GPS receivers by itself, driven through the real window with the
//! testing backend: a real gpsd on loopback fed an NMEA log, and pseudo-terminals made by
//! `socat` standing in for serial receivers (one sending the same log, one silent). Chosen on
//! the page, gpsd's fix shows on the Production page with the position gpsd's own decoding of
//! the log gives (the `.chk` file beside it).
//!
//! Needs the Debian packages `gpsd` and `socat` (`cargo xtask test` installs them).

mod common;
mod ui_kit;

use alluvium::app::{App, GpsAdapter, SessionAdapter, SettingsAdapter};
use alluvium::domain::{Officer, OfficerId, Role};
use alluvium::store::Store;
use i_slint_backend_testing::AccessibleRole;
use slint::{ComponentHandle, Model};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};
use ui_kit::{tap, type_into, wait_for};

const PASSWORD: &str = "a long enough password";

/// A child process killed when dropped (also when the test panics).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_program(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} not found: `apt-get install -y {name}`"))
}

/// A loopback TCP feed that sends the NMEA log over and over to whoever connects (gpsd, or
/// socat behind a pseudo-terminal), a line every 5 ms.
fn nmea_feed(log: &Path) -> u16 {
    let data = std::fs::read(log).expect("read log");
    let feed = TcpListener::bind("127.0.0.1:0").expect("bind feed");
    let port = feed.local_addr().expect("feed addr").port();
    thread::spawn(move || {
        for conn in feed.incoming() {
            let Ok(conn) = conn else { continue };
            let data = data.clone();
            thread::spawn(move || serve(conn, &data));
        }
    });
    port
}

fn serve(mut conn: TcpStream, data: &[u8]) {
    loop {
        for line in data.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() || line.starts_with(b"#") {
                continue;
            }
            if conn
                .write_all(line)
                .and_then(|()| conn.write_all(b"\r\n"))
                .is_err()
            {
                return;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind loopback")
        .local_addr()
        .expect("local addr")
        .port()
}

/// gpsd on `port`, reading the feed; returns once it accepts connections.
fn start_gpsd(port: u16, feed_port: u16) -> Running {
    let child = Command::new(find_program("gpsd"))
        .args(["-N", "-b", "-S", &port.to_string()])
        .arg(format!("tcp://127.0.0.1:{feed_port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start gpsd");
    let gpsd = Running(child);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "gpsd never answered"
        );
        thread::sleep(Duration::from_millis(100));
    }
    gpsd
}

/// A pseudo-terminal at `link` whose other end is `other` (a socat address).
fn pseudo_terminal(link: &Path, other: &str) -> Running {
    let child = Command::new(find_program("socat"))
        .arg(format!("pty,raw,echo=0,link={}", link.display()))
        .arg(other)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start socat");
    let pty = Running(child);
    let start = Instant::now();
    while !link.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "socat made no pty"
        );
        thread::sleep(Duration::from_millis(50));
    }
    pty
}

fn app() -> App {
    let mut store = Store::open_in_memory().unwrap();
    store.write(|w| w.ensure_known_region("SL-KONO")).unwrap();
    let officer = Officer {
        id: OfficerId::new(),
        username: "officer".into(),
        full_name: "Isatu Bangura".into(),
        role: Role::FieldOfficer,
        regions: vec!["SL-KONO".into()],
    };
    alluvium::sync::add_local_officer(&mut store, &officer, PASSWORD).unwrap();
    let app = ui_kit::window(store);
    type_into(&app, "User name", "officer");
    type_into(&app, "Password", PASSWORD);
    tap(&app, "Log in");
    assert_eq!(app.window().global::<SessionAdapter>().get_gate(), 0);
    app
}

fn found(app: &App) -> Vec<String> {
    let list = app.window().global::<SettingsAdapter>().get_gps_found();
    list.iter().map(|s| s.to_string()).collect()
}

/// "gpsd · -8.123456, -11.654321 · ±…" → the position.
fn position_in(text: &str) -> Option<(f64, f64)> {
    let pos = text.split(" · ").nth(1)?;
    let (lat, lon) = pos.split_once(", ")?;
    Some((lat.parse().ok()?, lon.parse().ok()?))
}

#[test]
fn settings_finds_gpsd_and_serial_receivers_and_production_shows_the_fix() {
    let log = common::test_data_dir().join("bu353s4.log");
    let feed = nmea_feed(&log);
    let gpsd_port = free_port();
    let _gpsd = start_gpsd(gpsd_port, feed);
    let dev = tempfile::tempdir().unwrap();
    let _receiver = pseudo_terminal(
        &dev.path().join("ttyUSB0"),
        &format!("TCP:127.0.0.1:{feed}"),
    );
    let _silent = pseudo_terminal(&dev.path().join("ttyACM0"), "EXEC:sleep 120");
    // Not a receiver's name: not listed.
    std::fs::write(dev.path().join("console"), "").unwrap();

    let app = app();
    app.set_gps_discovery(&format!("127.0.0.1:{gpsd_port}"), dev.path());
    app.show_page(8);
    let settings = app.window().global::<SettingsAdapter>();
    assert!(settings.get_gps_looking(), "probing runs on a worker");
    assert_eq!(found(&app), ["Looking for receivers…"]);
    wait_for(&app, "the receivers to be probed", |a| {
        !a.window().global::<SettingsAdapter>().get_gps_looking()
    });
    let d = dev.path().display();
    assert_eq!(
        found(&app),
        [
            format!("gpsd on 127.0.0.1:{gpsd_port} — 3D fix, 8 satellites"),
            format!("{d}/ttyACM0 at 9600 baud — no NMEA at 9600 baud"),
            format!("{d}/ttyUSB0 at 9600 baud — NMEA, fix"),
        ]
    );

    // Choose gpsd.
    settings.set_gps_found_index(0);
    tap(&app, "Use this receiver");
    let current = settings.get_gps_current();
    assert_eq!(current, format!("In use: gpsd at 127.0.0.1:{gpsd_port}"));

    // The Production page shows gpsd's fix: a position gpsd itself decoded from the log.
    app.show_page(3);
    ui_kit::find(&app, "Use GPS fix", &[AccessibleRole::Button]);
    wait_for(&app, "a fix from gpsd", |a| {
        a.window()
            .global::<GpsAdapter>()
            .get_fix_text()
            .starts_with("gpsd · ")
    });
    let text = app
        .window()
        .global::<GpsAdapter>()
        .get_fix_text()
        .to_string();
    let (lat, lon) = position_in(&text).unwrap_or_else(|| panic!("no position in {text:?}"));
    let gpsd_says = common::chk_tpvs(&log.with_extension("log.chk"));
    let decoded_by_gpsd = |lat: f64, lon: f64, within: f64| {
        gpsd_says
            .iter()
            .any(|t| (t.lat - lat).abs() <= within && (t.lon - lon).abs() <= within)
    };
    assert!(
        decoded_by_gpsd(lat, lon, 6e-7),
        "{text:?} is not a position gpsd decodes from {}",
        log.display()
    );

    // The serial receiver instead: read here at 9600 baud, the same positions.
    app.show_page(8);
    settings.set_gps_found_index(2);
    tap(&app, "Use this receiver");
    assert_eq!(
        settings.get_gps_current(),
        format!("In use: {d}/ttyUSB0 at 9600 baud")
    );
    app.show_page(3);
    wait_for(&app, "a fix from the serial receiver", |a| {
        a.window()
            .global::<GpsAdapter>()
            .get_fix_text()
            .starts_with("nmea · ")
    });
    let text = app
        .window()
        .global::<GpsAdapter>()
        .get_fix_text()
        .to_string();
    let (lat, lon) = position_in(&text).unwrap_or_else(|| panic!("no position in {text:?}"));
    // Our decoder and gpsd agree to 1e-6 degrees (tests/gps_gpsd.rs); six decimals shown.
    assert!(decoded_by_gpsd(lat, lon, 1.6e-6), "{text:?}");
}
