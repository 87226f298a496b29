//! Production page: a day at a site — crew present, gravel washed, stones one by one and lots
//! of small stones by sieve class, with a running count and total — saved in one transaction. Opening a saved entry loads it for a
//! correction, which is saved as a new version that replaces it.

use super::context::Ctx;
use super::forms;
use super::{AppWindow, CrewRow, EntryRow, ProductionAdapter, StoneRow};
use crate::domain::{
    Centicarats, DiggerId, FixSource, Licence, Litres, PositionFix, ProductionEntry, ProductionId,
    SieveClass, Stone, StoneClass, StoneId,
};
use crate::i18n::{self, dates, numbers};
use crate::store::{SiteSummary, StoreError};
use crate::tr;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Default)]
struct State {
    site_options: Vec<SiteSummary>,
    site: Option<SiteSummary>,
    licence: Option<Licence>,
    crew: Vec<(DiggerId, String, bool)>,
    stones: Vec<Pending>,
    fix: Option<PositionFix>,
    correcting: Option<ProductionEntry>,
    entries: Vec<ProductionEntry>,
}

fn class_label(c: StoneClass) -> String {
    match c {
        StoneClass::Gem => tr!("gem"),
        StoneClass::NearGem => tr!("near-gem"),
        StoneClass::Industrial => tr!("industrial"),
    }
}

/// Cubic metres as the language writes them (`4.5`, `4,5`), so a correction's gravel reads
/// back in the same language.
fn m3_text(gravel: Litres) -> String {
    let s = gravel.to_m3_string();
    match i18n::current() {
        i18n::Lang::En => s,
        i18n::Lang::Fr => s.replace('.', ","),
    }
}

/// A stone or lot added to the form, not yet saved.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub weight: Centicarats,
    pub class: StoneClass,
    pub colour: String,
    /// 1 for a stone, the number of stones of a lot.
    pub count: u32,
    pub sieve: Option<SieveClass>,
}

impl Pending {
    fn of(s: &Stone) -> Pending {
        Pending {
            weight: s.weight,
            class: s.class,
            colour: s.colour.clone(),
            count: s.count,
            sieve: s.sieve,
        }
    }

    fn record(&self, production_id: ProductionId) -> Stone {
        Stone {
            id: StoneId::new(),
            production_id,
            weight: self.weight,
            class: self.class,
            colour: self.colour.clone(),
            count: self.count,
            sieve: self.sieve,
        }
    }
}

/// A licence's standing on a day in the app's language.
fn standing_word(s: crate::domain::LicenceStanding) -> String {
    use crate::domain::LicenceStanding as S;
    match s {
        S::Active => tr!("active"),
        S::Expiring(_) => tr!("expiring"),
        S::Expired => tr!("expired"),
        S::Suspended => tr!("suspended"),
        S::Revoked => tr!("revoked"),
        S::NotYetValid => tr!("not yet valid"),
    }
}

/// "3 stones" and "1.25 ct" for the running totals (a lot counts all its stones).
pub fn totals(stones: &[Pending]) -> (String, String) {
    let total = Centicarats(stones.iter().map(|s| s.weight.0).sum());
    let n: u64 = stones.iter().map(|s| u64::from(s.count)).sum();
    let lang = crate::i18n::current();
    (
        if n == 1 {
            tr!("1 stone")
        } else {
            tr!("{} stones", crate::i18n::numbers::whole(lang, n as i64))
        },
        crate::i18n::numbers::carats(lang, total),
    )
}

/// Wires the Production page; returns what refreshes it when it is shown.
pub fn connect(app: &AppWindow, ctx: Rc<Ctx>) -> Box<dyn Fn()> {
    let state = Rc::new(RefCell::new(State::default()));
    let a = app.global::<ProductionAdapter>();
    a.set_day(dates::show(i18n::current(), ctx.today.get()).into());
    let sieves: Vec<SharedString> = SieveClass::ALL.iter().map(|c| c.as_str().into()).collect();
    a.set_sieve_classes(ModelRc::new(VecModel::from(sieves)));
    show_stones(app, &state.borrow());

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_site_search(move |q| {
        let Some(app) = weak.upgrade() else { return };
        let q = q.trim().to_lowercase();
        let found: Vec<SiteSummary> = if q.chars().count() < 2 {
            Vec::new()
        } else {
            let all = c.store.borrow().site_summaries().unwrap_or_default();
            all.into_iter()
                .filter(|x| {
                    x.site.name.to_lowercase().contains(&q)
                        || x.licence_number.to_lowercase().contains(&q)
                })
                .take(6)
                .collect()
        };
        let labels: Vec<SharedString> = found
            .iter()
            .map(|x| format!("{} ({}, {})", x.site.name, x.licence_number, x.region).into())
            .collect();
        app.global::<ProductionAdapter>()
            .set_site_options(ModelRc::new(VecModel::from(labels)));
        s.borrow_mut().site_options = found;
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_site_pick(move |i| {
        let Some(app) = weak.upgrade() else { return };
        let Some(site) = s.borrow().site_options.get(i as usize).cloned() else {
            return;
        };
        choose_site(&app, &c, &s, site);
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_day_edited(move || {
        if let Some(app) = weak.upgrade() {
            show_entries(&app, &c, &s);
        }
    });

    let (weak, s) = (app.as_weak(), state.clone());
    a.on_toggle_crew(move |i| {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<ProductionAdapter>();
        let mut st = s.borrow_mut();
        let Some(member) = st.crew.get_mut(i as usize) else {
            return;
        };
        member.2 = !member.2;
        let delta: i64 = if member.2 { 1 } else { -1 };
        let workers = a.get_workers().trim().parse::<i64>().unwrap_or(0);
        a.set_workers((workers + delta).max(0).to_string().into());
        show_crew(&app, &st);
    });

    let (weak, s) = (app.as_weak(), state.clone());
    a.on_add_stone(move || {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<ProductionAdapter>();
        let text = a.get_new_carats();
        let parsed = forms::carats(&text).and_then(|w| {
            let probe = Stone {
                id: StoneId::new(),
                production_id: ProductionId::new(),
                weight: w,
                class: StoneClass::Gem,
                colour: String::new(),
                count: 1,
                sieve: None,
            };
            probe
                .validate()
                .map(|()| w)
                .map_err(|inv| forms::message(&inv, "carats").to_string())
        });
        match parsed {
            Ok(weight) => {
                let class = StoneClass::ALL
                    .get(a.get_new_class_index().max(0) as usize)
                    .copied()
                    .unwrap_or_default();
                s.borrow_mut().stones.push(Pending {
                    weight,
                    class,
                    colour: a.get_new_colour().trim().to_string(),
                    count: 1,
                    sieve: None,
                });
                a.set_new_carats("".into());
                a.set_e_carats("".into());
                show_stones(&app, &s.borrow());
            }
            Err(e) => a.set_e_carats(if text.trim().is_empty() {
                tr!("Enter the weight in carats, e.g. 0.35").into()
            } else {
                e.into()
            }),
        }
    });

    let (weak, s) = (app.as_weak(), state.clone());
    a.on_add_lot(move || {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<ProductionAdapter>();
        match read_lot(&a) {
            Ok(lot) => {
                s.borrow_mut().stones.push(lot);
                a.set_lot_count("".into());
                a.set_lot_carats("".into());
                a.set_e_lot_count("".into());
                a.set_e_lot_carats("".into());
                show_stones(&app, &s.borrow());
            }
            Err((count, carats)) => {
                a.set_e_lot_count(count.into());
                a.set_e_lot_carats(carats.into());
            }
        }
    });

    let (weak, s) = (app.as_weak(), state.clone());
    a.on_remove_stone(move |i| {
        let Some(app) = weak.upgrade() else { return };
        let mut st = s.borrow_mut();
        if (i as usize) < st.stones.len() {
            st.stones.remove(i as usize);
        }
        show_stones(&app, &st);
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_use_fix(move || {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<ProductionAdapter>();
        let fix = c.latest_fix.borrow().clone();
        match fix.map(|f| (c.gate.check(&f, chrono::Utc::now()), f)) {
            Some((Ok(()), f)) => {
                let source = match f.source {
                    crate::gps::Source::Nmea => FixSource::Nmea,
                    crate::gps::Source::Gpsd => FixSource::Gpsd,
                    crate::gps::Source::Manual => FixSource::Manual,
                };
                s.borrow_mut().fix = Some(PositionFix {
                    lat: f.lat,
                    lon: f.lon,
                    accuracy_m: f.accuracy_m,
                    source,
                    time: Some(f.time),
                });
                show_fix(&app, &s.borrow());
            }
            Some((Err(why), _)) => a.set_fix_text(tr!("Fix not used: {}", why).into()),
            None => a.set_fix_text(tr!("No GPS fix: the entry is saved without a position").into()),
        }
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_open_entry(move |i| {
        let Some(app) = weak.upgrade() else { return };
        let Some(entry) = s.borrow().entries.get(i as usize).cloned() else {
            return;
        };
        open_for_correction(&app, &c, &s, entry);
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_save(move || {
        if let Some(app) = weak.upgrade() {
            save(&app, &c, &s);
        }
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_cancel(move || {
        if let Some(app) = weak.upgrade() {
            clear_form(&app, &c, &s);
            app.global::<ProductionAdapter>().set_status("".into());
        }
    });

    let (weak, c, s) = (app.as_weak(), ctx, state);
    Box::new(move || {
        if let Some(app) = weak.upgrade() {
            let a = app.global::<ProductionAdapter>();
            a.set_can_edit(c.may_record_production());
            // A day filled in before the language changed is shown again in the new one (the
            // French reading takes both forms).
            if let Ok(day) = dates::parse(i18n::Lang::Fr, &a.get_day()) {
                a.set_day(dates::show(i18n::current(), day).into());
            }
            show_tasks(&app, &c);
            show_entries(&app, &c, &s);
        }
    })
}

/// The lot typed in the form, checked by the record's own rules; else the messages for the
/// count and carats fields (one may be empty).
fn read_lot(a: &ProductionAdapter) -> Result<Pending, (String, String)> {
    let count_text = a.get_lot_count();
    let carats_text = a.get_lot_carats();
    let count = match count_text.trim() {
        "" => Err(tr!("Enter how many stones the lot holds, e.g. 25")),
        t => t
            .parse::<u32>()
            .ok()
            .filter(|&n| n >= 2)
            .ok_or_else(|| tr!("“{}”: a lot holds 2 or more stones (a whole number)", t)),
    };
    let weight = match carats_text.trim() {
        "" => Err(tr!("Enter the lot's total weight in carats, e.g. 1.20")),
        t => forms::carats(t),
    };
    let (count, weight) = match (count, weight) {
        (Ok(c), Ok(w)) => (c, w),
        (c, w) => {
            return Err((c.err().unwrap_or_default(), w.err().unwrap_or_default()));
        }
    };
    let lot = Pending {
        weight,
        class: StoneClass::ALL
            .get(a.get_new_class_index().max(0) as usize)
            .copied()
            .unwrap_or_default(),
        colour: a.get_new_colour().trim().to_string(),
        count,
        sieve: SieveClass::ALL
            .get(a.get_lot_sieve_index().max(0) as usize)
            .copied(),
    };
    match lot.record(ProductionId::new()).validate() {
        Ok(()) => Ok(lot),
        Err(inv) => Err((
            forms::message(&inv, "count").to_string(),
            [
                forms::message(&inv, "carats"),
                forms::message(&inv, "sieve"),
            ]
            .into_iter()
            .filter(|m| !m.is_empty())
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join("; "),
        )),
    }
}

fn choose_site(app: &AppWindow, ctx: &Ctx, state: &RefCell<State>, site: SiteSummary) {
    let a = app.global::<ProductionAdapter>();
    let store = ctx.store.borrow();
    let licence = store.licence(site.site.licence_id).ok().flatten();
    let day = forms::date(&a.get_day()).unwrap_or(ctx.today.get());
    let crew: Vec<(DiggerId, String, bool)> = store
        .crews_of_licence(site.site.licence_id)
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.site_id.is_none_or(|s| s == site.site.id))
        .filter(|c| c.from <= day && c.to.is_none_or(|to| to >= day))
        .filter_map(|c| store.digger(c.digger_id).ok().flatten())
        .map(|d| (d.id, format!("{} ({})", d.full_name, d.national_id), true))
        .collect();
    drop(store);
    a.set_site_chosen(
        format!(
            "{} ({}, {})",
            site.site.name, site.licence_number, site.region
        )
        .into(),
    );
    a.set_site_options(ModelRc::default());
    a.set_site_query("".into());
    a.set_e_site("".into());
    a.set_workers(crew.len().to_string().into());
    let warning = match &licence {
        Some(l) if !l.standing_on(day).permits_work() => {
            tr!(
                "Licence {} is {} on {}: the entry will be flagged for review",
                l.number,
                standing_word(l.standing_on(day)),
                dates::show(i18n::current(), day)
            )
        }
        _ => String::new(),
    };
    a.set_warning(warning.into());
    {
        let mut st = state.borrow_mut();
        st.site = Some(site);
        st.licence = licence;
        st.crew = crew;
    }
    show_crew(app, &state.borrow());
    show_fix(app, &state.borrow());
    show_entries(app, ctx, state);
}

/// Coordinators' open queries, as tasks at the top of the page.
fn show_tasks(app: &AppWindow, ctx: &Ctx) {
    let store = ctx.store.borrow();
    let tasks: Vec<SharedString> = store
        .open_queries()
        .unwrap_or_default()
        .iter()
        .map(|(review, entry)| {
            let site = store
                .site(entry.site_id)
                .ok()
                .flatten()
                .map(|s| s.name)
                .unwrap_or_default();
            tr!(
                "Query on {}, {}: {} — open the entry and save a correction",
                site,
                dates::show(i18n::current(), entry.day),
                review.comment
            )
            .into()
        })
        .collect();
    app.global::<ProductionAdapter>()
        .set_tasks(ModelRc::new(VecModel::from(tasks)));
}

fn show_crew(app: &AppWindow, st: &State) {
    let rows: Vec<CrewRow> = st
        .crew
        .iter()
        .map(|(_, name, present)| CrewRow {
            name: name.into(),
            present: *present,
        })
        .collect();
    app.global::<ProductionAdapter>()
        .set_crew(ModelRc::new(VecModel::from(rows)));
}

fn show_stones(app: &AppWindow, st: &State) {
    let a = app.global::<ProductionAdapter>();
    let rows: Vec<StoneRow> = st
        .stones
        .iter()
        .map(|p| StoneRow {
            carats: numbers::hundredths(i18n::current(), p.weight.0).into(),
            class: match p.sieve {
                Some(sieve) => tr!(
                    "lot of {} ({} ct) · {}",
                    p.count,
                    sieve,
                    class_label(p.class)
                ),
                None => class_label(p.class),
            }
            .into(),
            colour: p.colour.clone().into(),
        })
        .collect();
    a.set_stones(ModelRc::new(VecModel::from(rows)));
    let (count, total) = totals(&st.stones);
    a.set_count_text(count.into());
    a.set_total_text(total.into());
}

fn show_fix(app: &AppWindow, st: &State) {
    let a = app.global::<ProductionAdapter>();
    let mut text = match &st.fix {
        Some(f) => {
            let lang = i18n::current();
            tr!(
                "Position {}, {} ±{} m ({})",
                numbers::decimal(lang, f.lat, 6),
                numbers::decimal(lang, f.lon, 6),
                numbers::decimal(lang, f.accuracy_m, 1),
                f.source
            )
        }
        None => tr!("No position recorded yet"),
    };
    if let (Some(f), Some(l)) = (&st.fix, &st.licence) {
        let outside = super::sites_adapter::outside_warning(l, f.lat, f.lon, f.accuracy_m);
        if !outside.is_empty() {
            text = format!("{text}. {outside}");
        }
    }
    a.set_fix_text(text.into());
}

fn show_entries(app: &AppWindow, ctx: &Ctx, state: &RefCell<State>) {
    let a = app.global::<ProductionAdapter>();
    let Some(site) = state.borrow().site.clone() else {
        a.set_entries_title("".into());
        a.set_entries(ModelRc::default());
        return;
    };
    let Ok(day) = forms::date(&a.get_day()) else {
        return;
    };
    let store = ctx.store.borrow();
    let entries = store.production_at(site.site.id, day).unwrap_or_default();
    let lang = i18n::current();
    let rows: Vec<EntryRow> = entries
        .iter()
        .map(|e| {
            let stones = store.stones_of(e.id).unwrap_or_default();
            let total = Centicarats(stones.iter().map(|s| s.weight.0).sum());
            let count: u64 = stones.iter().map(|s| u64::from(s.count)).sum();
            let versions = store.production_history(e.id).map(|h| h.len()).unwrap_or(1);
            EntryRow {
                id: e.id.to_string().into(),
                title: tr!(
                    "{} stones · {}",
                    numbers::whole(lang, count as i64),
                    numbers::carats(lang, total)
                )
                .into(),
                detail: tr!(
                    "{} workers · {} m³ · by {}",
                    e.crew_size,
                    m3_text(e.gravel),
                    e.officer
                )
                .into(),
                badge: if versions > 1 {
                    tr!("version {}", versions).into()
                } else {
                    SharedString::new()
                },
                badge_kind: 0,
            }
        })
        .collect();
    a.set_entries_title(
        if entries.is_empty() {
            tr!(
                "No entries at {} on {}",
                site.site.name,
                dates::show(lang, day)
            )
        } else {
            tr!(
                "Entries at {} on {} (tap to correct)",
                site.site.name,
                dates::show(lang, day)
            )
        }
        .into(),
    );
    a.set_entries(ModelRc::new(VecModel::from(rows)));
    drop(store);
    state.borrow_mut().entries = entries;
}

fn open_for_correction(app: &AppWindow, ctx: &Ctx, state: &RefCell<State>, entry: ProductionEntry) {
    let a = app.global::<ProductionAdapter>();
    let store = ctx.store.borrow();
    let stones = store.stones_of(entry.id).unwrap_or_default();
    let history = store.production_history(entry.id).unwrap_or_default();
    let lines: Vec<SharedString> = history
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let st = store.stones_of(v.id).unwrap_or_default();
            let total = Centicarats(st.iter().map(|s| s.weight.0).sum());
            let lang = i18n::current();
            let notes = if v.notes.is_empty() {
                String::new()
            } else {
                format!(" — {}", v.notes)
            };
            let line = tr!(
                "Version {}: {} workers, {} m³, {} stones, {}",
                i + 1,
                v.crew_size,
                m3_text(v.gravel),
                st.iter().map(|s| u64::from(s.count)).sum::<u64>(),
                numbers::carats(lang, total)
            );
            SharedString::from(line + &notes)
        })
        .collect();
    drop(store);
    a.set_history(ModelRc::new(VecModel::from(lines)));
    a.set_correcting(
        tr!(
            "Correcting the entry of {} (version {}); the old version is kept",
            dates::show(i18n::current(), entry.day),
            history.len()
        )
        .into(),
    );
    a.set_workers(entry.crew_size.to_string().into());
    a.set_gravel(m3_text(entry.gravel).into());
    a.set_notes(entry.notes.clone().into());
    a.set_seal(entry.seal.clone().into());
    {
        let mut st = state.borrow_mut();
        for member in st.crew.iter_mut() {
            member.2 = entry.digger_ids.contains(&member.0);
        }
        st.stones = stones.iter().map(Pending::of).collect();
        st.fix = entry.fix;
        st.correcting = Some(entry);
    }
    show_crew(app, &state.borrow());
    show_stones(app, &state.borrow());
    show_fix(app, &state.borrow());
    a.set_status("".into());
}

fn clear_form(app: &AppWindow, ctx: &Ctx, state: &RefCell<State>) {
    let a = app.global::<ProductionAdapter>();
    {
        let mut st = state.borrow_mut();
        st.stones.clear();
        st.correcting = None;
        st.fix = None;
        for m in st.crew.iter_mut() {
            m.2 = true;
        }
        a.set_workers(st.crew.len().to_string().into());
    }
    a.set_gravel("".into());
    a.set_notes("".into());
    a.set_seal("".into());
    a.set_new_carats("".into());
    a.set_lot_count("".into());
    a.set_lot_carats("".into());
    a.set_correcting("".into());
    a.set_history(ModelRc::default());
    for set in [
        ProductionAdapter::set_e_site,
        ProductionAdapter::set_e_day,
        ProductionAdapter::set_e_workers,
        ProductionAdapter::set_e_gravel,
        ProductionAdapter::set_e_seal,
        ProductionAdapter::set_e_carats,
        ProductionAdapter::set_e_lot_count,
        ProductionAdapter::set_e_lot_carats,
    ] {
        set(&a, SharedString::new());
    }
    show_crew(app, &state.borrow());
    show_stones(app, &state.borrow());
    show_fix(app, &state.borrow());
    show_entries(app, ctx, state);
}

fn save(app: &AppWindow, ctx: &Ctx, state: &RefCell<State>) {
    let a = app.global::<ProductionAdapter>();
    let day = forms::date(&a.get_day());
    let workers = forms::count(&a.get_workers(), &tr!("the number of workers"));
    let gravel_text = a.get_gravel();
    let gravel = if gravel_text.trim().is_empty() {
        Err(tr!("Enter the gravel washed, in m³ (0 if none)"))
    } else {
        numbers::plain(i18n::current(), &gravel_text)
            .and_then(|t| Litres::from_m3(&t).map_err(|e| forms::capitalise(&e)))
    };
    a.set_e_day(forms::first_error(&day));
    a.set_e_workers(forms::first_error(&workers));
    a.set_e_gravel(forms::first_error(&gravel));
    let site = state.borrow().site.clone();
    a.set_e_site(if site.is_none() {
        tr!("Choose the site").into()
    } else {
        "".into()
    });
    if !a.get_lot_count().trim().is_empty() || !a.get_lot_carats().trim().is_empty() {
        a.set_e_lot_carats(tr!("Add this lot or clear its fields before saving").into());
        a.set_status(tr!("Not saved: a lot is typed but not added").into());
        a.set_status_is_error(true);
        return;
    }
    if !a.get_new_carats().trim().is_empty() {
        a.set_e_carats(tr!("Add this stone or clear the field before saving").into());
        a.set_status(tr!("Not saved: a stone weight is typed but not added").into());
        a.set_status_is_error(true);
        return;
    }
    let (Ok(day), Ok(crew_size), Ok(gravel), Some(site)) = (day, workers, gravel, site) else {
        a.set_status(tr!("Not saved: correct the fields marked in red").into());
        a.set_status_is_error(true);
        return;
    };
    let st = state.borrow();
    let entry = ProductionEntry {
        seal: a.get_seal().trim().to_string(),
        id: ProductionId::new(),
        site_id: site.site.id,
        day,
        officer: ctx.officer_name(),
        fix: st.fix,
        crew_size,
        digger_ids: st.crew.iter().filter(|m| m.2).map(|m| m.0).collect(),
        gravel,
        notes: a.get_notes().trim().to_string(),
        replaces: st.correcting.as_ref().map(|c| c.id),
    };
    let stones: Vec<Stone> = st.stones.iter().map(|p| p.record(entry.id)).collect();
    drop(st);
    let result = ctx.store.borrow_mut().write(|w| {
        w.add_production(&entry)?;
        stones.iter().try_for_each(|s| w.add_stone(s))
    });
    match result {
        Ok(()) => {
            let (count, total) = {
                let st = state.borrow();
                totals(&st.stones)
            };
            let day = dates::show(i18n::current(), day);
            let status = if entry.replaces.is_some() {
                tr!(
                    "Correction saved: {} on {}, {}, {}",
                    site.site.name,
                    day,
                    count,
                    total
                )
            } else {
                tr!("Saved: {} on {}, {}, {}", site.site.name, day, count, total)
            };
            clear_form(app, ctx, state);
            a.set_status(status.into());
            a.set_status_is_error(false);
        }
        Err(StoreError::Invalid(inv)) => {
            a.set_e_day(forms::message(&inv, "day"));
            a.set_e_workers(forms::message(&inv, "crew_size"));
            a.set_e_gravel(forms::message(&inv, "gravel_m3"));
            a.set_e_seal(forms::message(&inv, "seal"));
            a.set_e_carats(forms::message(&inv, "carats"));
            a.set_e_lot_count(forms::message(&inv, "count"));
            a.set_status(tr!("Not saved: {}", inv).into());
            a.set_status_is_error(true);
        }
        Err(e) => {
            a.set_status(tr!("Not saved: {}", e).into());
            a.set_status_is_error(true);
        }
    }
}
