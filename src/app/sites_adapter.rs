//! Sites page: register a site under a licence with its position, see it on the sketch of the
//! licence polygon with the other sites and recent production fixes, and be warned when the
//! position lies outside the licensed area.

use super::context::Ctx;
use super::forms;
use super::map_sketch::sketch;
use super::{AppWindow, MapPoint, SiteRow, SitesAdapter};
use crate::domain::{Licence, LicenceKind, Position, Site, SiteId, SiteKind, SiteStatus};
use crate::gps::geofence::{self, Containment};
use crate::i18n::{self, dates, numbers};
use crate::store::{SiteSummary, StoreError};
use crate::tr;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Default)]
struct State {
    rows: Vec<SiteSummary>,
    editing: Option<SiteId>,
    licence: Option<Licence>,
    licence_options: Vec<Licence>,
}

/// The warning shown when a position lies outside its licence (empty when inside).
pub fn outside_warning(licence: &Licence, lat: f64, lon: f64, accuracy_m: f64) -> String {
    let Some(area) = &licence.area else {
        return String::new();
    };
    match geofence::contains_with_margin(&area.0, lat, lon, accuracy_m) {
        Containment::Inside => String::new(),
        Containment::InsideWithinMargin => tr!(
            "Near the edge of licence {}: inside only within the fix's accuracy of {} m",
            licence.number,
            format!("{accuracy_m:.0}")
        ),
        Containment::Outside => tr!(
            "Outside licence {}: {} m beyond its boundary. Check the position before saving.",
            licence.number,
            format!("{:.0}", geofence::distance_to_boundary_m(&area.0, lat, lon))
        ),
    }
}

/// A kind of site in the app's language.
fn kind_word(kind: SiteKind) -> String {
    match kind {
        SiteKind::Pit => tr!("Pit"),
        SiteKind::Riverbed => tr!("Riverbed"),
        SiteKind::Terrace => tr!("Terrace"),
    }
}

/// Whether a site is worked, in the app's language.
fn status_word(status: SiteStatus) -> String {
    match status {
        SiteStatus::Active => tr!("Active"),
        SiteStatus::Exhausted => tr!("Exhausted"),
        SiteStatus::Rehabilitated => tr!("Rehabilitated"),
    }
}

/// Wires the Sites page; returns what refreshes it when it is shown.
pub fn connect(app: &AppWindow, ctx: Rc<Ctx>) -> Box<dyn Fn()> {
    let state = Rc::new(RefCell::new(State::default()));
    let a = app.global::<SitesAdapter>();

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_search(move |q| {
        if let Some(app) = weak.upgrade() {
            refresh_list(&app, &c, &s, &q);
        }
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_open(move |row| {
        let Some(app) = weak.upgrade() else { return };
        let Some(summary) = s.borrow().rows.get(row as usize).cloned() else {
            return;
        };
        let licence = c
            .store
            .borrow()
            .licence(summary.site.licence_id)
            .ok()
            .flatten();
        s.borrow_mut().licence = licence;
        s.borrow_mut().editing = Some(summary.site.id);
        app.global::<SitesAdapter>().set_selected(row);
        fill_form(&app, &c, &s, &summary.site, false);
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_new_site(move || {
        let Some(app) = weak.upgrade() else { return };
        s.borrow_mut().editing = None;
        s.borrow_mut().licence = None;
        let blank = Site {
            id: SiteId::new(),
            licence_id: Default::default(),
            name: String::new(),
            kind: SiteKind::Pit,
            status: SiteStatus::Active,
            position: Position {
                lat: f64::NAN,
                lon: f64::NAN,
                accuracy_m: f64::NAN,
            },
            opened_on: c.today.get(),
        };
        app.global::<SitesAdapter>().set_selected(-1);
        fill_form(&app, &c, &s, &blank, true);
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_licence_search(move |q| {
        let Some(app) = weak.upgrade() else { return };
        let found: Vec<Licence> = if q.trim().chars().count() < 2 {
            Vec::new()
        } else {
            c.store.borrow().search_licences(&q, 20).unwrap_or_default()
        };
        let found: Vec<Licence> = found
            .into_iter()
            .filter(|l| l.kind == LicenceKind::ArtisanalMining)
            .take(6)
            .collect();
        let labels: Vec<SharedString> = found
            .iter()
            .map(|l| {
                tr!(
                    "{} ({}, until {})",
                    l.number,
                    l.region,
                    dates::show(i18n::current(), l.expires_on)
                )
                .into()
            })
            .collect();
        app.global::<SitesAdapter>()
            .set_licence_options(ModelRc::new(VecModel::from(labels)));
        s.borrow_mut().licence_options = found;
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_licence_pick(move |i| {
        let Some(app) = weak.upgrade() else { return };
        let Some(l) = s.borrow().licence_options.get(i as usize).cloned() else {
            return;
        };
        let a = app.global::<SitesAdapter>();
        a.set_licence_chosen(l.number.clone().into());
        a.set_licence_options(ModelRc::default());
        a.set_licence_query("".into());
        a.set_e_licence("".into());
        s.borrow_mut().licence = Some(l);
        update_map(&app, &c, &s);
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_position_edited(move || {
        if let Some(app) = weak.upgrade() {
            update_map(&app, &c, &s);
        }
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_use_fix(move || {
        let Some(app) = weak.upgrade() else { return };
        let fix = c.latest_fix.borrow().clone();
        let a = app.global::<SitesAdapter>();
        match fix {
            Some(f) if c.gate.check(&f, chrono::Utc::now()).is_ok() => {
                let lang = i18n::current();
                a.set_lat(numbers::decimal(lang, f.lat, 6).into());
                a.set_lon(numbers::decimal(lang, f.lon, 6).into());
                a.set_accuracy(numbers::decimal(lang, f.accuracy_m, 1).into());
                update_map(&app, &c, &s);
            }
            _ => a.set_e_lat(tr!("No usable GPS fix: enter the position by hand").into()),
        }
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_save(move || {
        if let Some(app) = weak.upgrade() {
            save(&app, &c, &s);
        }
    });

    let weak = app.as_weak();
    a.on_cancel(move || {
        if let Some(app) = weak.upgrade() {
            let a = app.global::<SitesAdapter>();
            a.set_editing(false);
            a.set_selected(-1);
            a.set_status("".into());
        }
    });

    let (weak, c, s) = (app.as_weak(), ctx, state);
    Box::new(move || {
        if let Some(app) = weak.upgrade() {
            let a = app.global::<SitesAdapter>();
            a.set_can_edit(c.may_register_sites());
            let q = a.get_query();
            refresh_list(&app, &c, &s, &q);
        }
    })
}

fn refresh_list(app: &AppWindow, ctx: &Ctx, state: &RefCell<State>, query: &str) {
    let a = app.global::<SitesAdapter>();
    let all = match ctx.store.borrow().site_summaries() {
        Ok(all) => all,
        Err(e) => {
            a.set_count_text(tr!("Cannot read sites: {}", e).into());
            return;
        }
    };
    let q = query.trim().to_lowercase();
    let total = all.len();
    let rows: Vec<SiteSummary> = all
        .into_iter()
        .filter(|s| {
            q.is_empty()
                || s.site.name.to_lowercase().contains(&q)
                || s.licence_number.to_lowercase().contains(&q)
                || s.region.to_lowercase().contains(&q)
        })
        .take(500)
        .collect();
    let items: Vec<SiteRow> = rows
        .iter()
        .map(|s| SiteRow {
            id: s.site.id.to_string().into(),
            title: s.site.name.clone().into(),
            detail: format!(
                "{} · {} · {}",
                s.licence_number,
                s.region,
                kind_word(s.site.kind)
            )
            .into(),
            badge: status_word(s.site.status).into(),
            badge_kind: if s.site.status == SiteStatus::Active {
                1
            } else {
                0
            },
        })
        .collect();
    a.set_count_text(tr!("{} of {} sites", rows.len(), total).into());
    a.set_rows(ModelRc::new(VecModel::from(items)));
    a.set_selected(-1);
    state.borrow_mut().rows = rows;
}

fn fill_form(app: &AppWindow, ctx: &Ctx, state: &RefCell<State>, site: &Site, is_new: bool) {
    let a = app.global::<SitesAdapter>();
    a.set_form_title(if is_new {
        tr!("Register a site").into()
    } else {
        site.name.clone().into()
    });
    a.set_licence_chosen(
        state
            .borrow()
            .licence
            .as_ref()
            .map(|l| l.number.clone())
            .unwrap_or_default()
            .into(),
    );
    a.set_licence_query("".into());
    a.set_licence_options(ModelRc::default());
    a.set_name(site.name.clone().into());
    a.set_kind_index(
        SiteKind::ALL
            .iter()
            .position(|k| *k == site.kind)
            .unwrap_or(0) as i32,
    );
    a.set_status_index(
        SiteStatus::ALL
            .iter()
            .position(|k| *k == site.status)
            .unwrap_or(0) as i32,
    );
    let lang = i18n::current();
    let show = |v: f64, places: usize| {
        if v.is_nan() {
            String::new()
        } else {
            numbers::decimal(lang, v, places)
        }
    };
    a.set_lat(show(site.position.lat, 6).into());
    a.set_lon(show(site.position.lon, 6).into());
    a.set_accuracy(show(site.position.accuracy_m, 1).into());
    a.set_opened_on(dates::show(lang, site.opened_on).into());
    for set in [
        SitesAdapter::set_e_licence,
        SitesAdapter::set_e_name,
        SitesAdapter::set_e_lat,
        SitesAdapter::set_e_lon,
        SitesAdapter::set_e_accuracy,
        SitesAdapter::set_e_opened_on,
        SitesAdapter::set_status,
    ] {
        set(&a, SharedString::new());
    }
    a.set_editing(true);
    update_map(app, ctx, state);
}

/// Redraws the sketch and the outside-licence warning from the form's current position.
fn update_map(app: &AppWindow, ctx: &Ctx, state: &RefCell<State>) {
    let a = app.global::<SitesAdapter>();
    let st = state.borrow();
    let here = forms::number(&a.get_lat(), &tr!("the latitude"))
        .ok()
        .zip(forms::number(&a.get_lon(), &tr!("the longitude")).ok());
    let accuracy = forms::number(&a.get_accuracy(), &tr!("the accuracy in metres")).unwrap_or(0.0);
    let mut points: Vec<(f64, f64, i32)> = Vec::new();
    let mut polygon = Vec::new();
    let mut warning = String::new();
    if let Some(l) = &st.licence {
        polygon = l.area.as_ref().map(|a| a.corners()).unwrap_or_default();
        let store = ctx.store.borrow();
        for other in store.sites_of_licence(l.id).unwrap_or_default() {
            if Some(other.id) != st.editing {
                points.push((other.position.lat, other.position.lon, 0));
            }
        }
        if let Some(id) = st.editing {
            for p in store.recent_production_fixes(id, 30).unwrap_or_default() {
                points.push((p.0, p.1, 1));
            }
        }
        if let Some((lat, lon)) = here {
            warning = outside_warning(l, lat, lon, accuracy);
        }
    }
    if let Some((lat, lon)) = here.filter(|(lat, lon)| lat.abs() <= 90.0 && lon.abs() <= 180.0) {
        points.push((lat, lon, 2));
    }
    let sk = sketch(&polygon, &points);
    a.set_map_polygon(sk.polygon.into());
    a.set_map_points(ModelRc::new(VecModel::from(
        sk.points
            .iter()
            .map(|(x, y, kind)| MapPoint {
                x: *x,
                y: *y,
                kind: *kind,
            })
            .collect::<Vec<_>>(),
    )));
    a.set_map_caption(if sk.width_m > 0.0 {
        tr!("{} m across", format!("{:.0}", sk.width_m)).into()
    } else {
        "".into()
    });
    a.set_warning(warning.into());
}

fn save(app: &AppWindow, ctx: &Ctx, state: &RefCell<State>) {
    let a = app.global::<SitesAdapter>();
    let lat = forms::number(&a.get_lat(), &tr!("the latitude"));
    let lon = forms::number(&a.get_lon(), &tr!("the longitude"));
    let acc = forms::number(&a.get_accuracy(), &tr!("the accuracy in metres"));
    let opened = forms::date(&a.get_opened_on());
    a.set_e_lat(forms::first_error(&lat));
    a.set_e_lon(forms::first_error(&lon));
    a.set_e_accuracy(forms::first_error(&acc));
    a.set_e_opened_on(forms::first_error(&opened));
    let licence = state.borrow().licence.clone();
    a.set_e_licence(if licence.is_none() {
        tr!("Choose the licence the site is worked under").into()
    } else {
        "".into()
    });
    a.set_e_name("".into());
    let (Ok(lat), Ok(lon), Ok(accuracy_m), Ok(opened_on), Some(licence)) =
        (lat, lon, acc, opened, licence)
    else {
        a.set_status(tr!("Not saved: correct the fields marked in red").into());
        a.set_status_is_error(true);
        return;
    };
    let site = Site {
        id: state.borrow().editing.unwrap_or_default(),
        licence_id: licence.id,
        name: a.get_name().trim().to_string(),
        kind: SiteKind::ALL
            .get(a.get_kind_index().max(0) as usize)
            .copied()
            .unwrap_or_default(),
        status: SiteStatus::ALL
            .get(a.get_status_index().max(0) as usize)
            .copied()
            .unwrap_or_default(),
        position: Position {
            lat,
            lon,
            accuracy_m,
        },
        opened_on,
    };
    let result = ctx.store.borrow_mut().write(|w| {
        w.set_today(ctx.today.get());
        w.put_site(&site)
    });
    match result {
        Ok(()) => {
            state.borrow_mut().editing = Some(site.id);
            let outside = outside_warning(&licence, lat, lon, accuracy_m);
            a.set_form_title(site.name.clone().into());
            let q = a.get_query();
            refresh_list(app, ctx, state, &q);
            update_map(app, ctx, state);
            a.set_status(
                if outside.is_empty() {
                    tr!("Saved {}", site.name)
                } else {
                    tr!(
                        "Saved {} — outside its licence area, flagged for review",
                        site.name
                    )
                }
                .into(),
            );
            a.set_status_is_error(false);
        }
        Err(StoreError::Invalid(inv)) => {
            a.set_e_name(forms::message(&inv, "name"));
            a.set_e_lat(forms::message(&inv, "lat"));
            a.set_e_lon(forms::message(&inv, "lon"));
            a.set_e_accuracy(forms::message(&inv, "accuracy_m"));
            a.set_e_opened_on(forms::message(&inv, "opened_on"));
            a.set_status(tr!("Not saved: correct the fields marked in red").into());
            a.set_status_is_error(true);
        }
        Err(e) => {
            a.set_status(tr!("Not saved: {}", e).into());
            a.set_status_is_error(true);
        }
    }
}
