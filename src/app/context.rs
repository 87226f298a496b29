//! What every page's adapter shares: the store, the officer at the device, the latest GPS fix.

use super::background::Jobs;
use crate::domain::{Officer, Role};
use crate::gps::{AccuracyGate, Fix};
use crate::store::Store;
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
        }
    }

    /// The role of the officer at the device (an administrator until one is chosen).
    pub fn role(&self) -> Role {
        self.officer
            .borrow()
            .as_ref()
            .map_or(Role::Admin, |o| o.role)
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
        matches!(self.role(), Role::LicensingOfficer | Role::Admin)
    }

    /// Whether the role may register sites.
    pub fn may_register_sites(&self) -> bool {
        matches!(
            self.role(),
            Role::LicensingOfficer | Role::FieldOfficer | Role::Admin
        )
    }

    /// Whether the role may record production.
    pub fn may_record_production(&self) -> bool {
        matches!(self.role(), Role::FieldOfficer | Role::Admin)
    }
}
