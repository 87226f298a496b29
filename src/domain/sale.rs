//! Sale slips in the chain of custody: first sale, resale, export, and the imports that bring
//! goods in under a KP certificate. Append-only.
//!
//! A slip names what it draws on, so that every export can be traced back to licensed
//! production: a first sale lists the seller's production entries (`production_ids`); a resale
//! or an export lists the earlier slips by which its seller bought the goods
//! (`source_sale_ids`). The record's own rules are checked here; the rules that need other
//! records (licence kinds, who bought what) are the store's at write time, and the quantities
//! (mass balance, licence standing of the buyer) are the anomaly checks' — a slip that breaks
//! them is still a fact worth keeping, so it is stored and flagged rather than refused.
//!
//! Exports and imports carry what their KP certificate declares: the HS code of the parcel
//! (never worked out from stones), the certificate number, the importer and the partner
//! country (destination of an export, origin of an import). The licence on this side of the
//! border is the slip's `seller_licence_id` for both — the exporter that ships, the importer
//! that brings in (an importer holds an exporter's licence) — and the buyer is empty.

use super::{
    Centicarats, Cents, Invalid, LicenceId, LicenceKind, ProductionId, SaleId, SaleKind,
    check_seals, check_text,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Most production entries or source slips one slip may draw on.
pub const MAX_SALE_LINKS: usize = 1_000;

/// HS code of unsorted rough diamonds.
pub const HS_UNSORTED: &str = "7102.10";
/// HS code of sorted industrial rough diamonds.
pub const HS_INDUSTRIAL: &str = "7102.21";
/// HS code of sorted non-industrial (gem) rough diamonds.
pub const HS_GEM: &str = "7102.31";
/// The HS codes of rough diamonds a KP certificate declares.
pub const HS_CODES: [&str; 3] = [HS_UNSORTED, HS_INDUSTRIAL, HS_GEM];

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
    /// Production entries a first sale draws on (a resale or export may repeat the origin its
    /// sources declared, but is traced through `source_sale_ids`).
    pub production_ids: Vec<ProductionId>,
    /// Earlier slips by which the seller of a resale or export bought the goods sold
    /// (the purchases it draws on). Empty for a first sale.
    #[serde(default)]
    pub source_sale_ids: Vec<SaleId>,
    pub kind: SaleKind,
    /// KP certificate number of an export or import.
    pub certificate_number: String,
    /// ISO 3166-1 alpha-2 destination of an export.
    pub destination_country: String,
    /// HS code the certificate of an export or import declares (one of [`HS_CODES`]); empty
    /// on a sale inside the country. Absent from payloads of earlier versions.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hs_code: String,
    /// The importer the certificate names (the consignee abroad for an export, the importing
    /// company for an import); may be empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub importer: String,
    /// ISO 3166-1 alpha-2 country of origin of an import (empty on other slips).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub origin_country: String,
    /// The seals of the sealed bags the slip moves (as recorded on the production entries
    /// they were sealed on). Absent from payloads of earlier versions and when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seals: Vec<String>,
}

fn check_country(e: &mut Invalid, field: &'static str, c: &str) {
    if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
        e.push(field, format!("{c:?} is not an ISO 3166 two-letter code"));
    }
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
        for (field, n) in [
            ("production_ids", self.production_ids.len()),
            ("source_sale_ids", self.source_sale_ids.len()),
        ] {
            if n > MAX_SALE_LINKS {
                e.push(
                    field,
                    format!("names {n} records, more than {MAX_SALE_LINKS}"),
                );
            }
        }
        check_seals(&mut e, "seals", &self.seals, MAX_SALE_LINKS);
        let mut prods = self.production_ids.clone();
        prods.sort();
        prods.dedup();
        if prods.len() != self.production_ids.len() {
            e.push("production_ids", "names a production entry twice");
        }
        let mut sources = self.source_sale_ids.clone();
        sources.sort();
        sources.dedup();
        if sources.len() != self.source_sale_ids.len() {
            e.push("source_sale_ids", "names a slip twice");
        }
        if self.source_sale_ids.contains(&self.id) {
            e.push("source_sale_ids", "a slip cannot draw on itself");
        }
        if self.kind == SaleKind::FirstSale && !self.source_sale_ids.is_empty() {
            e.push(
                "source_sale_ids",
                "a first sale draws on production, not on earlier slips",
            );
        }
        if self.buyer_licence_id == Some(self.seller_licence_id) {
            e.push("buyer_licence_id", "is the seller's own licence");
        }
        if self.kind.crosses_border() {
            if self.buyer_licence_id.is_some() {
                e.push(
                    "buyer_licence_id",
                    format!("must be empty for an {}", self.kind),
                );
            }
            check_text(
                &mut e,
                "certificate_number",
                &self.certificate_number,
                true,
                40,
            );
            if self.hs_code.is_empty() {
                e.push(
                    "hs_code",
                    format!(
                        "is required on an {}: the HS code its KP certificate declares ({})",
                        self.kind,
                        HS_CODES.join(", ")
                    ),
                );
            } else if !HS_CODES.contains(&self.hs_code.as_str()) {
                e.push(
                    "hs_code",
                    format!(
                        "{:?} is not an HS code of rough diamonds ({})",
                        self.hs_code,
                        HS_CODES.join(", ")
                    ),
                );
            }
            check_text(&mut e, "importer", &self.importer, false, 120);
        } else {
            if self.buyer_licence_id.is_none() {
                e.push("buyer_licence_id", "is required");
            }
            if !self.certificate_number.is_empty() || !self.destination_country.is_empty() {
                e.push(
                    "certificate_number",
                    "only exports and imports carry a certificate, and exports a destination",
                );
            }
            if !self.hs_code.is_empty() || !self.importer.is_empty() {
                e.push(
                    "hs_code",
                    "only exports and imports declare an HS code and an importer",
                );
            }
        }
        match self.kind {
            SaleKind::Export => {
                check_country(&mut e, "destination_country", &self.destination_country)
            }
            SaleKind::Import => {
                check_country(&mut e, "origin_country", &self.origin_country);
                if !self.destination_country.is_empty() {
                    e.push("destination_country", "an import has no destination abroad");
                }
                if !self.production_ids.is_empty() || !self.source_sale_ids.is_empty() {
                    e.push(
                        "source_sale_ids",
                        "an import draws on no production or slip here: it brings goods in",
                    );
                }
            }
            SaleKind::FirstSale | SaleKind::Resale => {}
        }
        if self.kind != SaleKind::Import && !self.origin_country.is_empty() {
            e.push(
                "origin_country",
                "only an import declares a country of origin",
            );
        }
        e.into_result()
    }

    /// The licence kind a seller of this kind of slip must hold.
    pub fn seller_kind(&self) -> LicenceKind {
        self.kind.seller_kind()
    }

    /// The licence kinds a buyer of this kind of slip may hold (none for an export, whose
    /// buyer is abroad).
    pub fn buyer_kinds(&self) -> &'static [LicenceKind] {
        self.kind.buyer_kinds()
    }

    /// The licence that holds the goods once the slip is made: the buyer of a sale inside the
    /// country, the importing licence of an import, nobody here after an export.
    pub fn holder(&self) -> Option<LicenceId> {
        match self.kind {
            SaleKind::Import => Some(self.seller_licence_id),
            _ => self.buyer_licence_id,
        }
    }
}

impl SaleKind {
    /// The licence kind a seller of this kind of slip must hold.
    pub fn seller_kind(self) -> LicenceKind {
        match self {
            SaleKind::FirstSale => LicenceKind::ArtisanalMining,
            SaleKind::Resale => LicenceKind::Dealer,
            SaleKind::Export | SaleKind::Import => LicenceKind::Exporter,
        }
    }

    /// Whether the slip crosses the border under a KP certificate (export or import).
    pub fn crosses_border(self) -> bool {
        matches!(self, SaleKind::Export | SaleKind::Import)
    }

    /// The licence kinds a buyer of this kind of slip may hold (none for an export).
    pub fn buyer_kinds(self) -> &'static [LicenceKind] {
        match self {
            SaleKind::FirstSale => &[LicenceKind::Dealer],
            SaleKind::Resale => &[LicenceKind::Dealer, LicenceKind::Exporter],
            SaleKind::Export | SaleKind::Import => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn slip(kind: SaleKind) -> Sale {
        Sale {
            seals: vec![],
            id: SaleId::new(),
            slip_number: "KONO/BA/000001".into(),
            day: d(2026, 5, 4),
            seller_licence_id: LicenceId::new(),
            buyer_licence_id: Some(LicenceId::new()),
            weight: Centicarats(125),
            stone_count: 7,
            price: Cents(31_250),
            production_ids: vec![ProductionId::new()],
            source_sale_ids: vec![],
            kind,
            certificate_number: String::new(),
            destination_country: String::new(),
            hs_code: String::new(),
            importer: String::new(),
            origin_country: String::new(),
        }
    }

    #[test]
    fn slip_rules() {
        let today = d(2026, 6, 1);
        assert_eq!(slip(SaleKind::FirstSale).validate(today), Ok(()));
        type Change = Box<dyn Fn(&mut Sale)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|s| s.weight = Centicarats(0)), "carats"),
            (Box::new(|s| s.stone_count = 0), "stone_count"),
            (Box::new(|s| s.day = d(2026, 6, 3)), "day"),
            (Box::new(|s| s.buyer_licence_id = None), "buyer_licence_id"),
            (
                Box::new(|s| s.buyer_licence_id = Some(s.seller_licence_id)),
                "buyer_licence_id",
            ),
            (
                Box::new(|s| s.production_ids.push(s.production_ids[0])),
                "production_ids",
            ),
            (
                Box::new(|s| s.source_sale_ids = vec![SaleId::new()]),
                "source_sale_ids",
            ),
            (
                Box::new(|s| s.certificate_number = "SL-1".into()),
                "certificate_number",
            ),
        ];
        for (change, field) in cases {
            let mut s = slip(SaleKind::FirstSale);
            change(&mut s);
            let err = s.validate(today).unwrap_err();
            assert!(err.for_field(field).is_some(), "{field}: {err}");
        }
        let mut r = slip(SaleKind::Resale);
        r.source_sale_ids = vec![r.id];
        assert!(
            r.validate(today)
                .unwrap_err()
                .for_field("source_sale_ids")
                .is_some()
        );
        let mut x = slip(SaleKind::Export);
        x.buyer_licence_id = None;
        x.certificate_number = "SL-2026-000123".into();
        x.destination_country = "BE".into();
        assert!(
            x.validate(today)
                .unwrap_err()
                .for_field("hs_code")
                .is_some()
        );
        x.hs_code = "7102.29".into();
        assert!(
            x.validate(today)
                .unwrap_err()
                .for_field("hs_code")
                .is_some()
        );
        x.hs_code = HS_GEM.into();
        assert_eq!(x.validate(today), Ok(()));
        x.destination_country = "Belgium".into();
        assert!(
            x.validate(today)
                .unwrap_err()
                .for_field("destination_country")
                .is_some()
        );
    }

    #[test]
    fn an_import_declares_its_certificate_code_and_origin() {
        let today = d(2026, 6, 1);
        let mut i = slip(SaleKind::Import);
        i.buyer_licence_id = None;
        i.production_ids.clear();
        i.certificate_number = "BE-2026-000042".into();
        i.origin_country = "CD".into();
        i.importer = "Kono Diamond Export Ltd".into();
        assert!(
            i.validate(today)
                .unwrap_err()
                .for_field("hs_code")
                .is_some()
        );
        i.hs_code = HS_UNSORTED.into();
        assert_eq!(i.validate(today), Ok(()));
        assert_eq!(i.holder(), Some(i.seller_licence_id));
        i.origin_country = String::new();
        assert!(
            i.validate(today)
                .unwrap_err()
                .for_field("origin_country")
                .is_some()
        );
        let mut f = slip(SaleKind::FirstSale);
        f.hs_code = HS_GEM.into();
        assert!(
            f.validate(today)
                .unwrap_err()
                .for_field("hs_code")
                .is_some()
        );
        // A payload of an earlier version (no HS code, importer or origin) still reads.
        let mut old = serde_json::to_value(slip(SaleKind::Resale)).unwrap();
        for k in ["hs_code", "importer", "origin_country"] {
            assert!(
                old.as_object_mut().unwrap().remove(k).is_none(),
                "{k} left out when empty"
            );
        }
        let back: Sale = serde_json::from_value(old).unwrap();
        assert_eq!(back.hs_code, "");
    }

    #[test]
    fn kinds_of_the_parties() {
        assert_eq!(
            slip(SaleKind::FirstSale).seller_kind(),
            LicenceKind::ArtisanalMining
        );
        assert_eq!(slip(SaleKind::Resale).buyer_kinds().len(), 2);
        assert!(slip(SaleKind::Export).buyer_kinds().is_empty());
    }
}
