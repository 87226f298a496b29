//! Who is at the device. The first start offers enrolment with a server, a local setup (an
//! office without a server) or the demo; after that an officer logs in with user name and
//! password, and the role and regions come from their account, never from a choice on screen.
//! Switch officer and Log out sit in the rail; the lock screen asks the same officer's password.
//!
//! The checks are the library's ([`crate::sync::login_on_device`],
//! [`crate::sync::check_cached_password`], [`crate::sync::enrol`]), the same the command line
//! uses; this adapter only says what happened in plain words.

use super::context::Ctx;
use super::enrol_form;
use super::shell_adapter;
use super::{AppAdapter, AppWindow, SessionAdapter};
use crate::demo::{self, DemoOptions};
use crate::domain::{Officer, OfficerId, Role};
use crate::sync::{LoginKind, SyncError};
use crate::tr;
use slint::{ComponentHandle, Timer, TimerMode};
use std::rc::Rc;
use std::time::Duration;

/// `SessionAdapter.gate`: an officer is working.
pub const OPEN: i32 = 0;
/// `SessionAdapter.gate`: the device is neither enrolled nor set up.
pub const FIRST_START: i32 = 1;
/// `SessionAdapter.gate`: nobody is logged in.
pub const LOGIN: i32 = 2;
/// `SessionAdapter.gate`: the officer's session is locked.
pub const LOCKED: i32 = 3;

type Refresh = Rc<Vec<Box<dyn Fn()>>>;

/// Wires the session screens and shows the first one: first start on a device nobody has set
/// up, else the login screen. A session left open by an earlier run (or the command line) is
/// closed: nobody works on the device before logging in.
pub fn connect(app: &AppWindow, ctx: Rc<Ctx>, refresh: Refresh) {
    let s = app.global::<SessionAdapter>();
    if let Err(e) = ctx.store.borrow_mut().close_session() {
        s.set_status(tr!("Cannot read this device's accounts: {}", e).into());
    }
    start_gate(app, &ctx);

    let wire = |f: fn(&AppWindow, &Rc<Ctx>, &Refresh)| {
        let (weak, c, r) = (app.as_weak(), ctx.clone(), refresh.clone());
        move || {
            if let Some(app) = weak.upgrade() {
                f(&app, &c, &r);
            }
        }
    };
    s.on_log_in(wire(log_in));
    s.on_enrol(wire(|app, c, _| enrol_form::enrol(app, c)));
    s.on_enrol_from_file(wire(|app, c, _| enrol_form::enrol_from_file(app, c)));
    s.on_set_up(wire(set_up));
    s.on_try_demo(wire(try_demo));
    s.on_unlock(wire(unlock));
    s.on_lock_log_out(wire(log_out));
    s.on_cancel_login(wire(|app, _, _| {
        app.global::<SessionAdapter>().set_gate(OPEN);
    }));
    let a = app.global::<AppAdapter>();
    a.on_log_out(wire(log_out));
    a.on_switch_officer(wire(|app, c, _| to_login(app, c, true)));
    let weak = app.as_weak();
    s.on_choose_path(move |path| {
        let Some(app) = weak.upgrade() else { return };
        let s = app.global::<SessionAdapter>();
        s.set_status("".into());
        s.set_enrol_error("".into());
        if path == 0 && s.get_enrol_from_settings() {
            s.set_enrol_from_settings(false);
            s.set_gate(OPEN);
        } else {
            s.set_path(path);
        }
    });
}

/// First start, or the login screen when the device is enrolled or has accounts.
fn start_gate(app: &AppWindow, ctx: &Ctx) {
    let s = app.global::<SessionAdapter>();
    let known = {
        let store = ctx.store.borrow();
        store
            .sync_setting("device_token")
            .and_then(|token| Ok(token.is_some() || !store.cached_officers()?.is_empty()))
    };
    match known {
        Ok(false) => {
            s.set_path(0);
            s.set_gate(FIRST_START);
        }
        Ok(true) => to_login(app, ctx, false),
        Err(e) => {
            to_login(app, ctx, false);
            s.set_e_login(tr!("Cannot read this device's accounts: {}", e).into());
        }
    }
}

/// Shows the login screen; `can_cancel` when an officer is switching and may go back.
pub fn to_login(app: &AppWindow, ctx: &Ctx, can_cancel: bool) {
    let s = app.global::<SessionAdapter>();
    s.set_can_cancel_login(can_cancel && ctx.officer.borrow().is_some());
    s.set_username("".into());
    s.set_password("".into());
    s.set_e_login("".into());
    s.set_working(false);
    let store = ctx.store.borrow();
    let note = match store.sync_setting("server_url") {
        Ok(Some(url)) if matches!(store.sync_setting("device_token"), Ok(Some(_))) => {
            tr!("Enrolled with {}: log in with your account", url)
        }
        Ok(_) => tr!("This device's own accounts (no server)"),
        Err(e) => tr!("Cannot read the device's settings: {}", e),
    };
    s.set_login_note(note.into());
    s.set_demo_note(demo_note(ctx).into());
    s.set_gate(LOGIN);
}

/// The demo accounts and their password, on a database whose accounts are the demo's only.
fn demo_note(ctx: &Ctx) -> String {
    let store = ctx.store.borrow();
    if !matches!(store.setting(demo::DEMO_LOGINS_SETTING), Ok(Some(_))) {
        return String::new();
    }
    let accounts = match store.cached_officers() {
        Ok(a) => a,
        Err(e) => return tr!("Cannot read the demo accounts: {}", e),
    };
    let mut lines: Vec<String> = accounts
        .iter()
        .map(|o| format!("{} — {}", o.username, shell_adapter::role_name(o.role)))
        .collect();
    lines.sort_by_key(|l| !l.starts_with("admin"));
    tr!(
        "Every demo account's password is \"{}\".\n{}",
        demo::DEMO_PASSWORD,
        lines.join("\n")
    )
}

fn log_in(app: &AppWindow, ctx: &Rc<Ctx>, refresh: &Refresh) {
    let s = app.global::<SessionAdapter>();
    let user = s.get_username().trim().to_string();
    let password = s.get_password().to_string();
    if user.is_empty() || password.is_empty() {
        s.set_e_login(tr!("Enter your user name and your password").into());
        return;
    }
    s.set_e_login("".into());
    s.set_working(true);
    s.set_working_text(tr!("Checking your password…").into());
    let (weak, c, r) = (app.as_weak(), ctx.clone(), refresh.clone());
    ctx.jobs.run(
        &ctx.store,
        move |store| crate::sync::login_on_device(store, &user, &password).map_err(|e| plain(&e)),
        move |result| {
            let Some(app) = weak.upgrade() else { return };
            let s = app.global::<SessionAdapter>();
            s.set_working(false);
            s.set_password("".into());
            match result {
                Ok(kind) => finish_login(&app, &c, &r, kind),
                Err(e) => s.set_e_login(e.into()),
            }
        },
    );
}

/// Takes the officer of the session the library opened: their role and regions from the
/// account decide what the window shows.
fn finish_login(app: &AppWindow, ctx: &Ctx, refresh: &Refresh, kind: LoginKind) {
    let s = app.global::<SessionAdapter>();
    let session = ctx.store.borrow().session();
    let officer = match session {
        Ok(Some(o)) => Officer {
            id: o.officer_id,
            username: o.username,
            full_name: o.full_name,
            role: o.role,
            regions: o.regions,
        },
        Ok(None) => {
            s.set_e_login(tr!("The login was not kept on this device; try again").into());
            return;
        }
        Err(e) => {
            s.set_e_login(tr!("Cannot read the session: {}", e).into());
            return;
        }
    };
    ctx.store.borrow_mut().set_author(Some(officer.id));
    let role = officer.role;
    *ctx.officer.borrow_mut() = Some(officer);
    s.set_status(match kind {
        LoginKind::Offline => tr!("Logged in offline: the server did not answer").into(),
        _ => "".into(),
    });
    s.set_gate(OPEN);
    shell_adapter::apply_role(app, ctx);
    let page = app.global::<AppAdapter>().get_page();
    let page = if shell_adapter::pages_for(Some(role))
        .get(page as usize)
        .copied()
        .unwrap_or(false)
    {
        page
    } else {
        shell_adapter::first_page(Some(role))
    };
    shell_adapter::show_page(app, ctx, refresh, page);
}

fn log_out(app: &AppWindow, ctx: &Rc<Ctx>, _refresh: &Refresh) {
    if let Err(e) = ctx.store.borrow_mut().close_session() {
        app.global::<SessionAdapter>()
            .set_e_unlock(tr!("Cannot log out: {}", e).into());
        return;
    }
    *ctx.officer.borrow_mut() = None;
    shell_adapter::apply_role(app, ctx);
    to_login(app, ctx, false);
}

/// Locks the officer's session (idle time): the lock screen hides every record.
pub fn lock(app: &AppWindow, ctx: &Ctx) {
    let s = app.global::<SessionAdapter>();
    let Some(o) = ctx.officer.borrow().clone() else {
        return;
    };
    if s.get_gate() != OPEN {
        return;
    }
    s.set_locked_officer(
        tr!(
            "{} ({}) is logged in on this device. Enter your password to go on.",
            o.full_name,
            o.username
        )
        .into(),
    );
    s.set_unlock_password("".into());
    s.set_e_unlock("".into());
    s.set_gate(LOCKED);
}

fn unlock(app: &AppWindow, ctx: &Rc<Ctx>, _refresh: &Refresh) {
    let s = app.global::<SessionAdapter>();
    let password = s.get_unlock_password().to_string();
    s.set_unlock_password("".into());
    let Some(username) = ctx.officer.borrow().as_ref().map(|o| o.username.clone()) else {
        s.set_gate(LOGIN);
        return;
    };
    match crate::sync::check_cached_password(&ctx.store.borrow(), &username, &password) {
        Ok(_) => {
            s.set_e_unlock("".into());
            s.set_gate(OPEN);
        }
        Err(e) => s.set_e_unlock(plain(&e).into()),
    }
}

/// Starts the idle clock of the screen lock: after the minutes set in Settings without a key
/// or pointer movement (`AppAdapter.activity`), an officer's session locks. Returns the timer
/// and what restarts the clock with the current setting.
pub fn idle_lock(app: &AppWindow, ctx: Rc<Ctx>) -> (Rc<Timer>, Rc<dyn Fn()>) {
    let timer = Rc::new(Timer::default());
    let start: Rc<dyn Fn()> = {
        let (t, weak, c) = (timer.clone(), app.as_weak(), ctx.clone());
        Rc::new(move || {
            let minutes = super::settings_adapter::lock_minutes(&c)
                .unwrap_or(super::settings_adapter::DEFAULT_LOCK_MINUTES);
            let (weak, c) = (weak.clone(), c.clone());
            t.start(
                TimerMode::SingleShot,
                Duration::from_secs(u64::from(minutes) * 60),
                move || {
                    if let Some(app) = weak.upgrade() {
                        lock(&app, &c);
                    }
                },
            );
        })
    };
    start();
    let t = timer.clone();
    app.global::<AppAdapter>().on_activity(move || t.restart());
    (timer, start)
}

/// Whether `name` is a usable user name: letters, digits, dots, dashes, underscores.
pub fn username_ok(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

fn set_up(app: &AppWindow, ctx: &Rc<Ctx>, refresh: &Refresh) {
    let s = app.global::<SessionAdapter>();
    let name = s.get_admin_name().trim().to_string();
    let username = s.get_admin_username().trim().to_lowercase();
    let password = s.get_admin_password().to_string();
    let again = s.get_admin_password2().to_string();
    let e_name = if name.is_empty() {
        tr!("Enter the administrator's name")
    } else {
        String::new()
    };
    let e_user = if username_ok(&username) {
        String::new()
    } else {
        tr!("Letters, digits, dots, dashes only")
    };
    let short = password.chars().count() < crate::sync::MIN_PASSWORD_CHARS;
    let e_pw = if short {
        tr!("At least {} characters", crate::sync::MIN_PASSWORD_CHARS)
    } else {
        String::new()
    };
    let e_again = if !short && password != again {
        tr!("The two passwords differ")
    } else {
        String::new()
    };
    s.set_e_admin_name(e_name.clone().into());
    s.set_e_admin_username(e_user.clone().into());
    s.set_e_admin_password(e_pw.clone().into());
    s.set_e_admin_password2(e_again.clone().into());
    if !e_name.is_empty() || !e_user.is_empty() || !e_pw.is_empty() || !e_again.is_empty() {
        return;
    }
    let officer = Officer {
        id: OfficerId::new(),
        username,
        full_name: name,
        role: Role::Admin,
        regions: Vec::new(),
    };
    let made = {
        let mut store = ctx.store.borrow_mut();
        crate::sync::add_local_officer(&mut store, &officer, &password)
            .and_then(|()| Ok(store.open_session(officer.id)?))
    };
    match made {
        Ok(()) => {
            s.set_admin_password("".into());
            s.set_admin_password2("".into());
            s.set_status("".into());
            finish_login(app, ctx, refresh, LoginKind::Local);
        }
        Err(e) => s.set_status(plain(&e).into()),
    }
}

fn try_demo(app: &AppWindow, ctx: &Rc<Ctx>, _refresh: &Refresh) {
    let a = app.global::<AppAdapter>();
    let opts = DemoOptions {
        end: ctx.today.get(),
        ..DemoOptions::default()
    };
    a.set_busy(true);
    a.set_busy_text(tr!("Loading demo data: three regions, 180 days…").into());
    let (weak, c) = (app.as_weak(), ctx.clone());
    ctx.jobs.run(
        &ctx.store,
        move |store| {
            if store.is_empty().map_err(|e| e.to_string())? {
                demo::make_demo(store, &opts).map_err(|e| e.to_string())?;
            }
            demo::make_demo_logins(store).map_err(|e| plain(&e))
        },
        move |result| {
            let Some(app) = weak.upgrade() else { return };
            app.global::<AppAdapter>().set_busy(false);
            match result {
                Ok(_) => to_login(&app, &c, false),
                Err(e) => app
                    .global::<SessionAdapter>()
                    .set_status(tr!("Demo data not loaded: {}", e).into()),
            }
        },
    );
}

/// A sync or login failure in plain words, with what to do next.
pub fn plain(e: &SyncError) -> String {
    match e {
        SyncError::Unreachable { url, reason }
            if reason.contains("certificate") || reason.contains("UnknownIssuer") =>
        {
            tr!(
                "The server at {} does not match the certificate file: check that the file is the one your office gave for this server",
                url
            )
        }
        SyncError::Unreachable { url, .. } => tr!(
            "The server at {} does not answer: check the address and the network, then try again",
            url
        ),
        SyncError::BadCertificate(m) => tr!("The certificate file cannot be used: {}", m),
        SyncError::BadUrl(m) => tr!("This server address cannot be used: {}", m),
        SyncError::Server {
            status: 400..=499,
            message,
            ..
        } => {
            if message == "unknown enrolment code" {
                tr!(
                    "This enrolment code is not known to the server: check it, or ask your office for a new one"
                )
            } else {
                capitalised(message)
            }
        }
        SyncError::NotEnrolled => tr!("This device is not enrolled: enrol it in Settings"),
        SyncError::NotLoggedIn => tr!("Nobody is logged in: log in first"),
        SyncError::Credentials(m) => capitalised(m),
        other => capitalised(&other.to_string()),
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
