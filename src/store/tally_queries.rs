//! The lean read behind KP statistics and footprints: the stones of current production counted
//! per region, class and weight. A report over a million stones must come back within a
//! second, file read included. Reading stone by stone — three UUIDs and a date parsed per stone,
//! each stone's entry looked up — cost seconds; so the store keeps the counts themselves
//! (`stone_tallies`, migration 0005, per site, day, class and weight, kept by triggers) and this
//! read sums the rows of the sites and days asked for: a region is its sites' contiguous ranges.

use super::analytics_queries::FactFilter;
use super::{Store, StoreError};
use crate::analytics::StoneTally;
use crate::domain::{Centicarats, StoneClass, spread_lot};
use std::collections::HashMap;
use std::sync::Arc;

/// `?1` first day, `?2` last day (always bound: the span is a range of the key), `?3` region,
/// `?4` site. The CROSS JOINs fix the order of the loops: licences, their sites, and each site's
/// range of days in the tallies.
const TALLY_ROWS: &str = "SELECT l.region, t.class, t.centicarats, t.stones
     FROM licences l CROSS JOIN sites s ON s.licence_id = l.id
     CROSS JOIN stone_tallies t ON t.site_id = s.id
     WHERE t.day BETWEEN ?1 AND ?2
       AND (?3 IS NULL OR l.region = ?3) AND (?4 IS NULL OR s.id = ?4)";

/// Bounds that hold every ISO date the store keeps, for an open end of the span.
const EARLIEST: &str = "0000-01-01";
const LATEST: &str = "9999-12-31";

impl Store {
    /// The stones of current production entries matching `filter`, counted per region, class
    /// and weight; sorted by region, class, weight. The same stones as [`Store::stone_facts`]
    /// gives for `filter`, without what reports do not need.
    pub fn stone_tallies(&self, filter: &FactFilter) -> Result<Vec<StoneTally>, StoreError> {
        let from = filter.from.map_or(EARLIEST.to_string(), |d| d.to_string());
        let to = filter.to.map_or(LATEST.to_string(), |d| d.to_string());
        let site = filter.site.map(|s| s.to_string());
        let mut st = self.conn().prepare_cached(TALLY_ROWS)?;
        let mut rows = st.query(rusqlite::params![from, to, filter.region, site])?;
        let mut counts = Counts::default();
        // Rows come a site at a time, so the region repeats: compare its bytes with the last
        // one's rather than looking it up per row.
        let mut current: Option<usize> = None;
        while let Some(r) = rows.next()? {
            let region = r.get_ref(0)?.as_bytes().map_err(rusqlite::Error::from)?;
            let index = match current {
                Some(i) if counts.regions[i].as_bytes() == region => i,
                _ => {
                    let region = std::str::from_utf8(region)
                        .map_err(|e| rusqlite::Error::Utf8Error(0, e))?;
                    let i = counts.region_index(region);
                    current = Some(i);
                    i
                }
            };
            let class = class_of(r.get_ref(1)?.as_bytes().map_err(rusqlite::Error::from)?)?;
            let weight: i64 = r.get(2)?;
            let stones: i64 = r.get(3)?;
            counts.add(index, class, weight, stones.max(0) as u64);
        }
        // What coordinators rejected leaves the statistics (few stones: taken out one by one).
        for s in self.rejected_stones(filter, &self.review_states()?)? {
            let index = counts.region_index(&s.region);
            // A lot was counted at its mean weight (see `spread_lot`): taken out the same way.
            for (weight, n) in spread_lot(s.weight, s.count) {
                counts.remove(index, s.class, weight.0, u64::from(n));
            }
        }
        Ok(counts.into_tallies())
    }
}

/// Weights below this many centicarats (40 ct: nearly every stone) are counted in an array;
/// heavier ones in a map.
const DENSE_WEIGHTS: usize = 4096;

/// Stones counted per region (by index), class and weight while the rows stream by: an array
/// slot per common weight, so the count of a row is an addition, not a hash.
#[derive(Default)]
struct Counts {
    regions: Vec<Arc<str>>,
    /// Per region: `DENSE_WEIGHTS` slots for each class, in [`StoneClass::ALL`] order.
    dense: Vec<Vec<u64>>,
    heavy: HashMap<(usize, StoneClass, i64), u64>,
}

impl Counts {
    fn region_index(&mut self, region: &str) -> usize {
        if let Some(i) = self.regions.iter().position(|r| &**r == region) {
            return i;
        }
        self.regions.push(Arc::from(region));
        self.dense
            .push(vec![0; DENSE_WEIGHTS * StoneClass::ALL.len()]);
        self.regions.len() - 1
    }

    fn add(&mut self, region: usize, class: StoneClass, weight: i64, stones: u64) {
        match usize::try_from(weight) {
            Ok(w) if w < DENSE_WEIGHTS => {
                self.dense[region][class_slot(class) * DENSE_WEIGHTS + w] += stones;
            }
            _ => *self.heavy.entry((region, class, weight)).or_default() += stones,
        }
    }

    fn remove(&mut self, region: usize, class: StoneClass, weight: i64, stones: u64) {
        if stones == 0 {
            return;
        }
        match usize::try_from(weight) {
            Ok(w) if w < DENSE_WEIGHTS => {
                let slot = &mut self.dense[region][class_slot(class) * DENSE_WEIGHTS + w];
                *slot = slot.saturating_sub(stones);
            }
            _ => {
                if let Some(n) = self.heavy.get_mut(&(region, class, weight)) {
                    *n = n.saturating_sub(stones);
                }
            }
        }
    }

    /// The non-zero counts, sorted by region, class, weight.
    fn into_tallies(self) -> Vec<StoneTally> {
        let mut out = Vec::new();
        for (i, slots) in self.dense.iter().enumerate() {
            for (k, &stones) in slots.iter().enumerate() {
                if stones > 0 {
                    out.push(StoneTally {
                        region: self.regions[i].clone(),
                        weight: Centicarats((k % DENSE_WEIGHTS) as i64),
                        class: StoneClass::ALL[k / DENSE_WEIGHTS],
                        stones,
                    });
                }
            }
        }
        out.extend(
            self.heavy
                .into_iter()
                .filter(|(_, stones)| *stones > 0)
                .map(|((i, class, weight), stones)| StoneTally {
                    region: self.regions[i].clone(),
                    weight: Centicarats(weight),
                    class,
                    stones,
                }),
        );
        out.sort_unstable_by(|a, b| {
            (&a.region, a.class, a.weight).cmp(&(&b.region, b.class, b.weight))
        });
        out
    }
}

/// Position of a class in [`StoneClass::ALL`].
fn class_slot(class: StoneClass) -> usize {
    StoneClass::ALL
        .iter()
        .position(|c| *c == class)
        .expect("every class is in StoneClass::ALL")
}

/// A stone class as stored, read with the domain's own parser.
fn class_of(text: &[u8]) -> Result<StoneClass, rusqlite::Error> {
    let bad = |e: String| {
        rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, e.into())
    };
    std::str::from_utf8(text)
        .map_err(|e| bad(e.to_string()))?
        .parse()
        .map_err(bad)
}
