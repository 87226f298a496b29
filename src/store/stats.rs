//! Entity counts, in total and per region (`alluvium stats`). Production and stones count the
//! current versions only: a corrected entry is one entry, not two.

use super::{Store, StoreError};
use serde::Serialize;
use std::collections::BTreeMap;

/// Counts of each entity. Field names are part of the command-line contract.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub diggers: i64,
    pub licences: i64,
    pub sites: i64,
    pub production: i64,
    pub stones: i64,
    pub sales: i64,
    pub reviews: i64,
    pub pending_changes: i64,
}

/// Counts in total (top level) and per region code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    #[serde(flatten)]
    pub total: Counts,
    pub regions: BTreeMap<String, Counts>,
}

const CURRENT_PRODUCTION: &str =
    "production p WHERE NOT EXISTS (SELECT 1 FROM production n WHERE n.replaces = p.id)";

impl Store {
    /// Counts every entity, in total and per region.
    pub fn stats(&self) -> Result<Stats, StoreError> {
        let c = self.conn();
        let total =
            |sql: &str| -> Result<i64, StoreError> { Ok(c.query_row(sql, [], |r| r.get(0))?) };
        let stats_total = Counts {
            diggers: total("SELECT count(*) FROM diggers")?,
            licences: total("SELECT count(*) FROM licences")?,
            sites: total("SELECT count(*) FROM sites")?,
            production: total(&format!("SELECT count(*) FROM {CURRENT_PRODUCTION}"))?,
            stones: total(&format!(
                "SELECT count(*) FROM stones WHERE production_id IN (SELECT p.id FROM {CURRENT_PRODUCTION})"
            ))?,
            sales: total("SELECT count(*) FROM sales")?,
            reviews: total("SELECT count(*) FROM reviews")?,
            pending_changes: self.pending_changes()?,
        };
        let mut regions: BTreeMap<String, Counts> = BTreeMap::new();
        for r in self.regions()? {
            regions.insert(r.code, Counts::default());
        }
        let regions_cell = std::cell::RefCell::new(regions);
        let per_region = |sql: &str, set: fn(&mut Counts, i64)| -> Result<(), StoreError> {
            let mut st = c.prepare(sql)?;
            let rows = st.query_map([], |r| {
                Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?))
            })?;
            let mut map = regions_cell.borrow_mut();
            for row in rows {
                let (code, n) = row?;
                if let Some(code) = code {
                    set(map.entry(code).or_default(), n);
                }
            }
            Ok(())
        };
        let site_region = "JOIN sites s ON s.id = p.site_id JOIN licences l ON l.id = s.licence_id";
        per_region(
            "SELECT region, count(*) FROM diggers GROUP BY region",
            |c, n| c.diggers = n,
        )?;
        per_region(
            "SELECT region, count(*) FROM licences GROUP BY region",
            |c, n| c.licences = n,
        )?;
        per_region(
            "SELECT l.region, count(*) FROM sites s JOIN licences l ON l.id = s.licence_id GROUP BY l.region",
            |c, n| c.sites = n,
        )?;
        per_region(
            &format!(
                "SELECT l.region, count(*) FROM production p {site_region}
                 WHERE NOT EXISTS (SELECT 1 FROM production n WHERE n.replaces = p.id) GROUP BY l.region"
            ),
            |c, n| c.production = n,
        )?;
        per_region(
            &format!(
                "SELECT l.region, count(*) FROM stones st JOIN production p ON p.id = st.production_id {site_region}
                 WHERE NOT EXISTS (SELECT 1 FROM production n WHERE n.replaces = p.id) GROUP BY l.region"
            ),
            |c, n| c.stones = n,
        )?;
        per_region(
            "SELECT l.region, count(*) FROM sales sa JOIN licences l ON l.id = sa.seller_licence_id GROUP BY l.region",
            |c, n| c.sales = n,
        )?;
        per_region(
            &format!(
                "SELECT l.region, count(*) FROM reviews rv JOIN production p ON p.id = rv.target_id {site_region}
                 GROUP BY l.region"
            ),
            |c, n| c.reviews = n,
        )?;
        per_region(
            "SELECT region, count(*) FROM outbox WHERE sent_at IS NULL GROUP BY region",
            |c, n| c.pending_changes = n,
        )?;
        Ok(Stats {
            total: stats_total,
            regions: regions_cell.into_inner(),
        })
    }
}
