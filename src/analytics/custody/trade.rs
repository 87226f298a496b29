//! The KP trade statistics: exports and imports per half-year, per country, by declared HS code
//! and partner country.
//!
//! Layout: the Kimberley Process Certification Scheme's core document (Section V and Annex III,
//! "Statistics") asks each participant for import and export data on a semi-annual basis, by
//! carat weight and value (US$), by the HS codes of rough diamonds (7102.10 unsorted, 7102.21
//! sorted industrial, 7102.31 sorted non-industrial), with the number of KP certificates; the
//! KP statistics site publishes them per participant with the partner countries (destination
//! of exports, origin of imports). What a certificate declares — HS code, carats, US$ value,
//! importer and exporter, country of origin (31 CFR § 592.307 lists the certificate's fields)
//! — is what the slip records, so every figure here is a sum of declared values, never a
//! value traced or modelled from stones.
//!
//! One line per half-year, reporting country (the country of the licence's region), flow
//! (`export` or `import`), HS code and partner country; after the partners of an HS code, its
//! total (`partner_country` `ALL`, with the partner countries listed); after the HS codes of a
//! flow, the flow's total (`hs_code` `ALL`). No line adds countries together. Slips stored
//! before HS codes were declared show `undeclared`.

use crate::analytics::{CheckData, Period};
use crate::domain::{Centicarats, Cents, Sale, SaleKind};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The HS code cell of a slip stored before codes were declared.
pub const HS_UNDECLARED: &str = "undeclared";

/// One export or import as the trade statistics read it: what its certificate declares and
/// where its licence belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeSlip {
    pub kind: SaleKind,
    pub day: NaiveDate,
    pub certificate_number: String,
    pub hs_code: String,
    /// Destination of an export, origin of an import.
    pub partner: String,
    pub weight: Centicarats,
    pub price: Cents,
    /// Region of the exporting or importing licence.
    pub region: String,
    /// ISO 3166 country of that region (from the regions registry).
    pub country: String,
}

impl TradeSlip {
    /// The slip as the statistics read it; `None` for a sale inside the country.
    pub fn of_sale(s: &Sale, region: &str, country: &str) -> Option<TradeSlip> {
        let partner = match s.kind {
            SaleKind::Export => &s.destination_country,
            SaleKind::Import => &s.origin_country,
            SaleKind::FirstSale | SaleKind::Resale => return None,
        };
        Some(TradeSlip {
            kind: s.kind,
            day: s.day,
            certificate_number: s.certificate_number.clone(),
            hs_code: s.hs_code.clone(),
            partner: partner.clone(),
            weight: s.weight,
            price: s.price,
            region: region.to_string(),
            country: country.to_string(),
        })
    }

    /// The exports and imports of a data set (the chain the checks read).
    pub fn of_check_data(data: &CheckData) -> Vec<TradeSlip> {
        let countries: HashMap<&str, &str> = data
            .regions
            .iter()
            .map(|r| (r.code.as_str(), r.country.as_str()))
            .collect();
        let regions: HashMap<_, &str> = data
            .licences
            .iter()
            .map(|l| (l.id, l.region.as_str()))
            .collect();
        data.sales
            .iter()
            .filter_map(|s| {
                let region = regions.get(&s.seller_licence_id).copied().unwrap_or("");
                let country = countries.get(region).copied().unwrap_or("");
                TradeSlip::of_sale(s, region, country)
            })
            .collect()
    }
}

/// One line of the KP trade statistics (see the module documentation).
///
/// JSON field names are the report's columns; do not rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TradeRow {
    /// `2026-H1`.
    pub half_year: String,
    /// ISO 3166 country reporting (the licence's region's country).
    pub country: String,
    /// `export` or `import`.
    pub flow: String,
    /// Declared HS code, `undeclared`, or `ALL` on a flow's total.
    pub hs_code: String,
    /// Destination (export) or origin (import), or `ALL` on a total.
    pub partner_country: String,
    /// Distinct KP certificates.
    pub certificates: u64,
    pub slips: u64,
    pub centicarats: Centicarats,
    /// Declared value on the certificates.
    pub usd_cents: Cents,
    /// Partner countries the line covers (one on a partner's line).
    pub partner_countries: Vec<String>,
}

/// The KP trade statistics of a period (lines in the order of the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TradeReport {
    pub period: Period,
    pub rows: Vec<TradeRow>,
}

impl TradeReport {
    /// Column names of the CSV form.
    pub const CSV_HEADER: [&'static str; 9] = [
        "half_year",
        "country",
        "flow",
        "hs_code",
        "partner_country",
        "certificates",
        "carats",
        "usd_value",
        "partner_countries",
    ];

    /// The CSV cells of a row.
    pub fn csv_cells(r: &TradeRow) -> Vec<String> {
        vec![
            r.half_year.clone(),
            r.country.clone(),
            r.flow.clone(),
            r.hs_code.clone(),
            r.partner_country.clone(),
            r.certificates.to_string(),
            r.centicarats.to_string(),
            r.usd_cents.to_string(),
            r.partner_countries.join(";"),
        ]
    }

    /// The JSON form: carats and USD as two-decimal text beside the exact integers.
    pub fn to_json(&self) -> serde_json::Value {
        let row = |r: &TradeRow| {
            json!({
                "half_year": r.half_year,
                "country": r.country,
                "flow": r.flow,
                "hs_code": r.hs_code,
                "partner_country": r.partner_country,
                "certificates": r.certificates,
                "slips": r.slips,
                "carats": r.centicarats.to_string(),
                "centicarats": r.centicarats.0,
                "usd_value": r.usd_cents.to_string(),
                "usd_cents": r.usd_cents.0,
                "partner_countries": r.partner_countries,
            })
        };
        json!({
            "period": self.period.to_string(),
            "layout": "KP trade statistics: per half-year and country, exports and imports by HS code (7102.10, 7102.21, 7102.31) and partner country; certificates, carats, US$ as declared",
            "rows": self.rows.iter().map(row).collect::<Vec<_>>(),
        })
    }
}

/// The half-year of a day, as `2026-H1`.
fn half_of(day: NaiveDate) -> String {
    format!("{}-H{}", day.year(), if day.month() <= 6 { 1 } else { 2 })
}

/// A line being added up: its certificates, partners, slips, carats and cents.
#[derive(Default)]
struct Tally {
    certificates: BTreeSet<String>,
    partners: BTreeSet<String>,
    slips: u64,
    centicarats: i64,
    cents: i64,
}

/// Key of a line: half-year, country, flow, (is a flow total, HS code), (is a total, partner).
/// Totals sort after what they add up.
type Key = (String, String, &'static str, (bool, String), (bool, String));

/// Adds up the exports and imports of `period` (by slip day) whose licence is in `region` (all
/// when `None`). Sums are exact: centicarats and cents of the slips.
pub fn kp_trade(slips: &[TradeSlip], period: Period, region: Option<&str>) -> TradeReport {
    let mut lines: BTreeMap<Key, Tally> = BTreeMap::new();
    for s in slips {
        if !s.kind.crosses_border()
            || !period.contains(s.day)
            || region.is_some_and(|r| r != s.region)
        {
            continue;
        }
        let flow = s.kind.as_str();
        let hs = if s.hs_code.is_empty() {
            HS_UNDECLARED.to_string()
        } else {
            s.hs_code.clone()
        };
        let half = half_of(s.day);
        for key in [
            (false, hs.clone(), false, s.partner.clone()),
            (false, hs, true, String::new()),
            (true, String::new(), true, String::new()),
        ] {
            let t = lines
                .entry((
                    half.clone(),
                    s.country.clone(),
                    flow,
                    (key.0, key.1),
                    (key.2, key.3),
                ))
                .or_default();
            t.certificates.insert(s.certificate_number.clone());
            t.partners.insert(s.partner.clone());
            t.slips += 1;
            t.centicarats += s.weight.0;
            t.cents += s.price.0;
        }
    }
    let rows = lines
        .into_iter()
        .map(|((half, country, flow, hs, partner), t)| TradeRow {
            half_year: half,
            country,
            flow: flow.to_string(),
            hs_code: if hs.0 { "ALL".into() } else { hs.1 },
            partner_country: if partner.0 { "ALL".into() } else { partner.1 },
            certificates: t.certificates.len() as u64,
            slips: t.slips,
            centicarats: Centicarats(t.centicarats),
            usd_cents: Cents(t.cents),
            partner_countries: t.partners.into_iter().collect(),
        })
        .collect();
    TradeReport { period, rows }
}
