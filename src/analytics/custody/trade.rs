//! The KP trade statistics: exports per quarter by HS code and destination, with the regions
//! their traced stones came from.

use super::chain::Chain;
use crate::analytics::{CheckData, Period};
use crate::domain::{Centicarats, Cents, Sale, SaleKind};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

/// One line of the KP trade statistics: the exports of a quarter with one HS code to one
/// destination (or a total).
///
/// JSON field names are the report's columns; do not rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TradeRow {
    /// `2026-Q3`.
    pub quarter: String,
    pub hs_code: String,
    /// ISO 3166 code of the destination, or `ALL` on a total line.
    pub destination: String,
    pub slips: u64,
    /// Distinct KP certificates.
    pub certificates: u64,
    pub stone_count: u64,
    pub centicarats: Centicarats,
    /// Declared value on the slips.
    pub usd_cents: Cents,
    /// Regions of origin from the chain, largest share of carats first.
    pub origin_regions: Vec<String>,
}

/// The KP trade statistics of a period: exports per quarter by HS code and destination, and
/// per quarter by HS code in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TradeReport {
    pub period: Period,
    pub rows: Vec<TradeRow>,
    pub totals: Vec<TradeRow>,
}

impl TradeReport {
    /// Column names of the CSV form.
    pub const CSV_HEADER: [&'static str; 9] = [
        "quarter",
        "hs_code",
        "destination",
        "slips",
        "certificates",
        "stones",
        "carats",
        "usd_value",
        "origin_regions",
    ];

    /// The CSV cells of a row.
    pub fn csv_cells(r: &TradeRow) -> Vec<String> {
        vec![
            r.quarter.clone(),
            r.hs_code.clone(),
            r.destination.clone(),
            r.slips.to_string(),
            r.certificates.to_string(),
            r.stone_count.to_string(),
            r.centicarats.to_string(),
            r.usd_cents.to_string(),
            r.origin_regions.join(";"),
        ]
    }

    /// The JSON form: carats and USD as two-decimal text beside the exact integers.
    pub fn to_json(&self) -> serde_json::Value {
        let row = |r: &TradeRow| {
            json!({
                "quarter": r.quarter,
                "hs_code": r.hs_code,
                "destination": r.destination,
                "slips": r.slips,
                "certificates": r.certificates,
                "stones": r.stone_count,
                "carats": r.centicarats.to_string(),
                "centicarats": r.centicarats.0,
                "usd_value": r.usd_cents.to_string(),
                "usd_cents": r.usd_cents.0,
                "origin_regions": r.origin_regions,
            })
        };
        json!({
            "rows": self.rows.iter().map(row).collect::<Vec<_>>(),
            "totals": self.totals.iter().map(row).collect::<Vec<_>>(),
        })
    }
}

/// A trade line being added up: the row, its certificate numbers and carats per region.
type Tally = (TradeRow, BTreeSet<String>, BTreeMap<String, i64>);

/// The quarter of a day, as `2026-Q3`.
fn quarter_of(day: NaiveDate) -> String {
    format!("{}-Q{}", day.year(), (day.month() - 1) / 3 + 1)
}

/// Adds up the exports of `period` (by slip day) whose exporter is in `region` (all when
/// `None`). Sums are exact: centicarats and cents of the slips.
pub fn kp_trade(data: &CheckData, period: Period, region: Option<&str>) -> TradeReport {
    let chain = Chain::new(data);
    type Key = (String, &'static str, String);
    let mut rows: BTreeMap<Key, Tally> = BTreeMap::new();
    let mut totals: BTreeMap<(String, &'static str), Tally> = BTreeMap::new();
    let mut exports: Vec<&Sale> = data
        .sales
        .iter()
        .filter(|s| s.kind == SaleKind::Export && period.contains(s.day))
        .filter(|s| {
            region.is_none_or(|r| {
                chain
                    .licences
                    .get(&s.seller_licence_id)
                    .is_some_and(|l| l.region == r)
            })
        })
        .collect();
    exports.sort_by_key(|s| (s.day, s.id));
    let blank = |q: &str, hs: &str, dest: &str| TradeRow {
        quarter: q.to_string(),
        hs_code: hs.to_string(),
        destination: dest.to_string(),
        slips: 0,
        certificates: 0,
        stone_count: 0,
        centicarats: Centicarats(0),
        usd_cents: Cents(0),
        origin_regions: vec![],
    };
    for s in exports {
        let origin = chain.origin(s);
        let hs = origin.hs_code();
        let q = quarter_of(s.day);
        let add = |slot: &mut Tally| {
            slot.0.slips += 1;
            slot.0.stone_count += u64::from(s.stone_count);
            slot.0.centicarats.0 += s.weight.0;
            slot.0.usd_cents.0 += s.price.0;
            slot.1.insert(s.certificate_number.clone());
            for (r, cc) in &origin.regions {
                *slot.2.entry(r.clone()).or_default() += cc.0;
            }
        };
        add(rows
            .entry((q.clone(), hs, s.destination_country.clone()))
            .or_insert_with(|| {
                (
                    blank(&q, hs, &s.destination_country),
                    BTreeSet::new(),
                    BTreeMap::new(),
                )
            }));
        add(totals
            .entry((q.clone(), hs))
            .or_insert_with(|| (blank(&q, hs, "ALL"), BTreeSet::new(), BTreeMap::new())));
    }
    let finish =
        |(mut row, certs, regions): (TradeRow, BTreeSet<String>, BTreeMap<String, i64>)| {
            row.certificates = certs.len() as u64;
            let mut r: Vec<(String, i64)> = regions.into_iter().collect();
            r.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            row.origin_regions = r.into_iter().map(|(r, _)| r).collect();
            row
        };
    TradeReport {
        period,
        rows: rows.into_values().map(finish).collect(),
        totals: totals.into_values().map(finish).collect(),
    }
}
