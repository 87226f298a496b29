//! Reads of what was dug: production entries (every version, and the chain of corrections of
//! one), their stones, and the positions of a site's recent fixes.

use crate::domain::{ProductionEntry, ProductionId, SiteId, Stone};
use crate::store::rows;
use crate::store::{Store, StoreError};
use chrono::NaiveDate;

impl Store {
    /// Every production entry version, in id order.
    pub fn production_entries(&self) -> Result<Vec<ProductionEntry>, StoreError> {
        self.all(
            &format!(
                "SELECT {} FROM production p ORDER BY p.id",
                rows::PRODUCTION_COLS
            ),
            [],
            rows::production,
        )
    }

    /// One production entry version.
    pub fn production(&self, id: ProductionId) -> Result<Option<ProductionEntry>, StoreError> {
        self.one(
            &format!(
                "SELECT {} FROM production p WHERE p.id = ?1",
                rows::PRODUCTION_COLS
            ),
            [id.to_string()],
            rows::production,
        )
    }

    /// The current (not yet corrected) entries of a site on a day.
    pub fn production_at(
        &self,
        site: SiteId,
        day: NaiveDate,
    ) -> Result<Vec<ProductionEntry>, StoreError> {
        self.all(
            &format!(
                "SELECT {} FROM production p WHERE p.site_id = ?1 AND p.day = ?2
                 AND NOT EXISTS (SELECT 1 FROM production n WHERE n.replaces = p.id) ORDER BY p.id",
                rows::PRODUCTION_COLS
            ),
            [site.to_string(), day.to_string()],
            rows::production,
        )
    }

    /// Every version of an entry, oldest first, found from any one of them.
    pub fn production_history(&self, id: ProductionId) -> Result<Vec<ProductionEntry>, StoreError> {
        self.all(
            &format!(
                "WITH RECURSIVE back(id) AS (SELECT ?1 UNION SELECT p.replaces FROM production p JOIN back ON p.id = back.id
                   WHERE p.replaces IS NOT NULL),
                 fwd(id) AS (SELECT ?1 UNION SELECT p.id FROM production p JOIN fwd ON p.replaces = fwd.id)
                 SELECT {} FROM production p WHERE p.id IN (SELECT id FROM back UNION SELECT id FROM fwd) ORDER BY p.id",
                rows::PRODUCTION_COLS
            ),
            [id.to_string()],
            rows::production,
        )
    }

    /// Every stone, in id order.
    pub fn stones(&self) -> Result<Vec<Stone>, StoreError> {
        self.all(
            &format!("SELECT {} FROM stones st ORDER BY st.id", rows::STONE_COLS),
            [],
            rows::stone,
        )
    }

    /// The stones of one production entry version, in the order they were recorded.
    pub fn stones_of(&self, production: ProductionId) -> Result<Vec<Stone>, StoreError> {
        self.all(
            &format!(
                "SELECT {} FROM stones st WHERE st.production_id = ?1 ORDER BY st.id",
                rows::STONE_COLS
            ),
            [production.to_string()],
            rows::stone,
        )
    }

    /// A stone by id.
    pub fn stone(&self, id: crate::domain::StoneId) -> Result<Option<Stone>, StoreError> {
        self.one(
            &format!(
                "SELECT {} FROM stones st WHERE st.id = ?1",
                rows::STONE_COLS
            ),
            [id.to_string()],
            rows::stone,
        )
    }
}

impl Store {
    /// Positions (lat, lon) of a site's most recent production fixes, newest first.
    pub fn recent_production_fixes(
        &self,
        site: SiteId,
        limit: usize,
    ) -> Result<Vec<(f64, f64)>, StoreError> {
        let mut st = self.conn().prepare_cached(
            "SELECT lat, lon FROM production WHERE site_id = ?1 AND lat IS NOT NULL AND lon IS NOT NULL
             ORDER BY day DESC, id DESC LIMIT ?2",
        )?;
        let rows = st.query_map(rusqlite::params![site.to_string(), limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
