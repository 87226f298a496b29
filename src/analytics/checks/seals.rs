//! Sealed bags. A production entry names the seal of the bag its stones were sealed in at the
//! pit; a slip lists the seals of the bags it moves. A bag is *open* — sealed and not yet moved
//! — from its production day until the first slip that lists its seal. Three findings:
//!
//! * `seal_in_two_open_bags`: a seal number on a production entry while an earlier bag with the
//!   same number is still open (seals are single-use; the same number on two bags at once means
//!   a copied or forged seal). The later entry is flagged.
//! * `seal_never_sealed`: a slip lists a seal that no current production entry recorded on or
//!   before the slip's day — a bag that was never sealed at a pit here.
//! * `seal_without_its_carats`: a slip moves sealed bags but declares fewer carats than were
//!   sealed in them (a sealed bag moves whole; stones left the bag on the way).
//!
//! Each reads current production versions and their stones only (a correction's seal is the
//! one that counts), so a corrected entry does not open a second bag.

use super::{CheckData, Flag, FlagKind, Severity};
use crate::analytics::StoneFact;
use crate::domain::{Centicarats, ProductionEntry, ProductionId};
use crate::note;
use serde_json::json;
use std::collections::HashMap;

/// One sealed bag: its entry, day and the carats sealed in it.
struct Bag<'a> {
    entry: &'a ProductionEntry,
    carats: i64,
}

/// The seal checks (see the module documentation).
pub(super) fn seal_checks(
    data: &CheckData,
    stones_of: &HashMap<ProductionId, Vec<&StoneFact>>,
    flags: &mut Vec<Flag>,
) {
    let mut bags: HashMap<&str, Vec<Bag>> = HashMap::new();
    for e in data.production.iter().filter(|e| !e.seal.is_empty()) {
        let carats = stones_of
            .get(&e.id)
            .map_or(0, |s| s.iter().map(|f| f.weight.0).sum());
        bags.entry(e.seal.as_str())
            .or_default()
            .push(Bag { entry: e, carats });
    }
    for list in bags.values_mut() {
        list.sort_by_key(|b| (b.entry.day, b.entry.id));
    }
    // The day each seal was first moved by a slip.
    let mut moved: HashMap<&str, chrono::NaiveDate> = HashMap::new();
    for s in &data.sales {
        for seal in &s.seals {
            let day = moved.entry(seal.as_str()).or_insert(s.day);
            *day = (*day).min(s.day);
        }
    }

    for (seal, list) in &bags {
        for pair in list.windows(2) {
            let (first, later) = (&pair[0], &pair[1]);
            let still_open = moved.get(seal).is_none_or(|&d| d > later.entry.day);
            if still_open {
                let note = note!(
                    "seal {} on {} is already on the bag of {} (production {}), not yet moved by any slip",
                    seal.to_string(),
                    later.entry.day,
                    first.entry.day,
                    first.entry.id.to_string()
                );
                flags.push(
                    Flag::new(
                        FlagKind::SealInTwoOpenBags,
                        later.entry.id.0,
                        Severity::Breach,
                        json!({
                            "message": note.english(),
                            "seal": seal,
                            "day": later.entry.day,
                            "earlier_production_id": first.entry.id,
                            "earlier_day": first.entry.day,
                        }),
                    )
                    .with_note(note),
                );
            }
        }
    }

    for s in &data.sales {
        let (mut sealed, mut unknown) = (0i64, Vec::new());
        let mut found = Vec::new();
        for seal in &s.seals {
            // The latest bag with that number sealed on or before the slip's day.
            match bags
                .get(seal.as_str())
                .and_then(|l| l.iter().rev().find(|b| b.entry.day <= s.day))
            {
                Some(b) => {
                    sealed += b.carats;
                    found.push(json!({"seal": seal, "production_id": b.entry.id, "carats": Centicarats(b.carats).to_string()}));
                }
                None => unknown.push(seal.as_str()),
            }
        }
        if !unknown.is_empty() {
            let note = note!(
                "slip {} of {} moves seal {} that no production entry sealed on or before that day",
                &s.slip_number,
                s.day,
                unknown.join(", ")
            );
            flags.push(
                Flag::new(
                    FlagKind::SealNeverSealed,
                    s.id.0,
                    Severity::Breach,
                    json!({
                        "message": note.english(),
                        "entity": "sales",
                        "slip_number": s.slip_number,
                        "day": s.day,
                        "seals": unknown,
                    }),
                )
                .with_note(note),
            );
        }
        if sealed > s.weight.0 {
            let note = note!(
                "slip {} of {} declares {} ct but the bags it moves were sealed with {} ct",
                &s.slip_number,
                s.day,
                s.weight,
                Centicarats(sealed)
            );
            flags.push(
                Flag::new(
                    FlagKind::SealWithoutItsCarats,
                    s.id.0,
                    Severity::Breach,
                    json!({
                        "message": note.english(),
                        "entity": "sales",
                        "slip_number": s.slip_number,
                        "day": s.day,
                        "carats": s.weight.to_string(),
                        "sealed_carats": Centicarats(sealed).to_string(),
                        "bags": found,
                    }),
                )
                .with_note(note),
            );
        }
    }
}
