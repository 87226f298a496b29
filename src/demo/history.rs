//! A licence's dated history and its supporter, for the demo: the issue with its fee, a
//! renewal (most on time, some weeks late, which leaves a lapse the checks flag), now and then
//! a suspension, most of them reinstated weeks later, and a supporter on most artisanal
//! licences.
//!
//! Drawn from a generator of the licence's own, seeded from its id, so that adding these draws
//! leaves the region's stream — and so every other demo record — as it was.

use super::draw::pick;
use super::profile::Profile;
use crate::domain::{
    Cents, Licence, LicenceEvent, LicenceEventId, LicenceEventKind, Supporter, SupporterId,
    new_v7_at,
};
use chrono::{Datelike, Duration, NaiveDate};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Why licences get suspended in the fields, and how suspensions end.
const SUSPENSIONS: [(&str, &str); 4] = [
    ("royalties unpaid", "royalties paid"),
    (
        "digging outside the licensed plot",
        "plot boundary re-surveyed",
    ),
    ("unregistered diggers on the crew", "crew registered"),
    ("pit left open after the season", "pit backfilled"),
];

/// Annual fee of an artisanal mining licence, in US cents (per plot, one of a few rates).
const FEES_CENTS: [i64; 3] = [25_000, 30_000, 35_000];

/// What the demo draws for one licence.
pub(super) struct History {
    pub events: Vec<LicenceEvent>,
    pub supporter: Option<Supporter>,
    /// The last day of the first term (the licence record's `expires_on`).
    pub first_until: NaiveDate,
}

/// The history of `licence`, issued on its `issued_on`: `renewed` and `suspended` are the
/// region's own draws (kept from before histories existed); the production window is
/// `start..=end`.
pub(super) fn history(
    licence: &Licence,
    p: &Profile,
    renewed: bool,
    suspended: bool,
    start: NaiveDate,
    end: NaiveDate,
) -> History {
    let (hi, lo) = licence.id.0.as_u64_pair();
    let mut rng = ChaCha8Rng::seed_from_u64(hi ^ lo.rotate_left(17));
    let id = |day: NaiveDate, rng: &mut ChaCha8Rng| {
        let ms = day
            .and_hms_opt(9, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp_millis()) as u64;
        let mut bytes = [0u8; 10];
        rng.fill_bytes(&mut bytes);
        LicenceEventId(new_v7_at(ms, bytes))
    };
    let receipt = |day: NaiveDate, rng: &mut ChaCha8Rng| {
        format!("OTP-{}-{:06}", day.year(), rng.random_range(0..1_000_000))
    };
    let fee = Cents(FEES_CENTS[rng.random_range(0..FEES_CENTS.len())]);
    let first_until = licence.issued_on + Duration::days(364);
    let mut events = vec![LicenceEvent {
        id: LicenceEvent::issue_id(licence.id),
        licence_id: licence.id,
        kind: LicenceEventKind::Issued,
        on: licence.issued_on,
        until: Some(first_until),
        fee_cents: Some(fee),
        receipt: licence.fee_receipt.clone(),
        reason: String::new(),
    }];
    let mut term_end = first_until;
    if renewed {
        // Most holders renew before the old term ends; some come back weeks later.
        let late = if rng.random_bool(0.3) {
            rng.random_range(5..60)
        } else {
            0
        };
        let on = first_until + Duration::days(1 + late);
        term_end = on + Duration::days(364);
        events.push(LicenceEvent {
            id: id(on, &mut rng),
            licence_id: licence.id,
            kind: LicenceEventKind::Renewed,
            on,
            until: Some(term_end),
            fee_cents: Some(fee),
            receipt: receipt(on, &mut rng),
            reason: String::new(),
        });
    }
    let from = start.max(licence.issued_on);
    let last = end.min(term_end);
    if (suspended || rng.random_bool(0.06)) && last - from > Duration::days(30) {
        let (why, ended) = SUSPENSIONS[rng.random_range(0..SUSPENSIONS.len())];
        let on = from + Duration::days(rng.random_range(10..(last - from).num_days()));
        events.push(LicenceEvent {
            id: id(on, &mut rng),
            licence_id: licence.id,
            kind: LicenceEventKind::Suspended,
            on,
            until: None,
            fee_cents: None,
            receipt: String::new(),
            reason: why.into(),
        });
        if rng.random_bool(0.65) {
            let back = on + Duration::days(rng.random_range(14..60));
            events.push(LicenceEvent {
                id: id(back, &mut rng),
                licence_id: licence.id,
                kind: LicenceEventKind::Reinstated,
                on: back,
                until: None,
                fee_cents: None,
                receipt: String::new(),
                reason: ended.into(),
            });
        }
    }
    let supporter = rng.random_bool(0.6).then(|| {
        let mut bytes = [0u8; 10];
        rng.fill_bytes(&mut bytes);
        let ms = licence
            .issued_on
            .and_hms_opt(10, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp_millis()) as u64;
        let first = pick(&mut rng, p.first_names_male);
        let last = pick(&mut rng, p.surnames);
        Supporter {
            id: SupporterId(new_v7_at(ms, bytes)),
            licence_id: licence.id,
            digger_id: None,
            full_name: format!("Alhaji {first} {last}"),
            national_id: format!(
                "{}-S{:06}",
                &licence.region[..2],
                rng.random_range(0..1_000_000)
            ),
        }
    });
    History {
        events,
        supporter,
        first_until,
    }
}
