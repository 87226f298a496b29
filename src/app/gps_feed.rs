//! The live GPS fix for the Sites and Production pages. A background thread reads the receiver
//! and a one-second timer on the UI thread shows source, accuracy and age and whether the
//! accuracy gate lets the fix be used.
//!
//! The receiver is the one chosen on the Settings page (kept in the device database as
//! `gps_source`: `gpsd:HOST:PORT`, or `nmea:PATH` with an optional `@BAUD` for a serial
//! device); the environment variables `ALLUVIUM_GPSD=HOST:PORT` and `ALLUVIUM_NMEA=PATH` keep
//! working for tests and scripts and win over the setting.

use super::context::Ctx;
use super::{AppWindow, GpsAdapter};
use crate::gps::{Fix, GateRejection, GpsdClient, PositionSource};
use crate::i18n::numbers::decimal;
use crate::tr;
use slint::{ComponentHandle, Timer, TimerMode};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The device setting holding the chosen receiver.
pub const GPS_SOURCE: &str = "gps_source";

/// Serial speeds a receiver may use.
const BAUDS: &[u32] = &[4800, 9600, 19200, 38400, 57600, 115200];

/// What the reader thread has seen; the reader of an older choice stops writing here.
#[derive(Default)]
pub struct Feed {
    generation: Arc<AtomicU64>,
    latest: Arc<Mutex<Option<Fix>>>,
    last_error: Arc<Mutex<Option<String>>>,
    source: Mutex<Option<String>>,
}

/// The source from the environment, which wins over the setting.
fn from_env() -> Option<(String, &'static str)> {
    std::env::var("ALLUVIUM_GPSD")
        .map(|a| (format!("gpsd:{a}"), "ALLUVIUM_GPSD"))
        .or_else(|_| std::env::var("ALLUVIUM_NMEA").map(|p| (format!("nmea:{p}"), "ALLUVIUM_NMEA")))
        .ok()
}

/// Where fixes come from: the environment, else the Settings page's choice; `None` when no
/// receiver is set up.
pub fn configured_source(ctx: &Ctx) -> Result<Option<String>, String> {
    if let Some((s, _)) = from_env() {
        return Ok(Some(s));
    }
    match ctx.store.borrow().setting(GPS_SOURCE) {
        Ok(Some(s)) if s != "none" => Ok(Some(s)),
        Ok(_) => Ok(None),
        Err(e) => Err(tr!("cannot read the GPS setting: {}", e)),
    }
}

/// A source in words.
pub fn source_words(source: &str) -> String {
    if let Some(addr) = source.strip_prefix("gpsd:") {
        tr!("gpsd at {}", addr)
    } else if let Some(rest) = source.strip_prefix("nmea:") {
        match split_baud(rest) {
            (path, Some(baud)) => tr!("{} at {} baud", path, baud),
            (path, None) => path.to_string(),
        }
    } else {
        source.to_string()
    }
}

/// The Settings page's line on the source in use.
pub fn describe_source(ctx: &Ctx) -> String {
    if let Some((s, var)) = from_env() {
        return tr!(
            "In use: {} (set by {}, which wins over this page)",
            source_words(&s),
            var
        );
    }
    match configured_source(ctx) {
        Ok(Some(s)) => tr!("In use: {}", source_words(&s)),
        Ok(None) => tr!("No GPS receiver chosen: positions are entered by hand"),
        Err(e) => e,
    }
}

fn split_baud(rest: &str) -> (&str, Option<u32>) {
    match rest.rsplit_once('@') {
        Some((path, b)) => match b.parse() {
            Ok(baud) => (path, Some(baud)),
            Err(_) => (rest, None),
        },
        None => (rest, None),
    }
}

/// A source typed by hand: a device path (with a baud rate) or gpsd as `HOST:PORT`. The error
/// says which field is wrong (`true`: the baud rate).
pub fn source_by_hand(path: &str, baud: &str) -> Result<String, (bool, String)> {
    if path.is_empty() {
        return Err((
            false,
            tr!("Enter a device such as /dev/ttyUSB0, or gpsd as host:port"),
        ));
    }
    if path.starts_with('/') {
        if !std::path::Path::new(path).exists() {
            return Err((false, tr!("{} does not exist on this device", path)));
        }
        if baud.is_empty() {
            return Ok(format!("nmea:{path}"));
        }
        return match baud.parse::<u32>() {
            Ok(b) if BAUDS.contains(&b) => Ok(format!("nmea:{path}@{b}")),
            _ => Err((
                true,
                tr!(
                    "One of {}",
                    BAUDS
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        };
    }
    match path.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
            Ok(format!("gpsd:{path}"))
        }
        _ => Err((false, tr!("A device path (/dev/…) or gpsd as host:port"))),
    }
}

/// Keeps `source` (or none) in the device database and reads from it from now on (unless the
/// environment names a source, which wins).
pub fn save_source(ctx: &Ctx, source: Option<&str>) -> Result<(), String> {
    ctx.store
        .borrow_mut()
        .set_setting(GPS_SOURCE, source.unwrap_or("none"))
        .map_err(|e| e.to_string())?;
    restart(ctx);
    Ok(())
}

fn open(source: &str) -> Result<Box<dyn PositionSource>, String> {
    if let Some(addr) = source.strip_prefix("gpsd:") {
        GpsdClient::connect(addr, Duration::from_secs(5))
            .map(|c| Box::new(c) as _)
            .map_err(|e| e.to_string())
    } else if let Some(rest) = source.strip_prefix("nmea:") {
        let (path, baud) = split_baud(rest);
        if let Some(baud) = baud {
            crate::gps::probe::set_serial_speed(path, baud, &[])?;
        }
        crate::gps::read_nmea_file(path)
            .map(|r| Box::new(r) as _)
            .map_err(|e| e.to_string())
    } else {
        Err(format!("unknown GPS source {source}"))
    }
}

/// Starts reading the configured source on a new thread; the previous reader stops.
fn restart(ctx: &Ctx) {
    let feed = &ctx.gps;
    let generation = feed.generation.fetch_add(1, Ordering::SeqCst) + 1;
    if let Ok(mut l) = feed.latest.lock() {
        *l = None;
    }
    if let Ok(mut e) = feed.last_error.lock() {
        *e = None;
    }
    let source = match configured_source(ctx) {
        Ok(s) => s,
        Err(e) => {
            if let Ok(mut l) = feed.last_error.lock() {
                *l = Some(e);
            }
            None
        }
    };
    if let Ok(mut s) = feed.source.lock() {
        s.clone_from(&source);
    }
    let Some(source) = source else { return };
    let (latest, last_error, current) = (
        feed.latest.clone(),
        feed.last_error.clone(),
        feed.generation.clone(),
    );
    let mine = move || current.load(Ordering::SeqCst) == generation;
    std::thread::spawn(move || {
        while mine() {
            match open(&source) {
                Ok(mut src) => {
                    while mine() {
                        match src.next_fix() {
                            Ok(Some(fix)) => {
                                if let Ok(mut l) = latest.lock()
                                    && mine()
                                {
                                    *l = Some(fix);
                                }
                            }
                            Ok(None) => break,
                            Err(e) => {
                                if let Ok(mut l) = last_error.lock()
                                    && mine()
                                {
                                    *l = Some(e.to_string());
                                }
                                break;
                            }
                        }
                    }
                }
                Err(e) => {
                    if let Ok(mut l) = last_error.lock()
                        && mine()
                    {
                        *l = Some(e);
                    }
                }
            }
            // The receiver went away (unplugged, gpsd restarted): try again shortly.
            std::thread::sleep(Duration::from_secs(3));
        }
    });
}

/// The indicator line for the latest fix at `now`.
pub fn describe(
    fix: Option<&Fix>,
    gate_result: Result<(), GateRejection>,
    now: chrono::DateTime<chrono::Utc>,
) -> (String, i32, bool) {
    match fix {
        None => (tr!("Waiting for a GPS fix…"), 2, false),
        Some(f) => {
            let age = (now - f.time).num_seconds().max(0);
            let source = serde_json::to_value(f.source)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            let lang = crate::i18n::current();
            let base = tr!(
                "{} · {}, {} · ±{} m · {} s ago",
                source,
                decimal(lang, f.lat, 6),
                decimal(lang, f.lon, 6),
                decimal(lang, f.accuracy_m, 1),
                age
            );
            match gate_result {
                Ok(()) => (base, 1, true),
                Err(why) => (format!("{base} — {why}"), 2, false),
            }
        }
    }
}

/// Starts reading the receiver, if one is set up, and keeps the indicator current.
pub fn start(app: &AppWindow, ctx: Rc<Ctx>) -> Timer {
    restart(&ctx);
    let timer = Timer::default();
    let weak = app.as_weak();
    let tick = move || {
        let Some(app) = weak.upgrade() else { return };
        let feed = &ctx.gps;
        let a = app.global::<GpsAdapter>();
        let has_source = feed.source.lock().map(|s| s.is_some()).unwrap_or(false);
        let last_error = feed.last_error.lock().ok().and_then(|e| e.clone());
        if !has_source {
            *ctx.latest_fix.borrow_mut() = None;
            a.set_fix_text(
                match last_error {
                    Some(e) => e,
                    None => tr!("No GPS receiver set up (choose one in Settings): enter the position by hand"),
                }
                .into(),
            );
            a.set_fix_kind(0);
            a.set_can_use(false);
            return;
        }
        let fix = feed.latest.lock().ok().and_then(|l| l.clone());
        *ctx.latest_fix.borrow_mut() = fix.clone();
        let now = chrono::Utc::now();
        let gate = fix
            .as_ref()
            .map_or(Err(GateRejection::NoFix), |f| ctx.gate.check(f, now));
        let (mut text, kind, usable) = describe(fix.as_ref(), gate, now);
        if fix.is_none()
            && let Some(e) = last_error
        {
            text = tr!("GPS receiver not answering: {}", e);
        }
        a.set_fix_text(text.into());
        a.set_fix_kind(kind);
        a.set_can_use(usable);
    };
    tick();
    timer.start(TimerMode::Repeated, Duration::from_secs(1), tick);
    timer
}
