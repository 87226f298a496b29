//! The window's frame: first start (officer profile, demo data), navigation by role, and the
//! pending-changes line of the navigation rail.

use super::context::Ctx;
use super::{AppAdapter, AppWindow};
use crate::demo::DemoOptions;
use crate::domain::{Officer, OfficerId, Role};
use slint::ComponentHandle;
use std::rc::Rc;

/// The setting that remembers who works on this device.
const CURRENT_OFFICER: &str = "current_officer";

/// Pages in navigation order; the index is `AppAdapter.page`.
pub const PAGES: usize = 8;

/// Which pages a role sees: diggers, licences, sites, production, sync, review, reports, sales.
pub fn pages_for(role: Role) -> [bool; PAGES] {
    match role {
        Role::FieldOfficer => [true, false, true, true, true, false, false, true],
        Role::LicensingOfficer => [true, true, true, false, true, false, false, true],
        Role::Coordinator | Role::Admin => [true; PAGES],
    }
}

/// Wires the frame. `refresh[i]` refreshes page `i` when it is shown.
pub fn connect(app: &AppWindow, ctx: Rc<Ctx>, refresh: Rc<Vec<Box<dyn Fn()>>>) {
    let a = app.global::<AppAdapter>();

    // Resume the profile chosen at first start.
    let saved = ctx.store.borrow().setting(CURRENT_OFFICER).ok().flatten();
    let officer = saved.and_then(|id| {
        let store = ctx.store.borrow();
        store
            .officers()
            .ok()?
            .into_iter()
            .find(|o| o.id.to_string() == id)
    });
    if let Some(o) = officer {
        ctx.store.borrow_mut().set_author(Some(o.id));
        *ctx.officer.borrow_mut() = Some(o);
    }
    a.set_needs_profile(ctx.officer.borrow().is_none());
    a.set_has_profile(ctx.officer.borrow().is_some());
    let weak = app.as_weak();
    a.on_close_profile(move || {
        if let Some(app) = weak.upgrade() {
            app.global::<AppAdapter>().set_needs_profile(false);
        }
    });

    let (weak, r, c) = (app.as_weak(), refresh.clone(), ctx.clone());
    a.on_navigate(move |page| {
        if let Some(app) = weak.upgrade() {
            show_page(&app, &c, &r, page);
        }
    });

    let (weak, r, c) = (app.as_weak(), refresh.clone(), ctx.clone());
    a.on_save_profile(move || {
        let Some(app) = weak.upgrade() else { return };
        save_profile(&app, &c, &r);
    });

    let weak = app.as_weak();
    let c = ctx.clone();
    a.on_change_profile(move || {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<AppAdapter>();
        if let Some(o) = c.officer.borrow().as_ref() {
            a.set_profile_name(o.full_name.clone().into());
            a.set_profile_username(o.username.clone().into());
            a.set_profile_role_index(
                Role::ALL.iter().position(|r| *r == o.role).unwrap_or(0) as i32
            );
        }
        a.set_empty_db(is_empty(&c));
        a.set_needs_profile(true);
    });

    let (weak, r, c) = (app.as_weak(), refresh.clone(), ctx.clone());
    a.on_load_demo(move || {
        let Some(app) = weak.upgrade() else { return };
        load_demo(&app, &c, &r);
    });

    a.set_empty_db(is_empty(&ctx));
    apply_role(app, &ctx);
    let first = pages_for(ctx.role()).iter().position(|v| *v).unwrap_or(0);
    show_page(app, &ctx, &refresh, first as i32);
}

fn is_empty(ctx: &Ctx) -> bool {
    ctx.store.borrow().is_empty().unwrap_or(false)
}

fn apply_role(app: &AppWindow, ctx: &Ctx) {
    let a = app.global::<AppAdapter>();
    let visible = pages_for(ctx.role());
    a.set_show_diggers(visible[0]);
    a.set_show_licences(visible[1]);
    a.set_show_sites(visible[2]);
    a.set_show_production(visible[3]);
    a.set_show_review(visible[5]);
    a.set_show_reports(visible[6]);
    a.set_show_sales(visible[7]);
    a.set_officer_text(match ctx.officer.borrow().as_ref() {
        Some(o) => format!("{} · {}", o.full_name, o.role.as_str().replace('_', " ")).into(),
        None => "".into(),
    });
}

/// Shows page `page` (or the role's first page if it may not see it) and refreshes it.
pub fn show_page(app: &AppWindow, ctx: &Ctx, refresh: &[Box<dyn Fn()>], page: i32) {
    let visible = pages_for(ctx.role());
    let page = if visible.get(page as usize).copied().unwrap_or(false) {
        page
    } else {
        visible.iter().position(|v| *v).unwrap_or(0) as i32
    };
    let a = app.global::<AppAdapter>();
    a.set_page(page);
    if let Some(f) = refresh.get(page as usize) {
        f();
    }
    update_pending(app, ctx);
}

/// The rail's line of changes waiting to be sent.
pub fn update_pending(app: &AppWindow, ctx: &Ctx) {
    let text = match ctx.store.borrow().pending_changes() {
        Ok(n) => format!("{n} changes not yet synced"),
        Err(e) => format!("Outbox unreadable: {e}"),
    };
    app.global::<AppAdapter>().set_pending_text(text.into());
}

fn save_profile(app: &AppWindow, ctx: &Ctx, refresh: &[Box<dyn Fn()>]) {
    let a = app.global::<AppAdapter>();
    let name = a.get_profile_name().trim().to_string();
    let username = a.get_profile_username().trim().to_lowercase();
    a.set_e_profile_name(if name.is_empty() {
        "Enter your name".into()
    } else {
        "".into()
    });
    let username_ok = !username.is_empty()
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    a.set_e_profile_username(if username_ok {
        "".into()
    } else {
        "Letters, digits, dots, dashes only".into()
    });
    if name.is_empty() || !username_ok {
        return;
    }
    let role = Role::ALL
        .get(a.get_profile_role_index().max(0) as usize)
        .copied()
        .unwrap_or(Role::FieldOfficer);
    let existing = ctx
        .store
        .borrow()
        .officer_by_username(&username)
        .ok()
        .flatten();
    let regions: Vec<String> = match &existing {
        Some(o) => o.regions.clone(),
        None => ctx
            .store
            .borrow()
            .regions()
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.code)
            .collect(),
    };
    let officer = Officer {
        id: existing.map_or_else(OfficerId::new, |o| o.id),
        username,
        full_name: name,
        role,
        regions,
    };
    let mut store = ctx.store.borrow_mut();
    let saved = store
        .write(|w| w.put_officer(&officer))
        .and_then(|()| store.set_setting(CURRENT_OFFICER, &officer.id.to_string()));
    if let Err(e) = saved {
        a.set_status(format!("Profile not saved: {e}").into());
        return;
    }
    store.set_author(Some(officer.id));
    drop(store);
    *ctx.officer.borrow_mut() = Some(officer);
    a.set_needs_profile(false);
    a.set_has_profile(true);
    a.set_status("".into());
    apply_role(app, ctx);
    show_page(app, ctx, refresh, a.get_page());
}

fn load_demo(app: &AppWindow, ctx: &Rc<Ctx>, refresh: &Rc<Vec<Box<dyn Fn()>>>) {
    let a = app.global::<AppAdapter>();
    let opts = DemoOptions {
        end: ctx.today.get(),
        ..DemoOptions::default()
    };
    a.set_busy(true);
    a.set_busy_text("Loading demo data: three regions, 180 days…".into());
    let (weak, c, r) = (app.as_weak(), ctx.clone(), refresh.clone());
    ctx.jobs.run(
        &ctx.store,
        move |store| crate::demo::make_demo(store, &opts).map_err(|e| e.to_string()),
        move |result| {
            if let Some(app) = weak.upgrade() {
                app.global::<AppAdapter>().set_busy(false);
                finish_demo(&app, &c, &r, result);
            }
        },
    );
}

fn finish_demo(app: &AppWindow, ctx: &Ctx, refresh: &[Box<dyn Fn()>], result: Result<(), String>) {
    let a = app.global::<AppAdapter>();
    match result {
        Ok(()) => {
            let s = ctx
                .store
                .borrow()
                .stats()
                .map(|s| s.total)
                .unwrap_or_default();
            a.set_status(
                format!(
                    "Demo data loaded: {} diggers, {} licences, {} sites, {} production entries",
                    s.diggers, s.licences, s.sites, s.production
                )
                .into(),
            );
            a.set_empty_db(false);
        }
        Err(e) => a.set_status(format!("Demo data not loaded: {e}").into()),
    }
    show_page(app, ctx, refresh, a.get_page());
}
