//! A day's production at a site and the stones found. Both are append-only: a correction is a
//! new version that names the one it replaces, so the history stays auditable.

use super::{
    Centicarats, DiggerId, FixSource, Invalid, Litres, ProductionId, SiteId, StoneClass, StoneId,
    check_position, check_text,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Most people recorded as present at one site on one day.
pub const MAX_CREW: u32 = 500;
/// Most gravel one site can wash in a day, in litres (1 000 m³).
pub const MAX_GRAVEL_LITRES: i64 = 1_000_000;
/// Heaviest single stone accepted, in centicarats (the largest alluvial finds are ~1 000 ct).
pub const MAX_STONE_CENTICARATS: i64 = 300_000;

/// Where the officer stood when recording the entry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PositionFix {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: f64,
    pub source: FixSource,
    /// When the fix was taken, if known.
    pub time: Option<DateTime<Utc>>,
}

/// One version of a day's production at a site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductionEntry {
    pub id: ProductionId,
    pub site_id: SiteId,
    /// The production day, a calendar date in the site's local time.
    pub day: NaiveDate,
    /// The recording officer's user name.
    pub officer: String,
    pub fix: Option<PositionFix>,
    /// Number of people who worked that day.
    pub crew_size: u32,
    /// The registered diggers among them.
    pub digger_ids: Vec<DiggerId>,
    pub gravel: Litres,
    pub notes: String,
    /// The earlier version this one corrects.
    pub replaces: Option<ProductionId>,
}

impl ProductionEntry {
    /// Checks the record's own rules; `today` is the latest plausible production day.
    pub fn validate(&self, today: NaiveDate) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        check_text(&mut e, "officer", &self.officer, true, 60);
        check_text(&mut e, "notes", &self.notes, false, 2000);
        // A day ahead of the device's UTC date is possible east of Greenwich; more is a typo.
        if self.day > today.succ_opt().unwrap_or(today) {
            e.push("day", format!("{} is in the future", self.day));
        }
        if let Some(f) = &self.fix {
            check_position(&mut e, f.lat, f.lon, f.accuracy_m);
        }
        if self.crew_size > MAX_CREW {
            e.push(
                "crew_size",
                format!("{} is more than {MAX_CREW} people", self.crew_size),
            );
        }
        if (self.crew_size as usize) < self.digger_ids.len() {
            e.push(
                "crew_size",
                format!(
                    "{} is less than the {} diggers named",
                    self.crew_size,
                    self.digger_ids.len()
                ),
            );
        }
        let mut ids = self.digger_ids.clone();
        ids.sort();
        ids.dedup();
        if ids.len() != self.digger_ids.len() {
            e.push("digger_ids", "names a digger twice");
        }
        if self.gravel.0 < 0 || self.gravel.0 > MAX_GRAVEL_LITRES {
            e.push(
                "gravel_m3",
                format!(
                    "{} m³ is not between 0 and 1000",
                    self.gravel.to_m3_string()
                ),
            );
        }
        if self.replaces == Some(self.id) {
            e.push("replaces", "an entry cannot replace itself");
        }
        e.into_result()
    }
}

/// A rough stone found during a production day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stone {
    pub id: StoneId,
    pub production_id: ProductionId,
    pub weight: Centicarats,
    pub class: StoneClass,
    pub colour: String,
}

impl Stone {
    /// Checks the record's own rules.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        if self.weight.0 <= 0 {
            e.push(
                "carats",
                format!("{} ct: a stone must weigh more than 0", self.weight),
            );
        } else if self.weight.0 > MAX_STONE_CENTICARATS {
            e.push(
                "carats",
                format!("{} ct is heavier than any alluvial find", self.weight),
            );
        }
        check_text(&mut e, "colour", &self.colour, false, 40);
        e.into_result()
    }
}
