//! Mine sites: the pits, riverbeds and terraces worked under a licence.

use super::{Invalid, LicenceId, SiteId, SiteKind, SiteStatus, check_position, check_text};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A surveyed point with its horizontal accuracy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: f64,
}

/// A mine site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub id: SiteId,
    pub licence_id: LicenceId,
    pub name: String,
    pub kind: SiteKind,
    pub status: SiteStatus,
    pub position: Position,
    pub opened_on: NaiveDate,
}

impl Site {
    /// Checks the record's own rules.
    pub fn validate(&self, today: NaiveDate) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        check_text(&mut e, "name", &self.name, true, 80);
        check_position(
            &mut e,
            self.position.lat,
            self.position.lon,
            self.position.accuracy_m,
        );
        if self.opened_on > today {
            e.push("opened_on", format!("{} is in the future", self.opened_on));
        }
        e.into_result()
    }
}
