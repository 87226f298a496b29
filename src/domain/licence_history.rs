//! A licence's standing on any day, replayed from its dated events.
//!
//! The history of a licence is its stored events, oldest first. A licence that has no stored
//! `issued` event — one registered before histories were kept, imported from a file with only
//! `status`/`expires_on`, or synced from a device that does not record events — is read as
//! one `issued` event on its `issued_on` until its `expires_on`, plus a `suspended` or
//! `revoked` event from the same day when its status says so (the date of that act was never
//! recorded, so it covers the whole term, as the status alone always did). Those implied events
//! are not stored: every device reads the same record the same way, and a real history
//! arriving later takes their place.
//!
//! Replaying up to a day: an issue or a renewal sets the last valid day to its `until`; a
//! suspension holds until a reinstatement; a revocation is final. Events of the same day apply
//! in the order they were made (their ids are time-ordered), the issue first.

use super::licence::EXPIRY_WARNING_DAYS;
use super::{
    Cents, Licence, LicenceEvent, LicenceEventKind, LicenceId, LicenceStanding, LicenceStatus,
};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::HashMap;

/// One event of a history, and whether it is read from the licence record rather than stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEvent {
    pub event: LicenceEvent,
    /// Read from the licence's own dates and status (see the module documentation).
    pub implied: bool,
}

/// One event as `licence history --format json` prints it. Field names are the CLI contract;
/// do not rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryLine {
    pub kind: LicenceEventKind,
    pub on: NaiveDate,
    pub until: Option<NaiveDate>,
    /// The fee as a decimal of two places (`"50.00"`), or null.
    pub fee_usd: Option<String>,
    pub receipt: String,
    pub reason: String,
}

impl From<&HistoryEvent> for HistoryLine {
    fn from(h: &HistoryEvent) -> Self {
        HistoryLine {
            kind: h.event.kind,
            on: h.event.on,
            until: h.event.until,
            fee_usd: h.event.fee_cents.map(|c| c.to_string()),
            receipt: h.event.receipt.clone(),
            reason: h.event.reason.clone(),
        }
    }
}

/// A licence's events in the order they apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenceHistory {
    events: Vec<HistoryEvent>,
}

/// What the events up to a day say.
#[derive(Debug, Clone, Copy, Default)]
struct Term {
    issued: bool,
    until: Option<NaiveDate>,
    suspended: bool,
    revoked: bool,
}

impl LicenceHistory {
    /// The history of `licence` from its stored events (any order; events of other licences
    /// are ignored).
    pub fn new(licence: &Licence, stored: &[LicenceEvent]) -> LicenceHistory {
        let mut events: Vec<HistoryEvent> = stored
            .iter()
            .filter(|e| e.licence_id == licence.id)
            .map(|e| HistoryEvent {
                event: e.clone(),
                implied: false,
            })
            .collect();
        if !events
            .iter()
            .any(|h| h.event.kind == LicenceEventKind::Issued)
        {
            events.extend(
                implied_events(licence)
                    .into_iter()
                    .map(|event| HistoryEvent {
                        event,
                        implied: true,
                    }),
            );
        }
        events.sort_by(|a, b| {
            let key = |h: &HistoryEvent| {
                (
                    h.event.on,
                    h.event.kind != LicenceEventKind::Issued,
                    !h.implied,
                    h.event.id,
                )
            };
            key(a).cmp(&key(b))
        });
        LicenceHistory { events }
    }

    /// The events, oldest first.
    pub fn events(&self) -> &[HistoryEvent] {
        &self.events
    }

    /// The events as the CLI and the Licences page list them, oldest first.
    pub fn lines(&self) -> Vec<HistoryLine> {
        self.events.iter().map(HistoryLine::from).collect()
    }

    fn term_on(&self, day: NaiveDate) -> Term {
        let mut t = Term::default();
        for h in self.events.iter().take_while(|h| h.event.on <= day) {
            if t.revoked {
                break;
            }
            match h.event.kind {
                LicenceEventKind::Issued | LicenceEventKind::Renewed => {
                    t.issued = true;
                    t.until = h.event.until;
                }
                LicenceEventKind::Suspended => t.suspended = true,
                LicenceEventKind::Reinstated => t.suspended = false,
                LicenceEventKind::Revoked => t.revoked = true,
            }
        }
        t
    }

    /// How the licence stands on `day`.
    pub fn standing_on(&self, day: NaiveDate) -> LicenceStanding {
        let t = self.term_on(day);
        if !t.issued {
            return LicenceStanding::NotYetValid;
        }
        if t.revoked {
            return LicenceStanding::Revoked;
        }
        if t.suspended {
            return LicenceStanding::Suspended;
        }
        match t.until {
            Some(until) if day <= until => {
                let left = (until - day).num_days();
                if left <= EXPIRY_WARNING_DAYS {
                    LicenceStanding::Expiring(left)
                } else {
                    LicenceStanding::Active
                }
            }
            _ => LicenceStanding::Expired,
        }
    }

    /// The last valid day of the term in force on `day` (`None` before the issue). It may be
    /// before `day` when the licence had lapsed by then.
    pub fn valid_until_on(&self, day: NaiveDate) -> Option<NaiveDate> {
        self.term_on(day).until
    }

    /// The last valid day of the newest term recorded, whatever the day.
    pub fn latest_until(&self) -> Option<NaiveDate> {
        self.events
            .iter()
            .filter(|h| h.event.grants_term())
            .filter_map(|h| h.event.until)
            .next_back()
    }

    /// The fees recorded, with the events that paid them.
    pub fn fees(&self) -> impl Iterator<Item = (&LicenceEvent, Cents)> {
        self.events
            .iter()
            .filter_map(|h| h.event.fee_cents.map(|c| (&h.event, c)))
    }
}

/// The events a licence record stands for when no issue of it is stored.
pub fn implied_events(licence: &Licence) -> Vec<LicenceEvent> {
    let issue = LicenceEvent {
        id: LicenceEvent::issue_id(licence.id),
        licence_id: licence.id,
        kind: LicenceEventKind::Issued,
        on: licence.issued_on,
        until: Some(licence.expires_on),
        fee_cents: None,
        receipt: licence.fee_receipt.clone(),
        reason: String::new(),
    };
    let act = match licence.status {
        LicenceStatus::Suspended => Some(LicenceEventKind::Suspended),
        LicenceStatus::Revoked => Some(LicenceEventKind::Revoked),
        LicenceStatus::Active | LicenceStatus::Expired => None,
    };
    let mut out = vec![issue.clone()];
    if let Some(kind) = act {
        out.push(LicenceEvent {
            kind,
            until: None,
            receipt: String::new(),
            reason: "status recorded on the licence before its history was kept".into(),
            ..issue
        });
    }
    out
}

/// The histories of many licences, for checks that ask about a licence on each record's day.
#[derive(Debug, Clone, Default)]
pub struct LicenceBook {
    histories: HashMap<LicenceId, LicenceHistory>,
}

impl LicenceBook {
    /// Builds every licence's history from the stored events of all of them.
    pub fn new(licences: &[Licence], events: &[LicenceEvent]) -> LicenceBook {
        let mut by_licence: HashMap<LicenceId, Vec<LicenceEvent>> = HashMap::new();
        for e in events {
            by_licence.entry(e.licence_id).or_default().push(e.clone());
        }
        let histories = licences
            .iter()
            .map(|l| {
                let stored = by_licence.get(&l.id).map_or(&[][..], Vec::as_slice);
                (l.id, LicenceHistory::new(l, stored))
            })
            .collect();
        LicenceBook { histories }
    }

    /// The history of a licence in the book.
    pub fn history(&self, id: LicenceId) -> Option<&LicenceHistory> {
        self.histories.get(&id)
    }

    /// How licence `id` stands on `day` (`None`: not in the book).
    pub fn standing_on(&self, id: LicenceId, day: NaiveDate) -> Option<LicenceStanding> {
        self.histories.get(&id).map(|h| h.standing_on(day))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DiggerId, LicenceEventId, LicenceKind};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn licence(status: LicenceStatus) -> Licence {
        Licence {
            id: LicenceId::new(),
            number: "KONO/AM/2026/0001".into(),
            kind: LicenceKind::ArtisanalMining,
            holder_digger_id: Some(DiggerId::new()),
            holder_name: String::new(),
            region: "SL-KONO".into(),
            issued_on: d(2026, 1, 10),
            expires_on: d(2026, 12, 31),
            status,
            area: None,
            fee_receipt: "R-1".into(),
        }
    }

    fn event(l: &Licence, kind: LicenceEventKind, on: NaiveDate) -> LicenceEvent {
        LicenceEvent {
            id: LicenceEventId::new(),
            licence_id: l.id,
            kind,
            on,
            until: None,
            fee_cents: None,
            receipt: String::new(),
            reason: "inspection".into(),
        }
    }

    fn renewal(l: &Licence, on: NaiveDate, until: NaiveDate) -> LicenceEvent {
        LicenceEvent {
            until: Some(until),
            fee_cents: Some(Cents(5_000)),
            receipt: "R-2".into(),
            reason: String::new(),
            ..event(l, LicenceEventKind::Renewed, on)
        }
    }

    use LicenceStanding::*;

    #[test]
    fn a_renewal_does_not_cover_the_lapse_before_it() {
        let l = licence(LicenceStatus::Active);
        let h = LicenceHistory::new(&l, &[renewal(&l, d(2027, 3, 1), d(2028, 2, 28))]);
        let cases = [
            (d(2026, 1, 9), NotYetValid),
            (d(2026, 6, 1), Active),
            (d(2026, 12, 21), Expiring(10)),
            (d(2027, 2, 1), Expired),
            (d(2027, 3, 1), Active),
            (d(2028, 3, 1), Expired),
        ];
        for (day, want) in cases {
            assert_eq!(h.standing_on(day), want, "{day}");
        }
        assert_eq!(h.valid_until_on(d(2027, 2, 1)), Some(d(2026, 12, 31)));
        assert_eq!(h.valid_until_on(d(2027, 3, 1)), Some(d(2028, 2, 28)));
        assert_eq!(h.latest_until(), Some(d(2028, 2, 28)));
        assert_eq!(h.events().len(), 2);
        assert!(h.events()[0].implied);
    }

    #[test]
    fn suspension_from_june_then_reinstatement() {
        let l = licence(LicenceStatus::Active);
        let stored = [
            event(&l, LicenceEventKind::Reinstated, d(2026, 8, 1)),
            event(&l, LicenceEventKind::Suspended, d(2026, 6, 1)),
        ];
        let h = LicenceHistory::new(&l, &stored);
        let cases = [
            (d(2026, 3, 15), Active),
            (d(2026, 5, 31), Active),
            (d(2026, 6, 1), Suspended),
            (d(2026, 7, 31), Suspended),
            (d(2026, 8, 1), Active),
        ];
        for (day, want) in cases {
            assert_eq!(h.standing_on(day), want, "{day}");
        }
        let kinds: Vec<_> = h.lines().iter().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            [
                LicenceEventKind::Issued,
                LicenceEventKind::Suspended,
                LicenceEventKind::Reinstated
            ]
        );
    }

    #[test]
    fn a_revocation_is_final() {
        let l = licence(LicenceStatus::Active);
        let stored = [
            event(&l, LicenceEventKind::Revoked, d(2026, 4, 1)),
            event(&l, LicenceEventKind::Reinstated, d(2026, 5, 1)),
            renewal(&l, d(2026, 6, 1), d(2027, 6, 1)),
        ];
        let h = LicenceHistory::new(&l, &stored);
        assert_eq!(h.standing_on(d(2026, 3, 31)), Active);
        assert_eq!(h.standing_on(d(2026, 4, 1)), Revoked);
        assert_eq!(h.standing_on(d(2026, 7, 1)), Revoked);
    }

    #[test]
    fn a_record_without_history_reads_as_its_issue_and_status() {
        let cases = [
            (LicenceStatus::Active, d(2026, 3, 1), Active),
            (LicenceStatus::Suspended, d(2026, 3, 1), Suspended),
            (LicenceStatus::Revoked, d(2026, 3, 1), Revoked),
            // An "expired" status never said since when: the dates do.
            (LicenceStatus::Expired, d(2026, 3, 1), Active),
            (LicenceStatus::Expired, d(2027, 1, 1), Expired),
        ];
        for (status, day, want) in cases {
            let l = licence(status);
            assert_eq!(
                LicenceHistory::new(&l, &[]).standing_on(day),
                want,
                "{status}"
            );
            assert_eq!(l.standing_on(day), want, "{status}");
        }
    }

    #[test]
    fn a_stored_issue_replaces_the_record_s_terms() {
        let l = licence(LicenceStatus::Suspended);
        let issue = LicenceEvent {
            id: LicenceEvent::issue_id(l.id),
            until: Some(d(2026, 12, 31)),
            ..event(&l, LicenceEventKind::Issued, d(2026, 1, 10))
        };
        let h = LicenceHistory::new(&l, &[issue]);
        assert_eq!(h.events().len(), 1);
        assert_eq!(h.standing_on(d(2026, 3, 1)), Active);
        let book = LicenceBook::new(std::slice::from_ref(&l), &[]);
        assert_eq!(book.standing_on(l.id, d(2026, 3, 1)), Some(Suspended));
        assert_eq!(book.standing_on(LicenceId::new(), d(2026, 3, 1)), None);
    }
}
