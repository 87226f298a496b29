//! Dated licence events: issued, renewed, suspended, reinstated, revoked. Append-only.
//!
//! A licence's standing on a day is what its events say on that day (see
//! [`super::LicenceHistory`]), so a renewal never rewrites the past: production during a lapse
//! stays out of licence after the renewal, and a suspension from June leaves March alone. An
//! event is never edited; a mistaken suspension is ended by a reinstatement, which the history
//! shows beside it.
//!
//! The issue of a licence carries the licence's own id, so a licence is issued once however
//! many devices record it, and sync keeps one copy.

use super::{Cents, Invalid, LicenceEventId, LicenceEventKind, LicenceId, check_text};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Longest term an issue or a renewal may grant, in days (as for a licence's own dates).
pub const MAX_TERM_DAYS: i64 = 366 * 10;

/// Longest reason given for a suspension or revocation, in characters.
pub const MAX_EVENT_REASON: usize = 500;

/// One dated event of a licence. Field names are protocol; do not rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenceEvent {
    pub id: LicenceEventId,
    pub licence_id: LicenceId,
    pub kind: LicenceEventKind,
    /// The day the event takes effect.
    pub on: NaiveDate,
    /// The last day of the term an issue or renewal grants; empty for the other kinds.
    pub until: Option<NaiveDate>,
    /// The fee paid for an issue or renewal, in US cents.
    pub fee_cents: Option<Cents>,
    /// Receipt number of the fee paid.
    pub receipt: String,
    /// Why a licence was suspended, reinstated or revoked.
    pub reason: String,
}

impl LicenceEvent {
    /// The id an issue event of `licence` has: the licence's own (a licence is issued once).
    pub fn issue_id(licence: LicenceId) -> LicenceEventId {
        LicenceEventId(licence.0)
    }

    /// Whether the event grants a term (issue or renewal).
    pub fn grants_term(&self) -> bool {
        matches!(
            self.kind,
            LicenceEventKind::Issued | LicenceEventKind::Renewed
        )
    }

    /// Checks the event's own rules (that its licence exists and was issued by then is the
    /// record rules' to check, in `rules::licence_event`).
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        check_text(&mut e, "receipt", &self.receipt, false, 60);
        check_text(&mut e, "reason", &self.reason, false, MAX_EVENT_REASON);
        if let Some(fee) = self.fee_cents
            && fee.0 < 0
        {
            e.push("fee_usd", "must not be negative");
        }
        let kind = self.kind;
        if self.grants_term() {
            match self.until {
                None => e.push("until", format!("is required for a licence {kind} event")),
                Some(until) if until < self.on => e.push(
                    "until",
                    format!(
                        "{until} is before {}, the day the {} takes effect",
                        self.on,
                        term_word(kind)
                    ),
                ),
                Some(until) if (until - self.on).num_days() > MAX_TERM_DAYS => e.push(
                    "until",
                    "is more than 10 years after the day it takes effect",
                ),
                Some(_) => {}
            }
        } else {
            if self.until.is_some() {
                e.push("until", format!("must be empty for a {kind} event"));
            }
            if self.fee_cents.is_some() {
                e.push("fee_usd", format!("must be empty for a {kind} event"));
            }
        }
        match kind {
            LicenceEventKind::Renewed => {
                if self.fee_cents.is_none() {
                    e.push("fee_usd", "is required for a renewal (the fee paid)");
                }
                if self.receipt.trim().is_empty() {
                    e.push(
                        "receipt",
                        "is required for a renewal (the fee's receipt number)",
                    );
                }
            }
            LicenceEventKind::Suspended | LicenceEventKind::Revoked => {
                if self.reason.trim().is_empty() {
                    e.push("reason", format!("is required when a licence is {kind}"));
                }
            }
            LicenceEventKind::Issued => {
                if self.id != Self::issue_id(self.licence_id) {
                    e.push(
                        "id",
                        "an issue event carries its licence's id (a licence is issued once; a new term is a renewal)",
                    );
                }
            }
            LicenceEventKind::Reinstated => {}
        }
        e.into_result()
    }
}

fn term_word(kind: LicenceEventKind) -> &'static str {
    match kind {
        LicenceEventKind::Issued => "issue",
        _ => "renewal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn renewal() -> LicenceEvent {
        LicenceEvent {
            id: LicenceEventId::new(),
            licence_id: LicenceId::new(),
            kind: LicenceEventKind::Renewed,
            on: d(2027, 1, 10),
            until: Some(d(2028, 1, 9)),
            fee_cents: Some(Cents(5_000)),
            receipt: "R-7".into(),
            reason: String::new(),
        }
    }

    #[test]
    fn event_rules_each_name_their_field() {
        assert_eq!(renewal().validate(), Ok(()));
        type Change = Box<dyn Fn(&mut LicenceEvent)>;
        let cases: Vec<(Change, &str, &str)> = vec![
            (
                Box::new(|e| e.until = Some(d(2026, 12, 1))),
                "until",
                "before 2027-01-10",
            ),
            (Box::new(|e| e.until = None), "until", "required"),
            (Box::new(|e| e.fee_cents = None), "fee_usd", "required"),
            (Box::new(|e| e.receipt = " ".into()), "receipt", "required"),
            (
                Box::new(|e| e.fee_cents = Some(Cents(-1))),
                "fee_usd",
                "negative",
            ),
            (
                Box::new(|e| {
                    e.kind = LicenceEventKind::Suspended;
                    e.until = None;
                    e.fee_cents = None;
                }),
                "reason",
                "required",
            ),
            (
                Box::new(|e| {
                    e.kind = LicenceEventKind::Reinstated;
                    e.fee_cents = None;
                }),
                "until",
                "must be empty",
            ),
            (
                Box::new(|e| e.kind = LicenceEventKind::Issued),
                "id",
                "licence's id",
            ),
        ];
        for (change, field, why) in cases {
            let mut e = renewal();
            change(&mut e);
            let err = e.validate().unwrap_err();
            let msg = err
                .for_field(field)
                .unwrap_or_else(|| panic!("{field}: {err}"));
            assert!(msg.contains(why), "{field}: {msg}");
        }
        let mut issue = renewal();
        issue.kind = LicenceEventKind::Issued;
        issue.id = LicenceEvent::issue_id(issue.licence_id);
        issue.fee_cents = None;
        issue.receipt.clear();
        assert_eq!(issue.validate(), Ok(()), "an issue's fee is optional");
    }
}
