//! The reads that feed `crate::analytics`: stone facts for KP statistics and footprints, and
//! the snapshot the anomaly checks read. Only current production versions count (an entry that
//! a correction replaced is history, not production), and the production day is compared as
//! the local calendar date it is stored as.

use super::rows::{self, parsed};
use super::{Store, StoreError};
use crate::analytics::{CheckData, StoneFact};
use crate::domain::{Centicarats, SiteId};
use chrono::NaiveDate;
use std::collections::HashMap;
use std::sync::Arc;

/// Which production the analytics read: all of it, or one region, site and span of days.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FactFilter {
    pub region: Option<String>,
    pub site: Option<SiteId>,
    /// First production day (inclusive).
    pub from: Option<NaiveDate>,
    /// Last production day (inclusive).
    pub to: Option<NaiveDate>,
}

impl FactFilter {
    /// Everything from `from` to `to` (inclusive), in every region.
    pub fn days(from: NaiveDate, to: NaiveDate) -> Self {
        FactFilter {
            from: Some(from),
            to: Some(to),
            ..Self::default()
        }
    }

    /// The same filter limited to a region (`None` keeps every region).
    pub fn in_region(mut self, region: Option<&str>) -> Self {
        self.region = region.map(str::to_string);
        self
    }

    pub(super) fn params(&self) -> [Option<String>; 4] {
        [
            self.from.map(|d| d.to_string()),
            self.to.map(|d| d.to_string()),
            self.region.clone(),
            self.site.map(|s| s.to_string()),
        ]
    }
}

/// `?1` from, `?2` to, `?3` region, `?4` site; `p` production, `l` licence.
pub(super) const FILTER: &str = "(?1 IS NULL OR p.day >= ?1) AND (?2 IS NULL OR p.day <= ?2)
     AND (?3 IS NULL OR l.region = ?3) AND (?4 IS NULL OR p.site_id = ?4)
     AND NOT EXISTS (SELECT 1 FROM production n WHERE n.replaces = p.id)";

impl Store {
    /// The stones of current production entries matching `filter`, with site, region and day.
    pub fn stone_facts(&self, filter: &FactFilter) -> Result<Vec<StoneFact>, StoreError> {
        let sql = format!(
            "SELECT st.id, st.production_id, p.site_id, l.region, p.day, st.centicarats, st.class,
               st.stone_count
             FROM stones st JOIN production p ON p.id = st.production_id
             JOIN sites s ON s.id = p.site_id JOIN licences l ON l.id = s.licence_id
             WHERE {FILTER}"
        );
        let mut st = self.conn().prepare_cached(&sql)?;
        let mut rows = st.query(filter.params())?;
        let mut regions: HashMap<String, Arc<str>> = HashMap::new();
        let mut days: HashMap<String, NaiveDate> = HashMap::new();
        let mut out = Vec::new();
        // A rejected entry or stone leaves statistics, footprints and baselines.
        let rejected = self.review_states()?.rejected;
        while let Some(r) = rows.next()? {
            // Regions and days repeat across many stones: parse and allocate each once.
            let region = r.get_ref(3)?.as_str().map_err(rusqlite::Error::from)?;
            let region = match regions.get(region) {
                Some(a) => a.clone(),
                None => {
                    let a: Arc<str> = Arc::from(region);
                    regions.insert(region.to_string(), a.clone());
                    a
                }
            };
            let day_text = r.get_ref(4)?.as_str().map_err(rusqlite::Error::from)?;
            let day = match days.get(day_text) {
                Some(d) => *d,
                None => {
                    let d = NaiveDate::parse_from_str(day_text, "%Y-%m-%d").map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(
                            4,
                            rusqlite::types::Type::Text,
                            e.into(),
                        )
                    })?;
                    days.insert(day_text.to_string(), d);
                    d
                }
            };
            let stone_id: crate::domain::StoneId = parsed(r, 0)?;
            let production_id: crate::domain::ProductionId = parsed(r, 1)?;
            if !rejected.is_empty()
                && (rejected.contains(&stone_id.0) || rejected.contains(&production_id.0))
            {
                continue;
            }
            out.push(StoneFact {
                stone_id,
                production_id,
                site_id: parsed(r, 2)?,
                region,
                day,
                weight: Centicarats(r.get(5)?),
                class: parsed(r, 6)?,
                count: r.get(7)?,
            });
        }
        Ok(out)
    }

    /// The current production entries matching `filter`, by day then id; a rejected entry is
    /// left out.
    pub fn current_production(
        &self,
        filter: &FactFilter,
    ) -> Result<Vec<crate::domain::ProductionEntry>, StoreError> {
        let sql = format!(
            "SELECT {} FROM production p JOIN sites s ON s.id = p.site_id
             JOIN licences l ON l.id = s.licence_id WHERE {FILTER} ORDER BY p.day, p.id",
            rows::PRODUCTION_COLS
        );
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map(filter.params(), rows::production)?;
        let rejected = self.review_states()?.rejected;
        let mut out = Vec::new();
        for e in rows {
            let e = e?;
            if !rejected.contains(&e.id.0) {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// Everything the anomaly checks read for `filter`: the regions, licences and sites (of the
    /// region, if one is given), the current production with its stones, and the sale slips
    /// sold or bought by the region's licences (with the other party's licence added, so the
    /// buyer's standing can be judged).
    ///
    /// Slips are not limited to the filter's days: the mass balance needs the whole history.
    pub fn check_data(&self, filter: &FactFilter) -> Result<CheckData, StoreError> {
        let in_region = |r: &str| filter.region.as_deref().is_none_or(|f| f == r);
        let all_licences = self.licences()?;
        let ids: std::collections::HashSet<_> = all_licences
            .iter()
            .filter(|l| in_region(&l.region))
            .map(|l| l.id)
            .collect();
        let sales: Vec<crate::domain::Sale> = self
            .custody_sales()?
            .into_iter()
            .filter(|s| {
                ids.contains(&s.seller_licence_id)
                    || s.buyer_licence_id.is_some_and(|b| ids.contains(&b))
            })
            .collect();
        let parties: std::collections::HashSet<_> = sales
            .iter()
            .flat_map(|s| [Some(s.seller_licence_id), s.buyer_licence_id])
            .flatten()
            .collect();
        let licences: Vec<_> = all_licences
            .into_iter()
            .filter(|l| ids.contains(&l.id) || parties.contains(&l.id))
            .collect();
        let sites = self
            .sites()?
            .into_iter()
            .filter(|s| ids.contains(&s.licence_id))
            .collect();
        let kept: std::collections::HashSet<_> = licences.iter().map(|l| l.id).collect();
        let licence_events = self
            .all_licence_events()?
            .into_iter()
            .filter(|e| kept.contains(&e.licence_id))
            .collect();
        Ok(CheckData {
            regions: self
                .regions()?
                .into_iter()
                .filter(|r| in_region(&r.code))
                .collect(),
            licences,
            licence_events,
            sites,
            production: self.current_production(filter)?,
            stones: self.stone_facts(filter)?,
            sales,
        })
    }

    /// Every sale slip, with each production entry it lists replaced by that entry's newest
    /// version (a correction of a sold entry still counts as what was sold).
    pub fn custody_sales(&self) -> Result<Vec<crate::domain::Sale>, StoreError> {
        let mut newer: HashMap<String, String> = HashMap::new();
        {
            let mut st = self
                .conn()
                .prepare_cached("SELECT replaces, id FROM production WHERE replaces IS NOT NULL")?;
            let rows =
                st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            for row in rows {
                let (old, new) = row?;
                newer.insert(old, new);
            }
        }
        let mut sales = self.sales()?;
        if newer.is_empty() {
            return Ok(sales);
        }
        for s in &mut sales {
            for p in &mut s.production_ids {
                let mut id = p.to_string();
                // A chain of corrections is acyclic (each entry is replaced at most once and
                // only by a later one); the bound guards against a corrupt file.
                for _ in 0..newer.len() {
                    match newer.get(&id) {
                        Some(n) => id = n.clone(),
                        None => break,
                    }
                }
                if let Ok(current) = id.parse() {
                    *p = current;
                }
            }
        }
        Ok(sales)
    }
}
