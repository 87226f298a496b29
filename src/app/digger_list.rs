//! The lazy digger list: a `slint::Model` that asks the store for one page of 50 rows at a
//! time as the list scrolls, so 100 000 diggers cost what the screen shows.

use super::DiggerRow;
use super::context::Ctx;
use crate::domain::LicenceStanding;
use crate::store::DiggerHit;
use slint::{Model, ModelNotify, ModelTracker};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

const PAGE: usize = 50;

/// Search results over the digger registry, fetched a page at a time.
pub struct DiggerList {
    ctx: Rc<Ctx>,
    query: RefCell<String>,
    count: Cell<usize>,
    pages: RefCell<HashMap<usize, Vec<DiggerHit>>>,
    notify: ModelNotify,
}

impl DiggerList {
    /// An empty list; call [`DiggerList::set_query`] to fill it.
    pub fn new(ctx: Rc<Ctx>) -> Self {
        DiggerList {
            ctx,
            query: RefCell::new(String::new()),
            count: Cell::new(0),
            pages: RefCell::new(HashMap::new()),
            notify: ModelNotify::default(),
        }
    }

    /// Runs a new search; returns the number of matches (or the store's error).
    pub fn set_query(&self, query: &str) -> Result<usize, crate::store::StoreError> {
        *self.query.borrow_mut() = query.to_string();
        self.pages.borrow_mut().clear();
        let n = self.ctx.store.borrow().count_diggers_matching(query)?;
        self.count.set(n);
        self.notify.reset();
        Ok(n)
    }

    /// The hit at `row`, fetching its page if needed.
    pub fn hit(&self, row: usize) -> Option<DiggerHit> {
        if row >= self.count.get() {
            return None;
        }
        let page = row / PAGE;
        if !self.pages.borrow().contains_key(&page) {
            let hits = self
                .ctx
                .store
                .borrow()
                .search_diggers(&self.query.borrow(), page * PAGE, PAGE)
                .ok()?;
            self.pages.borrow_mut().insert(page, hits);
        }
        self.pages
            .borrow()
            .get(&page)
            .and_then(|p| p.get(row % PAGE).cloned())
    }
}

/// The badge of a digger: how their licence stands today.
pub fn badge(hit: &DiggerHit, today: chrono::NaiveDate) -> (String, i32) {
    match &hit.licence {
        None => (crate::tr!("no licence"), 0),
        Some(l) => match l.standing_on(today) {
            LicenceStanding::Active => (crate::tr!("active"), 1),
            LicenceStanding::Expiring(days) => (crate::tr!("expires in {} d", days), 2),
            s @ (LicenceStanding::Expired
            | LicenceStanding::Suspended
            | LicenceStanding::Revoked) => (crate::i18n::tr(s.label()).into(), 3),
            LicenceStanding::NotYetValid => (crate::tr!("not yet valid"), 2),
        },
    }
}

impl Model for DiggerList {
    type Data = DiggerRow;

    fn row_count(&self) -> usize {
        self.count.get()
    }

    fn row_data(&self, row: usize) -> Option<DiggerRow> {
        let hit = self.hit(row)?;
        let (badge, badge_kind) = badge(&hit, self.ctx.today.get());
        let d = &hit.digger;
        let licence = hit
            .licence
            .as_ref()
            .map(|l| format!(" · {}", l.number))
            .unwrap_or_default();
        Some(DiggerRow {
            id: d.id.to_string().into(),
            name: d.full_name.clone().into(),
            detail: format!("{} · {}, {}{licence}", d.national_id, d.village, d.region).into(),
            badge: badge.into(),
            badge_kind,
        })
    }

    fn model_tracker(&self) -> &dyn ModelTracker {
        &self.notify
    }
}
