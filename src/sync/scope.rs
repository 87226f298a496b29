//! Who may push and read what: pure rules shared by the server (which enforces them on every
//! request) and the tests (which check them as a table).

use crate::domain::Role;

/// Every entity the sync protocol carries.
pub const ENTITIES: &[&str] = &[
    "region",
    "officer",
    "digger",
    "licence",
    "site",
    "crew",
    "production",
    "stone",
    "sale",
    "review",
];

/// Registries: mutable records merged by clock.
pub const REGISTRIES: &[&str] = &["region", "officer", "digger", "licence", "site", "crew"];

/// Whether `entity` is part of the protocol.
pub fn is_entity(entity: &str) -> bool {
    ENTITIES.contains(&entity)
}

/// Whether an officer of `role` may push changes of `entity` (for their own regions):
/// field officers sites, production and sale slips (recorded at the pit), licensing officers
/// the registries and sale slips (recorded at a dealer's office), coordinators reviews, admins
/// everything.
pub fn may_push(role: Role, entity: &str) -> bool {
    match role {
        Role::Admin => is_entity(entity),
        Role::FieldOfficer => matches!(entity, "site" | "production" | "stone" | "sale"),
        Role::LicensingOfficer => matches!(entity, "digger" | "licence" | "site" | "crew" | "sale"),
        Role::Coordinator => entity == "review",
    }
}

/// Whether an officer of `role` receives changes of `entity` (for their own regions): every
/// role gets the registries so that a digger's licence can be checked offline; field officers
/// get reviews, so a coordinator's query reaches them as a task; coordinators and admins get
/// production, stones, sales and reviews too.
pub fn may_read(role: Role, entity: &str) -> bool {
    match role {
        Role::Admin => is_entity(entity),
        Role::Coordinator => is_entity(entity) && entity != "officer",
        Role::FieldOfficer => matches!(
            entity,
            "region" | "digger" | "licence" | "site" | "crew" | "review"
        ),
        Role::LicensingOfficer => {
            matches!(entity, "region" | "digger" | "licence" | "site" | "crew")
        }
    }
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
        use Role::*;
        let cases = [
            (FieldOfficer, "production", true, false),
            (FieldOfficer, "site", true, true),
            (FieldOfficer, "digger", false, true),
            (LicensingOfficer, "digger", true, true),
            (LicensingOfficer, "production", false, false),
            (Coordinator, "review", true, true),
            (Coordinator, "production", false, true),
            (Coordinator, "digger", false, true),
            (Admin, "sale", true, true),
            (FieldOfficer, "sale", true, false),
            (LicensingOfficer, "sale", true, false),
            (FieldOfficer, "review", false, true),
            (Coordinator, "sale", false, true),
            (Admin, "widget", false, false),
        ];
        for (role, entity, push, read) in cases {
            assert_eq!(may_push(role, entity), push, "{role} push {entity}");
            assert_eq!(may_read(role, entity), read, "{role} read {entity}");
        }
        assert!(in_region(Admin, &[], "SL-KONO"));
        assert!(!in_region(FieldOfficer, &["SL-KONO".into()], "GH-AKWATIA"));
    }
}
