//! KP production statistics (DOMAIN.md §4) as a focal point signs them: per country, with the
//! regions under it, never a sum across countries. Per row: stones and carats produced in the
//! period, the large stones (≥ 10.8 ct, the trade's "specials") among them, the carats under a
//! coordinator's query, and the value of the production.
//!
//! The value rule ([`VALUE_RULE`]): a first-sale slip's price is shared among the production
//! entries it lists in proportion to their carats, and each share counts where and when its
//! entry was produced (recorded value). Carats no first sale lists are valued, per region, at
//! the mean price per carat that first sales recorded for entries of the same region and
//! period whose mean stone weight falls in the same size class (estimated value, with its
//! basis). What has no such price stays unvalued, and the shares of carats say how much each
//! part covers. No constant price list enters.
//!
//! Sums are exact integers (centicarats, cents); shares of a price are rounded so that they add
//! up to the price (largest remainders), and an estimate is rounded once per size class.

use super::{EntryTotal, FirstSale, Period, SPECIAL_STONE, SizeClass, StoneTally};
use crate::domain::{Centicarats, Cents, ProductionId};
use std::collections::{BTreeMap, HashMap};

/// The value rule in the words the report carries.
pub const VALUE_RULE: &str = "Recorded value: the price of each first-sale slip is shared among \
the production entries it lists in proportion to their carats, and each share counts in the \
region and period where its entry was produced. Estimated value: carats that no first-sale slip \
lists are valued at the mean USD per carat recorded by first sales of entries of the same region \
and period whose mean stone weight is in the same size class; carats with no such price stay \
unvalued. No price list or model is used.";

/// What KP production statistics read: the stones counted (for stones, carats and large
/// stones), each entry's carats (for the value), the first-sale slips and each region's
/// country. The store's `kp_inputs` gives them for a span of days, reviews applied.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KpInputs {
    pub tallies: Vec<StoneTally>,
    pub entries: Vec<EntryTotal>,
    pub first_sales: Vec<FirstSale>,
    /// Region code → ISO 3166 country code, from the regions registry.
    pub countries: BTreeMap<String, String>,
}

/// The mean price per carat that first sales recorded for one size class of a region's
/// entries: the basis of the estimate for unsold entries of that class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstimateBasis {
    /// Size class of the entries' mean stone weight.
    pub class: SizeClass,
    /// Sold carats of the class and what they fetched.
    pub sold_centicarats: Centicarats,
    pub sold_value: Cents,
    /// Unsold carats of the class valued at that rate, and the value given them.
    pub estimated_centicarats: Centicarats,
    pub estimated_value: Cents,
}

/// One line of the KP statistics: a region, or a country (its regions added up).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KpRow {
    /// ISO 3166 country code of the region (or the country of the row).
    pub country: String,
    /// Region code; `None` on a country's row.
    pub region: Option<String>,
    pub stones: u64,
    pub centicarats: Centicarats,
    /// Stones of 10.8 ct and more (the trade's "specials"), included in the counts above.
    pub large_stones: u64,
    pub large_centicarats: Centicarats,
    /// Value from first-sale slips, and the carats it covers.
    pub value_recorded: Cents,
    pub centicarats_recorded: Centicarats,
    /// Value estimated from recorded prices (see [`VALUE_RULE`]), and the carats it covers.
    pub value_estimated: Cents,
    pub centicarats_estimated: Centicarats,
    /// Carats still under a coordinator's query (counted, marked).
    pub centicarats_under_query: Centicarats,
    /// The rates behind the estimate (regions only).
    pub basis: Vec<EstimateBasis>,
}

impl KpRow {
    fn merge(&mut self, o: &KpRow) {
        self.stones += o.stones;
        self.centicarats.0 += o.centicarats.0;
        self.large_stones += o.large_stones;
        self.large_centicarats.0 += o.large_centicarats.0;
        self.value_recorded.0 += o.value_recorded.0;
        self.centicarats_recorded.0 += o.centicarats_recorded.0;
        self.value_estimated.0 += o.value_estimated.0;
        self.centicarats_estimated.0 += o.centicarats_estimated.0;
        self.centicarats_under_query.0 += o.centicarats_under_query.0;
    }

    /// Carats neither sold nor estimated.
    pub fn centicarats_unvalued(&self) -> Centicarats {
        Centicarats(self.centicarats.0 - self.centicarats_recorded.0 - self.centicarats_estimated.0)
    }

    /// Share (0–1) of the row's carats that `part` is, to four decimals.
    fn share(&self, part: Centicarats) -> f64 {
        if self.centicarats.0 <= 0 {
            return 0.0;
        }
        (part.0 as f64 / self.centicarats.0 as f64 * 10_000.0).round() / 10_000.0
    }

    /// How the estimate was made, in one line (empty when nothing is estimated).
    pub fn basis_text(&self) -> String {
        self.basis
            .iter()
            .filter(|b| b.estimated_centicarats.0 > 0)
            .map(|b| {
                format!(
                    "{}: {} ct at {} USD/ct of {} ct sold",
                    b.class.label(),
                    b.estimated_centicarats,
                    rate_text(b.sold_value, b.sold_centicarats),
                    b.sold_centicarats
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The CSV cells, in the order of [`KpReport::CSV_HEADER`].
    pub fn csv_cells(&self, period: Period) -> Vec<String> {
        vec![
            period.to_string(),
            self.country.clone(),
            self.region.clone().unwrap_or_default(),
            self.stones.to_string(),
            self.centicarats.to_string(),
            self.large_stones.to_string(),
            self.large_centicarats.to_string(),
            self.value_recorded.to_string(),
            format!("{:.4}", self.share(self.centicarats_recorded)),
            self.value_estimated.to_string(),
            format!("{:.4}", self.share(self.centicarats_estimated)),
            self.centicarats_unvalued().to_string(),
            self.centicarats_under_query.to_string(),
            self.basis_text(),
        ]
    }

    fn to_json(&self) -> serde_json::Value {
        let mut j = serde_json::json!({
            "country": self.country,
            "stones": self.stones,
            "carats": self.centicarats.to_string(),
            "centicarats": self.centicarats.0,
            "large_stones": self.large_stones,
            "large_carats": self.large_centicarats.to_string(),
            "value_usd_recorded": self.value_recorded.to_string(),
            "value_cents_recorded": self.value_recorded.0,
            "carats_recorded": self.centicarats_recorded.to_string(),
            "carats_recorded_share": self.share(self.centicarats_recorded),
            "value_usd_estimated": self.value_estimated.to_string(),
            "value_cents_estimated": self.value_estimated.0,
            "carats_estimated": self.centicarats_estimated.to_string(),
            "carats_estimated_share": self.share(self.centicarats_estimated),
            "carats_unvalued": self.centicarats_unvalued().to_string(),
            "carats_under_query": self.centicarats_under_query.to_string(),
        });
        if let Some(r) = &self.region {
            j["region"] = r.clone().into();
            j["estimate_basis"] = self
                .basis
                .iter()
                .map(|b| {
                    serde_json::json!({
                        "size_class": b.class.label(),
                        "sold_carats": b.sold_centicarats.to_string(),
                        "sold_usd": b.sold_value.to_string(),
                        "usd_per_ct": rate_text(b.sold_value, b.sold_centicarats),
                        "estimated_carats": b.estimated_centicarats.to_string(),
                        "estimated_usd": b.estimated_value.to_string(),
                    })
                })
                .collect();
        }
        j
    }
}

/// USD per carat of a value over carats, two decimals.
fn rate_text(value: Cents, cc: Centicarats) -> String {
    if cc.0 <= 0 {
        return String::new();
    }
    // cents per centicarat = USD per carat; to the cent.
    Cents(round_div(i128::from(value.0) * 100, i128::from(cc.0)) as i64).to_string()
}

/// A country's row and its regions' rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpCountry {
    pub total: KpRow,
    pub regions: Vec<KpRow>,
}

/// The KP statistics of a period, per country.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpReport {
    pub period: Period,
    pub countries: Vec<KpCountry>,
}

impl KpReport {
    /// Column names of the CSV form: one row per region, then its country's row (region empty).
    pub const CSV_HEADER: [&'static str; 14] = [
        "period",
        "country",
        "region",
        "stones",
        "carats",
        "large_stones",
        "large_carats",
        "value_usd_recorded",
        "carats_recorded_share",
        "value_usd_estimated",
        "carats_estimated_share",
        "carats_unvalued",
        "carats_under_query",
        "estimate_basis",
    ];

    /// The rows of the CSV form, in order.
    pub fn csv_rows(&self) -> impl Iterator<Item = &KpRow> {
        self.countries
            .iter()
            .flat_map(|c| c.regions.iter().chain([&c.total]))
    }

    /// The JSON form: countries, each with its regions; carats and USD as two-decimal text
    /// beside the exact integers.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "period": self.period.to_string(),
            "from": self.period.first_day().to_string(),
            "to": self.period.last_day().to_string(),
            "value_rule": VALUE_RULE,
            "countries": self.countries.iter().map(|c| {
                let mut j = c.total.to_json();
                j["regions"] = c.regions.iter().map(KpRow::to_json).collect();
                j
            }).collect::<Vec<_>>(),
        })
    }

    /// A region's row.
    pub fn region(&self, code: &str) -> Option<&KpRow> {
        self.countries
            .iter()
            .flat_map(|c| &c.regions)
            .find(|r| r.region.as_deref() == Some(code))
    }

    /// A country's row.
    pub fn country(&self, code: &str) -> Option<&KpRow> {
        self.countries
            .iter()
            .map(|c| &c.total)
            .find(|r| r.country == code)
    }
}

/// `a / b` rounded half away from zero (b > 0).
fn round_div(a: i128, b: i128) -> i128 {
    if a >= 0 {
        (a + b / 2) / b
    } else {
        -((-a + b / 2) / b)
    }
}

/// Shares `price` among `weights` in proportion, in whole cents that add up to the price
/// (largest remainders first, ties to the earlier line). `None` when the weights are nil.
pub fn prorate(price: Cents, weights: &[Centicarats]) -> Option<Vec<Cents>> {
    let total: i128 = weights.iter().map(|w| i128::from(w.0.max(0))).sum();
    if total <= 0 {
        return None;
    }
    let p = i128::from(price.0);
    let mut shares: Vec<(i128, i128)> = weights
        .iter()
        .map(|w| {
            let x = p * i128::from(w.0.max(0));
            (x.div_euclid(total), x.rem_euclid(total))
        })
        .collect();
    let left = p - shares.iter().map(|s| s.0).sum::<i128>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(shares[i].1), i));
    for &i in order.iter().take(left.max(0) as usize) {
        shares[i].0 += 1;
    }
    Some(shares.into_iter().map(|s| Cents(s.0 as i64)).collect())
}

/// The KP statistics of `period` from `inputs`. Tallies carry no day: the caller reads those
/// of the period only. Entries outside the period are ignored.
pub fn kp_statistics(period: Period, inputs: &KpInputs) -> KpReport {
    let (first, last) = (period.first_day(), period.last_day());
    let mut rows: BTreeMap<&str, KpRow> = BTreeMap::new();
    let country_of = |region: &str| {
        inputs
            .countries
            .get(region)
            .cloned()
            .unwrap_or_else(|| region.split('-').next().unwrap_or(region).to_string())
    };
    let row = |region: &str| -> KpRow {
        KpRow {
            country: country_of(region),
            region: Some(region.to_string()),
            ..KpRow::default()
        }
    };
    for t in &inputs.tallies {
        let r = rows.entry(&t.region).or_insert_with(|| row(&t.region));
        // Counts stay far below 2^63: a count is a number of stones in one database.
        let times = t.stones as i64;
        r.stones += t.stones;
        r.centicarats.0 += t.weight.0 * times;
        if t.weight >= SPECIAL_STONE {
            r.large_stones += t.stones;
            r.large_centicarats.0 += t.weight.0 * times;
        }
    }
    // The period's entries, by position; a map from id to position for the slips' lines.
    let entries: Vec<&EntryTotal> = inputs
        .entries
        .iter()
        .filter(|e| e.day >= first && e.day <= last && e.weight.0 > 0)
        .collect();
    let position: HashMap<ProductionId, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.production_id, i))
        .collect();
    // The first slip (by day, then id) that lists an entry sells it; a later one is a
    // double sale, which the custody checks flag, not a second value.
    let mut sales: Vec<&FirstSale> = inputs.first_sales.iter().collect();
    sales.sort_by_key(|s| (s.day, s.sale_id));
    let mut sold: Vec<Option<Cents>> = vec![None; entries.len()];
    for s in sales {
        if !s.lines.iter().any(|(p, _)| position.contains_key(p)) {
            continue;
        }
        let weights: Vec<Centicarats> = s.lines.iter().map(|l| l.1).collect();
        let Some(shares) = prorate(s.price, &weights) else {
            continue;
        };
        for ((p, _), share) in s.lines.iter().zip(shares) {
            if let Some(&i) = position.get(p) {
                sold[i].get_or_insert(share);
            }
        }
    }
    // Per region and size class of the entry's mean stone: sold carats, their value, and
    // unsold carats.
    let mut classes: BTreeMap<&str, [[i64; 3]; 9]> = BTreeMap::new();
    for (e, sold) in entries.iter().zip(&sold) {
        let r = rows.entry(&e.region).or_insert_with(|| row(&e.region));
        r.centicarats_under_query.0 += e.under_query.0;
        let mean = Centicarats(e.weight.0 / e.stones.max(1) as i64);
        let slot =
            &mut classes.entry(&e.region).or_insert([[0; 3]; 9])[SizeClass::of(mean).index()];
        match sold {
            Some(v) => {
                r.value_recorded.0 += v.0;
                r.centicarats_recorded.0 += e.weight.0;
                slot[0] += e.weight.0;
                slot[1] += v.0;
            }
            None => slot[2] += e.weight.0,
        }
    }
    for (region, per_class) in classes {
        let r = rows
            .get_mut(region)
            .expect("every entry's region has a row");
        for (class, &[sold_cc, sold_v, unsold_cc]) in SizeClass::ALL.iter().zip(&per_class) {
            if sold_cc <= 0 {
                continue;
            }
            let est_v = round_div(
                i128::from(unsold_cc) * i128::from(sold_v),
                i128::from(sold_cc),
            ) as i64;
            r.value_estimated.0 += est_v;
            r.centicarats_estimated.0 += unsold_cc;
            r.basis.push(EstimateBasis {
                class: *class,
                sold_centicarats: Centicarats(sold_cc),
                sold_value: Cents(sold_v),
                estimated_centicarats: Centicarats(unsold_cc),
                estimated_value: Cents(est_v),
            });
        }
    }
    let mut countries: BTreeMap<String, KpCountry> = BTreeMap::new();
    for r in rows.into_values() {
        let c = countries
            .entry(r.country.clone())
            .or_insert_with(|| KpCountry {
                total: KpRow {
                    country: r.country.clone(),
                    ..KpRow::default()
                },
                regions: Vec::new(),
            });
        c.total.merge(&r);
        c.regions.push(r);
    }
    KpReport {
        period,
        countries: countries.into_values().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_of_a_price_add_up_to_the_price() {
        let s = prorate(
            Cents(1000),
            &[Centicarats(1), Centicarats(1), Centicarats(1)],
        )
        .unwrap();
        assert_eq!(s, vec![Cents(334), Cents(333), Cents(333)]);
        let s = prorate(Cents(99), &[Centicarats(300), Centicarats(100)]).unwrap();
        assert_eq!(s, vec![Cents(74), Cents(25)]);
        assert_eq!(prorate(Cents(5), &[Centicarats(0)]), None);
    }

    #[test]
    fn rates_are_to_the_cent() {
        assert_eq!(rate_text(Cents(10_000), Centicarats(300)), "33.33");
        assert_eq!(rate_text(Cents(1), Centicarats(0)), "");
    }
}
