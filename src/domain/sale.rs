//! Sale slips in the chain of custody: first sale, resale, export. Append-only.

use super::{Centicarats, Cents, Invalid, LicenceId, ProductionId, SaleId, SaleKind, check_text};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One sale slip (bordereau) or export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sale {
    pub id: SaleId,
    pub slip_number: String,
    pub day: NaiveDate,
    pub seller_licence_id: LicenceId,
    /// The buying dealer's or exporter's licence; empty for an export.
    pub buyer_licence_id: Option<LicenceId>,
    pub weight: Centicarats,
    pub stone_count: u32,
    pub price: Cents,
    /// Production entries a first sale draws on.
    pub production_ids: Vec<ProductionId>,
    pub kind: SaleKind,
    /// KP certificate number of an export.
    pub certificate_number: String,
    /// ISO 3166-1 alpha-2 destination of an export.
    pub destination_country: String,
}

impl Sale {
    /// Checks the record's own rules.
    pub fn validate(&self, today: NaiveDate) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        check_text(&mut e, "slip_number", &self.slip_number, true, 40);
        if self.day > today.succ_opt().unwrap_or(today) {
            e.push("day", format!("{} is in the future", self.day));
        }
        if self.weight.0 <= 0 {
            e.push("carats", "must be more than 0");
        }
        if self.stone_count == 0 {
            e.push("stone_count", "must be at least 1");
        }
        if self.price.0 < 0 {
            e.push("price_usd", "must not be negative");
        }
        if self.buyer_licence_id == Some(self.seller_licence_id) {
            e.push("buyer_licence_id", "is the seller's own licence");
        }
        match self.kind {
            SaleKind::Export => {
                if self.buyer_licence_id.is_some() {
                    e.push("buyer_licence_id", "must be empty for an export");
                }
                check_text(
                    &mut e,
                    "certificate_number",
                    &self.certificate_number,
                    true,
                    40,
                );
                let c = &self.destination_country;
                if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
                    e.push(
                        "destination_country",
                        format!("{c:?} is not an ISO 3166 two-letter code"),
                    );
                }
            }
            SaleKind::FirstSale | SaleKind::Resale => {
                if self.buyer_licence_id.is_none() {
                    e.push("buyer_licence_id", "is required");
                }
                if !self.certificate_number.is_empty() || !self.destination_country.is_empty() {
                    e.push(
                        "certificate_number",
                        "only exports carry a certificate and destination",
                    );
                }
            }
        }
        e.into_result()
    }
}
