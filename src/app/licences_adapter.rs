//! Licences page: issue and edit licences; the licensed area is typed as corners (lat, lon per
//! line), its area and any overlap with another licence shown live (`licence_area`). Renewals,
//! suspensions, reinstatements and revocations are dated events, listed with their fees beside
//! the licence's supporters (`licence_history_panel`).

use super::context::Ctx;
use super::forms;
use super::licence_area::{corners_text, overlapping, parse_corners, show_area};
use super::licence_history_panel as history;
use super::{AppWindow, LicenceRow, LicencesAdapter};
use crate::domain::{
    DiggerId, Licence, LicenceEventKind, LicenceHistory, LicenceId, LicenceKind, LicenceStanding,
    LicenceStatus,
};
use crate::i18n::{self, dates};
use crate::store::StoreError;
use crate::tr;
use chrono::{Duration, NaiveDate};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Default)]
struct State {
    rows: Vec<Licence>,
    editing: Option<Licence>,
    holder: Option<(DiggerId, String)>,
    holder_options: Vec<(DiggerId, String)>,
}

/// The status line after an action on licence `number`: `done` is the action's English word.
fn done_text(done: &str, number: &str) -> String {
    match done {
        "Renewed" => tr!("Renewed: licence {}", number),
        "Suspended" => tr!("Suspended: licence {}", number),
        "Revoked" => tr!("Revoked: licence {}", number),
        "Reinstated" => tr!("Reinstated: licence {}", number),
        "Issued" => tr!("Issued: licence {}", number),
        _ => tr!("Saved: licence {}", number),
    }
}

/// Badge text and colour of a licence's standing today, from its history.
pub fn standing_badge(h: &LicenceHistory, today: NaiveDate) -> (String, i32) {
    match h.standing_on(today) {
        LicenceStanding::Active => (tr!("active"), 1),
        LicenceStanding::Expiring(d) => (tr!("expires in {} d", d), 2),
        LicenceStanding::NotYetValid => (tr!("not yet valid"), 2),
        LicenceStanding::Expired => (tr!("expired"), 3),
        LicenceStanding::Suspended => (tr!("suspended"), 3),
        LicenceStanding::Revoked => (tr!("revoked"), 3),
    }
}

/// Wires the Licences page; returns what refreshes it when it is shown.
pub fn connect(app: &AppWindow, ctx: Rc<Ctx>) -> Box<dyn Fn()> {
    let state = Rc::new(RefCell::new(State::default()));
    let a = app.global::<LicencesAdapter>();

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_search(move |q| {
        if let Some(app) = weak.upgrade() {
            refresh_list(&app, &c, &s, &q);
        }
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_open(move |row| {
        let Some(app) = weak.upgrade() else { return };
        let Some(l) = s.borrow().rows.get(row as usize).cloned() else {
            return;
        };
        let holder = l
            .holder_digger_id
            .and_then(|h| c.store.borrow().digger(h).ok().flatten())
            .map(|d| (d.id, format!("{} ({})", d.full_name, d.national_id)));
        s.borrow_mut().holder = holder;
        let a = app.global::<LicencesAdapter>();
        a.set_selected(row);
        fill_form(&app, &c, &s, &l, false);
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_new_licence(move || {
        let Some(app) = weak.upgrade() else { return };
        let today = c.today.get();
        let region = c
            .officer
            .borrow()
            .as_ref()
            .and_then(|o| o.regions.first().cloned())
            .unwrap_or_default();
        let blank = Licence {
            id: LicenceId::new(),
            number: String::new(),
            kind: LicenceKind::ArtisanalMining,
            holder_digger_id: None,
            holder_name: String::new(),
            region,
            issued_on: today,
            expires_on: today + Duration::days(364),
            status: LicenceStatus::Active,
            area: None,
            fee_receipt: String::new(),
        };
        s.borrow_mut().holder = None;
        app.global::<LicencesAdapter>().set_selected(-1);
        fill_form(&app, &c, &s, &blank, true);
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_holder_search(move |q| {
        let Some(app) = weak.upgrade() else { return };
        let hits = if q.trim().chars().count() < 2 {
            Vec::new()
        } else {
            c.store
                .borrow()
                .search_diggers(&q, 0, 6)
                .unwrap_or_default()
        };
        let options: Vec<(DiggerId, String)> = hits
            .into_iter()
            .map(|h| {
                (
                    h.digger.id,
                    format!(
                        "{} ({}, {})",
                        h.digger.full_name, h.digger.national_id, h.digger.village
                    ),
                )
            })
            .collect();
        let labels: Vec<SharedString> = options.iter().map(|(_, t)| t.into()).collect();
        app.global::<LicencesAdapter>()
            .set_holder_options(ModelRc::new(VecModel::from(labels)));
        s.borrow_mut().holder_options = options;
    });

    let (weak, s) = (app.as_weak(), state.clone());
    a.on_holder_pick(move |i| {
        let Some(app) = weak.upgrade() else { return };
        let Some(choice) = s.borrow().holder_options.get(i as usize).cloned() else {
            return;
        };
        let a = app.global::<LicencesAdapter>();
        a.set_holder_chosen(choice.1.clone().into());
        a.set_holder_options(ModelRc::default());
        a.set_holder_query("".into());
        a.set_e_holder("".into());
        s.borrow_mut().holder = Some(choice);
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_corners_edited(move |text| {
        if let Some(app) = weak.upgrade() {
            let except = s.borrow().editing.as_ref().map(|l| l.id);
            show_area(&app, &c, &text, except);
        }
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_save(move || {
        if let Some(app) = weak.upgrade() {
            save(&app, &c, &s);
        }
    });
    let event_action = |kind: LicenceEventKind, done: &'static str| {
        let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
        move || {
            let Some(app) = weak.upgrade() else { return };
            let Some(l) = s.borrow().editing.clone() else {
                return;
            };
            if history::record_event(&app, &c, &l, kind) {
                let a = app.global::<LicencesAdapter>();
                let q = a.get_query();
                refresh_list(&app, &c, &s, &q);
                fill_form(&app, &c, &s, &l, false);
                a.set_status(done_text(done, &l.number).into());
                a.set_status_is_error(false);
            }
        }
    };
    a.on_renew(event_action(LicenceEventKind::Renewed, "Renewed"));
    a.on_suspend(event_action(LicenceEventKind::Suspended, "Suspended"));
    a.on_revoke(event_action(LicenceEventKind::Revoked, "Revoked"));
    a.on_reinstate(event_action(LicenceEventKind::Reinstated, "Reinstated"));

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_add_supporter(move || {
        let Some(app) = weak.upgrade() else { return };
        let Some(l) = s.borrow().editing.clone() else {
            return;
        };
        if history::add_supporter(&app, &c, &l) {
            fill_form(&app, &c, &s, &l, false);
            let a = app.global::<LicencesAdapter>();
            a.set_status(tr!("Supporter named on licence {}", l.number).into());
            a.set_status_is_error(false);
        }
    });

    let weak = app.as_weak();
    a.on_cancel(move || {
        if let Some(app) = weak.upgrade() {
            let a = app.global::<LicencesAdapter>();
            a.set_editing(false);
            a.set_selected(-1);
            a.set_status("".into());
        }
    });

    let (weak, c, s) = (app.as_weak(), ctx, state);
    Box::new(move || {
        if let Some(app) = weak.upgrade() {
            let a = app.global::<LicencesAdapter>();
            a.set_can_edit(c.may_license());
            let q = a.get_query();
            refresh_list(&app, &c, &s, &q);
        }
    })
}

fn refresh_list(app: &AppWindow, ctx: &Ctx, state: &RefCell<State>, query: &str) {
    let a = app.global::<LicencesAdapter>();
    let store = ctx.store.borrow();
    let rows = match store.search_licences(query, 300) {
        Ok(r) => r,
        Err(e) => {
            a.set_count_text(tr!("Search failed: {}", e).into());
            return;
        }
    };
    let today = ctx.today.get();
    let items: Vec<LicenceRow> = rows
        .iter()
        .map(|l| {
            let holder = match l.holder_digger_id {
                Some(h) => store
                    .digger(h)
                    .ok()
                    .flatten()
                    .map(|d| d.full_name)
                    .unwrap_or_default(),
                None => l.holder_name.clone(),
            };
            let history = store
                .history_of(l)
                .unwrap_or_else(|_| LicenceHistory::new(l, &[]));
            let (badge, badge_kind) = standing_badge(&history, today);
            let until = history.latest_until().unwrap_or(l.expires_on);
            LicenceRow {
                id: l.id.to_string().into(),
                title: l.number.clone().into(),
                detail: tr!("{} · until {}", holder, dates::show(i18n::current(), until)).into(),
                badge: badge.into(),
                badge_kind,
            }
        })
        .collect();
    a.set_count_text(
        if rows.len() >= 300 {
            tr!("First 300 licences: refine the search")
        } else {
            tr!("{} licences", rows.len())
        }
        .into(),
    );
    a.set_rows(ModelRc::new(VecModel::from(items)));
    a.set_selected(-1);
    state.borrow_mut().rows = rows;
}

fn fill_form(app: &AppWindow, ctx: &Ctx, state: &RefCell<State>, l: &Licence, is_new: bool) {
    let a = app.global::<LicencesAdapter>();
    let regions = super::diggers_adapter::region_codes(ctx);
    a.set_regions(ModelRc::new(VecModel::from(
        regions.iter().map(SharedString::from).collect::<Vec<_>>(),
    )));
    a.set_region_index(
        regions
            .iter()
            .position(|r| *r == l.region)
            .map_or(0, |i| i as i32),
    );
    a.set_is_new(is_new);
    a.set_form_title(if is_new {
        tr!("Issue a licence").into()
    } else {
        tr!("Licence {}", l.number).into()
    });
    let (standing, kind) = if is_new {
        (String::new(), 0)
    } else {
        let h = ctx
            .store
            .borrow()
            .history_of(l)
            .unwrap_or_else(|_| LicenceHistory::new(l, &[]));
        standing_badge(&h, ctx.today.get())
    };
    a.set_standing(standing.into());
    a.set_standing_kind(kind);
    a.set_number(l.number.clone().into());
    a.set_kind_index(
        LicenceKind::ALL
            .iter()
            .position(|k| *k == l.kind)
            .unwrap_or(0) as i32,
    );
    a.set_holder_chosen(
        state
            .borrow()
            .holder
            .as_ref()
            .map(|h| h.1.clone())
            .unwrap_or_default()
            .into(),
    );
    a.set_holder_name(l.holder_name.clone().into());
    a.set_holder_query("".into());
    a.set_holder_options(ModelRc::default());
    let lang = i18n::current();
    a.set_issued_on(dates::show(lang, l.issued_on).into());
    a.set_expires_on(dates::show(lang, l.expires_on).into());
    a.set_fee_receipt(l.fee_receipt.clone().into());
    a.set_issue_fee("".into());
    if is_new {
        a.set_history(ModelRc::default());
        a.set_supporters(ModelRc::default());
        a.set_fees_text("".into());
    } else {
        history::show(app, ctx, l);
    }
    let corners = l.area.as_ref().map(corners_text).unwrap_or_default();
    a.set_corners(corners.clone().into());
    for set in [
        LicencesAdapter::set_e_number,
        LicencesAdapter::set_e_holder,
        LicencesAdapter::set_e_region,
        LicencesAdapter::set_e_issued_on,
        LicencesAdapter::set_e_expires_on,
        LicencesAdapter::set_e_corners,
        LicencesAdapter::set_status,
        LicencesAdapter::set_area_text,
    ] {
        set(&a, SharedString::new());
    }
    if !corners.is_empty() {
        show_area(app, ctx, &corners, Some(l.id));
    }
    state.borrow_mut().editing = (!is_new).then(|| l.clone());
    a.set_editing(true);
}

/// Issues the licence in the form (with its issue event and fee) or saves the edit of one.
fn save(app: &AppWindow, ctx: &Ctx, state: &RefCell<State>) {
    let done = "Saved";
    let a = app.global::<LicencesAdapter>();
    let regions = super::diggers_adapter::region_codes(ctx);
    let kind = LicenceKind::ALL
        .get(a.get_kind_index().max(0) as usize)
        .copied()
        .unwrap_or_default();
    let issued = forms::date(&a.get_issued_on());
    let expires = forms::date(&a.get_expires_on());
    a.set_e_issued_on(forms::first_error(&issued));
    a.set_e_expires_on(forms::first_error(&expires));
    let area = if kind == LicenceKind::ArtisanalMining {
        match parse_corners(&a.get_corners()) {
            _ if a.get_corners().trim().is_empty() => {
                Some(Err(tr!("Enter the corners of the licensed area")))
            }
            parsed => Some(parsed),
        }
    } else {
        None
    };
    let previous = state.borrow().editing.clone();
    let area_ok = match &area {
        Some(Err(e)) => {
            a.set_e_corners(e.clone().into());
            false
        }
        Some(Ok(ar)) => {
            let others = overlapping(ctx, ar, previous.as_ref().map(|l| l.id));
            let blocks = !others.is_empty()
                && previous
                    .as_ref()
                    .is_none_or(|p| p.area.as_ref() != Some(ar));
            a.set_e_corners(if others.is_empty() {
                "".into()
            } else {
                tr!("Overlaps licence {}", others.join(", ")).into()
            });
            !blocks
        }
        None => true,
    };
    let (Ok(issued_on), Ok(expires_on), true) = (issued, expires, area_ok) else {
        a.set_status(tr!("Not saved: correct the fields marked in red").into());
        a.set_status_is_error(true);
        return;
    };
    let holder = state.borrow().holder.as_ref().map(|h| h.0);
    let licence = Licence {
        id: previous.as_ref().map_or_else(LicenceId::new, |p| p.id),
        number: a.get_number().trim().to_string(),
        kind,
        holder_digger_id: if kind == LicenceKind::ArtisanalMining {
            holder
        } else {
            None
        },
        holder_name: if kind == LicenceKind::ArtisanalMining {
            String::new()
        } else {
            a.get_holder_name().trim().to_string()
        },
        region: regions
            .get(a.get_region_index().max(0) as usize)
            .cloned()
            .unwrap_or_default(),
        issued_on,
        expires_on,
        // The standing after issue is the history's; the record keeps what it was issued with.
        status: previous
            .as_ref()
            .map_or(LicenceStatus::Active, |p| p.status),
        area: area.and_then(Result::ok),
        fee_receipt: a.get_fee_receipt().trim().to_string(),
    };
    let issue = if previous.is_none() {
        match history::issue_event(&licence, &a.get_issue_fee()) {
            Ok(e) => Some(e),
            Err(why) => {
                a.set_e_issue_fee(why.into());
                a.set_status(tr!("Not saved: correct the fields marked in red").into());
                a.set_status_is_error(true);
                return;
            }
        }
    } else {
        None
    };
    a.set_e_issue_fee("".into());
    let result = ctx.store.borrow_mut().write(|w| {
        w.ensure_known_region(&licence.region)?;
        w.put_licence(&licence)?;
        match &issue {
            Some(e) => w.add_licence_event(e),
            None => Ok(()),
        }
    });
    match result {
        Ok(()) => {
            a.set_status(done_text(done, &licence.number).into());
            a.set_status_is_error(false);
            let q = a.get_query();
            refresh_list(app, ctx, state, &q);
            fill_form(app, ctx, state, &licence, false);
            a.set_status(done_text(done, &licence.number).into());
        }
        Err(StoreError::Invalid(inv)) => {
            a.set_e_number(forms::message(&inv, "number"));
            let holder_msg = forms::message(&inv, "holder_digger_id");
            a.set_e_holder(if holder_msg.is_empty() {
                forms::message(&inv, "holder_name")
            } else {
                holder_msg
            });
            a.set_e_expires_on(forms::message(&inv, "expires_on"));
            let corners = forms::message(&inv, "area_wkt");
            if !corners.is_empty() {
                a.set_e_corners(corners);
            }
            a.set_status(tr!("Not saved: correct the fields marked in red").into());
            a.set_status_is_error(true);
        }
        Err(StoreError::Conflict(msg)) => {
            a.set_e_number(forms::capitalise(&msg).into());
            a.set_status(tr!("Not saved: that licence number is already issued").into());
            a.set_status_is_error(true);
        }
        Err(e) => {
            a.set_status(tr!("Not saved: {}", e).into());
            a.set_status_is_error(true);
        }
    }
}
