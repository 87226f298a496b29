//! The history part of the Licences page: the licence's dated events with their fees, the
//! actions that add one (renew, suspend, reinstate, revoke — each effective on a day), and the
//! supporters named on the licence. Every action is one record through the store's writer, so
//! the same rules as the command line and the server refuse a bad one, shown beside the form.

use super::context::Ctx;
use super::forms;
use super::{AppWindow, HistoryRow, LicencesAdapter};
use crate::domain::{
    Cents, Licence, LicenceEvent, LicenceEventId, LicenceEventKind, LicenceHistory, Supporter,
    SupporterId,
};
use crate::i18n::{self, dates, numbers};
use crate::store::StoreError;
use crate::tr;
use chrono::{Duration, NaiveDate};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

/// How a history event reads in the list: its kind, then its term, fee, receipt and reason.
pub fn event_line(e: &LicenceEvent, implied: bool) -> HistoryRow {
    let lang = i18n::current();
    let mut detail = Vec::new();
    if let Some(u) = e.until {
        detail.push(tr!("until {}", dates::show(lang, u)));
    }
    if let Some(f) = e.fee_cents {
        detail.push(tr!("fee {}", numbers::usd(lang, f)));
    }
    if !e.receipt.is_empty() {
        detail.push(tr!("receipt {}", e.receipt));
    }
    if !e.reason.is_empty() {
        detail.push(e.reason.clone());
    }
    if implied {
        detail.push(tr!("(from the licence record)"));
    }
    HistoryRow {
        day: dates::show(lang, e.on).into(),
        kind: event_word(e.kind).into(),
        detail: detail.join(" · ").into(),
    }
}

/// An event's kind in the app's language.
fn event_word(kind: LicenceEventKind) -> String {
    match kind {
        LicenceEventKind::Issued => tr!("issued"),
        LicenceEventKind::Renewed => tr!("renewed"),
        LicenceEventKind::Suspended => tr!("suspended"),
        LicenceEventKind::Reinstated => tr!("reinstated"),
        LicenceEventKind::Revoked => tr!("revoked"),
    }
}

/// The fees of a history, summed, as the page shows them.
pub fn fees_text(h: &LicenceHistory) -> String {
    let (n, total) = h.fees().fold((0, 0i64), |(n, t), (_, c)| (n + 1, t + c.0));
    match n {
        0 => tr!("No fee recorded"),
        1 => tr!(
            "1 fee paid, {}",
            numbers::usd(i18n::current(), Cents(total))
        ),
        n => tr!(
            "{} fees paid, {} in all",
            n,
            numbers::usd(i18n::current(), Cents(total))
        ),
    }
}

/// Fills the history, fees and supporters of `l`, and the defaults of the event fields.
pub fn show(app: &AppWindow, ctx: &Ctx, l: &Licence) {
    let a = app.global::<LicencesAdapter>();
    let store = ctx.store.borrow();
    let history = store
        .history_of(l)
        .unwrap_or_else(|_| LicenceHistory::new(l, &[]));
    let rows: Vec<HistoryRow> = history
        .events()
        .iter()
        .map(|h| event_line(&h.event, h.implied))
        .collect();
    a.set_history(ModelRc::new(VecModel::from(rows)));
    a.set_fees_text(fees_text(&history).into());
    let supporters: Vec<SharedString> = store
        .licence_supporters(l.id)
        .unwrap_or_default()
        .into_iter()
        .map(|s| format!("{} ({})", s.full_name, s.national_id).into())
        .collect();
    a.set_supporters(ModelRc::new(VecModel::from(supporters)));
    let today = ctx.today.get();
    let next_until = history.latest_until().map_or(today, |u| u.max(today)) + Duration::days(365);
    let lang = i18n::current();
    a.set_ev_on(dates::show(lang, today).into());
    a.set_ev_until(dates::show(lang, next_until).into());
    for set in [
        LicencesAdapter::set_ev_fee,
        LicencesAdapter::set_ev_receipt,
        LicencesAdapter::set_ev_reason,
        LicencesAdapter::set_e_event,
        LicencesAdapter::set_sup_name,
        LicencesAdapter::set_sup_national_id,
        LicencesAdapter::set_e_supporter,
    ] {
        set(&a, SharedString::new());
    }
}

/// Reads the event fields into an event of `kind` for `l`, or says which field is wrong.
fn event_from_form(
    a: &LicencesAdapter,
    l: &Licence,
    kind: LicenceEventKind,
) -> Result<LicenceEvent, String> {
    let on: NaiveDate = forms::date(&a.get_ev_on()).map_err(|e| tr!("Effective on: {}", e))?;
    let grants = matches!(kind, LicenceEventKind::Renewed);
    let until = if grants {
        Some(forms::date(&a.get_ev_until()).map_err(|e| tr!("Renew until: {}", e))?)
    } else {
        None
    };
    let fee_text = a.get_ev_fee();
    let fee_cents = if grants && !fee_text.trim().is_empty() {
        Some(forms::usd(&fee_text).map_err(|e| tr!("Fee: {}", e))?)
    } else {
        None
    };
    Ok(LicenceEvent {
        id: LicenceEventId::new(),
        licence_id: l.id,
        kind,
        on,
        until,
        fee_cents,
        receipt: if grants {
            a.get_ev_receipt().trim().to_string()
        } else {
            String::new()
        },
        reason: a.get_ev_reason().trim().to_string(),
    })
}

/// The form's name of an event field, for the reasons shown under the fields.
fn field_label(field: &str) -> String {
    match field {
        "on" => tr!("Effective on"),
        "until" => tr!("Renew until"),
        "fee_usd" => tr!("Renewal fee"),
        "receipt" => tr!("Renewal receipt"),
        "reason" => tr!("Reason"),
        other => other.to_string(),
    }
}

/// Records an event of `kind` for `l` from the event fields; true when it was written.
pub fn record_event(app: &AppWindow, ctx: &Ctx, l: &Licence, kind: LicenceEventKind) -> bool {
    let a = app.global::<LicencesAdapter>();
    let event = match event_from_form(&a, l, kind) {
        Ok(e) => e,
        Err(why) => {
            a.set_e_event(why.into());
            return false;
        }
    };
    match ctx
        .store
        .borrow_mut()
        .write(|w| w.add_licence_event(&event))
    {
        Ok(()) => true,
        Err(StoreError::Invalid(inv)) => {
            let why: Vec<String> = inv
                .0
                .iter()
                // The rule's words stay as the server says them; only the field's name is translated.
                .map(|e| {
                    tr!(
                        "{field} {message}",
                        field = field_label(e.field),
                        message = e.message
                    )
                })
                .collect();
            a.set_e_event(why.join("; ").into());
            false
        }
        Err(e) => {
            a.set_e_event(forms::capitalise(&e.to_string()).into());
            false
        }
    }
}

/// Names the supporter typed in the supporter fields on `l`; true when it was written.
pub fn add_supporter(app: &AppWindow, ctx: &Ctx, l: &Licence) -> bool {
    let a = app.global::<LicencesAdapter>();
    let s = Supporter {
        id: SupporterId::new(),
        licence_id: l.id,
        digger_id: None,
        full_name: a.get_sup_name().trim().to_string(),
        national_id: a.get_sup_national_id().trim().to_string(),
    };
    match ctx.store.borrow_mut().write(|w| w.put_supporter(&s)) {
        Ok(()) => true,
        Err(e) => {
            a.set_e_supporter(forms::capitalise(&e.to_string()).into());
            false
        }
    }
}

/// The issue event of a licence issued on this page, with its fee when one was typed.
pub fn issue_event(l: &Licence, fee_text: &str) -> Result<LicenceEvent, String> {
    let fee_cents = if fee_text.trim().is_empty() {
        None
    } else {
        Some(forms::usd(fee_text).map_err(|e| tr!("Issue fee: {}", e))?)
    };
    Ok(LicenceEvent {
        id: LicenceEvent::issue_id(l.id),
        licence_id: l.id,
        kind: LicenceEventKind::Issued,
        on: l.issued_on,
        until: Some(l.expires_on),
        fee_cents,
        receipt: l.fee_receipt.clone(),
        reason: String::new(),
    })
}
