//! The plain types of Alluvium's data model and the rules that make a record valid.
//!
//! Nothing in here knows about SQL, HTTP or Slint: the device store, the sync server and the
//! GUI all validate with these same rules, so a record means the same thing everywhere.

pub mod card_statement;
mod digger;
mod enums;
mod error;
mod hlc;
mod id;
mod latlon;
mod licence;
mod licence_event;
mod licence_history;
pub mod merge;
mod officer;
mod photo;
mod production;
mod record_kind;
mod region;
pub mod rules;
mod sale;
mod seal;
mod site;
mod supporter;
mod units;

pub use digger::Digger;
pub use enums::{
    DiggerStatus, FixSource, LicenceEventKind, LicenceKind, LicenceStatus, ReviewDecision, Role,
    SaleKind, Sex, SieveClass, SiteKind, SiteStatus, StoneClass,
};
pub use error::{FieldError, Invalid};
pub use hlc::{Hlc, HlcClock};
pub use id::{
    CrewId, DeviceId, DiggerId, LicenceEventId, LicenceId, OfficerId, PhotoId, ProductionId,
    ReviewId, SaleId, SiteId, StoneId, SupporterId, new_v7_at,
};
pub use latlon::LatLon;
pub use licence::{
    Area, EXPIRY_WARNING_DAYS, Licence, LicenceStanding, MAX_AREA_HA, MAX_AREA_VERTICES,
};
pub use licence_event::{LicenceEvent, MAX_EVENT_REASON, MAX_TERM_DAYS};
pub use licence_history::{HistoryEvent, HistoryLine, LicenceBook, LicenceHistory, implied_events};
pub use officer::{Crew, MAX_REVIEW_COMMENT, Officer, Review};
pub use photo::{
    MAX_PHOTO_BYTES, MAX_PHOTO_CAPTION, MAX_PHOTO_SIDE, MAX_PHOTOS_PER_RECORD, PHOTO_TARGETS,
    Photo, check_photo_size, is_sha256_hex,
};
pub use production::{MAX_LOT_STONES, PositionFix, ProductionEntry, Stone, spread_lot};
pub use record_kind::{Keeping, Placement, RecordKind};
pub use region::Region;
pub use sale::{HS_CODES, HS_GEM, HS_INDUSTRIAL, HS_UNSORTED, MAX_SALE_LINKS, Sale};
pub use seal::{MAX_SEAL_LEN, check_seal, check_seals};
pub use site::{Position, Site};
pub use supporter::Supporter;
pub use units::{Centicarats, Cents, Litres};

/// Checks that `text` is present and at most `max` characters long.
pub(crate) fn check_text(
    errors: &mut Invalid,
    field: &'static str,
    text: &str,
    required: bool,
    max: usize,
) {
    if required && text.trim().is_empty() {
        errors.push(field, "is required");
    } else if text.chars().count() > max {
        errors.push(field, format!("is longer than {max} characters"));
    } else if text.chars().any(|c| c.is_control()) {
        errors.push(field, "contains control characters");
    }
}

/// Checks a WGS84 coordinate pair and its accuracy in metres.
pub(crate) fn check_position(errors: &mut Invalid, lat: f64, lon: f64, accuracy_m: f64) {
    if !(-90.0..=90.0).contains(&lat) {
        errors.push("lat", format!("{lat} is outside −90..90 degrees"));
    }
    if !(-180.0..=180.0).contains(&lon) {
        errors.push("lon", format!("{lon} is outside −180..180 degrees"));
    }
    if !(0.0..=10_000.0).contains(&accuracy_m) {
        errors.push(
            "accuracy_m",
            format!("{accuracy_m} m is not between 0 and 10000 m"),
        );
    }
}
