//! Review page: runs the anomaly checks off the UI thread, lists the flagged records with their
//! evidence, filters them, and records a coordinator's decision as an append-only Review.

use super::context::Ctx;
use super::photo_view;
use super::{AppWindow, FlagRow, PhotoThumb, ReviewAdapter};
use crate::analytics::{CheckConfig, Flag, FlagKind, PriceModel, Severity, run_checks};
use crate::domain::{ReviewDecision, ReviewId};
use crate::store::FactFilter;
use crate::tr;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// A flag with where it happened, for the list and its filter.
#[derive(Clone)]
struct Item {
    flag: Flag,
    region: String,
    context: String,
    /// The production entry or sale whose photos are shown beside the flag.
    photo_target: Option<uuid::Uuid>,
}

#[derive(Default)]
struct State {
    items: Vec<Item>,
    shown: Vec<usize>,
    decisions: HashMap<uuid::Uuid, ReviewDecision>,
}

/// Runs every check over the store (a worker's own connection) and adds each flag's context.
fn checks_with_context(store: &mut crate::store::Store) -> Result<Vec<Item>, String> {
    let data = store
        .check_data(&FactFilter::default())
        .map_err(|e| e.to_string())?;
    let flags = run_checks(&data, &CheckConfig::default(), &PriceModel::standard());
    let sites: HashMap<_, _> = store
        .site_summaries()
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|s| (s.site.id, s))
        .collect();
    let mut items = Vec::with_capacity(flags.len());
    for flag in flags {
        let production = match flag.target_entity() {
            crate::domain::RecordKind::Production => {
                store.production(flag.record_id.into()).ok().flatten()
            }
            crate::domain::RecordKind::Stone => store
                .stone(flag.record_id.into())
                .ok()
                .flatten()
                .and_then(|s| store.production(s.production_id).ok().flatten()),
            _ => None,
        };
        let photo_target = match (&production, flag.target_entity()) {
            (Some(p), _) => Some(p.id.0),
            (None, crate::domain::RecordKind::Sale) => Some(flag.record_id),
            _ => None,
        };
        let (region, context) = match production {
            Some(p) => {
                let site = sites.get(&p.site_id);
                (
                    site.map(|s| s.region.clone()).unwrap_or_default(),
                    format!(
                        "{} · {} · {}",
                        site.map(|s| s.site.name.as_str()).unwrap_or("?"),
                        crate::i18n::dates::show(crate::i18n::current(), p.day),
                        p.officer
                    ),
                )
            }
            None => match sites.get(&flag.record_id.into()) {
                Some(s) => (s.region.clone(), s.site.name.clone()),
                None => (String::new(), flag.record_id.to_string()),
            },
        };
        items.push(Item {
            flag,
            region,
            context,
            photo_target,
        });
    }
    Ok(items)
}

/// A flag kind in the officer's words (the contract's spelling stays in CSV and JSON).
fn kind_label(k: FlagKind) -> String {
    match k {
        FlagKind::NoLicence => tr!("no licence"),
        FlagKind::LicenceExpired => tr!("licence expired"),
        FlagKind::LicenceSuspended => tr!("licence suspended"),
        FlagKind::OutsideLicenceArea => tr!("outside licence area"),
        FlagKind::DiggerDoubleBooked => tr!("digger double booked"),
        FlagKind::AboveCapacity => tr!("above capacity"),
        FlagKind::SpecialStone => tr!("special stone"),
        FlagKind::RepeatedValues => tr!("repeated values"),
        FlagKind::FootprintMismatch => tr!("footprint mismatch"),
        FlagKind::SaleExceedsProduction => tr!("sale exceeds production"),
        FlagKind::SaleWithoutProduction => tr!("sale without production"),
        FlagKind::ResaleExceedsPurchases => tr!("resale exceeds purchases"),
        FlagKind::ExportExceedsPurchases => tr!("export exceeds purchases"),
        FlagKind::UnlicensedBuyer => tr!("unlicensed buyer"),
        FlagKind::SealInTwoOpenBags => tr!("seal in two open bags"),
        FlagKind::SealNeverSealed => tr!("seal never sealed"),
        FlagKind::SealWithoutItsCarats => tr!("seal without its carats"),
    }
}

/// A decision in the officer's words.
fn decision_word(d: ReviewDecision) -> String {
    match d {
        ReviewDecision::Approved => tr!("approved"),
        ReviewDecision::Queried => tr!("queried"),
        ReviewDecision::Rejected => tr!("rejected"),
    }
}

/// The kinds to filter by, in the app's language.
fn kind_choices() -> ModelRc<SharedString> {
    let kinds: Vec<SharedString> = std::iter::once(tr!("All flags"))
        .chain(FlagKind::ALL.iter().map(|k| kind_label(*k)))
        .map(SharedString::from)
        .collect();
    ModelRc::new(VecModel::from(kinds))
}

/// Wires the Review page; returns what refreshes it when it is shown.
pub fn connect(app: &AppWindow, ctx: Rc<Ctx>) -> Box<dyn Fn()> {
    let state = Rc::new(RefCell::new(State::default()));
    let a = app.global::<ReviewAdapter>();
    a.set_kinds(kind_choices());

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_run_checks(move || {
        let Some(app) = weak.upgrade() else { return };
        app.global::<ReviewAdapter>().set_busy(true);
        app.global::<ReviewAdapter>()
            .set_status(tr!("Checking every record…").into());
        let (weak, c2, s2) = (weak.clone(), c.clone(), s.clone());
        c.jobs.run(&c.store, checks_with_context, move |result| {
            let Some(app) = weak.upgrade() else { return };
            let a = app.global::<ReviewAdapter>();
            a.set_busy(false);
            match result {
                Ok(items) => {
                    a.set_status(tr!("{} flags", items.len()).into());
                    a.set_status_is_error(false);
                    s2.borrow_mut().items = items;
                }
                Err(e) => {
                    a.set_status(tr!("Checks failed: {}", e).into());
                    a.set_status_is_error(true);
                }
            }
            show(&app, &c2, &s2);
        });
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_filter(move || {
        if let Some(app) = weak.upgrade() {
            show(&app, &c, &s);
        }
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_open(move |row| {
        if let Some(app) = weak.upgrade() {
            open(&app, &c, &s, row);
        }
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_decide(move |d| {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<ReviewAdapter>();
        let decision = [
            ReviewDecision::Approved,
            ReviewDecision::Queried,
            ReviewDecision::Rejected,
        ][d.clamp(0, 2) as usize];
        let comment = a.get_comment().trim().to_string();
        if decision != ReviewDecision::Approved && comment.is_empty() {
            a.set_e_comment(tr!("Say what needs checking: the officer reads this").into());
            return;
        }
        let row = a.get_selected();
        let Some(item) = s
            .borrow()
            .shown
            .get(row as usize)
            .and_then(|i| s.borrow().items.get(*i).cloned())
        else {
            return;
        };
        let Some(reviewer) = c.officer.borrow().as_ref().map(|o| o.id) else {
            return;
        };
        let review = crate::domain::Review {
            id: ReviewId::new(),
            target_entity: item.flag.target_entity(),
            target_id: item.flag.record_id,
            decision,
            comment,
            reviewer,
            at: chrono::Utc::now(),
        };
        match c.store.borrow_mut().write(|w| w.add_review(&review)) {
            Ok(()) => {
                a.set_e_comment("".into());
                a.set_comment("".into());
                a.set_status(tr!("Recorded: {}", decision_word(decision)).into());
                a.set_status_is_error(false);
            }
            Err(e) => {
                a.set_status(tr!("Not recorded: {}", e).into());
                a.set_status_is_error(true);
            }
        }
        show(&app, &c, &s);
        open(&app, &c, &s, row);
    });

    let (weak, c, s) = (app.as_weak(), ctx, state);
    Box::new(move || {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<ReviewAdapter>();
        // Shown again each time, so a change of language reaches the choices too.
        a.set_kinds(kind_choices());
        let regions: Vec<SharedString> = std::iter::once(tr!("All regions"))
            .chain(super::diggers_adapter::region_codes(&c))
            .map(SharedString::from)
            .collect();
        a.set_regions(ModelRc::new(VecModel::from(regions)));
        a.set_can_decide(c.may_push(crate::domain::RecordKind::Review));
        show(&app, &c, &s);
    })
}

fn show(app: &AppWindow, ctx: &Ctx, state: &RefCell<State>) {
    let a = app.global::<ReviewAdapter>();
    let decisions = ctx.store.borrow().latest_decisions().unwrap_or_default();
    let region = (a.get_region_index() > 0).then(|| {
        super::diggers_adapter::region_codes(ctx)
            .get(a.get_region_index() as usize - 1)
            .cloned()
            .unwrap_or_default()
    });
    let kind = (a.get_kind_index() > 0)
        .then(|| FlagKind::ALL.get(a.get_kind_index() as usize - 1).copied())
        .flatten();
    let q = a.get_query().trim().to_lowercase();
    let mut st = state.borrow_mut();
    st.decisions = decisions;
    st.shown = st
        .items
        .iter()
        .enumerate()
        .filter(|(_, it)| region.as_ref().is_none_or(|r| &it.region == r))
        .filter(|(_, it)| kind.is_none_or(|k| it.flag.kind == k))
        .filter(|(_, it)| q.is_empty() || it.context.to_lowercase().contains(&q))
        .map(|(i, _)| i)
        .collect();
    let rows: Vec<FlagRow> = st
        .shown
        .iter()
        .take(1000)
        .map(|&i| {
            let it = &st.items[i];
            let (badge, badge_kind) = match st.decisions.get(&it.flag.record_id) {
                Some(d) => (
                    decision_word(*d),
                    if *d == ReviewDecision::Approved { 1 } else { 2 },
                ),
                None => (
                    match it.flag.severity {
                        Severity::Info => tr!("info"),
                        Severity::Warning => tr!("warning"),
                        Severity::Breach => tr!("breach"),
                    },
                    match it.flag.severity {
                        Severity::Breach => 3,
                        Severity::Warning => 2,
                        _ => 0,
                    },
                ),
            };
            FlagRow {
                title: kind_label(it.flag.kind).into(),
                detail: it.context.clone().into(),
                badge: badge.into(),
                badge_kind,
            }
        })
        .collect();
    a.set_count_text(if st.items.is_empty() {
        tr!("Run the checks to fill the queue").into()
    } else {
        tr!("{} of {} flags", st.shown.len(), st.items.len()).into()
    });
    a.set_rows(ModelRc::new(VecModel::from(rows)));
}

fn open(app: &AppWindow, ctx: &Ctx, state: &RefCell<State>, row: i32) {
    let a = app.global::<ReviewAdapter>();
    let st = state.borrow();
    let Some(item) = st.shown.get(row as usize).and_then(|i| st.items.get(*i)) else {
        return;
    };
    a.set_selected(row);
    a.set_detail_title(format!("{} — {}", kind_label(item.flag.kind), item.context).into());
    let evidence = item
        .flag
        .evidence
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| k.as_str() != "message")
                .map(|(k, v)| {
                    format!(
                        "{k}: {}",
                        v.as_str()
                            .map(String::from)
                            .unwrap_or_else(|| v.to_string())
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    // The message in the reader's language; the evidence's keys and values below stay as the
    // checks write them (JSON's contract).
    let message = item.flag.message_in(crate::i18n::current());
    a.set_detail_text(format!("{message}\n\n{evidence}").into());
    show_photos(&a, ctx, item.photo_target);
    let history = ctx
        .store
        .borrow()
        .reviews_of(item.flag.record_id)
        .unwrap_or_default();
    a.set_decisions_text(if history.is_empty() {
        tr!("No decision yet").into()
    } else {
        history
            .iter()
            .map(|r| {
                let at = match crate::i18n::current() {
                    crate::i18n::Lang::En => r.at.format("%Y-%m-%d %H:%M"),
                    crate::i18n::Lang::Fr => r.at.format("%d/%m/%Y %H:%M"),
                };
                format!("{}: {} {}", at, decision_word(r.decision), r.comment)
            })
            .collect::<Vec<_>>()
            .join("\n")
            .into()
    });
}

/// Shows up to four photos of the entry `target` (a production entry or sale) beside its flag.
fn show_photos(a: &ReviewAdapter<'_>, ctx: &Ctx, target: Option<uuid::Uuid>) {
    let total = target.map_or(0, |t| photo_view::photos_newest_first(ctx, t).len());
    let thumbs: Vec<PhotoThumb> = target
        .map(|t| photo_view::thumbnails(ctx, t, 4))
        .unwrap_or_default()
        .into_iter()
        .map(|shown| PhotoThumb {
            here: shown.image.is_some(),
            image: shown.image.unwrap_or_default(),
            caption: shown.photo.caption.into(),
        })
        .collect();
    a.set_photos_text(match total {
        0 => SharedString::new(),
        n if n > thumbs.len() => tr!("Photos ({} of {})", thumbs.len(), n).into(),
        n => tr!("Photos ({})", n).into(),
    });
    a.set_photos(ModelRc::new(VecModel::from(thumbs)));
}
