//! Settings page: the GPS receiver (found on the device or chosen by hand, kept in the device
//! database), the idle time before the screen locks, the sync server this device is enrolled
//! with (and enrolling again), and the officers of a device set up without a server.

use super::context::Ctx;
use super::gps_discovery;
use super::gps_feed;
use super::session_adapter;
use super::{AppWindow, SessionAdapter, SettingsAdapter};
use crate::domain::{Officer, OfficerId, Role};
use crate::tr;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::RefCell;
use std::rc::Rc;

/// The device setting that holds the idle minutes before the screen locks.
pub const LOCK_MINUTES: &str = "lock_minutes";
/// Minutes before the screen locks when nothing is set.
pub const DEFAULT_LOCK_MINUTES: u32 = 15;

/// The idle minutes before the screen locks, from the device database.
pub fn lock_minutes(ctx: &Ctx) -> Result<u32, String> {
    match ctx.store.borrow().setting(LOCK_MINUTES) {
        Ok(Some(v)) => v.parse().map_err(|_| {
            tr!(
                "the stored lock time {} is not a number of minutes",
                format!("{v:?}")
            )
        }),
        Ok(None) => Ok(DEFAULT_LOCK_MINUTES),
        Err(e) => Err(e.to_string()),
    }
}

/// Wires the page; returns what refreshes it. `lock_changed` restarts the idle clock.
pub fn connect(app: &AppWindow, ctx: Rc<Ctx>, lock_changed: Rc<dyn Fn()>) -> Box<dyn Fn()> {
    let a = app.global::<SettingsAdapter>();
    let found: Rc<RefCell<FoundReceivers>> = Rc::default();

    let refresh: Rc<dyn Fn()> = {
        let (weak, c, f) = (app.as_weak(), ctx.clone(), found.clone());
        Rc::new(move || {
            if let Some(app) = weak.upgrade() {
                show(&app, &c, &f);
            }
        })
    };

    let (weak, c) = (app.as_weak(), ctx.clone());
    a.on_save_lock(move || {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<SettingsAdapter>();
        let text = a.get_lock_minutes().trim().to_string();
        match text.parse::<u32>() {
            Ok(m) if (1..=240).contains(&m) => {
                let saved = c
                    .store
                    .borrow_mut()
                    .set_setting(LOCK_MINUTES, &m.to_string());
                match saved {
                    Ok(()) => {
                        a.set_e_lock_minutes("".into());
                        a.set_lock_status(tr!("The screen locks after {} idle minutes", m).into());
                        lock_changed();
                    }
                    Err(e) => a.set_e_lock_minutes(tr!("Not saved: {}", e).into()),
                }
            }
            _ => a.set_e_lock_minutes(tr!("A whole number of minutes from 1 to 240").into()),
        }
    });

    let (weak, c, r) = (app.as_weak(), ctx.clone(), refresh.clone());
    a.on_add_officer(move || {
        let Some(app) = weak.upgrade() else { return };
        add_officer(&app, &c);
        r();
    });

    let (weak, c, f) = (app.as_weak(), ctx.clone(), found.clone());
    a.on_scan_gps(move || {
        if let Some(app) = weak.upgrade() {
            scan(&app, &c, &f);
        }
    });

    let (weak, c, f) = (app.as_weak(), ctx.clone(), found.clone());
    a.on_use_found_gps(move || {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<SettingsAdapter>();
        let chosen = f
            .borrow()
            .sources
            .get(a.get_gps_found_index().max(0) as usize)
            .cloned();
        if let Some(source) = chosen {
            use_source(&app, &c, Some(source));
        }
    });

    let (weak, c) = (app.as_weak(), ctx.clone());
    a.on_use_gps_path(move || {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<SettingsAdapter>();
        let path = a.get_gps_path().trim().to_string();
        let baud = a.get_gps_baud().trim().to_string();
        a.set_e_gps_path("".into());
        a.set_e_gps_baud("".into());
        match gps_feed::source_by_hand(&path, &baud) {
            Ok(source) => use_source(&app, &c, Some(source)),
            Err((field_is_baud, why)) => {
                if field_is_baud {
                    a.set_e_gps_baud(why.into());
                } else {
                    a.set_e_gps_path(why.into());
                }
            }
        }
    });

    let (weak, c) = (app.as_weak(), ctx.clone());
    a.on_no_gps(move || {
        if let Some(app) = weak.upgrade() {
            use_source(&app, &c, None);
        }
    });

    let weak = app.as_weak();
    a.on_enrol_again(move || {
        let Some(app) = weak.upgrade() else { return };
        let s = app.global::<SessionAdapter>();
        s.set_enrol_error("".into());
        s.set_enrol_from_settings(true);
        s.set_path(1);
        s.set_gate(session_adapter::FIRST_START);
    });

    Box::new(move || refresh())
}

fn show(app: &AppWindow, ctx: &Ctx, found: &Rc<RefCell<FoundReceivers>>) {
    let a = app.global::<SettingsAdapter>();
    match lock_minutes(ctx) {
        Ok(m) => a.set_lock_minutes(m.to_string().into()),
        Err(e) => a.set_e_lock_minutes(e.into()),
    }
    a.set_lock_status("".into());
    a.set_gps_current(gps_feed::describe_source(ctx).into());
    if !found.borrow().looked {
        scan(app, ctx, found);
    }

    let store = ctx.store.borrow();
    let enrolled = matches!(store.sync_setting("device_token"), Ok(Some(_)));
    let server = if enrolled {
        let url = store
            .sync_setting("server_url")
            .ok()
            .flatten()
            .unwrap_or_default();
        let region = store
            .sync_setting("device_region")
            .ok()
            .flatten()
            .unwrap_or_default();
        tr!(
            "Enrolled with {url} (region {region}). Device id {id}. Officers log in with their server accounts.",
            url = url,
            region = region,
            id = store.device_id().0
        )
    } else {
        tr!(
            "Not enrolled with a server: every change waits on this device. Device id {}.",
            store.device_id().0
        )
    };
    a.set_server_text(server.into());
    let admin = ctx.role() == Some(Role::Admin);
    // Enrolling again replaces the server; only an administrator may do it.
    a.set_can_enrol(admin || !enrolled);
    a.set_can_add_officers(admin && !enrolled);
    let accounts: Vec<SharedString> = match store.cached_officers() {
        Ok(list) => list
            .iter()
            .map(|o| {
                format!(
                    "{} — {} · {} · {}",
                    o.username,
                    o.full_name,
                    super::shell_adapter::role_name(o.role),
                    if o.regions.is_empty() {
                        tr!("all regions")
                    } else {
                        o.regions.join(", ")
                    }
                )
                .into()
            })
            .collect(),
        Err(e) => vec![tr!("Cannot read the accounts: {}", e).into()],
    };
    a.set_accounts(ModelRc::new(VecModel::from(accounts)));
    if a.get_new_regions().is_empty() {
        a.set_new_regions(super::diggers_adapter::region_codes(ctx).join(",").into());
    }
}

/// What the receivers' list holds: the sources found, and whether a look is under way or done.
#[derive(Default)]
struct FoundReceivers {
    sources: Vec<String>,
    looking: bool,
    looked: bool,
}

/// Looks for receivers on a worker (probing takes seconds); the list says so meanwhile.
fn scan(app: &AppWindow, ctx: &Ctx, found: &Rc<RefCell<FoundReceivers>>) {
    if found.borrow().looking {
        return;
    }
    let a = app.global::<SettingsAdapter>();
    let baud = a
        .get_gps_baud()
        .trim()
        .parse()
        .unwrap_or(gps_discovery::DEFAULT_BAUD);
    {
        let mut f = found.borrow_mut();
        f.looking = true;
        f.sources.clear();
    }
    a.set_gps_any_found(false);
    a.set_gps_looking(true);
    a.set_gps_found(ModelRc::new(VecModel::from(vec![SharedString::from(tr!(
        "Looking for receivers…"
    ))])));
    a.set_gps_found_index(0);
    let at = ctx.gps_discovery.borrow().clone();
    let (weak, f) = (app.as_weak(), found.clone());
    ctx.jobs.spawn(
        move || gps_discovery::discover(&at, baud),
        move |receivers| {
            {
                let mut f = f.borrow_mut();
                f.looking = false;
                f.looked = true;
                f.sources = receivers.iter().map(|r| r.source.clone()).collect();
            }
            let Some(app) = weak.upgrade() else { return };
            let a = app.global::<SettingsAdapter>();
            let mut labels: Vec<SharedString> =
                receivers.iter().map(|r| r.label.as_str().into()).collect();
            a.set_gps_any_found(!labels.is_empty());
            a.set_gps_looking(false);
            if labels.is_empty() {
                labels.push(tr!("None found: plug a receiver in, then look again").into());
            }
            a.set_gps_found(ModelRc::new(VecModel::from(labels)));
            a.set_gps_found_index(0);
        },
    );
}

fn use_source(app: &AppWindow, ctx: &Ctx, source: Option<String>) {
    let a = app.global::<SettingsAdapter>();
    match gps_feed::save_source(ctx, source.as_deref()) {
        Ok(()) => {
            a.set_gps_status_is_error(false);
            a.set_gps_status(
                match &source {
                    Some(s) => tr!("GPS source saved: {}", gps_feed::source_words(s)),
                    None => tr!("No GPS receiver: positions are entered by hand"),
                }
                .into(),
            );
        }
        Err(e) => {
            a.set_gps_status_is_error(true);
            a.set_gps_status(tr!("Not saved: {}", e).into());
        }
    }
    a.set_gps_current(gps_feed::describe_source(ctx).into());
}

fn add_officer(app: &AppWindow, ctx: &Ctx) {
    let a = app.global::<SettingsAdapter>();
    a.set_officers_status("".into());
    if ctx.role() != Some(Role::Admin) {
        a.set_officers_status_is_error(true);
        a.set_officers_status(tr!("Only an administrator adds officers").into());
        return;
    }
    let name = a.get_new_name().trim().to_string();
    let username = a.get_new_username().trim().to_lowercase();
    let password = a.get_new_password().to_string();
    let known = super::diggers_adapter::region_codes(ctx);
    let regions: Vec<String> = a
        .get_new_regions()
        .split(',')
        .map(|r| r.trim().to_uppercase())
        .filter(|r| !r.is_empty())
        .collect();
    let unknown: Vec<&String> = regions.iter().filter(|r| !known.contains(r)).collect();
    let role = Role::ALL
        .get(a.get_new_role_index().max(0) as usize)
        .copied()
        .unwrap_or(Role::FieldOfficer);
    a.set_e_new_name(if name.is_empty() {
        tr!("Enter the officer's name").into()
    } else {
        "".into()
    });
    a.set_e_new_username(if session_adapter::username_ok(&username) {
        "".into()
    } else {
        tr!("Letters, digits, dots, dashes only").into()
    });
    a.set_e_new_regions(if regions.is_empty() {
        tr!("At least one of {}", known.join(", ")).into()
    } else if !unknown.is_empty() {
        tr!(
            "Unknown region {}: one of {}",
            unknown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            known.join(", ")
        )
        .into()
    } else {
        "".into()
    });
    let short = password.chars().count() < crate::sync::MIN_PASSWORD_CHARS;
    a.set_e_new_password(if short {
        tr!("At least {} characters", crate::sync::MIN_PASSWORD_CHARS).into()
    } else {
        "".into()
    });
    if name.is_empty()
        || !session_adapter::username_ok(&username)
        || regions.is_empty()
        || !unknown.is_empty()
        || short
    {
        return;
    }
    let officer = Officer {
        id: OfficerId::new(),
        username: username.clone(),
        full_name: name,
        role,
        regions,
    };
    let made = crate::sync::add_local_officer(&mut ctx.store.borrow_mut(), &officer, &password);
    match made {
        Ok(()) => {
            a.set_new_name("".into());
            a.set_new_username("".into());
            a.set_new_password("".into());
            a.set_officers_status_is_error(false);
            a.set_officers_status(
                tr!(
                    "{username} can now log in on this device as {role}",
                    username = username,
                    role = super::shell_adapter::role_name(role)
                )
                .into(),
            );
        }
        Err(e) => {
            a.set_officers_status_is_error(true);
            a.set_officers_status(session_adapter::plain(&e).into());
        }
    }
}
