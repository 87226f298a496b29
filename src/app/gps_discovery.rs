//! Receivers the Settings page finds by itself: gpsd answering on its usual address and serial
//! devices under `/dev` named ttyACM*, ttyUSB* or rfcomm*, each listed with what it reports
//! during a short probe. Probing takes seconds, so the page runs [`discover`] on a worker.

use crate::gps::probe::{probe_gpsd, probe_serial};
use std::path::PathBuf;
use std::time::Duration;

/// gpsd's usual address.
pub const GPSD_LOCAL: &str = "127.0.0.1:2947";

/// The speed serial devices are probed at when none is typed on the page.
pub const DEFAULT_BAUD: u32 = 9600;

/// How long one receiver is listened to.
const PROBE_WAIT: Duration = Duration::from_secs(3);

/// Where to look. The defaults are the device's; tests point them at their own gpsd and
/// their own directory of serial devices.
#[derive(Debug, Clone)]
pub struct Discovery {
    /// gpsd's address, `HOST:PORT`.
    pub gpsd: String,
    /// The directory holding serial devices.
    pub dev_dir: PathBuf,
}

impl Default for Discovery {
    fn default() -> Self {
        Discovery {
            gpsd: GPSD_LOCAL.into(),
            dev_dir: PathBuf::from("/dev"),
        }
    }
}

/// One receiver found: the source to keep if chosen, and the line the page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub source: String,
    pub label: String,
}

/// The serial devices in `dir` whose names a GPS receiver takes, sorted.
pub fn serial_devices(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| {
                    let name = e.file_name().to_string_lossy().to_string();
                    ["ttyACM", "ttyUSB", "rfcomm"]
                        .iter()
                        .any(|p| name.starts_with(p))
                })
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// Probes gpsd and every serial device at `baud` at once; blocks for a few seconds at most.
/// gpsd is listed only when it answers; every serial device is listed, with what it said.
pub fn discover(at: &Discovery, baud: u32) -> Vec<Found> {
    let devices = serial_devices(&at.dev_dir);
    std::thread::scope(|scope| {
        let gpsd = scope.spawn(|| probe_gpsd(&at.gpsd, PROBE_WAIT));
        let serial: Vec<_> = devices
            .iter()
            .map(|path| {
                scope.spawn(move || {
                    let shown = path.display().to_string();
                    let what = match probe_serial(&shown, Some(baud), PROBE_WAIT) {
                        Ok(report) => report.words(Some(baud)),
                        Err(e) => e,
                    };
                    Found {
                        source: format!("nmea:{shown}@{baud}"),
                        label: crate::tr!("{} at {} baud — {}", shown, baud, what),
                    }
                })
            })
            .collect();
        let mut found = Vec::new();
        if let Ok(Ok(report)) = gpsd.join() {
            found.push(Found {
                source: format!("gpsd:{}", at.gpsd),
                label: crate::tr!("gpsd on {} — {}", at.gpsd, report.words()),
            });
        }
        found.extend(serial.into_iter().filter_map(|h| h.join().ok()));
        found
    })
}
