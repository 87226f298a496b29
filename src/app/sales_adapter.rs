//! Sales page: list and search slips, record a slip (the seller's unsold production or
//! purchases pre-fill carats and stone count, both editable), and save a slip as text for
//! printing. The rules of who may sell to whom are the domain's and the checks'.

use super::context::Ctx;
use super::forms;
use super::{AppWindow, OfferRow, SaleListRow, SalesAdapter};
use crate::domain::{Licence, LicenceKind, Sale, SaleId, SaleKind};
use crate::i18n;
use crate::store::{
    ProductionOffer, PurchaseOffer, SaleFilter, SaleRow, StoreError, prefill_from_production,
    prefill_from_purchases,
};
use crate::tr;
use chrono::Duration;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Default)]
struct State {
    rows: Vec<SaleRow>,
    seller: Option<Licence>,
    buyer: Option<Licence>,
    seller_options: Vec<Licence>,
    buyer_options: Vec<Licence>,
    production: Vec<(ProductionOffer, bool)>,
    purchases: Vec<(PurchaseOffer, bool)>,
}

fn kind_of(index: i32) -> SaleKind {
    SaleKind::ALL
        .get(index.max(0) as usize)
        .copied()
        .unwrap_or_default()
}

fn licence_label(l: &Licence) -> String {
    let holder = if l.holder_name.is_empty() {
        String::new()
    } else {
        format!(", {}", l.holder_name)
    };
    tr!(
        "{} ({}{}, until {})",
        l.number,
        l.region,
        holder,
        i18n::dates::show(i18n::current(), l.expires_on)
    )
}

fn search(ctx: &Ctx, q: &str, kinds: &[LicenceKind]) -> Vec<Licence> {
    if q.trim().chars().count() < 2 {
        return Vec::new();
    }
    let found = ctx
        .store
        .borrow()
        .search_licences(q, 50)
        .unwrap_or_default();
    found
        .into_iter()
        .filter(|l| kinds.contains(&l.kind))
        .take(6)
        .collect()
}

/// Wires the Sales page; returns what refreshes it when it is shown.
pub fn connect(app: &AppWindow, ctx: Rc<Ctx>) -> Box<dyn Fn()> {
    let state = Rc::new(RefCell::new(State::default()));
    let a = app.global::<SalesAdapter>();

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_search(move |q| {
        if let Some(app) = weak.upgrade() {
            list(&app, &c, &s, &q);
        }
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_open(move |row| {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<SalesAdapter>();
        let Some(id) = s.borrow().rows.get(row as usize).map(|r| r.sale.id) else {
            return;
        };
        a.set_selected(row);
        let text = crate::report::sale_slip_text(&c.store.borrow(), id, i18n::current());
        a.set_slip_text(match text {
            Ok(Some(t)) => t.into(),
            Ok(None) => tr!("Slip not found").into(),
            Err(e) => tr!("Cannot read the slip: {}", e).into(),
        });
        a.set_status("".into());
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_new_slip(move || {
        let Some(app) = weak.upgrade() else { return };
        let rows = std::mem::take(&mut s.borrow_mut().rows);
        *s.borrow_mut() = State {
            rows,
            ..State::default()
        };
        let a = app.global::<SalesAdapter>();
        for set in [
            SalesAdapter::set_seller_chosen,
            SalesAdapter::set_buyer_chosen,
            SalesAdapter::set_slip_number,
            SalesAdapter::set_carats,
            SalesAdapter::set_stones,
            SalesAdapter::set_price,
            SalesAdapter::set_certificate,
            SalesAdapter::set_destination,
            SalesAdapter::set_hs_code,
            SalesAdapter::set_importer,
            SalesAdapter::set_origin,
            SalesAdapter::set_seals,
            SalesAdapter::set_status,
        ] {
            set(&a, SharedString::new());
        }
        clear_errors(&a);
        a.set_day(i18n::dates::show(i18n::current(), c.today.get()).into());
        a.set_kind_index(0);
        show_offers(&app, &s.borrow());
        a.set_editing(true);
    });

    let (weak, s) = (app.as_weak(), state.clone());
    a.on_kind_changed(move || {
        let Some(app) = weak.upgrade() else { return };
        let mut st = s.borrow_mut();
        st.seller = None;
        st.buyer = None;
        st.production.clear();
        st.purchases.clear();
        let a = app.global::<SalesAdapter>();
        a.set_seller_chosen("".into());
        a.set_buyer_chosen("".into());
        show_offers(&app, &st);
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_seller_search(move |q| {
        let Some(app) = weak.upgrade() else { return };
        let kind = kind_of(app.global::<SalesAdapter>().get_kind_index());
        let found = search(&c, &q, &[kind.seller_kind()]);
        let labels: Vec<SharedString> = found.iter().map(|l| licence_label(l).into()).collect();
        app.global::<SalesAdapter>()
            .set_seller_options(ModelRc::new(VecModel::from(labels)));
        s.borrow_mut().seller_options = found;
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_seller_pick(move |i| {
        let Some(app) = weak.upgrade() else { return };
        let Some(l) = s.borrow().seller_options.get(i as usize).cloned() else {
            return;
        };
        let a = app.global::<SalesAdapter>();
        a.set_seller_chosen(licence_label(&l).into());
        a.set_seller_options(ModelRc::default());
        a.set_seller_query("".into());
        a.set_e_seller("".into());
        let day = forms::date(&a.get_day()).unwrap_or(c.today.get());
        let store = c.store.borrow();
        let mut st = s.borrow_mut();
        if kind_of(a.get_kind_index()) == SaleKind::FirstSale {
            st.production = store
                .production_offers(l.id, day - Duration::days(120))
                .unwrap_or_default()
                .into_iter()
                .filter(|o| o.sold_on.is_empty() && o.stones > 0)
                .map(|o| (o, false))
                .collect();
        } else {
            st.purchases = store
                .purchase_offers(l.id, day)
                .unwrap_or_default()
                .into_iter()
                .filter(|o| o.drawn_on_by.is_empty())
                .map(|o| (o, false))
                .collect();
        }
        st.seller = Some(l);
        drop(store);
        show_offers(&app, &st);
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_buyer_search(move |q| {
        let Some(app) = weak.upgrade() else { return };
        let kind = kind_of(app.global::<SalesAdapter>().get_kind_index());
        let found = search(&c, &q, kind.buyer_kinds());
        let labels: Vec<SharedString> = found.iter().map(|l| licence_label(l).into()).collect();
        app.global::<SalesAdapter>()
            .set_buyer_options(ModelRc::new(VecModel::from(labels)));
        s.borrow_mut().buyer_options = found;
    });

    let (weak, s) = (app.as_weak(), state.clone());
    a.on_buyer_pick(move |i| {
        let Some(app) = weak.upgrade() else { return };
        let Some(l) = s.borrow().buyer_options.get(i as usize).cloned() else {
            return;
        };
        let a = app.global::<SalesAdapter>();
        a.set_buyer_chosen(licence_label(&l).into());
        a.set_buyer_options(ModelRc::default());
        a.set_buyer_query("".into());
        a.set_e_buyer("".into());
        s.borrow_mut().buyer = Some(l);
    });

    let (weak, s) = (app.as_weak(), state.clone());
    a.on_toggle_offer(move |i| {
        let Some(app) = weak.upgrade() else { return };
        let mut st = s.borrow_mut();
        let i = i as usize;
        if let Some(o) = st.production.get_mut(i) {
            o.1 = !o.1;
        } else if let Some(o) = st.purchases.get_mut(i) {
            o.1 = !o.1;
        }
        let (weight, count) = if st.production.is_empty() {
            prefill_from_purchases(
                &st.purchases
                    .iter()
                    .filter(|o| o.1)
                    .map(|o| &o.0)
                    .collect::<Vec<_>>(),
            )
        } else {
            prefill_from_production(
                &st.production
                    .iter()
                    .filter(|o| o.1)
                    .map(|o| &o.0)
                    .collect::<Vec<_>>(),
            )
        };
        let a = app.global::<SalesAdapter>();
        a.set_carats(i18n::numbers::hundredths(i18n::current(), weight.0).into());
        a.set_stones(count.to_string().into());
        show_offers(&app, &st);
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_save(move || {
        if let Some(app) = weak.upgrade() {
            save(&app, &c, &s);
        }
    });

    let (weak, c, s) = (app.as_weak(), ctx.clone(), state.clone());
    a.on_save_for_print(move || {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<SalesAdapter>();
        let Some(row) = s
            .borrow()
            .rows
            .get(a.get_selected().max(0) as usize)
            .cloned()
        else {
            return;
        };
        let name: String = row
            .sale
            .slip_number
            .chars()
            .map(|ch| {
                if ch.is_ascii_alphanumeric() || ch == '-' {
                    ch
                } else {
                    '_'
                }
            })
            .collect();
        let path = directories::UserDirs::new()
            .map(|d| d.home_dir().join(format!("alluvium-slip-{name}.txt")))
            .unwrap_or_else(|| format!("alluvium-slip-{name}.txt").into());
        let result = crate::report::sale_slip_text(&c.store.borrow(), row.sale.id, i18n::current())
            .map_err(|e| e.to_string())
            .and_then(|t| t.ok_or_else(|| tr!("Slip not found")))
            .and_then(|t| std::fs::write(&path, t).map_err(|e| e.to_string()));
        a.set_status_is_error(result.is_err());
        match result {
            Ok(()) => a.set_status(tr!("Saved {} for printing", path.display()).into()),
            Err(e) => a.set_status(tr!("Not saved: {}", e).into()),
        }
    });

    let weak = app.as_weak();
    a.on_cancel(move || {
        if let Some(app) = weak.upgrade() {
            let a = app.global::<SalesAdapter>();
            a.set_editing(false);
            a.set_status("".into());
        }
    });

    let (weak, c, s) = (app.as_weak(), ctx, state);
    Box::new(move || {
        if let Some(app) = weak.upgrade() {
            let a = app.global::<SalesAdapter>();
            a.set_can_edit(c.may_push(crate::domain::RecordKind::Sale));
            let q = a.get_query();
            list(&app, &c, &s, &q);
        }
    })
}

fn list(app: &AppWindow, ctx: &Ctx, state: &RefCell<State>, query: &str) {
    let a = app.global::<SalesAdapter>();
    let filter = SaleFilter {
        query: query.trim().to_string(),
        ..SaleFilter::default()
    };
    let store = ctx.store.borrow();
    let rows = store.search_sales(&filter, 0, 300).unwrap_or_default();
    let total = store.count_sales_matching(&filter).unwrap_or(rows.len());
    drop(store);
    let lang = i18n::current();
    let items: Vec<SaleListRow> = rows
        .iter()
        .map(|r| {
            let buyer = match (&r.buyer_number, r.sale.kind) {
                (Some(b), _) => b.clone(),
                (None, SaleKind::Export) => tr!("export to {}", r.sale.destination_country),
                (None, SaleKind::Import) => tr!("import from {}", r.sale.origin_country),
                (None, _) => "?".into(),
            };
            SaleListRow {
                title: tr!(
                    "{} · {} · {} stones",
                    r.sale.slip_number,
                    i18n::numbers::carats(lang, r.sale.weight),
                    r.sale.stone_count
                )
                .into(),
                detail: format!(
                    "{} → {} · {}",
                    r.seller_number,
                    buyer,
                    i18n::dates::show(lang, r.sale.day)
                )
                .into(),
                badge: i18n::tr(match r.sale.kind {
                    SaleKind::FirstSale => "first sale",
                    SaleKind::Resale => "resale",
                    SaleKind::Export => "export",
                    SaleKind::Import => "import",
                })
                .into(),
                badge_kind: if r.sale.kind.crosses_border() { 2 } else { 0 },
            }
        })
        .collect();
    a.set_count_text(tr!("{} of {} slips", rows.len(), total).into());
    a.set_rows(ModelRc::new(VecModel::from(items)));
    a.set_selected(-1);
    a.set_slip_text("".into());
    state.borrow_mut().rows = rows;
}

fn show_offers(app: &AppWindow, st: &State) {
    let a = app.global::<SalesAdapter>();
    let lang = i18n::current();
    let rows: Vec<OfferRow> = if st.production.is_empty() {
        st.purchases
            .iter()
            .map(|(o, chosen)| OfferRow {
                text: tr!(
                    "{} from {} · {} · {}, {} stones",
                    o.sale.slip_number,
                    o.seller_number,
                    i18n::dates::show(lang, o.sale.day),
                    i18n::numbers::carats(lang, o.sale.weight),
                    o.sale.stone_count
                )
                .into(),
                chosen: *chosen,
            })
            .collect()
    } else {
        st.production
            .iter()
            .map(|(o, chosen)| OfferRow {
                text: tr!(
                    "{} · {} · {}, {} stones",
                    o.site_name,
                    i18n::dates::show(lang, o.entry.day),
                    i18n::numbers::carats(lang, o.weight),
                    o.stones
                )
                .into(),
                chosen: *chosen,
            })
            .collect()
    };
    a.set_offers_title(
        match (&st.seller, rows.is_empty()) {
            (None, _) => tr!("Choose the seller to see what it can sell"),
            (Some(_), true) => {
                tr!("Nothing unsold on record for this seller: enter carats and stones by hand")
            }
            (Some(_), false) => tr!("Tick what this slip sells; carats and stones are filled in"),
        }
        .into(),
    );
    a.set_offers(ModelRc::new(VecModel::from(rows)));
}

fn clear_errors(a: &SalesAdapter<'_>) {
    for set in [
        SalesAdapter::set_e_seller,
        SalesAdapter::set_e_buyer,
        SalesAdapter::set_e_slip_number,
        SalesAdapter::set_e_day,
        SalesAdapter::set_e_carats,
        SalesAdapter::set_e_stones,
        SalesAdapter::set_e_price,
        SalesAdapter::set_e_certificate,
        SalesAdapter::set_e_destination,
        SalesAdapter::set_e_hs_code,
        SalesAdapter::set_e_importer,
        SalesAdapter::set_e_origin,
        SalesAdapter::set_e_seals,
    ] {
        set(a, SharedString::new());
    }
}

fn save(app: &AppWindow, ctx: &Ctx, state: &RefCell<State>) {
    let a = app.global::<SalesAdapter>();
    clear_errors(&a);
    let kind = kind_of(a.get_kind_index());
    let day = forms::date(&a.get_day());
    let weight = forms::carats(&a.get_carats());
    let count = forms::count(&a.get_stones(), &tr!("the number of stones"));
    let price = forms::usd(&a.get_price());
    a.set_e_day(forms::first_error(&day));
    a.set_e_carats(forms::first_error(&weight));
    a.set_e_stones(forms::first_error(&count));
    a.set_e_price(forms::first_error(&price));
    let st = state.borrow();
    if st.seller.is_none() {
        a.set_e_seller(tr!("Choose the seller's licence").into());
    }
    let (Ok(day), Ok(weight), Ok(stone_count), Ok(price), Some(seller)) =
        (day, weight, count, price, st.seller.clone())
    else {
        a.set_status(tr!("Not saved: correct the fields marked in red").into());
        a.set_status_is_error(true);
        return;
    };
    let sale = Sale {
        seals: a
            .get_seals()
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        id: SaleId::new(),
        slip_number: a.get_slip_number().trim().to_string(),
        day,
        seller_licence_id: seller.id,
        buyer_licence_id: if kind.crosses_border() {
            None
        } else {
            st.buyer.as_ref().map(|b| b.id)
        },
        weight,
        stone_count,
        price,
        production_ids: st
            .production
            .iter()
            .filter(|o| o.1)
            .map(|o| o.0.entry.id)
            .collect(),
        source_sale_ids: st
            .purchases
            .iter()
            .filter(|o| o.1)
            .map(|o| o.0.sale.id)
            .collect(),
        kind,
        certificate_number: if kind.crosses_border() {
            a.get_certificate().trim().to_string()
        } else {
            String::new()
        },
        destination_country: if kind == SaleKind::Export {
            a.get_destination().trim().to_uppercase()
        } else {
            String::new()
        },
        hs_code: if kind.crosses_border() {
            a.get_hs_code().trim().to_string()
        } else {
            String::new()
        },
        importer: if kind.crosses_border() {
            a.get_importer().trim().to_string()
        } else {
            String::new()
        },
        origin_country: if kind == SaleKind::Import {
            a.get_origin().trim().to_uppercase()
        } else {
            String::new()
        },
    };
    drop(st);
    let result = ctx.store.borrow_mut().write(|w| {
        w.set_today(ctx.today.get());
        w.add_sale(&sale)
    });
    match result {
        Ok(()) => {
            a.set_editing(false);
            let q = a.get_query();
            list(app, ctx, state, &q);
            a.set_status(
                tr!(
                    "Saved slip {}: {}, {} stones",
                    sale.slip_number,
                    i18n::numbers::carats(i18n::current(), sale.weight),
                    sale.stone_count
                )
                .into(),
            );
            a.set_status_is_error(false);
        }
        Err(StoreError::Invalid(inv)) => {
            a.set_e_slip_number(forms::message(&inv, "slip_number"));
            a.set_e_day(forms::message(&inv, "day"));
            a.set_e_carats(forms::message(&inv, "carats"));
            a.set_e_stones(forms::message(&inv, "stone_count"));
            a.set_e_price(forms::message(&inv, "price_usd"));
            a.set_e_seals(forms::message(&inv, "seals"));
            a.set_e_buyer(forms::message(&inv, "buyer_licence_id"));
            a.set_e_seller(forms::message(&inv, "seller_licence_id"));
            a.set_e_certificate(forms::message(&inv, "certificate_number"));
            a.set_e_destination(forms::message(&inv, "destination_country"));
            a.set_e_hs_code(forms::message(&inv, "hs_code"));
            a.set_e_importer(forms::message(&inv, "importer"));
            a.set_e_origin(forms::message(&inv, "origin_country"));
            a.set_status(tr!("Not saved: {}", inv).into());
            a.set_status_is_error(true);
        }
        Err(e) => {
            a.set_status(tr!("Not saved: {}", e).into());
            a.set_status_is_error(true);
        }
    }
}
