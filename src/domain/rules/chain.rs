//! The chain-of-custody rules of a sale slip that need other records.
//!
//! Refused (nothing stored): a seller, buyer, production entry or source slip that is not on
//! record; a seller whose licence is not of the kind the slip needs (a first sale is sold by an
//! artisanal mining licence, a resale by a dealer, an export or an import by an exporter); a
//! first sale drawing on another licence's production; a resale or export drawing on a slip its
//! seller did not buy (or import), on an export, or on a later slip. Stored but flagged by the anomaly checks: a buyer
//! of the wrong kind or not in good standing on the day, a slip without production, and every
//! mass-balance excess — a slip that breaks those is still a fact worth keeping.

use super::{Placed, RecordLookup, Refusal, RuleError, licence_facts, new_record};
use crate::domain::{Invalid, RecordKind, Sale, SaleKind};
use chrono::NaiveDate;

/// A sale slip's own rules and its links to the seller, buyer, production and sources.
pub fn sale<L: RecordLookup>(
    s: &Sale,
    today: NaiveDate,
    lookup: &L,
) -> Result<Placed, RuleError<L::Error>> {
    s.validate(today)?;
    new_record(lookup, RecordKind::Sale, &s.id.to_string())?;
    let seller = licence_facts(lookup, "seller_licence_id", s.seller_licence_id)?;
    let mut invalid = Invalid::default();
    if seller.kind != s.seller_kind() {
        invalid.push(
            "seller_licence_id",
            format!(
                "licence {} is a {} licence; the seller of a {} must hold a {} licence",
                seller.number,
                seller.kind,
                s.kind,
                s.seller_kind()
            ),
        );
    }
    if let Some(b) = s.buyer_licence_id {
        licence_facts(lookup, "buyer_licence_id", b)?;
    }
    for p in &s.production_ids {
        let entry = lookup
            .production(*p)
            .map_err(RuleError::Lookup)?
            .ok_or_else(|| Refusal::Missing(format!("production entry {p} is not known")))?;
        if s.kind == SaleKind::FirstSale && entry.licence_id != s.seller_licence_id {
            invalid.push(
                "production_ids",
                format!(
                    "production entry {p} was found under another licence than the seller's {}",
                    seller.number
                ),
            );
        }
    }
    for src in &s.source_sale_ids {
        let source = lookup
            .sale(*src)
            .map_err(RuleError::Lookup)?
            .ok_or_else(|| Refusal::Missing(format!("source slip {src} is not known")))?;
        if source.kind == SaleKind::Export {
            invalid.push(
                "source_sale_ids",
                format!("slip {src} is an export: exported goods cannot be sold again"),
            );
        } else if source.buyer_licence_id != Some(s.seller_licence_id) {
            invalid.push(
                "source_sale_ids",
                format!(
                    "slip {src} was not bought or imported by the seller {}",
                    seller.number
                ),
            );
        } else if source.day > s.day {
            invalid.push(
                "source_sale_ids",
                format!(
                    "slip {src} of {} is later than this slip of {}",
                    source.day, s.day
                ),
            );
        }
    }
    invalid.into_result()?;
    Ok(Placed::under(seller.region, s.seller_licence_id))
}
