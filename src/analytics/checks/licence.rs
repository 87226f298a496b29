//! The licence checks: whether the site's licence was in force on the production day
//! (`no_licence`, `licence_expired`, `licence_suspended`) and whether the entry's fix lies
//! inside the licence area (`outside_licence_area`). Both ask the same question of each
//! entry, "which licence covers this?", so they live together.

use super::{CheckData, Flag, FlagKind, Severity};
use crate::domain::{Licence, LicenceBook, LicenceKind, LicenceStanding, ProductionEntry};
use crate::gps::geofence::{Containment, contains_with_margin, distance_to_boundary_m};
use serde_json::json;

pub(super) fn licence_checks<'a>(
    data: &'a CheckData,
    licence_of: &dyn Fn(&ProductionEntry) -> Option<&'a Licence>,
    book: &LicenceBook,
    flags: &mut Vec<Flag>,
) {
    for e in &data.production {
        let Some(l) = licence_of(e) else {
            flags.push(Flag::new(
                FlagKind::NoLicence,
                e.id.0,
                Severity::Breach,
                json!({
                    "message": format!("production on {} at a site whose licence is not on record", e.day),
                    "site_id": e.site_id,
                    "day": e.day,
                }),
            ));
            continue;
        };
        // The standing on the entry's own day, from the licence's history.
        let history = book.history(l.id);
        let standing = history.map_or_else(|| l.standing_on(e.day), |h| h.standing_on(e.day));
        let valid_until = history
            .and_then(|h| h.valid_until_on(e.day))
            .unwrap_or(l.expires_on);
        let ev = |why: String| {
            json!({
                "message": why,
                "licence_id": l.id,
                "licence_number": l.number,
                "standing": standing.label(),
                "issued_on": l.issued_on,
                "expires_on": valid_until,
                "site_id": e.site_id,
                "day": e.day,
            })
        };
        let (kind, why) = if l.kind != LicenceKind::ArtisanalMining {
            (
                FlagKind::NoLicence,
                format!(
                    "licence {} is a {} licence, not a mining licence",
                    l.number, l.kind
                ),
            )
        } else {
            match standing {
                LicenceStanding::Active | LicenceStanding::Expiring(_) => continue,
                LicenceStanding::NotYetValid => (
                    FlagKind::NoLicence,
                    format!(
                        "production on {} before licence {} was issued on {}",
                        e.day, l.number, l.issued_on
                    ),
                ),
                LicenceStanding::Revoked => (
                    FlagKind::NoLicence,
                    format!(
                        "production on {} under licence {}, which was revoked by then",
                        e.day, l.number
                    ),
                ),
                LicenceStanding::Expired => (
                    FlagKind::LicenceExpired,
                    format!(
                        "production on {} under licence {} expired on {}",
                        e.day, l.number, valid_until
                    ),
                ),
                LicenceStanding::Suspended => (
                    FlagKind::LicenceSuspended,
                    format!(
                        "production on {} under licence {}, which was suspended that day",
                        e.day, l.number
                    ),
                ),
            }
        };
        flags.push(Flag::new(kind, e.id.0, Severity::Breach, ev(why)));
    }
    for e in &data.production {
        let (Some(l), Some(fix)) = (licence_of(e), e.fix.as_ref()) else {
            continue;
        };
        let Some(area) = &l.area else { continue };
        if contains_with_margin(&area.0, fix.lat, fix.lon, fix.accuracy_m) == Containment::Outside {
            let d = distance_to_boundary_m(&area.0, fix.lat, fix.lon);
            flags.push(Flag::new(
                FlagKind::OutsideLicenceArea,
                e.id.0,
                Severity::Breach,
                json!({
                    "message": format!(
                        "fix {:.6}, {:.6} is {:.0} m outside licence {} (accuracy {:.0} m)",
                        fix.lat, fix.lon, d, l.number, fix.accuracy_m
                    ),
                    "lat": fix.lat,
                    "lon": fix.lon,
                    "accuracy_m": fix.accuracy_m,
                    "distance_m": (d * 10.0).round() / 10.0,
                    "licence_id": l.id,
                    "licence_number": l.number,
                }),
            ));
        }
    }
}
