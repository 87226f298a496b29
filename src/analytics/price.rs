//! The estimated value of rough stones (DOMAIN.md §7): price per carat = base × size^0.6 ×
//! quality factor (gem 1, near-gem 0.4, industrial 0.05). Values are estimates for KP
//! statistics and footprints; a sale's recorded price always wins where there is one.
//!
//! The base is the price per carat of a 1 ct gem stone in the region. It is calibrated so that
//! the model's mean USD/ct over the region's run-of-mine (the lognormal weights and quality
//! shares of §7) lands on the published figure: for ln(ct) ~ N(ln m, σ) the mean USD/ct is
//! base × m^0.6 × exp(0.78 σ²) × (gem + 0.4 near-gem + 0.05 industrial), so
//!
//! | region | published USD/ct | m, σ | quality mix | base USD/ct |
//! | --- | --- | --- | --- | --- |
//! | SL-KONO | 289 (2016) | 0.15, 1.2 | 55/25/20 % | 445 |
//! | SL-KENEMA | 289 (2016) | 0.15, 1.2 | 60/22/18 % | 421 |
//! | GH-AKWATIA | 20–40 (assumed 30) | 0.03, 0.9 | 10/25/65 % | 562 |
//! | CF-BERBERATI | 167 (2012) | 0.12, 1.0 | 40/30/30 % | 511 |
//! | CD-TSHIKAPA | 10–11 | 0.04, 1.0 | 5/25/70 % | 179 |
//!
//! A region without a base gets no value estimate (shown as unknown, never as zero).

use crate::domain::{Centicarats, Cents, StoneClass};
use std::collections::BTreeMap;

/// The exponent of size in the price per carat: bigger stones are worth more per carat.
pub const SIZE_EXPONENT: f64 = 0.6;

/// Price factor of a quality class relative to gem.
pub fn quality_factor(class: StoneClass) -> f64 {
    match class {
        StoneClass::Gem => 1.0,
        StoneClass::NearGem => 0.4,
        StoneClass::Industrial => 0.05,
    }
}

/// Base prices per region, in US cents per carat of a 1 ct gem stone.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceModel {
    bases: BTreeMap<String, i64>,
}

impl Default for PriceModel {
    fn default() -> Self {
        Self::standard()
    }
}

impl PriceModel {
    /// The bases of the module table for the regions of the catalogue.
    pub fn standard() -> Self {
        let bases = [
            ("SL-KONO", 44_500),
            ("SL-KENEMA", 42_100),
            ("GH-AKWATIA", 56_200),
            ("CF-BERBERATI", 51_100),
            ("CD-TSHIKAPA", 17_900),
        ];
        PriceModel {
            bases: bases.iter().map(|(r, c)| (r.to_string(), *c)).collect(),
        }
    }

    /// A model without any base (every value unknown); add bases with [`PriceModel::with_base`].
    pub fn empty() -> Self {
        PriceModel {
            bases: BTreeMap::new(),
        }
    }

    /// Sets a region's base price per carat of a 1 ct gem stone.
    pub fn with_base(mut self, region: &str, base: Cents) -> Self {
        self.bases.insert(region.to_string(), base.0);
        self
    }

    /// The region's base, if known.
    pub fn base(&self, region: &str) -> Option<Cents> {
        self.bases.get(region).map(|&c| Cents(c))
    }

    /// The estimated value of one stone, rounded to the cent; `None` for a region without base.
    pub fn value(&self, region: &str, weight: Centicarats, class: StoneClass) -> Option<Cents> {
        let base = *self.bases.get(region)?;
        Some(value_with_base(base, weight, class))
    }
}

/// Value in cents of a stone at `base` cents per carat for a 1 ct gem.
pub(crate) fn value_with_base(base: i64, weight: Centicarats, class: StoneClass) -> Cents {
    let ct = weight.carats_f64();
    let cents = base as f64 * ct.powf(1.0 + SIZE_EXPONENT) * quality_factor(class);
    Cents(cents.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_carat_gem_is_worth_the_base_and_size_raises_the_price_per_carat() {
        let m = PriceModel::standard();
        let one = m
            .value("SL-KONO", Centicarats(100), StoneClass::Gem)
            .unwrap();
        assert_eq!(one, Cents(44_500));
        let two = m
            .value("SL-KONO", Centicarats(200), StoneClass::Gem)
            .unwrap();
        // 2 ct × 445 × 2^0.6 = 1 348.99 USD
        assert_eq!(two, Cents(134_899));
        let ind = m
            .value("SL-KONO", Centicarats(100), StoneClass::Industrial)
            .unwrap();
        assert_eq!(ind, Cents(22_25));
        assert_eq!(
            m.value("XX-NOWHERE", Centicarats(100), StoneClass::Gem),
            None
        );
    }

    /// The bases reproduce the published USD/ct of DOMAIN.md §7 for each region's run-of-mine.
    #[test]
    fn bases_reproduce_the_published_mean_price_per_carat() {
        // region, published USD/ct, median ct, σ, gem, near-gem
        let cases = [
            ("SL-KONO", 289.0, 0.15, 1.2, 0.55, 0.25),
            ("SL-KENEMA", 289.0, 0.15, 1.2, 0.60, 0.22),
            ("GH-AKWATIA", 30.0, 0.03, 0.9, 0.10, 0.25),
            ("CF-BERBERATI", 167.0, 0.12, 1.0, 0.40, 0.30),
            ("CD-TSHIKAPA", 10.5, 0.04, 1.0, 0.05, 0.25),
        ];
        let m = PriceModel::standard();
        for (region, published, median, sigma, gem, near) in cases {
            let base = m.base(region).unwrap().0 as f64 / 100.0;
            let q = gem + 0.4 * near + 0.05 * (1.0 - gem - near);
            let (f, sigma): (f64, f64) = (median, sigma);
            let mean = base * f.powf(SIZE_EXPONENT) * (0.78 * sigma * sigma).exp() * q;
            assert!(
                (mean / published - 1.0).abs() < 0.01,
                "{region}: model {mean:.1} USD/ct against {published}"
            );
        }
    }
}
