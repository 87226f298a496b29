//! Sync page: the device's sync state (server, officer, pending changes, last success, errors),
//! the changes the server refused with its reasons, a "Sync now" button, and a background sync
//! every few minutes while the device is enrolled and an officer is logged in, with the time of
//! the next attempt. Sync runs on a worker with its own connection, so the window never waits
//! for the network; while it runs the page says how many changes are sent and received of
//! how many.

use super::context::Ctx;
use super::session_adapter::plain;
use super::{AppWindow, SyncAdapter};
use crate::sync::{SyncClient, SyncProgress};
use crate::tr;
use slint::{ComponentHandle, ModelRc, SharedString, Timer, TimerMode, VecModel};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often the app syncs by itself while enrolled and logged in.
const AUTO_SYNC_EVERY: Duration = Duration::from_secs(300);

/// Wires the Sync page; returns what refreshes it, and the timer of the background sync.
pub fn connect(app: &AppWindow, ctx: Rc<Ctx>) -> (Box<dyn Fn()>, Timer) {
    let running = Rc::new(Cell::new(false));
    let next_at: Rc<Cell<chrono::DateTime<chrono::Local>>> =
        Rc::new(Cell::new(chrono::Local::now() + AUTO_SYNC_EVERY));
    let refresh: Rc<dyn Fn()> = {
        let (weak, c, n, run) = (app.as_weak(), ctx.clone(), next_at.clone(), running.clone());
        Rc::new(move || {
            if let Some(app) = weak.upgrade() {
                show(&app, &c, n.get(), run.get());
            }
        })
    };

    let start_sync: Rc<dyn Fn(bool)> = {
        let (weak, c, r, running) = (app.as_weak(), ctx.clone(), refresh.clone(), running.clone());
        let next_at = next_at.clone();
        Rc::new(move |by_hand: bool| {
            if !by_hand {
                next_at.set(chrono::Local::now() + AUTO_SYNC_EVERY);
            }
            let Some(app) = weak.upgrade() else { return };
            let ready = c
                .store
                .borrow()
                .sync_status()
                .map(|s| s.enrolled && s.officer.is_some())
                .unwrap_or(false);
            if running.get() || !ready {
                return;
            }
            running.set(true);
            let a = app.global::<SyncAdapter>();
            a.set_error_text("".into());
            a.set_syncing(true);
            a.set_progress_text(tr!("Syncing: counting the changes to send…").into());
            // The worker reports after each batch and page; a timer here shows it.
            let progress: Arc<Mutex<Option<SyncProgress>>> = Arc::default();
            a.set_progress(-1.0);
            let shown = show_progress(&app, progress.clone(), r.clone());
            let (r, running) = (r.clone(), running.clone());
            let weak = weak.clone();
            c.jobs.run(
                &c.store,
                move |store| {
                    let client = SyncClient::from_store(store).map_err(|e| plain(&e))?;
                    let mut report = |p: &SyncProgress| {
                        if let Ok(mut slot) = progress.lock() {
                            *slot = Some(*p);
                        }
                    };
                    client
                        .sync_with_progress(store, &mut report)
                        .map_err(|e| plain(&e))
                },
                move |result| {
                    shown.stop();
                    running.set(false);
                    r();
                    if let Some(app) = weak.upgrade() {
                        let a = app.global::<SyncAdapter>();
                        a.set_syncing(false);
                        match result {
                            Ok(rep) => a.set_last_success_text(
                                format!(
                                    "{} {}",
                                    crate::i18n::tr("Last sync:"),
                                    tr!(
                                        "pushed {}, pulled {}, refused {}",
                                        rep.pushed,
                                        rep.pulled,
                                        rep.rejected
                                    )
                                )
                                .into(),
                            ),
                            Err(e) => a.set_error_text(
                                tr!("Sync failed: {}. It will be tried again by itself.", e).into(),
                            ),
                        }
                    }
                },
            );
        })
    };

    let s = start_sync.clone();
    app.global::<SyncAdapter>().on_sync_now(move || s(true));

    let timer = Timer::default();
    let s = start_sync;
    timer.start(TimerMode::Repeated, AUTO_SYNC_EVERY, move || s(false));
    (Box::new(move || refresh()), timer)
}

/// Shows the latest progress a running sync reported, every 200 ms until stopped, with the
/// page refreshed (the changes still waiting) when it moves.
fn show_progress(
    app: &AppWindow,
    progress: Arc<Mutex<Option<SyncProgress>>>,
    refresh: Rc<dyn Fn()>,
) -> Timer {
    let timer = Timer::default();
    let weak = app.as_weak();
    let mut shown: Option<SyncProgress> = None;
    timer.start(TimerMode::Repeated, Duration::from_millis(200), move || {
        let latest = progress.lock().ok().and_then(|p| *p);
        let (Some(app), Some(p)) = (weak.upgrade(), latest) else {
            return;
        };
        if shown == Some(p) {
            return;
        }
        shown = Some(p);
        refresh();
        let a = app.global::<SyncAdapter>();
        a.set_progress_text(p.words().into());
        a.set_progress(p.fraction().unwrap_or(-1.0));
    });
    timer
}

fn show(app: &AppWindow, ctx: &Ctx, next_at: chrono::DateTime<chrono::Local>, running: bool) {
    let a = app.global::<SyncAdapter>();
    let store = ctx.store.borrow();
    let status = match store.sync_status() {
        Ok(s) => s,
        Err(e) => {
            a.set_error_text(tr!("Cannot read the sync state: {}", e).into());
            return;
        }
    };
    let state = if !status.enrolled {
        tr!(
            "This device is not enrolled with a sync server: enrol this device in Settings. Every change waits on this device until then."
        )
    } else {
        match (&status.server_url, &status.officer) {
            (Some(url), Some(officer)) => {
                tr!(
                    "Enrolled with {url}; {officer} is logged in. Sync runs in the background.",
                    url = url,
                    officer = officer
                )
            }
            (Some(url), None) => {
                tr!(
                    "Enrolled with {url}; nobody is logged in, so nothing is sent: log in first.",
                    url = url
                )
            }
            (None, _) => tr!("Enrolled"),
        }
    };
    a.set_state_text(state.into());
    a.set_syncing(running);
    a.set_next_text(
        if status.enrolled && status.officer.is_some() {
            tr!("Next background sync at {}", next_at.format("%H:%M"))
        } else {
            tr!("No background sync until the device is enrolled and an officer is logged in")
        }
        .into(),
    );
    a.set_pending_text(tr!("{} changes waiting to be sent", status.pending).into());
    // The rail's count too, which a sync changes.
    super::shell_adapter::update_pending(app, ctx);
    if a.get_last_success_text().is_empty()
        || !a
            .get_last_success_text()
            .starts_with(crate::i18n::tr("Last sync:"))
    {
        a.set_last_success_text(
            match &status.last_success {
                Some(t) => tr!("Last successful sync: {}", t),
                None => tr!("Last successful sync: never"),
            }
            .into(),
        );
    }
    if let Some(e) = &status.last_error
        && a.get_error_text().is_empty()
    {
        a.set_error_text(tr!("Last error: {}", e).into());
    }
    let mut lines: Vec<SharedString> = store
        .rejected_changes()
        .unwrap_or_default()
        .iter()
        .map(|r| format!("{} {} — {}", r.entity, r.record_id, r.reason).into())
        .collect();
    if status.conflicts > 0 {
        lines.push(
            tr!(
                "{} edits lost a merge to a newer version; coordinators can see them",
                status.conflicts
            )
            .into(),
        );
    }
    a.set_rejected(ModelRc::new(VecModel::from(lines)));
    a.set_can_sync(status.enrolled && status.officer.is_some());
}
