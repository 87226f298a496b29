//! Mass balance, per licence, in day order: what came in (the production of its sites — current
//! versions only — the slips it bought and the goods it imported) against what went out (the slips it sold). Inflows
//! of a day count before the outflows of that day. A slip that takes the running balance below
//! zero by more than `custody_tolerance` of the inflow is flagged — `sale_exceeds_production`
//! for a first sale, `resale_exceeds_purchases` for a resale, `export_exceeds_purchases` for an
//! export — and its excess is then written off, so that the later slips of the licence are
//! judged on their own and one oversold slip raises one flag, on itself.
//!
//! Beside the balance: a first sale that names no production entry and an export that names no
//! purchase (`sale_without_production`: neither traces to any production), and a buyer whose licence
//! is missing, of the wrong kind or not standing on the sale day (replayed from the licence's
//! dated events).

use super::chain::Chain;
use crate::analytics::{Arg, CheckConfig, CheckData, Flag, FlagKind, Severity};
use crate::domain::{Centicarats, Licence, LicenceBook, LicenceId, Sale, SaleKind};
use crate::note;
use chrono::NaiveDate;
use serde_json::json;
use std::collections::HashMap;

/// One movement of goods in or out of a licence's stock.
enum Move<'a> {
    Produced(i64),
    Bought(&'a Sale),
    Sold(&'a Sale),
}

/// The chain-of-custody checks: mass balance, slips without production, unlicensed buyers.
pub(in crate::analytics) fn custody_checks(
    data: &CheckData,
    config: &CheckConfig,
    flags: &mut Vec<Flag>,
) {
    let chain = Chain::new(data);
    // The buyer's standing is asked on the slip's own day, from the licence's history.
    let book = LicenceBook::new(&data.licences, &data.licence_events);
    let standing = |l: &Licence, day: NaiveDate| {
        book.history(l.id)
            .map_or_else(|| l.standing_on(day), |h| h.standing_on(day))
    };
    // Every movement of every licence, by day; inflows of a day before its outflows.
    let mut moves: HashMap<LicenceId, Vec<(NaiveDate, u8, uuid::Uuid, Move)>> = HashMap::new();
    for (id, y) in &chain.yields {
        if let (Some(l), Some(day)) = (y.licence, y.day) {
            moves
                .entry(l)
                .or_default()
                .push((day, 0, id.0, Move::Produced(y.centicarats)));
        }
    }
    for s in &data.sales {
        if let Some(b) = s.holder() {
            moves
                .entry(b)
                .or_default()
                .push((s.day, 0, s.id.0, Move::Bought(s)));
        }
        if s.kind != SaleKind::Import {
            moves
                .entry(s.seller_licence_id)
                .or_default()
                .push((s.day, 1, s.id.0, Move::Sold(s)));
        }
    }
    for (licence, mut list) in moves {
        list.sort_by_key(|(day, order, id, _)| (*day, *order, *id));
        let number = chain
            .licences
            .get(&licence)
            .map_or_else(|| licence.to_string(), |l| l.number.clone());
        let (mut inflow, mut outflow) = (0i64, 0i64);
        let (mut produced, mut bought) = (0usize, 0usize);
        for (_, _, _, m) in list {
            let s = match m {
                Move::Produced(cc) => {
                    inflow += cc;
                    produced += 1;
                    continue;
                }
                Move::Bought(s) => {
                    inflow += s.weight.0;
                    bought += 1;
                    continue;
                }
                Move::Sold(s) => s,
            };
            let before = outflow;
            outflow += s.weight.0;
            let balance = inflow - outflow;
            let allowed = (inflow as f64 * config.custody_tolerance).floor() as i64;
            if balance >= -allowed {
                continue;
            }
            let (kind, what) = match s.kind {
                SaleKind::FirstSale => (FlagKind::SaleExceedsProduction, "produced"),
                SaleKind::Resale => (FlagKind::ResaleExceedsPurchases, "bought"),
                SaleKind::Export => (FlagKind::ExportExceedsPurchases, "bought"),
                // An import is an inflow, never sold from the importer's stock.
                SaleKind::Import => continue,
            };
            let listed: i64 = match s.kind {
                SaleKind::FirstSale => s
                    .production_ids
                    .iter()
                    .filter_map(|p| chain.yields.get(p))
                    .map(|y| y.centicarats)
                    .sum(),
                _ => chain.sources(s).iter().map(|x| x.weight.0).sum(),
            };
            let note = note!(
                "licence {} had {} {} ct up to {} and sold {} ct before this slip of {} ct: balance {} ct",
                number.to_string(),
                Arg::Word(what),
                Centicarats(inflow),
                s.day,
                Centicarats(before),
                s.weight,
                Centicarats(balance)
            );
            flags.push(
                Flag::new(
                    kind,
                    s.id.0,
                    Severity::Breach,
                    json!({
                        "message": note.english(),
                        "entity": "sales",
                        "licence_id": licence,
                        "licence_number": number,
                        "day": s.day,
                        "slip_number": s.slip_number,
                        "carats": s.weight.to_string(),
                        "inflow_carats": Centicarats(inflow).to_string(),
                        "production_entries_to_day": produced,
                        "purchases_to_day": bought,
                        "sold_before_carats": Centicarats(before).to_string(),
                        "balance_carats": Centicarats(balance).to_string(),
                        "production_ids": s.production_ids,
                        "source_sale_ids": s.source_sale_ids,
                        "listed_carats": Centicarats(listed).to_string(),
                        "tolerance": config.custody_tolerance,
                    }),
                )
                .with_note(note),
            );
            // Written off: later slips are judged on their own.
            outflow = inflow;
        }
    }
    for s in &data.sales {
        if s.kind == SaleKind::FirstSale && s.production_ids.is_empty() {
            let note = note!(
                "first sale {} of {} ct on {} names no production entry",
                &s.slip_number,
                s.weight,
                s.day
            );
            flags.push(
                Flag::new(
                    FlagKind::SaleWithoutProduction,
                    s.id.0,
                    Severity::Breach,
                    json!({
                        "message": note.english(),
                        "entity": "sales",
                        "slip_number": s.slip_number,
                        "seller_licence_id": s.seller_licence_id,
                        "day": s.day,
                        "carats": s.weight.to_string(),
                    }),
                )
                .with_note(note),
            );
        }
        if s.kind == SaleKind::Export && s.source_sale_ids.is_empty() {
            let note = note!(
                "export {} of {} ct on {} names no purchase it draws on: it traces to no production",
                &s.slip_number,
                s.weight,
                s.day
            );
            flags.push(
                Flag::new(
                    FlagKind::SaleWithoutProduction,
                    s.id.0,
                    Severity::Breach,
                    json!({
                        "message": note.english(),
                        "entity": "sales",
                        "slip_number": s.slip_number,
                        "seller_licence_id": s.seller_licence_id,
                        "day": s.day,
                        "carats": s.weight.to_string(),
                        "certificate_number": s.certificate_number,
                    }),
                )
                .with_note(note),
            );
        }
        if s.kind.crosses_border() {
            continue;
        }
        let Some(buyer) = s.buyer_licence_id else {
            continue;
        };
        let why = match chain.licences.get(&buyer) {
            None => Some((
                "missing",
                note!("buyer licence {} is not on record", buyer.to_string()),
            )),
            Some(l) if !s.buyer_kinds().contains(&l.kind) => Some((
                "wrong_kind",
                note!(
                    "buyer licence {} is a {} licence; a {} needs {}",
                    &l.number,
                    Arg::Word(l.kind.as_str()),
                    s.kind.to_string(),
                    s.buyer_kinds()
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            )),
            Some(l) if !standing(l, s.day).permits_work() => Some((
                "standing",
                note!(
                    "buyer licence {} is {} on {}",
                    &l.number,
                    Arg::Word(standing(l, s.day).label()),
                    s.day
                ),
            )),
            Some(_) => None,
        };
        if let Some((reason, note)) = why {
            let l = chain.licences.get(&buyer);
            let message = note.english();
            flags.push(
                Flag::new(
                    FlagKind::UnlicensedBuyer,
                    s.id.0,
                    Severity::Breach,
                    json!({
                        "message": message,
                        "entity": "sales",
                        "reason": reason,
                        "slip_number": s.slip_number,
                        "day": s.day,
                        "buyer_licence_id": buyer,
                        "buyer_licence_number": l.map(|l| l.number.clone()),
                        "buyer_kind": l.map(|l| l.kind.as_str()),
                        "buyer_standing": l.map(|l| standing(l, s.day).label()),
                        "buyer_issued_on": l.map(|l| l.issued_on),
                        "buyer_expires_on": l.map(|l| book
                            .history(l.id)
                            .and_then(|h| h.valid_until_on(s.day))
                            .unwrap_or(l.expires_on)),
                    }),
                )
                .with_note(note),
            );
        }
    }
}
