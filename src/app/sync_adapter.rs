//! Sync page: the device's sync state (server, officer, pending changes, last success, errors),
//! the changes the server refused with its reasons, a "Sync now" button, and a background sync
//! every few minutes while the device is enrolled and an officer is logged in. Sync runs on a
//! worker with its own connection, so the window never waits for the network.

use super::context::Ctx;
use super::{AppWindow, SyncAdapter};
use crate::sync::SyncClient;
use slint::{ComponentHandle, ModelRc, SharedString, Timer, TimerMode, VecModel};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

/// How often the app syncs by itself while enrolled and logged in.
const AUTO_SYNC_EVERY: Duration = Duration::from_secs(300);

/// Wires the Sync page; returns what refreshes it, and the timer of the background sync.
pub fn connect(app: &AppWindow, ctx: Rc<Ctx>) -> (Box<dyn Fn()>, Timer) {
    let running = Rc::new(Cell::new(false));
    let refresh: Rc<dyn Fn()> = {
        let (weak, c) = (app.as_weak(), ctx.clone());
        Rc::new(move || {
            if let Some(app) = weak.upgrade() {
                show(&app, &c);
            }
        })
    };

    let start_sync: Rc<dyn Fn(bool)> = {
        let (weak, c, r, running) = (app.as_weak(), ctx.clone(), refresh.clone(), running.clone());
        Rc::new(move |by_hand: bool| {
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
            if by_hand {
                a.set_state_text("Syncing…".into());
            }
            let (r, running) = (r.clone(), running.clone());
            let weak = weak.clone();
            c.jobs.run(
                &c.store,
                |store| {
                    let client = SyncClient::from_store(store).map_err(|e| e.to_string())?;
                    client.sync(store).map_err(|e| e.to_string())
                },
                move |result| {
                    running.set(false);
                    r();
                    if let Some(app) = weak.upgrade() {
                        let a = app.global::<SyncAdapter>();
                        match result {
                            Ok(rep) => a.set_last_success_text(
                                format!(
                                    "Last sync: pushed {}, pulled {}, refused {}",
                                    rep.pushed, rep.pulled, rep.rejected
                                )
                                .into(),
                            ),
                            Err(e) => a.set_error_text(
                                format!("Sync failed: {e}. It will be tried again.").into(),
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

fn show(app: &AppWindow, ctx: &Ctx) {
    let a = app.global::<SyncAdapter>();
    let store = ctx.store.borrow();
    let status = match store.sync_status() {
        Ok(s) => s,
        Err(e) => {
            a.set_error_text(format!("Cannot read the sync state: {e}").into());
            return;
        }
    };
    let state = if !status.enrolled {
        "Not configured: this device is not enrolled with a sync server yet \
         (alluvium enrol --server URL --code CODE). Every change is kept in the device's outbox until it is."
            .to_string()
    } else {
        match (&status.server_url, &status.officer) {
            (Some(url), Some(officer)) => {
                format!("Enrolled with {url}; {officer} is logged in. Sync runs in the background.")
            }
            (Some(url), None) => {
                format!(
                    "Enrolled with {url}; nobody is logged in (alluvium login --user NAME), so nothing is sent."
                )
            }
            (None, _) => "Enrolled".to_string(),
        }
    };
    a.set_state_text(state.into());
    a.set_pending_text(format!("{} changes waiting to be sent", status.pending).into());
    if a.get_last_success_text().is_empty() || !a.get_last_success_text().starts_with("Last sync:")
    {
        a.set_last_success_text(
            match &status.last_success {
                Some(t) => format!("Last successful sync: {t}"),
                None => "Last successful sync: never".to_string(),
            }
            .into(),
        );
    }
    if let Some(e) = &status.last_error
        && a.get_error_text().is_empty()
    {
        a.set_error_text(format!("Last error: {e}").into());
    }
    let mut lines: Vec<SharedString> = store
        .rejected_changes()
        .unwrap_or_default()
        .iter()
        .map(|r| format!("{} {} — {}", r.entity, r.record_id, r.reason).into())
        .collect();
    if status.conflicts > 0 {
        lines.push(
            format!(
                "{} edits lost a merge to a newer version; coordinators can see them",
                status.conflicts
            )
            .into(),
        );
    }
    a.set_rejected(ModelRc::new(VecModel::from(lines)));
    a.set_can_sync(status.enrolled && status.officer.is_some());
}
