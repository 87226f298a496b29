//! The window's frame: navigation by the logged-in officer's role, the officer line with
//! "Switch officer" and "Log out", and the pending-changes line of the navigation rail.
//!
//! Which pages a role sees is not a table of its own: it follows from the sync scope rules the
//! server enforces, so a page is shown exactly when the role may do or read what it is for.

use super::context::Ctx;
use super::{AppAdapter, AppWindow};
use crate::domain::{RecordKind, Role};
use crate::sync::scope::{may_push, may_read};
use crate::tr;
use slint::ComponentHandle;
use std::rc::Rc;

/// Pages in navigation order; the index is `AppAdapter.page`.
pub const PAGES: usize = 9;

/// Which pages a role sees: diggers, licences, sites, production, sync, review, reports,
/// sales, settings. Nobody logged in sees none.
pub fn pages_for(role: Option<Role>) -> [bool; PAGES] {
    let Some(r) = role else {
        return [false; PAGES];
    };
    [
        // Diggers: every role checks a digger's licence.
        may_read(r, RecordKind::Digger),
        // Licences: issued by those who may write them, overseen by those who review.
        may_push(r, RecordKind::Licence) || may_push(r, RecordKind::Review),
        // Sites.
        may_read(r, RecordKind::Site),
        // Production: recorded by those who may write it, read by those who may read it.
        may_push(r, RecordKind::Production) || may_read(r, RecordKind::Production),
        // Sync.
        true,
        // Review: coordinators' decisions.
        may_push(r, RecordKind::Review),
        // Reports: statistics over production and sales.
        may_read(r, RecordKind::Production) && may_read(r, RecordKind::Sale),
        // Sales: sale slips recorded or read.
        may_push(r, RecordKind::Sale) || may_read(r, RecordKind::Sale),
        // Settings: every officer (what may be changed there is checked again).
        true,
    ]
}

/// Wires the frame. `refresh[i]` refreshes page `i` when it is shown.
pub fn connect(app: &AppWindow, ctx: Rc<Ctx>, refresh: Rc<Vec<Box<dyn Fn()>>>) {
    let a = app.global::<AppAdapter>();
    let (weak, r, c) = (app.as_weak(), refresh.clone(), ctx.clone());
    a.on_navigate(move |page| {
        if let Some(app) = weak.upgrade() {
            show_page(&app, &c, &r, page);
        }
    });
    apply_role(app, &ctx);
}

/// Shows the pages and the officer line of the officer logged in (none when nobody is).
pub fn apply_role(app: &AppWindow, ctx: &Ctx) {
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
        Some(o) => format!(
            "{}\n{} · {}",
            o.full_name,
            role_name(o.role),
            regions_text(o)
        )
        .into(),
        None => "".into(),
    });
}

/// An officer's regions in a few words.
pub fn regions_text(o: &crate::domain::Officer) -> String {
    match o.regions.len() {
        0 => tr!("all regions"),
        1 | 2 => o.regions.join(", "),
        n => tr!("{} regions", n),
    }
}

/// A role in words.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::FieldOfficer => crate::i18n::tr("field officer"),
        Role::LicensingOfficer => crate::i18n::tr("licensing officer"),
        Role::Coordinator => crate::i18n::tr("coordinator"),
        Role::Admin => crate::i18n::tr("administrator"),
    }
}

/// The first page `role` may see.
pub fn first_page(role: Option<Role>) -> i32 {
    pages_for(role).iter().position(|v| *v).unwrap_or(0) as i32
}

/// Shows page `page` (or the role's first page if it may not see it) and refreshes it.
pub fn show_page(app: &AppWindow, ctx: &Ctx, refresh: &[Box<dyn Fn()>], page: i32) {
    let visible = pages_for(ctx.role());
    let page = if visible.get(page as usize).copied().unwrap_or(false) {
        page
    } else {
        first_page(ctx.role())
    };
    let a = app.global::<AppAdapter>();
    a.set_page(page);
    if ctx.role().is_some()
        && let Some(f) = refresh.get(page as usize)
    {
        f();
    }
    update_pending(app, ctx);
}

/// The rail's line of changes waiting to be sent.
pub fn update_pending(app: &AppWindow, ctx: &Ctx) {
    let text = match ctx.store.borrow().pending_changes() {
        Ok(n) => tr!("{} changes not yet synced", n),
        Err(e) => tr!("Outbox unreadable: {}", e),
    };
    app.global::<AppAdapter>().set_pending_text(text.into());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pages each role sees, as the scope rules give them.
    #[test]
    fn pages_by_role() {
        use Role::*;
        // diggers, licences, sites, production, sync, review, reports, sales, settings
        let t = true;
        let f = false;
        assert_eq!(pages_for(Some(FieldOfficer)), [t, f, t, t, t, f, f, t, t]);
        assert_eq!(
            pages_for(Some(LicensingOfficer)),
            [t, t, t, f, t, f, f, t, t]
        );
        assert_eq!(pages_for(Some(Coordinator)), [t; PAGES]);
        assert_eq!(pages_for(Some(Admin)), [t; PAGES]);
        assert_eq!(pages_for(None), [f; PAGES]);
    }
}
