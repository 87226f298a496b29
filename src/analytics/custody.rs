//! The chain of custody (DOMAIN.md §2, §4, §6.4–6.5): mass-balance checks over the sale slips,
//! the buyer's licence on the sale day, tracing an export back to production, and the KP trade
//! statistics of exports.
//!
//! Mass balance, per licence, in day order: what came in (the production of its sites — current
//! versions only — and the slips it bought) against what went out (the slips it sold). Inflows
//! of a day count before the outflows of that day. A slip that takes the running balance below
//! zero by more than `custody_tolerance` of the inflow is flagged — `sale_exceeds_production`
//! for a first sale, `resale_exceeds_purchases` for a resale, `export_exceeds_purchases` for an
//! export — and its excess is then written off, so that the later slips of the licence are
//! judged on their own and one oversold slip raises one flag, on itself.
//!
//! Tracing: a first sale draws on the production entries it lists; a resale or export on the
//! slips it lists (`source_sale_ids`), or, when it lists none, on every slip its seller bought up
//! to that day (a dealer's stock is a pool). The traced production's stones give the export's
//! regions of origin (carats per region) and its HS code.
//!
//! Origin check of an export (`footprint_mismatch` on the slip): the export's traced production
//! gives its expected footprint, the mix of its regions' reference footprints weighted by the
//! traced carats of each region. What the exporter declares of the parcel's stones is on the
//! slip: the stone count and the carats, hence the mean weight per stone (DOMAIN.md §5: stones
//! per carat). Under the expected mix, the mean of n stones has the mixture's mean and its
//! variance over n; the slip is flagged when its mean weight lies below that by more than the
//! normal quantile of `parcel_false_alarm` — more stones per carat than its origin explains,
//! the mark of small foreign goods mixed in (the Ghana / Côte d'Ivoire case). The test is
//! one-sided on purpose: weights are right-skewed (one 50 ct stone moves a mean a long way up),
//! so the normal approximation is conservative below and would raise false alarms above. Slips
//! of fewer than `parcel_min_stones` stones, and slips tracing to a region without a reference,
//! are not judged. A parcel's individual stone weights, when the valuer's list is at hand, are
//! compared with `alluvium footprint compare --region R --stones FILE` as before.
//!
//! HS code rule (KP nomenclature): a parcel whose traced stones are all industrial is 7102.21
//! (sorted industrial); all gem or near-gem, 7102.31 (sorted non-industrial — near-gem is
//! not industrial); anything else, mixed or untraceable, 7102.10 (unsorted).

use super::{
    CheckConfig, CheckData, Flag, FlagKind, Period, ReferenceFootprint, Severity, StoneFact,
};
use crate::domain::{
    Centicarats, Cents, Licence, LicenceId, ProductionId, Sale, SaleId, SaleKind, SiteId,
    StoneClass,
};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// HS code of unsorted rough diamonds.
pub const HS_UNSORTED: &str = "7102.10";
/// HS code of sorted industrial rough diamonds.
pub const HS_INDUSTRIAL: &str = "7102.21";
/// HS code of sorted non-industrial (gem) rough diamonds.
pub const HS_GEM: &str = "7102.31";

/// What one production entry yielded: its licence, region, day and stones.
#[derive(Debug, Clone, Default)]
struct Yield {
    licence: Option<LicenceId>,
    region: String,
    day: Option<NaiveDate>,
    stones: u64,
    centicarats: i64,
    /// Carats by class: gem, near-gem, industrial.
    by_class: [i64; 3],
}

fn class_index(c: StoneClass) -> usize {
    match c {
        StoneClass::Gem => 0,
        StoneClass::NearGem => 1,
        StoneClass::Industrial => 2,
    }
}

/// Where a slip's goods came from, found by walking the chain back to production.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Origin {
    /// The current production entries reached.
    pub production_ids: Vec<ProductionId>,
    /// Carats of the traced production per region code.
    pub regions: BTreeMap<String, Centicarats>,
    pub stones: u64,
    pub centicarats: Centicarats,
    /// Traced carats by class (gem, near-gem, industrial).
    pub class_centicarats: [i64; 3],
}

impl Origin {
    /// The HS code of the parcel (rule in the module documentation).
    pub fn hs_code(&self) -> &'static str {
        let [gem, near, ind] = self.class_centicarats;
        if self.centicarats.0 <= 0 {
            HS_UNSORTED
        } else if gem + near == 0 {
            HS_INDUSTRIAL
        } else if ind == 0 {
            HS_GEM
        } else {
            HS_UNSORTED
        }
    }

    /// The region codes, largest share of carats first.
    pub fn region_list(&self) -> Vec<String> {
        let mut v: Vec<(&String, &Centicarats)> = self.regions.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        v.into_iter().map(|(r, _)| r.clone()).collect()
    }
}

/// The slips and production of a data set, indexed for walking the chain.
pub struct Chain<'a> {
    sales: HashMap<SaleId, &'a Sale>,
    /// Slips bought by each licence, by day then id.
    bought: HashMap<LicenceId, Vec<&'a Sale>>,
    yields: HashMap<ProductionId, Yield>,
    licences: HashMap<LicenceId, &'a Licence>,
}

impl<'a> Chain<'a> {
    /// Indexes the slips, licences, sites, current production and stones of `data`.
    pub fn new(data: &'a CheckData) -> Self {
        let licences: HashMap<LicenceId, &Licence> =
            data.licences.iter().map(|l| (l.id, l)).collect();
        let site_licence: HashMap<SiteId, LicenceId> =
            data.sites.iter().map(|s| (s.id, s.licence_id)).collect();
        let mut yields: HashMap<ProductionId, Yield> = HashMap::new();
        for e in &data.production {
            let licence = site_licence.get(&e.site_id).copied();
            let y = yields.entry(e.id).or_default();
            y.licence = licence;
            y.day = Some(e.day);
            y.region = licence
                .and_then(|l| licences.get(&l))
                .map(|l| l.region.clone())
                .unwrap_or_default();
        }
        for s in &data.stones {
            add_stone(yields.entry(s.production_id).or_default(), s);
        }
        let mut bought: HashMap<LicenceId, Vec<&Sale>> = HashMap::new();
        for s in &data.sales {
            if let Some(b) = s.buyer_licence_id {
                bought.entry(b).or_default().push(s);
            }
        }
        for v in bought.values_mut() {
            v.sort_by_key(|s| (s.day, s.id));
        }
        Chain {
            sales: data.sales.iter().map(|s| (s.id, s)).collect(),
            bought,
            yields,
            licences,
        }
    }

    /// The slips `sale` draws on directly (listed, or its seller's pool up to its day).
    fn sources(&self, sale: &Sale) -> Vec<&'a Sale> {
        if !sale.source_sale_ids.is_empty() {
            return sale
                .source_sale_ids
                .iter()
                .filter_map(|id| self.sales.get(id).copied())
                .collect();
        }
        self.bought
            .get(&sale.seller_licence_id)
            .map(|v| {
                v.iter()
                    .filter(|s| s.day <= sale.day && s.id != sale.id)
                    .copied()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Where a slip's goods came from.
    pub fn origin(&self, sale: &Sale) -> Origin {
        let mut seen: HashSet<SaleId> = HashSet::new();
        let mut prods: BTreeSet<ProductionId> = BTreeSet::new();
        let mut stack = vec![sale];
        while let Some(s) = stack.pop() {
            if !seen.insert(s.id) {
                continue;
            }
            if s.kind == SaleKind::FirstSale {
                prods.extend(s.production_ids.iter().copied());
            } else {
                stack.extend(self.sources(s));
            }
        }
        let mut o = Origin::default();
        for p in prods {
            if let Some(y) = self.yields.get(&p) {
                o.stones += y.stones;
                o.centicarats.0 += y.centicarats;
                for (a, b) in o.class_centicarats.iter_mut().zip(y.by_class) {
                    *a += b;
                }
                if y.centicarats > 0 && !y.region.is_empty() {
                    o.regions.entry(y.region.clone()).or_default().0 += y.centicarats;
                }
            }
            o.production_ids.push(p);
        }
        o
    }
}

fn add_stone(y: &mut Yield, s: &StoneFact) {
    y.stones += 1;
    y.centicarats += s.weight.0;
    y.by_class[class_index(s.class)] += s.weight.0;
}

/// One movement of goods in or out of a licence's stock.
enum Move<'a> {
    Produced(i64),
    Bought(&'a Sale),
    Sold(&'a Sale),
}

/// The chain-of-custody checks: mass balance, slips without production, unlicensed buyers.
pub(super) fn custody_checks(data: &CheckData, config: &CheckConfig, flags: &mut Vec<Flag>) {
    let chain = Chain::new(data);
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
        if let Some(b) = s.buyer_licence_id {
            moves
                .entry(b)
                .or_default()
                .push((s.day, 0, s.id.0, Move::Bought(s)));
        }
        moves
            .entry(s.seller_licence_id)
            .or_default()
            .push((s.day, 1, s.id.0, Move::Sold(s)));
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
            flags.push(Flag::new(
                kind,
                s.id.0,
                Severity::Breach,
                json!({
                    "message": format!(
                        "licence {number} had {what} {} ct up to {} and sold {} ct before this slip of {} ct: balance {} ct",
                        Centicarats(inflow), s.day, Centicarats(before), s.weight, Centicarats(balance)
                    ),
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
            ));
            // Written off: later slips are judged on their own.
            outflow = inflow;
        }
    }
    for s in &data.sales {
        if s.kind == SaleKind::FirstSale && s.production_ids.is_empty() {
            flags.push(Flag::new(
                FlagKind::SaleWithoutProduction,
                s.id.0,
                Severity::Breach,
                json!({
                    "message": format!("first sale {} of {} ct on {} names no production entry", s.slip_number, s.weight, s.day),
                    "entity": "sales",
                    "slip_number": s.slip_number,
                    "seller_licence_id": s.seller_licence_id,
                    "day": s.day,
                    "carats": s.weight.to_string(),
                }),
            ));
        }
        if s.kind == SaleKind::Export {
            continue;
        }
        let Some(buyer) = s.buyer_licence_id else {
            continue;
        };
        let why = match chain.licences.get(&buyer) {
            None => Some(("missing", format!("buyer licence {buyer} is not on record"))),
            Some(l) if !s.buyer_kinds().contains(&l.kind) => Some((
                "wrong_kind",
                format!(
                    "buyer licence {} is a {} licence; a {} needs {}",
                    l.number,
                    l.kind,
                    s.kind,
                    s.buyer_kinds()
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            )),
            Some(l) if !l.standing_on(s.day).permits_work() => Some((
                "standing",
                format!(
                    "buyer licence {} is {} on {}",
                    l.number,
                    l.standing_on(s.day).label(),
                    s.day
                ),
            )),
            Some(_) => None,
        };
        if let Some((reason, message)) = why {
            let l = chain.licences.get(&buyer);
            flags.push(Flag::new(
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
                    "buyer_status": l.map(|l| l.status.as_str()),
                    "buyer_issued_on": l.map(|l| l.issued_on),
                    "buyer_expires_on": l.map(|l| l.expires_on),
                }),
            ));
        }
    }
}

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

/// The inverse of the standard normal distribution function (Acklam's rational approximation,
/// relative error below 1.2e-9), for the one-sided threshold of the export check.
#[allow(clippy::excessive_precision)] // the published coefficients, as published
fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383577518672690e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549671010229768,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let low = 0.02425;
    if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}

/// The mean and variance of one stone's weight (carats) under the mix of `origin`'s regions,
/// or `None` when a region has no reference.
pub fn expected_stone_weight(
    origin: &Origin,
    references: &BTreeMap<String, ReferenceFootprint>,
) -> Option<(f64, f64)> {
    // Each region's share of the stones follows from its share of the carats and its mean
    // stone weight: stones_r ∝ carats_r / mean_r.
    let mut parts = Vec::new();
    for (region, cc) in &origin.regions {
        let r = references.get(region)?;
        let n = r.sorted_weights.len() as f64;
        let mean = r
            .sorted_weights
            .iter()
            .map(|&w| w as f64 / 100.0)
            .sum::<f64>()
            / n;
        let second = r
            .sorted_weights
            .iter()
            .map(|&w| (w as f64 / 100.0).powi(2))
            .sum::<f64>()
            / n;
        parts.push((cc.carats_f64() / mean, mean, second));
    }
    let total: f64 = parts.iter().map(|p| p.0).sum();
    if parts.is_empty() || total <= 0.0 {
        return None;
    }
    let mean: f64 = parts.iter().map(|p| p.0 / total * p.1).sum();
    let second: f64 = parts.iter().map(|p| p.0 / total * p.2).sum();
    Some((mean, (second - mean * mean).max(0.0)))
}

/// `footprint_mismatch` on export slips (rule in the module documentation).
pub(super) fn export_footprints(
    data: &CheckData,
    config: &CheckConfig,
    references: &BTreeMap<String, ReferenceFootprint>,
    flags: &mut Vec<Flag>,
) {
    if !data.sales.iter().any(|s| s.kind == SaleKind::Export) {
        return;
    }
    let chain = Chain::new(data);
    let z_limit = normal_quantile(config.parcel_false_alarm.clamp(1e-9, 0.5));
    for x in data.sales.iter().filter(|s| s.kind == SaleKind::Export) {
        let n = x.stone_count as usize;
        if n < config.parcel_min_stones.max(2) {
            continue;
        }
        let origin = chain.origin(x);
        let Some((mean, var)) = expected_stone_weight(&origin, references) else {
            continue;
        };
        let declared = x.weight.carats_f64() / n as f64;
        let z = (declared - mean) / (var / n as f64).sqrt().max(1e-12);
        if z < z_limit {
            flags.push(Flag::new(
                FlagKind::FootprintMismatch,
                x.id.0,
                Severity::Warning,
                json!({
                    "message": format!(
                        "export {} declares {n} stones of {:.3} ct on average; its traced origin ({}) gives {:.3} ct (z {:.2} < {:.2})",
                        x.slip_number, declared, origin.region_list().join(", "), mean, z, z_limit
                    ),
                    "entity": "sales",
                    "slip_number": x.slip_number,
                    "day": x.day,
                    "stones": n,
                    "carats": x.weight.to_string(),
                    "declared_mean_ct": declared,
                    "expected_mean_ct": mean,
                    "z": z,
                    "threshold_z": z_limit,
                    "origin_regions": origin.regions.iter().map(|(r, c)| (r.clone(), c.to_string())).collect::<BTreeMap<_, _>>(),
                    "traced_production_entries": origin.production_ids.len(),
                }),
            ));
        }
    }
}
