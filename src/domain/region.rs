//! Mining regions: the unit of licensing, of officers' scope and of KP statistics.

use serde::{Deserialize, Serialize};

/// A licensing region such as `SL-KONO`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// Country prefix and name, e.g. `SL-KONO`.
    pub code: String,
    /// Human-readable name.
    pub name: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Offset of local time from UTC in minutes; the production day is a local calendar day.
    pub utc_offset_minutes: i32,
    /// Main town of the field, used to place demo sites (latitude, longitude).
    pub centre: (f64, f64),
}

impl Region {
    /// The regions Alluvium knows out of the box (DOMAIN.md §7). Regions created on the sync
    /// server reach devices by sync; these let a fresh device import or make demo data offline.
    pub fn catalogue() -> Vec<Region> {
        let r = |code: &str, name: &str, country: &str, off: i32, lat: f64, lon: f64| Region {
            code: code.into(),
            name: name.into(),
            country: country.into(),
            utc_offset_minutes: off,
            centre: (lat, lon),
        };
        vec![
            r("SL-KONO", "Kono (Koidu)", "SL", 0, 8.644, -10.972),
            r("SL-KENEMA", "Kenema and Tongo", "SL", 0, 7.88, -11.19),
            r("GH-AKWATIA", "Akwatia (Birim basin)", "GH", 0, 6.05, -0.80),
            r("CF-BERBERATI", "Berbérati", "CF", 60, 4.261, 15.789),
            r("CD-TSHIKAPA", "Tshikapa (Kasaï)", "CD", 60, -6.417, 20.800),
        ]
    }

    /// A region of the catalogue by code.
    pub fn known(code: &str) -> Option<Region> {
        Self::catalogue()
            .into_iter()
            .find(|r| r.code.eq_ignore_ascii_case(code.trim()))
    }
}
