//! Size-frequency footprints (DOMAIN.md §5): the fixed size classes everyone shares, and per
//! class the share of stones, share of carats and mean USD/ct; for the whole set the stones per
//! carat, mean ct per stone and USD/ct. The reference footprint of a region keeps its sorted
//! stone weights as well, because the parcel test ([`super::compare_parcel`]) needs the whole
//! distribution, not nine shares.
//!
//! Class boundaries: a lower bound belongs to its class, an upper bound to the next one (a
//! 0.05 ct stone is in 0.05–0.1, a 10.80 ct stone is a special). Sieves work the same way: a
//! stone that does not pass a mesh stays in the coarser class. Weights are whole centicarats,
//! so the boundaries are exact.

use super::{AnalyticsError, Flag, FlagKind, PriceModel, StoneFact, StoneTally};
use crate::domain::{Centicarats, Cents};
use serde::Serialize;
use std::collections::HashSet;

/// The weight from which a stone is large (10.8 ct): the trade's "specials", priced one by one.
/// A trade convention, not a KP line: KP statistics count them within production.
pub const SPECIAL_STONE: Centicarats = Centicarats(1080);

/// The fixed size classes of DOMAIN.md §5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum SizeClass {
    #[serde(rename = "<0.05")]
    Below005,
    #[serde(rename = "0.05-0.1")]
    From005,
    #[serde(rename = "0.1-0.25")]
    From010,
    #[serde(rename = "0.25-0.5")]
    From025,
    #[serde(rename = "0.5-1")]
    From050,
    #[serde(rename = "1-2")]
    From1,
    #[serde(rename = "2-5")]
    From2,
    #[serde(rename = "5-10.8")]
    From5,
    #[serde(rename = ">=10.8")]
    Special,
}

/// Lower bounds in centicarats of the classes after the first.
const LOWER_BOUNDS: [i64; 8] = [5, 10, 25, 50, 100, 200, 500, 1080];

impl SizeClass {
    /// All classes, smallest first.
    pub const ALL: [SizeClass; 9] = [
        SizeClass::Below005,
        SizeClass::From005,
        SizeClass::From010,
        SizeClass::From025,
        SizeClass::From050,
        SizeClass::From1,
        SizeClass::From2,
        SizeClass::From5,
        SizeClass::Special,
    ];

    /// The class of a weight.
    pub fn of(weight: Centicarats) -> SizeClass {
        let i = LOWER_BOUNDS.partition_point(|&b| b <= weight.0);
        SizeClass::ALL[i]
    }

    /// Position in [`SizeClass::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The label used in CSV, JSON and charts, e.g. `0.05-0.1`.
    pub fn label(self) -> &'static str {
        [
            "<0.05", "0.05-0.1", "0.1-0.25", "0.25-0.5", "0.5-1", "1-2", "2-5", "5-10.8", ">=10.8",
        ][self.index()]
    }
}

/// One size class of a footprint.
///
/// JSON field names are the report's columns; do not rename.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassStats {
    pub class: SizeClass,
    pub stones: u64,
    pub centicarats: Centicarats,
    /// Share of the stones in this class (0–1).
    pub share_stones: f64,
    /// Share of the carats in this class (0–1).
    pub share_carats: f64,
    /// Mean USD per carat of the priced stones of the class; `None` when none is priced.
    pub mean_usd_per_ct: Option<f64>,
    #[serde(skip)]
    priced_cents: i64,
    #[serde(skip)]
    priced_centicarats: i64,
}

/// The size-frequency footprint of a set of stones.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Footprint {
    pub classes: Vec<ClassStats>,
    pub stones: u64,
    pub centicarats: Centicarats,
    /// Stones per carat (0 for an empty set).
    pub stones_per_carat: f64,
    /// Mean carats per stone (0 for an empty set).
    pub mean_ct_per_stone: f64,
    /// USD per carat over the priced stones; `None` when none is priced.
    pub usd_per_ct: Option<f64>,
}

impl Footprint {
    /// The footprint of stones given as (weight, value if known).
    pub fn from_weights(stones: impl IntoIterator<Item = (Centicarats, Option<Cents>)>) -> Self {
        Self::from_counts(stones.into_iter().map(|(w, value)| (w, value, 1)))
    }

    /// The footprint of stones given as (weight, value of one stone if known, how many).
    pub fn from_counts(
        stones: impl IntoIterator<Item = (Centicarats, Option<Cents>, u64)>,
    ) -> Self {
        let mut classes: Vec<ClassStats> = SizeClass::ALL
            .iter()
            .map(|&class| ClassStats {
                class,
                stones: 0,
                centicarats: Centicarats(0),
                share_stones: 0.0,
                share_carats: 0.0,
                mean_usd_per_ct: None,
                priced_cents: 0,
                priced_centicarats: 0,
            })
            .collect();
        for (w, value, n) in stones {
            // Counts stay far below 2^63: a count is a number of stones in one database.
            let times = n as i64;
            let c = &mut classes[SizeClass::of(w).index()];
            c.stones += n;
            c.centicarats.0 += w.0 * times;
            if let Some(v) = value {
                c.priced_cents += v.0 * times;
                c.priced_centicarats += w.0 * times;
            }
        }
        let stones: u64 = classes.iter().map(|c| c.stones).sum();
        let cc: i64 = classes.iter().map(|c| c.centicarats.0).sum();
        let usd_per_ct = |cents: i64, cc: i64| (cc > 0).then(|| cents as f64 / cc as f64);
        for c in &mut classes {
            c.share_stones = ratio(c.stones as f64, stones as f64);
            c.share_carats = ratio(c.centicarats.0 as f64, cc as f64);
            c.mean_usd_per_ct = usd_per_ct(c.priced_cents, c.priced_centicarats);
        }
        let priced_cents: i64 = classes.iter().map(|c| c.priced_cents).sum();
        let priced_cc: i64 = classes.iter().map(|c| c.priced_centicarats).sum();
        Footprint {
            stones,
            centicarats: Centicarats(cc),
            stones_per_carat: ratio(stones as f64 * 100.0, cc as f64),
            mean_ct_per_stone: ratio(cc as f64 / 100.0, stones as f64),
            usd_per_ct: usd_per_ct(priced_cents, priced_cc),
            classes,
        }
    }

    /// The footprint of stone facts, valued with the price model; a lot counts its stones at
    /// its mean weight, within its sieve class.
    pub fn from_facts<'a>(
        facts: impl IntoIterator<Item = &'a StoneFact>,
        prices: &PriceModel,
    ) -> Self {
        Self::from_counts(facts.into_iter().flat_map(|f| {
            f.stones()
                .map(move |(w, n)| (w, prices.value(&f.region, w, f.class), u64::from(n)))
        }))
    }

    /// The footprint of stone tallies, valued with the price model.
    pub fn from_tallies<'a>(
        tallies: impl IntoIterator<Item = &'a StoneTally>,
        prices: &PriceModel,
    ) -> Self {
        Self::from_counts(tallies.into_iter().map(|t| {
            (
                t.weight,
                prices.value(&t.region, t.weight, t.class),
                t.stones,
            )
        }))
    }

    /// Share of carats per class, in [`SizeClass::ALL`] order.
    pub fn carat_shares(&self) -> [f64; 9] {
        std::array::from_fn(|i| self.classes[i].share_carats)
    }

    /// Share of stones per class, in [`SizeClass::ALL`] order.
    pub fn stone_shares(&self) -> [f64; 9] {
        std::array::from_fn(|i| self.classes[i].share_stones)
    }

    /// Column names of the CSV form (one row per class).
    pub const CSV_HEADER: [&'static str; 6] = [
        "class",
        "stones",
        "carats",
        "share_stones",
        "share_carats",
        "mean_usd_per_ct",
    ];

    /// The CSV rows, one per class, in the order of [`Footprint::CSV_HEADER`].
    pub fn csv_rows(&self) -> Vec<Vec<String>> {
        self.classes
            .iter()
            .map(|c| {
                vec![
                    c.class.label().to_string(),
                    c.stones.to_string(),
                    c.centicarats.to_string(),
                    format!("{:.4}", c.share_stones),
                    format!("{:.4}", c.share_carats),
                    c.mean_usd_per_ct
                        .map(|v| format!("{v:.2}"))
                        .unwrap_or_default(),
                ]
            })
            .collect()
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// The finest sieve the parcel tests size stones by (0.05 ct, the lower bound of the
/// `0.05-0.1` class): smalls below it are bought and recorded in lots by the trade, so they
/// are weighed together, or alone only when a washing finds a single one. The tests read every
/// stone below the sieve as one weight just under it, so that a site whose smalls are weighed
/// in lots and one whose smalls are weighed alone look the same; the `<0.05` class keeps its
/// share of stones and carats in the footprint itself.
pub const FINEST_SIEVE: Centicarats = Centicarats(5);

/// A stone's weight as the parcel tests read it, in centicarats (see [`FINEST_SIEVE`]).
pub(crate) fn test_weight(w: Centicarats) -> i64 {
    if w < FINEST_SIEVE {
        FINEST_SIEVE.0 - 1
    } else {
        w.0
    }
}

/// Hellinger distance between two discrete distributions (shares summing to 1): 0 for equal
/// shapes, 1 for shapes with no class in common.
pub fn hellinger(p: &[f64], q: &[f64]) -> f64 {
    let bc: f64 = p
        .iter()
        .zip(q)
        .map(|(a, b)| (a.max(0.0) * b.max(0.0)).sqrt())
        .sum();
    (1.0 - bc).max(0.0).sqrt()
}

/// The stone facts that no flag casts doubt on: stones whose own record, production entry or
/// site is flagged are left out, so that anomalies do not bend a reference. Special-stone flags
/// do not count: a large stone is reported apart, not doubted.
pub fn unflagged_stones<'a>(facts: &'a [StoneFact], flags: &[Flag]) -> Vec<&'a StoneFact> {
    let doubted: HashSet<uuid::Uuid> = flags
        .iter()
        .filter(|f| f.kind != FlagKind::SpecialStone)
        .map(|f| f.record_id)
        .collect();
    facts
        .iter()
        .filter(|f| {
            !doubted.contains(&f.stone_id.0)
                && !doubted.contains(&f.production_id.0)
                && !doubted.contains(&f.site_id.0)
        })
        .collect()
}

/// A region's reference footprint: the descriptive footprint plus the stone weights sorted, which
/// the parcel test compares against.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceFootprint {
    pub region: String,
    pub footprint: Footprint,
    /// Every reference stone's weight in centicarats, ascending.
    pub(crate) sorted_weights: Vec<i64>,
}

impl ReferenceFootprint {
    /// Builds the reference of `region` from its stones (weight, value if known). Needs at least
    /// [`super::MIN_REFERENCE_STONES`] stones, since a thin reference would flag honest parcels.
    pub fn build(
        region: &str,
        stones: impl IntoIterator<Item = (Centicarats, Option<Cents>)>,
    ) -> Result<Self, AnalyticsError> {
        let stones: Vec<(Centicarats, Option<Cents>)> = stones.into_iter().collect();
        let needed = super::MIN_REFERENCE_STONES;
        if stones.len() < needed {
            return Err(AnalyticsError::ReferenceTooSmall {
                region: region.to_string(),
                found: stones.len(),
                needed,
            });
        }
        let mut sorted_weights: Vec<i64> = stones.iter().map(|(w, _)| test_weight(*w)).collect();
        sorted_weights.sort_unstable();
        Ok(ReferenceFootprint {
            region: region.to_string(),
            footprint: Footprint::from_weights(stones),
            sorted_weights,
        })
    }

    /// Builds the reference of `region` from stone facts (others' regions are skipped); a lot
    /// counts its stones at its mean weight, within its sieve class.
    pub fn from_facts<'a>(
        region: &str,
        facts: impl IntoIterator<Item = &'a StoneFact>,
        prices: &PriceModel,
    ) -> Result<Self, AnalyticsError> {
        Self::build(
            region,
            facts
                .into_iter()
                .filter(|f| &*f.region == region)
                .flat_map(|f| {
                    f.stones().flat_map(move |(w, n)| {
                        std::iter::repeat_n((w, prices.value(&f.region, w, f.class)), n as usize)
                    })
                }),
        )
    }

    /// The same reference without some of its stones (the parcel being judged, so that it is
    /// never part of its own reference): `weights` are taken out of the sorted weights once
    /// each, and the descriptive footprint is rebuilt from what is left (unpriced). Fails when
    /// fewer than [`super::MIN_REFERENCE_STONES`] stones are left.
    pub fn without(&self, weights: &[Centicarats]) -> Result<Self, AnalyticsError> {
        let mut out: Vec<i64> = weights.iter().map(|&w| test_weight(w)).collect();
        out.sort_unstable();
        let mut kept = Vec::with_capacity(self.sorted_weights.len());
        let mut k = 0;
        for &w in &self.sorted_weights {
            while k < out.len() && out[k] < w {
                k += 1;
            }
            if k < out.len() && out[k] == w {
                k += 1;
            } else {
                kept.push(w);
            }
        }
        let needed = super::MIN_REFERENCE_STONES;
        if kept.len() < needed {
            return Err(AnalyticsError::ReferenceTooSmall {
                region: self.region.clone(),
                found: kept.len(),
                needed,
            });
        }
        Ok(ReferenceFootprint {
            region: self.region.clone(),
            footprint: Footprint::from_weights(kept.iter().map(|&w| (Centicarats(w), None))),
            sorted_weights: kept,
        })
    }

    /// Number of stones in the reference.
    pub fn stones(&self) -> usize {
        self.sorted_weights.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_boundaries_belong_to_the_larger_class() {
        let cases = [
            (1, SizeClass::Below005),
            (4, SizeClass::Below005),
            (5, SizeClass::From005),
            (9, SizeClass::From005),
            (10, SizeClass::From010),
            (25, SizeClass::From025),
            (49, SizeClass::From025),
            (50, SizeClass::From050),
            (100, SizeClass::From1),
            (199, SizeClass::From1),
            (200, SizeClass::From2),
            (500, SizeClass::From5),
            (1079, SizeClass::From5),
            (1080, SizeClass::Special),
            (300_000, SizeClass::Special),
        ];
        for (cc, class) in cases {
            assert_eq!(SizeClass::of(Centicarats(cc)), class, "{cc} cc");
        }
    }

    #[test]
    fn shares_and_means_add_up() {
        let f = Footprint::from_weights([
            (Centicarats(4), Some(Cents(100))),
            (Centicarats(6), Some(Cents(300))),
            (Centicarats(90), None),
        ]);
        assert_eq!(f.stones, 3);
        assert_eq!(f.centicarats, Centicarats(100));
        assert!((f.stones_per_carat - 3.0).abs() < 1e-12);
        assert!((f.mean_ct_per_stone - 1.0 / 3.0).abs() < 1e-12);
        let s: f64 = f.carat_shares().iter().sum();
        assert!((s - 1.0).abs() < 1e-12);
        assert!((f.classes[0].share_carats - 0.04).abs() < 1e-12);
        assert_eq!(f.classes[0].mean_usd_per_ct, Some(25.0)); // 1 USD for 0.04 ct
        assert_eq!(f.classes[4].mean_usd_per_ct, None);
        assert_eq!(f.usd_per_ct, Some(40.0)); // 4 USD for 0.10 priced ct
        let empty = Footprint::from_weights([]);
        assert_eq!((empty.stones_per_carat, empty.usd_per_ct), (0.0, None));
    }

    #[test]
    fn hellinger_is_zero_for_equal_and_one_for_disjoint_shapes() {
        let a = [0.5, 0.5, 0.0];
        assert!(hellinger(&a, &a).abs() < 1e-9);
        assert!((hellinger(&a, &[0.0, 0.0, 1.0]) - 1.0).abs() < 1e-9);
        let h = hellinger(&a, &[0.25, 0.75, 0.0]);
        assert!(h > 0.0 && h < 1.0);
    }
}
