//! The draws of single records that the demo makes and other simulations reuse: one stone's
//! weight, class and colour, who of a crew turns up and how much gravel they wash, the
//! officer's GPS fix and the day's note. The slow-link benchmark draws its busy site's weeks
//! with these, so its workload stays the demo's instead of a copy that drifts away from it.
//!
//! Each function takes its values from the generator in a fixed order. Changing that order, or
//! the type a range is drawn in, changes every demo export for a given seed.

use super::profile::{Profile, profile};
use crate::domain::{
    Centicarats, DiggerId, FixSource, Litres, Position, PositionFix, ProductionId, SieveClass,
    Stone, StoneClass, StoneId,
};
use chrono::{Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use rand::Rng;
use rand_distr::{Distribution, LogNormal};

/// Share of the tail of exceptional stones (20–1 000 ct) among all stones.
const LARGE_STONE_P: f64 = 1e-4;

/// How one region's stones are drawn: lognormal weights with a rare Pareto tail of large
/// stones, and the region's shares of gem and near-gem quality (DOMAIN.md §7).
#[derive(Debug, Clone)]
pub struct StoneDraw {
    median_ct: f64,
    /// `None` only for a degenerate profile; the stones then all weigh the median.
    weights: Option<LogNormal<f64>>,
    gem: f64,
    near_gem: f64,
}

/// One stone's measured traits, before it has an id or a production entry.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnStone {
    /// The weight recorded for the stone alone (whole centicarats, at least 0.01 ct).
    pub weight: Centicarats,
    /// The weight drawn, in centicarats before rounding (what a lot of smalls adds up).
    pub exact_centicarats: f64,
    pub class: StoneClass,
    pub colour: &'static str,
}

impl StoneDraw {
    /// The draw of a region code from the catalogue, e.g. `SL-KONO` (codes outside it draw as
    /// the demo's last profile does).
    pub fn for_region(code: &str) -> Self {
        Self::new(&profile(code))
    }

    pub(super) fn new(p: &Profile) -> Self {
        StoneDraw {
            median_ct: p.median_ct,
            weights: LogNormal::new(p.median_ct.ln(), p.sigma).ok(),
            gem: p.gem,
            near_gem: p.near_gem,
        }
    }
}

impl Distribution<DrawnStone> for StoneDraw {
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> DrawnStone {
        let ct = if rng.random_bool(LARGE_STONE_P) {
            (20.0 * rng.random_range(0.0001f64..1.0).powf(-1.0 / 1.5)).min(1000.0)
        } else {
            self.weights
                .as_ref()
                .map_or(self.median_ct, |w| w.sample(rng))
        };
        let roll: f64 = rng.random();
        let class = if roll < self.gem {
            StoneClass::Gem
        } else if roll < self.gem + self.near_gem {
            StoneClass::NearGem
        } else {
            StoneClass::Industrial
        };
        let colour = match class {
            StoneClass::Gem => pick(
                rng,
                &["white", "white", "off-white", "light yellow", "yellow"],
            ),
            StoneClass::NearGem => pick(rng, &["yellow", "light brown", "grey"]),
            StoneClass::Industrial => pick(rng, &["brown", "grey", "black", "green"]),
        };
        DrawnStone {
            // Rounding can reach zero for the lightest stones; a recorded stone weighs something.
            weight: Centicarats(((ct * 100.0).round() as i64).max(1)),
            exact_centicarats: ct * 100.0,
            class,
            colour,
        }
    }
}

impl DrawnStone {
    /// The stone record of entry `production_id`.
    pub fn into_stone(self, id: StoneId, production_id: ProductionId) -> Stone {
        Stone {
            id,
            production_id,
            weight: self.weight,
            class: self.class,
            colour: self.colour.into(),
            count: 1,
            sieve: None,
        }
    }
}

/// Smalls lighter than this many centicarats are recorded in lots of the finest sieve class
/// (`<0.05`), as buyers take them, instead of one by one: weighed alone they would be rounded
/// to 0.01–0.04 ct each (a fifth of a Ghana-like run would read 0.01 ct). Below 4.5 the lot's
/// mean stays within the class.
pub const LOT_BELOW_CENTICARATS: f64 = 4.5;

/// The records of one washing's stones, drawn with their ids: each stone of
/// [`LOT_BELOW_CENTICARATS`] or more on its own, the smalls below it as one lot per quality
/// class weighing their drawn total, under the id of the lot's first stone (a lone small stays
/// a stone).
pub fn washing_records(
    drawn: Vec<(DrawnStone, StoneId)>,
    production_id: ProductionId,
) -> Vec<Stone> {
    let mut out = Vec::with_capacity(drawn.len());
    let mut smalls: Vec<Vec<(DrawnStone, StoneId)>> = vec![Vec::new(); StoneClass::ALL.len()];
    for (d, id) in drawn {
        if d.exact_centicarats < LOT_BELOW_CENTICARATS {
            let i = StoneClass::ALL
                .iter()
                .position(|c| *c == d.class)
                .unwrap_or(0);
            smalls[i].push((d, id));
        } else {
            out.push(d.into_stone(id, production_id));
        }
    }
    for (class, group) in StoneClass::ALL.iter().zip(smalls) {
        match group.len() {
            0 => {}
            1 => out.extend(
                group
                    .into_iter()
                    .map(|(d, id)| d.into_stone(id, production_id)),
            ),
            n => {
                let (lo, hi) = SieveClass::Below005.bounds();
                let total: f64 = group.iter().map(|d| d.0.exact_centicarats).sum();
                let n64 = n as i64;
                out.push(Stone {
                    id: group[0].1,
                    production_id,
                    weight: Centicarats(
                        (total.round() as i64).clamp((lo * n64).max(1), (hi - 1) * n64),
                    ),
                    class: *class,
                    colour: "mixed".into(),
                    count: n as u32,
                    sieve: Some(SieveClass::Below005),
                });
            }
        }
    }
    out
}

/// Who worked a washing day and what they washed.
#[derive(Debug, Clone, PartialEq)]
pub struct Turnout {
    /// The registered crew members present (each comes with probability 0.85).
    pub digger_ids: Vec<DiggerId>,
    /// Everyone at the pit: those present plus up to two helpers not on the register.
    pub crew_size: u32,
    /// Gravel washed: 0.5–2 m³ a head, recorded to the tenth of a cubic metre.
    pub gravel: Litres,
}

/// Draws a washing day's turnout of `crew`.
pub fn turnout<R: Rng + ?Sized>(rng: &mut R, crew: &[DiggerId]) -> Turnout {
    let digger_ids: Vec<_> = crew
        .iter()
        .copied()
        .filter(|_| rng.random_bool(0.85))
        .collect();
    let crew_size = digger_ids.len() as u32 + rng.random_range(0..3);
    let gravel_m3 = f64::from(crew_size.max(1)) * rng.random_range(0.5..2.0);
    Turnout {
        digger_ids,
        crew_size,
        gravel: Litres((gravel_m3 * 10.0).round() as i64 * 100),
    }
}

/// Draws the officer's fix at a site at `site` on `day`: taken during the working day
/// (08:00–16:00 local time, `utc_offset_minutes` ahead of UTC), from an NMEA receiver with an
/// accuracy of 2.5–9 m, and off the site's position by up to that accuracy each way.
pub fn fix_at<R: Rng + ?Sized>(
    rng: &mut R,
    site: &Position,
    day: NaiveDate,
    utc_offset_minutes: i32,
) -> PositionFix {
    let local = day.and_time(NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default())
        + Duration::minutes(rng.random_range(0..480))
        - Duration::minutes(i64::from(utc_offset_minutes));
    let accuracy = round1(rng.random_range(2.5..9.0));
    let (n, e) = (
        rng.random_range(-1.0..1.0) * accuracy,
        rng.random_range(-1.0..1.0) * accuracy,
    );
    let (lat, lon) = offset(site.lat, site.lon, n, e);
    PositionFix {
        lat: round6(lat),
        lon: round6(lon),
        accuracy_m: accuracy,
        source: FixSource::Nmea,
        time: Some(Utc.from_utc_datetime(&local)),
    }
}

/// Draws a washing day's note: mostly none, now and then rain, a broken pump or a supporter
/// at the washing.
pub fn day_notes<R: Rng + ?Sized>(rng: &mut R) -> &'static str {
    match rng.random_range(0..100) {
        0..=2 => "washing stopped early: heavy rain",
        3 => "pump broken, washed by hand",
        4 => "supporter present at the washing",
        _ => "",
    }
}

/// One item of `list`, uniformly.
pub(super) fn pick<'s, R: Rng + ?Sized>(rng: &mut R, list: &[&'s str]) -> &'s str {
    list[rng.random_range(0..list.len())]
}

/// Moves a point by metres north and east (flat-earth; exact enough over tens of km).
pub(super) fn offset(lat: f64, lon: f64, north_m: f64, east_m: f64) -> (f64, f64) {
    const M_PER_DEG: f64 = 111_320.0;
    (
        lat + north_m / M_PER_DEG,
        lon + east_m / (M_PER_DEG * lat.to_radians().cos()),
    )
}

/// Coordinates to six decimals (about 0.1 m), as a receiver reports them.
pub(super) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Accuracies to a tenth of a metre.
pub(super) fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn stones_weigh_something_and_follow_the_regions_quality_shares() {
        // (region, gem share, near-gem share) from the profiles.
        for (code, gem, near_gem) in [("SL-KONO", 0.55, 0.25), ("CD-TSHIKAPA", 0.05, 0.25)] {
            let draw = StoneDraw::for_region(code);
            let mut rng = ChaCha8Rng::seed_from_u64(3);
            let n = 20_000;
            let stones: Vec<DrawnStone> = (0..n).map(|_| draw.sample(&mut rng)).collect();
            assert!(stones.iter().all(|s| s.weight.0 >= 1), "{code}");
            let share = |c: StoneClass| {
                stones.iter().filter(|s| s.class == c).count() as f64 / f64::from(n)
            };
            assert!((share(StoneClass::Gem) - gem).abs() < 0.02, "{code} gem");
            assert!(
                (share(StoneClass::NearGem) - near_gem).abs() < 0.02,
                "{code} near-gem"
            );
            let gem_colours = ["white", "off-white", "light yellow", "yellow"];
            assert!(
                stones
                    .iter()
                    .filter(|s| s.class == StoneClass::Gem)
                    .all(|s| gem_colours.contains(&s.colour)),
                "{code} gem colours"
            );
        }
    }

    #[test]
    fn smalls_are_recorded_in_lots_so_few_stones_read_as_a_hundredth_of_a_carat() {
        // Ghana-like stones (median 0.03 ct), washed 20 at a time.
        let draw = StoneDraw::for_region("GH-AKWATIA");
        let mut rng = ChaCha8Rng::seed_from_u64(16);
        let (mut stones, mut at_one_cc, mut drawn_cc, mut recorded_cc) = (0u64, 0u64, 0.0, 0i64);
        let mut rounded_to_one = 0u64;
        let production_id = ProductionId::new();
        for _ in 0..1000 {
            let washing: Vec<DrawnStone> = (0..20).map(|_| draw.sample(&mut rng)).collect();
            rounded_to_one += washing.iter().filter(|d| d.weight.0 == 1).count() as u64;
            drawn_cc += washing.iter().map(|d| d.exact_centicarats).sum::<f64>();
            let washing = washing.into_iter().map(|d| (d, StoneId::new())).collect();
            for s in washing_records(washing, production_id) {
                assert!(s.validate().is_ok(), "{s:?}");
                stones += u64::from(s.count);
                recorded_cc += s.weight.0;
                if s.count == 1 && s.weight.0 == 1 {
                    at_one_cc += 1;
                }
                if s.count > 1 {
                    assert_eq!(s.sieve, Some(SieveClass::Below005));
                }
            }
        }
        assert_eq!(stones, 20_000);
        // Weighed one by one, about a fifth would read 0.01 ct; in lots, hardly any.
        let before = rounded_to_one as f64 / stones as f64;
        let after = at_one_cc as f64 / stones as f64;
        assert!(before > 0.15, "{before}");
        assert!(after < 0.01, "{after}");
        // The lots keep the drawn weight (to the rounding of each lot's total).
        assert!((recorded_cc as f64 - drawn_cc).abs() / drawn_cc < 0.005);
    }

    #[test]
    fn the_same_seed_draws_the_same_day() {
        let crew: Vec<DiggerId> = (0..10).map(|_| DiggerId::new()).collect();
        let site = Position {
            lat: 8.64,
            lon: -10.97,
            accuracy_m: 4.0,
        };
        let day = NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
        let draw = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            (
                turnout(&mut rng, &crew),
                fix_at(&mut rng, &site, day, 0),
                day_notes(&mut rng),
                StoneDraw::for_region("SL-KONO").sample(&mut rng),
            )
        };
        assert_eq!(draw(9), draw(9));
        assert_ne!(draw(9), draw(10));
    }

    #[test]
    fn turnout_and_fix_stay_within_their_bounds() {
        let crew: Vec<DiggerId> = (0..12).map(|_| DiggerId::new()).collect();
        let site = Position {
            lat: 6.05,
            lon: -0.8,
            accuracy_m: 4.0,
        };
        let day = NaiveDate::from_ymd_opt(2025, 3, 4).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for _ in 0..500 {
            let t = turnout(&mut rng, &crew);
            assert!(t.digger_ids.iter().all(|d| crew.contains(d)));
            let present = t.digger_ids.len() as u32;
            assert!((present..=present + 2).contains(&t.crew_size));
            let heads = f64::from(t.crew_size.max(1));
            let m3 = t.gravel.0 as f64 / 1000.0;
            assert_eq!(t.gravel.0 % 100, 0, "to the tenth of a cubic metre");
            assert!(m3 >= (0.5 * heads * 10.0).round() / 10.0 && m3 <= 2.0 * heads);

            // One hour ahead of UTC: the working day is 07:00–15:00 UTC.
            let fix = fix_at(&mut rng, &site, day, 60);
            assert!((2.5..=9.0).contains(&fix.accuracy_m));
            let metres = 111_320.0 * ((fix.lat - site.lat).abs() + (fix.lon - site.lon).abs());
            assert!(metres <= 2.0 * fix.accuracy_m + 0.5, "{metres} m off");
            let time = fix.time.unwrap();
            let (start, end) = (
                day.and_hms_opt(7, 0, 0).unwrap().and_utc(),
                day.and_hms_opt(15, 0, 0).unwrap().and_utc(),
            );
            assert!(start <= time && time < end, "{time}");
        }
    }
}
