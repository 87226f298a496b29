//! Who may push and read what: pure rules shared by the server (which enforces them on every
//! request), the app (which shows an officer only the pages their role may use) and the tests
//! (which check them as a table).

use crate::domain::{RecordKind, Role};

/// Whether an officer of `role` may push changes of `kind` (for their own regions): field
/// officers sites, production and sale slips (recorded at the pit), licensing officers the
/// registries, licence events and supporters, and sale slips (recorded at a dealer's office), coordinators reviews, admins
/// everything.
pub fn may_push(role: Role, kind: RecordKind) -> bool {
    use RecordKind::*;
    match role {
        Role::Admin => true,
        Role::FieldOfficer => matches!(kind, Site | Production | Stone | Sale | Photo),
        Role::LicensingOfficer => matches!(
            kind,
            Digger | Licence | LicenceEvent | Supporter | Site | Crew | Sale | Photo
        ),
        Role::Coordinator => kind == Review,
    }
}

/// Whether an officer of `role` may put a photo on a record of `target`: one whose records
/// they may write (a licensing office photographs diggers and licences, a field officer
/// sites, parcels and sale slips).
pub fn may_photograph(role: Role, target: RecordKind) -> bool {
    may_push(role, RecordKind::Photo) && may_push(role, target)
}

/// Whether an officer of `role` may receive the picture of a photo on a record of `target`:
/// one whose records they may read. (The photo records themselves reach every officer of the
/// region, as the registries do, so a device knows which pictures it may ask for.)
pub fn may_see_photo(role: Role, target: RecordKind) -> bool {
    may_read(role, target)
}

/// Whether an officer of `role` receives changes of `kind` (for their own regions): every
/// role gets the registries and the licence events (a licence's standing on a day is replayed
/// from them) so that a digger's licence can be checked offline; field officers
/// get reviews, so a coordinator's query reaches them as a task; coordinators and admins get
/// production, stones, sales and reviews too.
pub fn may_read(role: Role, kind: RecordKind) -> bool {
    use RecordKind::*;
    match role {
        Role::Admin => true,
        Role::Coordinator => kind != Officer,
        Role::FieldOfficer => matches!(
            kind,
            Region | Digger | Licence | LicenceEvent | Supporter | Site | Crew | Review | Photo
        ),
        Role::LicensingOfficer => matches!(
            kind,
            Region | Digger | Licence | LicenceEvent | Supporter | Site | Crew | Photo
        ),
    }
}

/// The kinds an officer of `role` receives, in protocol order.
pub fn readable(role: Role) -> impl Iterator<Item = RecordKind> {
    RecordKind::ALL
        .into_iter()
        .filter(move |k| may_read(role, *k))
}

/// Whether a record of `region` is within the officer's regions (admins: all).
pub fn in_region(role: Role, regions: &[String], region: &str) -> bool {
    role == Role::Admin || regions.iter().any(|r| r == region)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_and_read_rules() {
        use RecordKind::*;
        use Role::*;
        let cases = [
            (FieldOfficer, Production, true, false),
            (FieldOfficer, Site, true, true),
            (FieldOfficer, Digger, false, true),
            (LicensingOfficer, Digger, true, true),
            (LicensingOfficer, Production, false, false),
            (Coordinator, Review, true, true),
            (Coordinator, Production, false, true),
            (Coordinator, Digger, false, true),
            (Coordinator, Officer, false, false),
            (Admin, Sale, true, true),
            (FieldOfficer, Sale, true, false),
            (LicensingOfficer, Sale, true, false),
            (FieldOfficer, Review, false, true),
            (Coordinator, Sale, false, true),
            (LicensingOfficer, LicenceEvent, true, true),
            (LicensingOfficer, Supporter, true, true),
            (FieldOfficer, LicenceEvent, false, true),
            (FieldOfficer, Supporter, false, true),
            (Coordinator, LicenceEvent, false, true),
            (Admin, LicenceEvent, true, true),
        ];
        for (role, kind, push, read) in cases {
            assert_eq!(may_push(role, kind), push, "{role} push {kind}");
            assert_eq!(may_read(role, kind), read, "{role} read {kind}");
        }
        assert!(in_region(Admin, &[], "SL-KONO"));
        assert!(!in_region(FieldOfficer, &["SL-KONO".into()], "GH-AKWATIA"));
    }
}
