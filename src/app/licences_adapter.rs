//! Licences page: issue, renew, suspend, revoke, reinstate. The licensed area is typed as
//! corners (lat, lon per line); its area and any overlap with another licence are shown live.

use super::context::Ctx;
use super::forms;
use super::{AppWindow, LicenceRow, LicencesAdapter};
use crate::domain::{
    Area, DiggerId, LatLon, Licence, LicenceId, LicenceKind, LicenceStanding, LicenceStatus,
};
use crate::gps::geofence;
use crate::store::StoreError;
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

/// Badge text and colour of a licence's standing today.
pub fn standing_badge(l: &Licence, today: NaiveDate) -> (String, i32) {
    match l.standing_on(today) {
        LicenceStanding::Active => ("active".into(), 1),
        LicenceStanding::Expiring(d) => (format!("expires in {d} d"), 2),
        LicenceStanding::NotYetValid => ("not yet valid".into(), 2),
        s => (s.label().into(), 3),
    }
}

/// Parses corner lines "lat, lon" into an area, or says which line is wrong.
pub fn parse_corners(text: &str) -> Result<Area, String> {
    let mut corners = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let parts: Vec<&str> = line
            .split([',', ';', ' ', '\t'])
            .filter(|p| !p.is_empty())
            .collect();
        let parsed = match parts.as_slice() {
            [lat, lon] => lat.parse::<f64>().ok().zip(lon.parse::<f64>().ok()),
            _ => None,
        };
        match parsed {
            Some((lat, lon)) => corners.push(LatLon { lat, lon }),
            None => {
                return Err(format!(
                    "Line {}: “{}” is not “latitude, longitude”",
                    i + 1,
                    line.trim()
                ));
            }
        }
    }
    Area::from_corners(&corners).map_err(|e| format!("The area {e}"))
}

fn corners_text(area: &Area) -> String {
    area.corners()
        .iter()
        .map(|(lat, lon)| format!("{lat}, {lon}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Licences whose area overlaps `area`, other than `except`.
fn overlapping(ctx: &Ctx, area: &Area, except: Option<LicenceId>) -> Vec<String> {
    let all = ctx.store.borrow().licences().unwrap_or_default();
    all.iter()
        .filter(|l| Some(l.id) != except)
        .filter_map(|l| {
            l.area
                .as_ref()
                .filter(|a| geofence::overlaps(&a.0, &area.0))
                .map(|_| l.number.clone())
        })
        .collect()
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
            save(&app, &c, &s, None, "Saved");
        }
    });
    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_renew(move || {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<LicencesAdapter>();
        let today = c.today.get();
        let from = forms::date(&a.get_expires_on()).unwrap_or(today).max(today);
        a.set_expires_on((from + Duration::days(365)).to_string().into());
        save(&app, &c, &s, Some(LicenceStatus::Active), "Renewed");
    });
    let status_action = |status: LicenceStatus, done: &'static str| {
        let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
        move || {
            if let Some(app) = weak.upgrade() {
                save(&app, &c, &s, Some(status), done);
            }
        }
    };
    a.on_suspend(status_action(LicenceStatus::Suspended, "Suspended"));
    a.on_revoke(status_action(LicenceStatus::Revoked, "Revoked"));
    a.on_reinstate(status_action(LicenceStatus::Active, "Reinstated"));

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
            a.set_count_text(format!("Search failed: {e}").into());
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
            let (badge, badge_kind) = standing_badge(l, today);
            LicenceRow {
                id: l.id.to_string().into(),
                title: l.number.clone().into(),
                detail: format!("{holder} · until {}", l.expires_on).into(),
                badge: badge.into(),
                badge_kind,
            }
        })
        .collect();
    a.set_count_text(
        if rows.len() >= 300 {
            "First 300 licences: refine the search".to_string()
        } else {
            format!("{} licences", rows.len())
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
        "Issue a licence".into()
    } else {
        format!("Licence {}", l.number).into()
    });
    let (standing, kind) = if is_new {
        (String::new(), 0)
    } else {
        standing_badge(l, ctx.today.get())
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
    a.set_issued_on(l.issued_on.to_string().into());
    a.set_expires_on(l.expires_on.to_string().into());
    a.set_fee_receipt(l.fee_receipt.clone().into());
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

fn show_area(app: &AppWindow, ctx: &Ctx, text: &str, except: Option<LicenceId>) {
    let a = app.global::<LicencesAdapter>();
    if text.trim().is_empty() {
        a.set_area_text("".into());
        a.set_e_corners("".into());
        return;
    }
    match parse_corners(text) {
        Ok(area) => {
            a.set_area_text(format!("Area: {:.2} ha", area.hectares()).into());
            let others = overlapping(ctx, &area, except);
            a.set_e_corners(if others.is_empty() {
                SharedString::new()
            } else {
                format!("Overlaps licence {}", others.join(", ")).into()
            });
        }
        Err(e) => {
            a.set_area_text("".into());
            a.set_e_corners(e.into());
        }
    }
}

fn save(
    app: &AppWindow,
    ctx: &Ctx,
    state: &RefCell<State>,
    status: Option<LicenceStatus>,
    done: &str,
) {
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
                Some(Err("Enter the corners of the licensed area".to_string()))
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
                format!("Overlaps licence {}", others.join(", ")).into()
            });
            !blocks
        }
        None => true,
    };
    let (Ok(issued_on), Ok(expires_on), true) = (issued, expires, area_ok) else {
        a.set_status("Not saved: correct the fields marked in red".into());
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
        status: status
            .or(previous.as_ref().map(|p| p.status))
            .unwrap_or(LicenceStatus::Active),
        area: area.and_then(Result::ok),
        fee_receipt: a.get_fee_receipt().trim().to_string(),
    };
    let result = ctx.store.borrow_mut().write(|w| {
        w.ensure_known_region(&licence.region)?;
        w.put_licence(&licence)
    });
    match result {
        Ok(()) => {
            a.set_status(format!("{done}: licence {}", licence.number).into());
            a.set_status_is_error(false);
            let q = a.get_query();
            refresh_list(app, ctx, state, &q);
            fill_form(app, ctx, state, &licence, false);
            a.set_status(format!("{done}: licence {}", licence.number).into());
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
            a.set_status("Not saved: correct the fields marked in red".into());
            a.set_status_is_error(true);
        }
        Err(StoreError::Conflict(msg)) => {
            a.set_e_number(forms::capitalise(&msg).into());
            a.set_status("Not saved: that licence number is already issued".into());
            a.set_status_is_error(true);
        }
        Err(e) => {
            a.set_status(format!("Not saved: {e}").into());
            a.set_status_is_error(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corners_parse_line_by_line() {
        let a =
            parse_corners("8.64, -10.97\n8.64 -10.969\n8.641;-10.969\n\n8.641, -10.97").unwrap();
        assert!((a.hectares() - 1.218).abs() < 0.02);
        assert!(
            parse_corners("8.64, -10.97\nnorth, east\n8.641, -10.969")
                .unwrap_err()
                .starts_with("Line 2")
        );
        assert!(
            parse_corners("8.64, -10.97")
                .unwrap_err()
                .contains("corners")
        );
    }
}
