//! The live GPS fix for the Sites and Production pages. A background thread reads the receiver
//! (gpsd from `ALLUVIUM_GPSD=HOST:PORT`, or an NMEA serial device or log from
//! `ALLUVIUM_NMEA=PATH`); a one-second timer on the UI thread shows source, accuracy and age and
//! whether the accuracy gate lets the fix be used.

use super::context::Ctx;
use super::{AppWindow, GpsAdapter};
use crate::gps::{Fix, GateRejection, GpsdClient, PositionSource};
use slint::{ComponentHandle, Timer, TimerMode};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where fixes come from, from the environment; `None` when no receiver is set up.
fn configured_source() -> Option<String> {
    std::env::var("ALLUVIUM_GPSD")
        .map(|a| format!("gpsd:{a}"))
        .or_else(|_| std::env::var("ALLUVIUM_NMEA").map(|p| format!("nmea:{p}")))
        .ok()
}

fn open(source: &str) -> Result<Box<dyn PositionSource>, String> {
    if let Some(addr) = source.strip_prefix("gpsd:") {
        GpsdClient::connect(addr, Duration::from_secs(5))
            .map(|c| Box::new(c) as _)
            .map_err(|e| e.to_string())
    } else if let Some(path) = source.strip_prefix("nmea:") {
        crate::gps::read_nmea_file(path)
            .map(|r| Box::new(r) as _)
            .map_err(|e| e.to_string())
    } else {
        Err(format!("unknown GPS source {source}"))
    }
}

/// The indicator line for the latest fix at `now`.
pub fn describe(
    fix: Option<&Fix>,
    gate_result: Result<(), GateRejection>,
    now: chrono::DateTime<chrono::Utc>,
) -> (String, i32, bool) {
    match fix {
        None => ("Waiting for a GPS fix…".into(), 2, false),
        Some(f) => {
            let age = (now - f.time).num_seconds().max(0);
            let source = serde_json::to_value(f.source)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            let base = format!("{source} · ±{:.1} m · {age} s ago", f.accuracy_m);
            match gate_result {
                Ok(()) => (base, 1, true),
                Err(why) => (format!("{base} — {why}"), 2, false),
            }
        }
    }
}

/// Starts reading the receiver, if one is set up, and keeps the indicator current.
pub fn start(app: &AppWindow, ctx: Rc<Ctx>) -> Option<Timer> {
    let a = app.global::<GpsAdapter>();
    let Some(source) = configured_source() else {
        a.set_fix_text(
            "No GPS receiver set up (ALLUVIUM_GPSD or ALLUVIUM_NMEA): enter the position by hand"
                .into(),
        );
        a.set_fix_kind(0);
        a.set_can_use(false);
        return None;
    };
    let latest: Arc<Mutex<Option<Fix>>> = Arc::new(Mutex::new(None));
    let last_error: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    {
        let (latest, last_error) = (latest.clone(), last_error.clone());
        std::thread::spawn(move || {
            loop {
                match open(&source) {
                    Ok(mut src) => loop {
                        match src.next_fix() {
                            Ok(Some(fix)) => {
                                if let Ok(mut l) = latest.lock() {
                                    *l = Some(fix);
                                }
                            }
                            Ok(None) => break,
                            Err(e) => {
                                if let Ok(mut l) = last_error.lock() {
                                    *l = Some(e.to_string());
                                }
                                break;
                            }
                        }
                    },
                    Err(e) => {
                        if let Ok(mut l) = last_error.lock() {
                            *l = Some(e);
                        }
                    }
                }
                // The receiver went away (unplugged, gpsd restarted): try again shortly.
                std::thread::sleep(Duration::from_secs(3));
            }
        });
    }
    let timer = Timer::default();
    let weak = app.as_weak();
    timer.start(TimerMode::Repeated, Duration::from_secs(1), move || {
        let Some(app) = weak.upgrade() else { return };
        let fix = latest.lock().ok().and_then(|l| l.clone());
        *ctx.latest_fix.borrow_mut() = fix.clone();
        let now = chrono::Utc::now();
        let gate = fix
            .as_ref()
            .map_or(Err(GateRejection::NoFix), |f| ctx.gate.check(f, now));
        let (mut text, kind, usable) = describe(fix.as_ref(), gate, now);
        if fix.is_none()
            && let Some(e) = last_error.lock().ok().and_then(|e| e.clone())
        {
            text = format!("GPS receiver not answering: {e}");
        }
        let a = app.global::<GpsAdapter>();
        a.set_fix_text(text.into());
        a.set_fix_kind(kind);
        a.set_can_use(usable);
    });
    Some(timer)
}
