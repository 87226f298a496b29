//! The licence checks: whether the site's licence was in force on the production day
//! (`no_licence`, `licence_expired`, `licence_suspended`) and whether the entry's fix lies
//! inside the licence area (`outside_licence_area`). Both ask the same question of each
//! entry, "which licence covers this?", so they live together.

use super::{Arg, CheckData, Flag, FlagKind, Note, Severity};
use crate::domain::{Licence, LicenceBook, LicenceKind, LicenceStanding, ProductionEntry};
use crate::gps::geofence::{Containment, contains_with_margin, distance_to_boundary_m};
use crate::note;
use serde_json::json;

pub(super) fn licence_checks<'a>(
    data: &'a CheckData,
    licence_of: &dyn Fn(&ProductionEntry) -> Option<&'a Licence>,
    book: &LicenceBook,
    flags: &mut Vec<Flag>,
) {
    for e in &data.production {
        let Some(l) = licence_of(e) else {
            let note = note!(
                "production on {} at a site whose licence is not on record",
                e.day
            );
            flags.push(
                Flag::new(
                    FlagKind::NoLicence,
                    e.id.0,
                    Severity::Breach,
                    json!({
                        "message": note.english(),
                        "site_id": e.site_id,
                        "day": e.day,
                    }),
                )
                .with_note(note),
            );
            continue;
        };
        // The standing on the entry's own day, from the licence's history.
        let history = book.history(l.id);
        let standing = history.map_or_else(|| l.standing_on(e.day), |h| h.standing_on(e.day));
        let valid_until = history
            .and_then(|h| h.valid_until_on(e.day))
            .unwrap_or(l.expires_on);
        let ev = |why: &Note| {
            json!({
                "message": why.english(),
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
                note!(
                    "licence {} is a {} licence, not a mining licence",
                    &l.number,
                    Arg::Word(l.kind.as_str())
                ),
            )
        } else {
            match standing {
                LicenceStanding::Active | LicenceStanding::Expiring(_) => continue,
                LicenceStanding::NotYetValid => (
                    FlagKind::NoLicence,
                    note!(
                        "production on {} before licence {} was issued on {}",
                        e.day,
                        &l.number,
                        l.issued_on
                    ),
                ),
                LicenceStanding::Revoked => (
                    FlagKind::NoLicence,
                    note!(
                        "production on {} under licence {}, which was revoked by then",
                        e.day,
                        &l.number
                    ),
                ),
                LicenceStanding::Expired => (
                    FlagKind::LicenceExpired,
                    note!(
                        "production on {} under licence {} expired on {}",
                        e.day,
                        &l.number,
                        valid_until
                    ),
                ),
                LicenceStanding::Suspended => (
                    FlagKind::LicenceSuspended,
                    note!(
                        "production on {} under licence {}, which was suspended that day",
                        e.day,
                        &l.number
                    ),
                ),
            }
        };
        flags.push(Flag::new(kind, e.id.0, Severity::Breach, ev(&why)).with_note(why));
    }
    for e in &data.production {
        let (Some(l), Some(fix)) = (licence_of(e), e.fix.as_ref()) else {
            continue;
        };
        let Some(area) = &l.area else { continue };
        if contains_with_margin(&area.0, fix.lat, fix.lon, fix.accuracy_m) == Containment::Outside {
            let d = distance_to_boundary_m(&area.0, fix.lat, fix.lon);
            let note = note!(
                "fix {}, {} is {} m outside licence {} (accuracy {} m)",
                Arg::Dec(fix.lat, 6),
                Arg::Dec(fix.lon, 6),
                Arg::Dec(d, 0),
                &l.number,
                Arg::Dec(fix.accuracy_m, 0)
            );
            flags.push(
                Flag::new(
                    FlagKind::OutsideLicenceArea,
                    e.id.0,
                    Severity::Breach,
                    json!({
                        "message": note.english(),
                        "lat": fix.lat,
                        "lon": fix.lon,
                        "accuracy_m": fix.accuracy_m,
                        "distance_m": (d * 10.0).round() / 10.0,
                        "licence_id": l.id,
                        "licence_number": l.number,
                    }),
                )
                .with_note(note),
            );
        }
    }
}
