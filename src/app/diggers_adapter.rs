//! Diggers page: search, register, edit. Validation is the domain's; this file only maps
//! between the form and a `Digger`.

use super::context::Ctx;
use super::digger_list::DiggerList;
use super::forms;
use super::{AppWindow, DiggersAdapter};
use crate::domain::{Digger, DiggerId, DiggerStatus, Region, Sex};
use crate::store::StoreError;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::Cell;
use std::rc::Rc;

/// The region codes offered in forms: those on the device, else the built-in catalogue.
pub fn region_codes(ctx: &Ctx) -> Vec<String> {
    let stored: Vec<String> = ctx
        .store
        .borrow()
        .regions()
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.code)
        .collect();
    if stored.is_empty() {
        Region::catalogue().into_iter().map(|r| r.code).collect()
    } else {
        stored
    }
}

fn string_model(items: &[String]) -> ModelRc<SharedString> {
    ModelRc::new(VecModel::from(
        items.iter().map(SharedString::from).collect::<Vec<_>>(),
    ))
}

/// Wires the Diggers page; returns what refreshes it when it is shown.
pub fn connect(app: &AppWindow, ctx: Rc<Ctx>) -> Box<dyn Fn()> {
    let list = Rc::new(DiggerList::new(ctx.clone()));
    let adapter = app.global::<DiggersAdapter>();
    adapter.set_rows(ModelRc::from(list.clone()));
    let editing: Rc<Cell<Option<DiggerId>>> = Rc::new(Cell::new(None));

    let weak = app.as_weak();
    let (l, c) = (list.clone(), ctx.clone());
    adapter.on_search(move |q| {
        if let Some(app) = weak.upgrade() {
            run_search(&app, &c, &l, &q);
        }
    });

    let weak = app.as_weak();
    let (l, c, e) = (list.clone(), ctx.clone(), editing.clone());
    adapter.on_open(move |row| {
        let (Some(app), Some(hit)) = (weak.upgrade(), l.hit(row as usize)) else {
            return;
        };
        let a = app.global::<DiggersAdapter>();
        let d = &hit.digger;
        e.set(Some(d.id));
        clear_errors(&a);
        let regions = region_codes(&c);
        a.set_regions(string_model(&regions));
        a.set_selected(row);
        a.set_form_title(d.full_name.clone().into());
        a.set_national_id(d.national_id.clone().into());
        a.set_full_name(d.full_name.clone().into());
        a.set_sex_index(if d.sex == Sex::Female { 0 } else { 1 });
        a.set_birth_date(crate::i18n::dates::show(crate::i18n::current(), d.birth_date).into());
        a.set_village(d.village.clone().into());
        a.set_chiefdom(d.chiefdom.clone().into());
        a.set_phone(d.phone.clone().into());
        a.set_region_index(
            regions
                .iter()
                .position(|r| *r == d.region)
                .map_or(-1, |i| i as i32),
        );
        a.set_status_index(if d.status == DiggerStatus::Active {
            0
        } else {
            1
        });
        let (badge, _) = super::digger_list::badge(&hit, c.today.get());
        a.set_licence_text(match &hit.licence {
            Some(l) => crate::tr!(
                "Licence {} ({}, expires {})",
                l.number,
                badge,
                crate::i18n::dates::show(crate::i18n::current(), l.expires_on)
            )
            .into(),
            None => crate::tr!("No licence").into(),
        });
        a.set_status("".into());
        a.set_editing(true);
    });

    let weak = app.as_weak();
    let (c, e) = (ctx.clone(), editing.clone());
    adapter.on_new_digger(move || {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<DiggersAdapter>();
        e.set(None);
        clear_errors(&a);
        let regions = region_codes(&c);
        a.set_regions(string_model(&regions));
        let home = c
            .officer
            .borrow()
            .as_ref()
            .and_then(|o| o.regions.first().cloned());
        a.set_region_index(
            home.and_then(|h| regions.iter().position(|r| *r == h))
                .map_or(0, |i| i as i32),
        );
        a.set_selected(-1);
        a.set_form_title(crate::tr!("Register a digger").into());
        for set in [
            DiggersAdapter::set_national_id,
            DiggersAdapter::set_full_name,
            DiggersAdapter::set_birth_date,
            DiggersAdapter::set_village,
            DiggersAdapter::set_chiefdom,
            DiggersAdapter::set_phone,
            DiggersAdapter::set_licence_text,
            DiggersAdapter::set_status,
        ] {
            set(&a, SharedString::new());
        }
        a.set_sex_index(1);
        a.set_status_index(0);
        a.set_editing(true);
    });

    let weak = app.as_weak();
    let (l, c, e) = (list.clone(), ctx.clone(), editing.clone());
    adapter.on_save(move || {
        let Some(app) = weak.upgrade() else { return };
        save(&app, &c, &l, &e);
    });

    let weak = app.as_weak();
    adapter.on_cancel(move || {
        if let Some(app) = weak.upgrade() {
            let a = app.global::<DiggersAdapter>();
            a.set_editing(false);
            a.set_selected(-1);
            a.set_status("".into());
        }
    });

    let weak = app.as_weak();
    let (l, c) = (list, ctx);
    Box::new(move || {
        if let Some(app) = weak.upgrade() {
            let q = app.global::<DiggersAdapter>().get_query();
            let a = app.global::<DiggersAdapter>();
            a.set_can_edit(c.may_license());
            run_search(&app, &c, &l, &q);
        }
    })
}

fn run_search(app: &AppWindow, ctx: &Ctx, list: &DiggerList, query: &str) {
    let a = app.global::<DiggersAdapter>();
    match list.set_query(query) {
        Ok(n) => {
            let total = ctx.store.borrow().count_diggers_matching("").unwrap_or(n);
            a.set_count_text(if query.trim().is_empty() {
                crate::tr!("{} diggers", total).into()
            } else {
                crate::tr!("{} of {} diggers match", n, total).into()
            });
        }
        Err(e) => a.set_count_text(crate::tr!("Search failed: {}", e).into()),
    }
    a.set_selected(-1);
}

fn clear_errors(a: &DiggersAdapter<'_>) {
    for set in [
        DiggersAdapter::set_e_national_id,
        DiggersAdapter::set_e_full_name,
        DiggersAdapter::set_e_birth_date,
        DiggersAdapter::set_e_phone,
        DiggersAdapter::set_e_region,
        DiggersAdapter::set_e_village,
    ] {
        set(a, SharedString::new());
    }
}

fn save(app: &AppWindow, ctx: &Ctx, list: &DiggerList, editing: &Cell<Option<DiggerId>>) {
    let a = app.global::<DiggersAdapter>();
    clear_errors(&a);
    let regions = region_codes(ctx);
    let birth = forms::date(&a.get_birth_date());
    a.set_e_birth_date(forms::first_error(&birth));
    let region = regions.get(a.get_region_index().max(0) as usize).cloned();
    if region.is_none() {
        a.set_e_region(crate::tr!("Choose a region").into());
    }
    let (Ok(birth_date), Some(region)) = (birth, region) else {
        a.set_status(crate::tr!("Not saved: correct the fields marked in red").into());
        a.set_status_is_error(true);
        return;
    };
    let digger = Digger {
        id: editing.get().unwrap_or_default(),
        national_id: a.get_national_id().trim().to_string(),
        full_name: a.get_full_name().trim().to_string(),
        sex: if a.get_sex_index() == 0 {
            Sex::Female
        } else {
            Sex::Male
        },
        birth_date,
        village: a.get_village().trim().to_string(),
        chiefdom: a.get_chiefdom().trim().to_string(),
        phone: a.get_phone().trim().to_string(),
        region,
        status: if a.get_status_index() == 0 {
            DiggerStatus::Active
        } else {
            DiggerStatus::Inactive
        },
    };
    let result = ctx.store.borrow_mut().write(|w| {
        w.set_today(ctx.today.get());
        w.ensure_known_region(&digger.region)?;
        w.put_digger(&digger)
    });
    match result {
        Ok(()) => {
            editing.set(Some(digger.id));
            a.set_form_title(digger.full_name.clone().into());
            a.set_status(crate::tr!("Saved {}", digger.full_name).into());
            a.set_status_is_error(false);
            let q = a.get_query();
            run_search(app, ctx, list, &q);
        }
        Err(StoreError::Invalid(inv)) => {
            a.set_e_national_id(forms::message(&inv, "national_id"));
            a.set_e_full_name(forms::message(&inv, "full_name"));
            a.set_e_birth_date(forms::message(&inv, "birth_date"));
            a.set_e_phone(forms::message(&inv, "phone"));
            a.set_e_village(forms::message(&inv, "village"));
            a.set_e_region(forms::message(&inv, "region"));
            a.set_status(crate::tr!("Not saved: correct the fields marked in red").into());
            a.set_status_is_error(true);
        }
        Err(StoreError::Conflict(msg)) if msg.contains("national id") => {
            a.set_e_national_id(forms::capitalise(&msg).into());
            a.set_status(crate::tr!("Not saved: this national id is already registered").into());
            a.set_status_is_error(true);
        }
        Err(e) => {
            a.set_status(crate::tr!("Not saved: {}", e).into());
            a.set_status_is_error(true);
        }
    }
}
