//! What every page's adapter shares: the store, the officer at the device, the latest GPS fix.
//!
//! What a role may change is not decided here: the GUI asks the sync scope rules, the same ones
//! the server enforces on every push, so a page never offers an edit the server would refuse.

use super::background::Jobs;
use crate::domain::{Officer, RecordKind, Role};
use crate::gps::{AccuracyGate, Fix};
use crate::store::Store;
use crate::sync::scope;
use chrono::NaiveDate;
use std::cell::{Cell, RefCell};

/// Shared state of the running app. Lives on the UI thread; slow work opens its own store.
pub struct Ctx {
    pub store: RefCell<Store>,
    pub officer: RefCell<Option<Officer>>,
    pub latest_fix: RefCell<Option<Fix>>,
    pub gate: AccuracyGate,
    /// The day forms default to; tests pin it.
    pub today: Cell<NaiveDate>,
    /// Slow work in flight.
    pub jobs: Jobs,
    /// The GPS receiver's reader and what it has seen.
    pub gps: super::gps_feed::Feed,
    /// Where the Settings page looks for receivers.
    pub gps_discovery: RefCell<super::gps_discovery::Discovery>,
}

impl Ctx {
    /// A context around an open store.
    pub fn new(store: Store) -> Self {
        Ctx {
            store: RefCell::new(store),
            officer: RefCell::new(None),
            latest_fix: RefCell::new(None),
            gate: AccuracyGate::default(),
            today: Cell::new(chrono::Local::now().date_naive()),
            jobs: Default::default(),
            gps: Default::default(),
            gps_discovery: Default::default(),
        }
    }

    /// The role of the officer logged in at the device, from their account; `None` while
    /// nobody is logged in (the login screen covers the pages then).
    pub fn role(&self) -> Option<Role> {
        self.officer.borrow().as_ref().map(|o| o.role)
    }

    /// Whether the officer logged in may change records of `kind`: the server's scope rule,
    /// and nobody may while nobody is logged in.
    pub fn may_push(&self, kind: RecordKind) -> bool {
        self.role().is_some_and(|r| scope::may_push(r, kind))
    }

    /// The user name that goes on production entries.
    pub fn officer_name(&self) -> String {
        self.officer
            .borrow()
            .as_ref()
            .map_or_else(String::new, |o| o.username.clone())
    }

    /// Whether the role may change registries (diggers, licences).
    pub fn may_license(&self) -> bool {
        self.may_push(RecordKind::Digger) && self.may_push(RecordKind::Licence)
    }

    /// Whether the role may register sites.
    pub fn may_register_sites(&self) -> bool {
        self.may_push(RecordKind::Site)
    }

    /// Whether the role may record production.
    pub fn may_record_production(&self) -> bool {
        self.may_push(RecordKind::Production)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pages' edit rights, role by role: the GUI offers exactly the edits the server
    /// accepts from that role.
    #[test]
    fn edit_rights_by_role() {
        use Role::*;
        // (role, may_license, may_register_sites, may_record_production)
        let cases = [
            (FieldOfficer, false, true, true),
            (LicensingOfficer, true, true, false),
            (Coordinator, false, false, false),
            (Admin, true, true, true),
        ];
        let nobody = Ctx::new(Store::open_in_memory().unwrap());
        assert!(!nobody.may_license() && !nobody.may_register_sites());
        assert!(!nobody.may_record_production());
        for (role, license, sites, production) in cases {
            let ctx = Ctx::new(Store::open_in_memory().unwrap());
            *ctx.officer.borrow_mut() = Some(Officer {
                id: crate::domain::OfficerId::new(),
                username: "officer".into(),
                full_name: "An Officer".into(),
                role,
                regions: vec!["SL-KONO".into()],
            });
            assert_eq!(ctx.may_license(), license, "{role} licenses");
            assert_eq!(ctx.may_register_sites(), sites, "{role} registers sites");
            assert_eq!(
                ctx.may_record_production(),
                production,
                "{role} records production"
            );
        }
    }
}
