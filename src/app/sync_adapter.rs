//! Sync page: honest about the state of sync on this device. Until the device is enrolled with
//! a sync server, changes wait in the outbox and the page says so.

use super::context::Ctx;
use super::{AppWindow, SyncAdapter};
use slint::ComponentHandle;
use std::rc::Rc;

/// Wires the Sync page; returns what refreshes it when it is shown.
pub fn connect(app: &AppWindow, ctx: Rc<Ctx>) -> Box<dyn Fn()> {
    let weak = app.as_weak();
    Box::new(move || {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<SyncAdapter>();
        let pending = ctx.store.borrow().pending_changes();
        a.set_state_text(
            "Not configured: this device is not enrolled with a sync server yet. \
             Every change is kept in the device's outbox until it is."
                .into(),
        );
        match pending {
            Ok(n) => a.set_pending_text(format!("{n} changes waiting to be sent").into()),
            Err(e) => a.set_error_text(format!("Cannot read the outbox: {e}").into()),
        }
        a.set_last_success_text("Last successful sync: never".into());
        a.set_can_sync(false);
    })
}
