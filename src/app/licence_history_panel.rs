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
use crate::store::StoreError;
use chrono::{Duration, NaiveDate};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

/// How a history event reads in the list: its kind, then its term, fee, receipt and reason.
pub fn event_line(e: &LicenceEvent, implied: bool) -> HistoryRow {
    let mut detail = Vec::new();
    if let Some(u) = e.until {
        detail.push(format!("until {u}"));
    }
    if let Some(f) = e.fee_cents {
        detail.push(format!("fee {f} USD"));
    }
    if !e.receipt.is_empty() {
        detail.push(format!("receipt {}", e.receipt));
    }
    if !e.reason.is_empty() {
        detail.push(e.reason.clone());
    }
    if implied {
        detail.push("(from the licence record)".into());
    }
    HistoryRow {
        day: e.on.to_string().into(),
        kind: e.kind.as_str().into(),
        detail: detail.join(" · ").into(),
    }
}

/// The fees of a history, summed, as the page shows them.
pub fn fees_text(h: &LicenceHistory) -> String {
    let (n, total) = h.fees().fold((0, 0i64), |(n, t), (_, c)| (n + 1, t + c.0));
    match n {
        0 => "No fee recorded".into(),
        1 => format!("1 fee paid, {} USD", Cents(total)),
        n => format!("{n} fees paid, {} USD in all", Cents(total)),
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
    a.set_ev_on(today.to_string().into());
    a.set_ev_until(next_until.to_string().into());
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
    let on: NaiveDate = forms::date(&a.get_ev_on()).map_err(|e| format!("Effective on: {e}"))?;
    let grants = matches!(kind, LicenceEventKind::Renewed);
    let until = if grants {
        Some(forms::date(&a.get_ev_until()).map_err(|e| format!("Renew until: {e}"))?)
    } else {
        None
    };
    let fee_text = a.get_ev_fee();
    let fee_cents = if grants && !fee_text.trim().is_empty() {
        Some(forms::usd(&fee_text).map_err(|e| format!("Fee: {e}"))?)
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
fn field_label(field: &str) -> &str {
    match field {
        "on" => "Effective on",
        "until" => "Renew until",
        "fee_usd" => "Renewal fee",
        "receipt" => "Renewal receipt",
        "reason" => "Reason",
        other => other,
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
                .map(|e| format!("{} {}", field_label(e.field), e.message))
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
        Some(forms::usd(fee_text).map_err(|e| format!("Issue fee: {e}"))?)
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
