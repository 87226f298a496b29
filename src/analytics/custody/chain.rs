//! Tracing: a first sale draws on the production entries it lists; an export on the slips it
//! names (`source_sale_ids`) and nothing else — an export that names none traces to nothing,
//! and the custody checks flag it; a resale on the slips it names, or, when it names none, on
//! every slip its seller bought up to that day (a dealer's stock is a pool between dealers). An
//! import is where a trace ends: its goods come from abroad, under its certificate. The traced
//! production's stones give a slip's regions of origin (carats per region).
//!
//! The HS code of an export or import is what its certificate declares (`Sale::hs_code`); it
//! is never worked out from the traced stones.

use crate::analytics::{CheckData, StoneFact};
use crate::domain::{
    Centicarats, Licence, LicenceId, ProductionId, Sale, SaleId, SaleKind, SiteId, StoneClass,
};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

pub use crate::domain::{HS_GEM, HS_INDUSTRIAL, HS_UNSORTED};

/// What one production entry yielded: its licence, region, day and stones.
#[derive(Debug, Clone, Default)]
pub(super) struct Yield {
    pub(super) licence: Option<LicenceId>,
    pub(super) region: String,
    pub(super) day: Option<NaiveDate>,
    pub(super) stones: u64,
    pub(super) centicarats: i64,
    /// Carats by class: gem, near-gem, industrial.
    pub(super) by_class: [i64; 3],
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
    /// Slips bought (or imported) by each licence, by day then id.
    bought: HashMap<LicenceId, Vec<&'a Sale>>,
    pub(super) yields: HashMap<ProductionId, Yield>,
    pub(super) licences: HashMap<LicenceId, &'a Licence>,
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
            if let Some(b) = s.holder() {
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

    /// The slips `sale` draws on directly: those it names; for a resale naming none, its
    /// seller's pool up to its day; for an export naming none, nothing.
    pub(super) fn sources(&self, sale: &Sale) -> Vec<&'a Sale> {
        if !sale.source_sale_ids.is_empty() || sale.kind != SaleKind::Resale {
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
    y.stones += u64::from(s.count);
    y.centicarats += s.weight.0;
    y.by_class[class_index(s.class)] += s.weight.0;
}
