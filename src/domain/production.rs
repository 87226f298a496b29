//! A day's production at a site and the stones found. Both are append-only: a correction is a
//! new version that names the one it replaces, so the history stays auditable.

use super::{
    Centicarats, DiggerId, FixSource, Invalid, Litres, ProductionId, SieveClass, SiteId,
    StoneClass, StoneId, check_position, check_seal, check_text,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Most people recorded as present at one site on one day.
pub const MAX_CREW: u32 = 500;
/// Most gravel one site can wash in a day, in litres (1 000 m³).
pub const MAX_GRAVEL_LITRES: i64 = 1_000_000;
/// Heaviest single stone accepted, in centicarats (the largest alluvial finds are ~1 000 ct).
pub const MAX_STONE_CENTICARATS: i64 = 300_000;
/// Most stones one lot may hold: a day's smalls of a crew fit many times over; a bigger lot is
/// split, so that a typo (an extra zero or two) cannot pass for a day's production.
pub const MAX_LOT_STONES: u32 = 100_000;

/// Where the officer stood when recording the entry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PositionFix {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: f64,
    pub source: FixSource,
    /// When the fix was taken, if known.
    pub time: Option<DateTime<Utc>>,
}

/// One version of a day's production at a site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductionEntry {
    pub id: ProductionId,
    pub site_id: SiteId,
    /// The production day, a calendar date in the site's local time.
    pub day: NaiveDate,
    /// The recording officer's user name.
    pub officer: String,
    pub fix: Option<PositionFix>,
    /// Number of people who worked that day.
    pub crew_size: u32,
    /// The registered diggers among them.
    pub digger_ids: Vec<DiggerId>,
    pub gravel: Litres,
    pub notes: String,
    /// The earlier version this one corrects.
    pub replaces: Option<ProductionId>,
    /// The number of the seal on the bag the day's stones were sealed in at the pit; empty
    /// when the bag was not sealed (and absent from the JSON then, so entries of earlier
    /// versions read and hash as they did).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub seal: String,
}

impl ProductionEntry {
    /// Checks the record's own rules; `today` is the latest plausible production day.
    pub fn validate(&self, today: NaiveDate) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        check_text(&mut e, "officer", &self.officer, true, 60);
        check_text(&mut e, "notes", &self.notes, false, 2000);
        // A day ahead of the device's UTC date is possible east of Greenwich; more is a typo.
        if self.day > today.succ_opt().unwrap_or(today) {
            e.push("day", format!("{} is in the future", self.day));
        }
        if let Some(f) = &self.fix {
            check_position(&mut e, f.lat, f.lon, f.accuracy_m);
        }
        if self.crew_size > MAX_CREW {
            e.push(
                "crew_size",
                format!("{} is more than {MAX_CREW} people", self.crew_size),
            );
        }
        if (self.crew_size as usize) < self.digger_ids.len() {
            e.push(
                "crew_size",
                format!(
                    "{} is less than the {} diggers named",
                    self.crew_size,
                    self.digger_ids.len()
                ),
            );
        }
        let mut ids = self.digger_ids.clone();
        ids.sort();
        ids.dedup();
        if ids.len() != self.digger_ids.len() {
            e.push("digger_ids", "names a digger twice");
        }
        if self.gravel.0 < 0 || self.gravel.0 > MAX_GRAVEL_LITRES {
            e.push(
                "gravel_m3",
                format!(
                    "{} m³ is not between 0 and 1000",
                    self.gravel.to_m3_string()
                ),
            );
        }
        if self.replaces == Some(self.id) {
            e.push("replaces", "an entry cannot replace itself");
        }
        if !self.seal.is_empty() {
            check_seal(&mut e, "seal", &self.seal);
        }
        e.into_result()
    }
}

/// A rough stone found during a production day, or a lot of small stones of one sieve class
/// weighed together (`count` > 1: `weight` is the lot's total).
///
/// Field names are protocol; do not rename. `count` and `sieve` are left out of the JSON of a
/// single stone, so a stone reads and hashes as it did before lots existed, and a stone from a
/// device that knows no lots reads as one stone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stone {
    pub id: StoneId,
    pub production_id: ProductionId,
    /// The stone's weight, or the lot's total weight.
    pub weight: Centicarats,
    pub class: StoneClass,
    pub colour: String,
    /// How many stones the record weighs: 1 for a stone weighed alone, 2 or more for a lot.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub count: u32,
    /// The sieve class of a lot (required for a lot, absent for a single stone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sieve: Option<SieveClass>,
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

/// The whole-centicarat weights at which the `count` stones of a lot weighing `total` are
/// counted in footprints and size classes: the lot's mean weight, split between its floor and
/// the next centicarat so that the weights add up to the total exactly. Returns
/// `[(floor, how many), (floor + 1, how many)]`; a count of 0 is empty. A single stone is
/// `[(weight, 1), (weight + 1, 0)]`.
pub fn spread_lot(total: Centicarats, count: u32) -> [(Centicarats, u32); 2] {
    let n = i64::from(count.max(1));
    let q = total.0.div_euclid(n);
    let r = total.0.rem_euclid(n);
    [
        (Centicarats(q), (n - r) as u32),
        (Centicarats(q + 1), r as u32),
    ]
}

impl Stone {
    /// Whether the record is a lot of several stones.
    pub fn is_lot(&self) -> bool {
        self.count > 1
    }

    /// Checks the record's own rules.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        check_text(&mut e, "colour", &self.colour, false, 40);
        if self.weight.0 <= 0 {
            e.push(
                "carats",
                format!("{} ct: a stone must weigh more than 0", self.weight),
            );
            return e.into_result();
        }
        match (self.count, self.sieve) {
            (0, _) => e.push("count", "a record holds at least one stone"),
            (1, None) => {
                if self.weight.0 > MAX_STONE_CENTICARATS {
                    e.push(
                        "carats",
                        format!("{} ct is heavier than any alluvial find", self.weight),
                    );
                }
            }
            (1, Some(s)) => e.push(
                "sieve",
                format!(
                    "sieve class {s} is for a lot of 2 or more stones; a single stone is weighed on its own"
                ),
            ),
            (n, _) if n > MAX_LOT_STONES => e.push(
                "count",
                format!("{n} stones is more than {MAX_LOT_STONES} in one lot; split the lot"),
            ),
            (n, None) => e.push(
                "sieve",
                format!(
                    "a lot of {n} stones needs its sieve class ({})",
                    SieveClass::ALL
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            (n, Some(s)) => {
                let (lo, hi) = s.bounds();
                let n64 = i64::from(n);
                // Every stone counted at the lot's mean (floor or next centicarat) must stay in
                // the class: lo ≤ total/n and total/n ≤ hi − 0.01 ct.
                if self.weight.0 < lo * n64 || self.weight.0 > (hi - 1) * n64 {
                    e.push(
                        "carats",
                        format!(
                            "{} ct for {n} stones is {} ct a stone, outside sieve class {s}; \
                             the mean weight of a lot must fall within its sieve class ({} to {} ct)",
                            self.weight,
                            mean_text(self.weight, n),
                            Centicarats(lo),
                            Centicarats(hi - 1),
                        ),
                    );
                }
            }
        }
        e.into_result()
    }
}

/// A lot's mean weight per stone as text with three decimals (display only).
fn mean_text(total: Centicarats, count: u32) -> String {
    format!("{:.3}", total.0 as f64 / 100.0 / f64::from(count.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lot(count: u32, cc: i64, sieve: Option<SieveClass>) -> Stone {
        Stone {
            id: StoneId::new(),
            production_id: ProductionId::new(),
            weight: Centicarats(cc),
            class: StoneClass::Industrial,
            colour: String::new(),
            count,
            sieve,
        }
    }

    #[test]
    fn lots_follow_their_rules() {
        use SieveClass::*;
        // (count, centicarats, sieve, the field refused or None)
        let cases = [
            (1, 35, None, None),
            (1, 300_000, None, None),
            (1, 300_001, None, Some("carats")),
            (1, 0, None, Some("carats")),
            (1, 3, Some(Below005), Some("sieve")),
            (0, 3, None, Some("count")),
            (2, 1, Some(Below005), None),
            (250, 500, Some(Below005), None),
            (250, 1000, Some(Below005), None),
            (250, 1001, Some(Below005), Some("carats")),
            (40, 287, Some(From005), None),
            (40, 199, Some(From005), Some("carats")),
            (40, 200, Some(From005), None),
            (40, 360, Some(From005), None),
            (40, 361, Some(From005), Some("carats")),
            (10, 990, Some(From050), None),
            (10, 991, Some(From050), Some("carats")),
            (30, 60, None, Some("sieve")),
            (MAX_LOT_STONES, 100_000, Some(Below005), None),
            (MAX_LOT_STONES + 1, 100_001, Some(Below005), Some("count")),
        ];
        for (count, cc, sieve, refused) in cases {
            let r = lot(count, cc, sieve).validate();
            match refused {
                None => assert!(r.is_ok(), "{count} {cc} {sieve:?}: {r:?}"),
                Some(field) => {
                    let e = r.expect_err(&format!("{count} {cc} {sieve:?} should be refused"));
                    assert!(e.for_field(field).is_some(), "{count} {cc}: {e}");
                }
            }
        }
        let e = lot(120, 1200, Some(From005)).validate().unwrap_err();
        assert!(
            e.to_string()
                .contains("0.100 ct a stone, outside sieve class 0.05-0.1"),
            "{e}"
        );
    }

    #[test]
    fn a_lot_spreads_over_whole_centicarats_that_add_up() {
        assert_eq!(
            spread_lot(Centicarats(287), 40),
            [(Centicarats(7), 33), (Centicarats(8), 7)]
        );
        assert_eq!(
            spread_lot(Centicarats(35), 1),
            [(Centicarats(35), 1), (Centicarats(36), 0)]
        );
        // Smalls under 0.01 ct each: some counted at 0, the total still exact.
        assert_eq!(
            spread_lot(Centicarats(120), 500),
            [(Centicarats(0), 380), (Centicarats(1), 120)]
        );
        for (cc, n) in [(1, 2), (999, 10), (100_000, 100_000), (12_345, 678)] {
            let s = spread_lot(Centicarats(cc), n);
            assert_eq!(s[0].1 + s[1].1, n);
            assert_eq!(
                s[0].0.0 * i64::from(s[0].1) + s[1].0.0 * i64::from(s[1].1),
                cc
            );
        }
    }

    #[test]
    fn a_stone_without_count_reads_as_one_stone_and_a_single_stone_writes_as_before() {
        let json = serde_json::json!({
            "id": StoneId::new().to_string(),
            "production_id": ProductionId::new().to_string(),
            "weight": 35,
            "class": "gem",
            "colour": "white",
        });
        let s: Stone = serde_json::from_value(json.clone()).unwrap();
        assert_eq!((s.count, s.sieve), (1, None));
        assert_eq!(serde_json::to_value(&s).unwrap(), json);
        let l = lot(30, 60, Some(SieveClass::Below005));
        let j = serde_json::to_value(&l).unwrap();
        assert_eq!((&j["count"], &j["sieve"]), (&30.into(), &"<0.05".into()));
        assert_eq!(serde_json::from_value::<Stone>(j).unwrap(), l);
    }
}
