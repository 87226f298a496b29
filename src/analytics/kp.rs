//! KP production statistics (DOMAIN.md §4): carats, stone count and estimated USD value per
//! region and in total for a period, with the special stones (≥ 10.8 ct) counted separately as
//! KP practice wants. Sums are exact integers (centicarats, cents); the facts must come from
//! current production versions only (the store's `stone_facts` and `stone_tallies` give exactly
//! those). Stones are added a tally at a time — a weight, a class and how many — so one stone
//! and a thousand counted together follow the same arithmetic and give the same integers.

use super::{Period, PriceModel, SPECIAL_STONE, StoneFact, StoneTally};
use crate::domain::{Centicarats, Cents, StoneClass};
use serde::Serialize;
use std::collections::BTreeMap;

/// One line of the KP statistics: a region, or the total.
///
/// JSON field names are the report's columns; do not rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KpRow {
    /// Region code, or `TOTAL`.
    pub region: String,
    pub stones: u64,
    /// Exact weight; `carats` in the JSON and CSV is the same with two decimals.
    pub centicarats: Centicarats,
    /// Estimated value (DOMAIN.md §7 price model); `None` when a region in the row has no price.
    pub usd_cents: Option<Cents>,
    /// Stones of 10.8 ct and more, reported separately.
    pub special_stones: u64,
    pub special_centicarats: Centicarats,
}

impl KpRow {
    fn new(region: &str) -> KpRow {
        KpRow {
            region: region.to_string(),
            stones: 0,
            centicarats: Centicarats(0),
            usd_cents: Some(Cents(0)),
            special_stones: 0,
            special_centicarats: Centicarats(0),
        }
    }

    /// Adds `n` stones of `weight`, each worth `value` (when known).
    fn add(&mut self, weight: Centicarats, value: Option<Cents>, n: u64) {
        // Counts stay far below 2^63: a count is a number of stones in one database.
        let times = n as i64;
        self.stones += n;
        self.centicarats.0 += weight.0 * times;
        self.usd_cents = match (self.usd_cents, value) {
            (Some(a), Some(b)) => Some(Cents(a.0 + b.0 * times)),
            _ => None,
        };
        if weight >= SPECIAL_STONE {
            self.special_stones += n;
            self.special_centicarats.0 += weight.0 * times;
        }
    }

    fn merge(&mut self, other: &KpRow) {
        self.stones += other.stones;
        self.centicarats.0 += other.centicarats.0;
        self.usd_cents = match (self.usd_cents, other.usd_cents) {
            (Some(a), Some(b)) => Some(Cents(a.0 + b.0)),
            _ => None,
        };
        self.special_stones += other.special_stones;
        self.special_centicarats.0 += other.special_centicarats.0;
    }

    /// The CSV cells, in the order of [`KpReport::CSV_HEADER`].
    pub fn csv_cells(&self, period: Period) -> Vec<String> {
        vec![
            period.to_string(),
            self.region.clone(),
            self.stones.to_string(),
            self.centicarats.to_string(),
            self.usd_cents.map(|c| c.to_string()).unwrap_or_default(),
            self.special_stones.to_string(),
            self.special_centicarats.to_string(),
        ]
    }
}

/// The KP statistics of a period: one row per region with production, and the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KpReport {
    pub period: Period,
    pub regions: Vec<KpRow>,
    pub total: KpRow,
}

impl KpReport {
    /// Column names of the CSV form.
    pub const CSV_HEADER: [&'static str; 7] = [
        "period",
        "region",
        "stones",
        "carats",
        "usd_value",
        "special_stones",
        "special_carats",
    ];

    /// The JSON form: carats and USD as two-decimal text beside the exact integers.
    pub fn to_json(&self) -> serde_json::Value {
        let row = |r: &KpRow| {
            serde_json::json!({
                "region": r.region,
                "stones": r.stones,
                "carats": r.centicarats.to_string(),
                "centicarats": r.centicarats.0,
                "usd_value": r.usd_cents.map(|c| c.to_string()),
                "usd_cents": r.usd_cents.map(|c| c.0),
                "special_stones": r.special_stones,
                "special_carats": r.special_centicarats.to_string(),
            })
        };
        serde_json::json!({
            "period": self.period.to_string(),
            "from": self.period.first_day().to_string(),
            "to": self.period.last_day().to_string(),
            "regions": self.regions.iter().map(row).collect::<Vec<_>>(),
            "total": row(&self.total),
        })
    }
}

/// Adds up the stones produced in `period` (by local production day), per region and in all.
/// Facts outside the period are ignored, so callers may pass a wider set.
pub fn kp_statistics<'a>(
    period: Period,
    stones: impl IntoIterator<Item = &'a StoneFact>,
    prices: &PriceModel,
) -> KpReport {
    let (first, last) = (period.first_day(), period.last_day());
    statistics(
        period,
        stones
            .into_iter()
            .filter(|s| s.day >= first && s.day <= last)
            .map(|s| (&*s.region, s.weight, s.class, 1)),
        prices,
    )
}

/// The same statistics from tallies of the period's stones: the store's `stone_tallies` for
/// the period's days. Tallies carry no day, so all of them count.
pub fn kp_statistics_of_tallies<'a>(
    period: Period,
    tallies: impl IntoIterator<Item = &'a StoneTally>,
    prices: &PriceModel,
) -> KpReport {
    statistics(
        period,
        tallies
            .into_iter()
            .map(|t| (&*t.region, t.weight, t.class, t.stones)),
        prices,
    )
}

/// Adds up stones given as (region, weight, class, how many).
fn statistics<'a>(
    period: Period,
    stones: impl Iterator<Item = (&'a str, Centicarats, StoneClass, u64)>,
    prices: &PriceModel,
) -> KpReport {
    let mut by_region: BTreeMap<&str, (KpRow, Option<i64>)> = BTreeMap::new();
    for (region, weight, class, n) in stones {
        let (row, base) = by_region
            .entry(region)
            .or_insert_with(|| (KpRow::new(region), prices.base(region).map(|c| c.0)));
        let value = base.map(|b| super::price::value_with_base(b, weight, class));
        row.add(weight, value, n);
    }
    let mut total = KpRow::new("TOTAL");
    let regions: Vec<KpRow> = by_region.into_values().map(|(r, _)| r).collect();
    for r in &regions {
        total.merge(r);
    }
    KpReport {
        period,
        regions,
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ProductionId, SiteId, StoneClass, StoneId};
    use chrono::NaiveDate;

    fn fact(region: &str, day: (i32, u32, u32), cc: i64, class: StoneClass) -> StoneFact {
        StoneFact {
            stone_id: StoneId::new(),
            production_id: ProductionId::new(),
            site_id: SiteId::new(),
            region: region.into(),
            day: NaiveDate::from_ymd_opt(day.0, day.1, day.2).unwrap(),
            weight: Centicarats(cc),
            class,
        }
    }

    #[test]
    fn sums_per_region_and_total_with_specials_apart() {
        let facts = [
            fact("SL-KONO", (2026, 6, 30), 100, StoneClass::Gem),
            fact("SL-KONO", (2026, 1, 1), 1080, StoneClass::Gem),
            fact("GH-AKWATIA", (2026, 3, 3), 5, StoneClass::Industrial),
            fact("SL-KONO", (2026, 7, 1), 999, StoneClass::Gem), // next half
            fact("SL-KONO", (2025, 12, 31), 999, StoneClass::Gem), // last year
        ];
        let r = kp_statistics(Period::Half(2026, 1), &facts, &PriceModel::standard());
        assert_eq!(r.regions.len(), 2);
        assert_eq!(r.regions[0].region, "GH-AKWATIA");
        let kono = &r.regions[1];
        assert_eq!(
            (kono.stones, kono.centicarats, kono.special_stones),
            (2, Centicarats(1180), 1)
        );
        assert_eq!(r.total.centicarats, Centicarats(1185));
        assert_eq!(r.total.stones, 3);
        assert_eq!(r.total.special_centicarats, Centicarats(1080));
        let usd = r.total.usd_cents.unwrap().0;
        let expect: i64 = facts[..3]
            .iter()
            .map(|f| {
                PriceModel::standard()
                    .value(&f.region, f.weight, f.class)
                    .unwrap()
                    .0
            })
            .sum();
        assert_eq!(usd, expect);
        assert_eq!(r.to_json()["total"]["carats"], "11.85");
    }

    #[test]
    fn a_region_without_a_price_makes_the_value_unknown_not_zero() {
        let facts = [fact("XX-NEW", (2026, 2, 1), 50, StoneClass::Gem)];
        let r = kp_statistics(Period::Year(2026), &facts, &PriceModel::standard());
        assert_eq!(r.total.usd_cents, None);
        assert_eq!(r.total.centicarats, Centicarats(50));
    }
}
