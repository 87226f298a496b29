//! The reads behind figures a KP focal point signs: the coordinators' decisions that take a
//! record out of the statistics (rejected) or mark it (queried), each current entry's carats
//! for the value of production, and the first-sale slips whose prices value it.
//!
//! Decisions are few beside the stones, so the reads that count stones (`stone_tallies`,
//! `production_totals`) stay as they are and the stones of rejected records are taken out
//! afterwards, one record at a time.

use super::analytics_queries::{FILTER, FactFilter};
use super::rows::parsed;
use super::{Store, StoreError};
use crate::analytics::{EntryTotal, FirstSale, KpInputs, TradeSlip};
use crate::domain::{Centicarats, Cents, ProductionId, ReviewDecision, StoneClass};
use chrono::NaiveDate;
use rusqlite::OptionalExtension;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use uuid::Uuid;

/// The records whose latest decision is `rejected` or `queried` (a later decision replaces an
/// earlier one: a rejected entry approved afterwards counts again).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReviewStates {
    pub rejected: HashSet<Uuid>,
    pub queried: HashSet<Uuid>,
}

/// One stone of a reviewed record, placed in its region.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ReviewedStone {
    pub production_id: ProductionId,
    pub region: String,
    pub class: StoneClass,
    /// The stone's weight, or a lot's total.
    pub weight: Centicarats,
    /// 1, or the number of stones of a lot.
    pub count: u32,
}

impl Store {
    /// The records rejected or queried by their latest decision.
    pub fn review_states(&self) -> Result<ReviewStates, StoreError> {
        let mut out = ReviewStates::default();
        for (id, decision) in self.latest_decisions()? {
            match decision {
                ReviewDecision::Rejected => out.rejected.insert(id),
                ReviewDecision::Queried => out.queried.insert(id),
                ReviewDecision::Approved => false,
            };
        }
        Ok(out)
    }

    /// The stones of current entries matching `filter` that `ids` name, either as their entry
    /// (`by_entry`) or as the stone itself.
    pub(super) fn stones_of_records<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a Uuid>,
        by_entry: bool,
        filter: &FactFilter,
    ) -> Result<Vec<ReviewedStone>, StoreError> {
        let column = if by_entry {
            "st.production_id"
        } else {
            "st.id"
        };
        let sql = format!(
            "SELECT st.production_id, l.region, st.class, st.centicarats, st.stone_count
             FROM stones st JOIN production p ON p.id = st.production_id
             JOIN sites s ON s.id = p.site_id JOIN licences l ON l.id = s.licence_id
             WHERE {column} = ?5 AND {FILTER}"
        );
        let mut st = self.conn().prepare_cached(&sql)?;
        let [from, to, region, site] = filter.params();
        let mut out = Vec::new();
        for id in ids {
            let rows = st.query_map(
                rusqlite::params![from, to, region, site, id.to_string()],
                |r| {
                    Ok(ReviewedStone {
                        production_id: parsed(r, 0)?,
                        region: r.get(1)?,
                        class: parsed(r, 2)?,
                        weight: Centicarats(r.get(3)?),
                        count: r.get(4)?,
                    })
                },
            )?;
            for row in rows {
                out.push(row?);
            }
        }
        Ok(out)
    }

    /// The stones that review decisions take out of the statistics for `filter`: those of
    /// rejected entries and rejected stones (each once).
    pub(super) fn rejected_stones(
        &self,
        filter: &FactFilter,
        states: &ReviewStates,
    ) -> Result<Vec<ReviewedStone>, StoreError> {
        if states.rejected.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = self.stones_of_records(&states.rejected, true, filter)?;
        out.extend(
            self.stones_of_records(&states.rejected, false, filter)?
                .into_iter()
                .filter(|s| !states.rejected.contains(&s.production_id.0)),
        );
        Ok(out)
    }

    /// Current production entries matching `filter` with their carats and stones, rejected
    /// entries and stones left out, queried ones marked.
    pub fn entry_totals(
        &self,
        filter: &FactFilter,
        states: &ReviewStates,
    ) -> Result<Vec<EntryTotal>, StoreError> {
        // The span is always bound, so the production index's day range is used per site.
        // `production_totals` holds current entries only, so the production table is not read.
        let sql = "SELECT pt.production_id, l.region, pt.day, pt.centicarats, pt.stones
             FROM licences l CROSS JOIN sites s ON s.licence_id = l.id
             CROSS JOIN production_totals pt ON pt.site_id = s.id
             WHERE pt.day BETWEEN ?1 AND ?2
               AND (?3 IS NULL OR l.region = ?3) AND (?4 IS NULL OR s.id = ?4)";
        let from = filter.from.map_or("0000-01-01".into(), |d| d.to_string());
        let to = filter.to.map_or("9999-12-31".into(), |d| d.to_string());
        let site = filter.site.map(|s| s.to_string());
        let mut st = self.conn().prepare_cached(sql)?;
        let mut rows = st.query(rusqlite::params![from, to, filter.region, site])?;
        let mut regions: HashMap<String, Arc<str>> = HashMap::new();
        let mut days: HashMap<String, NaiveDate> = HashMap::new();
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id: ProductionId = parsed(r, 0)?;
            if states.rejected.contains(&id.0) {
                continue;
            }
            let region_text = r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
            let region = match regions.get(region_text) {
                Some(a) => a.clone(),
                None => {
                    let a: Arc<str> = Arc::from(region_text);
                    regions.insert(region_text.to_string(), a.clone());
                    a
                }
            };
            let day_text = r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
            let day = match days.get(day_text) {
                Some(d) => *d,
                None => {
                    let d = super::rows::date(r, 2)?;
                    days.insert(day_text.to_string(), d);
                    d
                }
            };
            let weight = Centicarats(r.get(3)?);
            let stones: i64 = r.get(4)?;
            out.push(EntryTotal {
                production_id: id,
                region,
                day,
                weight,
                stones: stones.max(0) as u64,
                under_query: if states.queried.contains(&id.0) {
                    weight
                } else {
                    Centicarats(0)
                },
            });
        }
        // Stones reviewed on their own: few, so found through an index of the entries.
        let rejected: Vec<ReviewedStone> = self
            .stones_of_records(&states.rejected, false, filter)?
            .into_iter()
            .filter(|s| !states.rejected.contains(&s.production_id.0))
            .collect();
        let queried = self.stones_of_records(&states.queried, false, filter)?;
        if !rejected.is_empty() || !queried.is_empty() {
            let index: HashMap<ProductionId, usize> = out
                .iter()
                .enumerate()
                .map(|(i, e)| (e.production_id, i))
                .collect();
            for s in &rejected {
                if let Some(&i) = index.get(&s.production_id) {
                    out[i].weight.0 -= s.weight.0;
                    out[i].stones = out[i].stones.saturating_sub(u64::from(s.count));
                }
            }
            for s in &queried {
                if let Some(&i) = index.get(&s.production_id)
                    && !states.queried.contains(&s.production_id.0)
                {
                    out[i].under_query.0 += s.weight.0;
                }
            }
        }
        Ok(out)
    }

    /// The first-sale slips not rejected that list at least one of `entries` (by current
    /// version), each line with the carats of the entry it names: from `entries` when there,
    /// else from the entry's kept totals (a slip may list entries of another period).
    pub fn first_sales(
        &self,
        states: &ReviewStates,
        entries: &[EntryTotal],
    ) -> Result<Vec<FirstSale>, StoreError> {
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
        let known: HashMap<ProductionId, Centicarats> = entries
            .iter()
            .map(|e| (e.production_id, e.weight))
            .collect();
        // The first sales come from a covering index in id order and their links from
        // `sale_production` in the same order: both read front to back, no lookup per slip in
        // the table (in a million-stone file those random reads cost most of a second).
        let mut st = self.conn().prepare_cached(
            "SELECT s.id, s.day, s.price_cents, sp.production_id, sp.position
             FROM sales s INDEXED BY sales_kind_id JOIN sale_production sp ON sp.sale_id = s.id
             WHERE s.kind = 'first_sale'",
        )?;
        let mut rows = st.query([])?;
        let mut slips: HashMap<crate::domain::SaleId, (FirstSale, Vec<i64>, bool)> = HashMap::new();
        while let Some(r) = rows.next()? {
            let sale_id: crate::domain::SaleId = parsed(r, 0)?;
            if states.rejected.contains(&sale_id.0) {
                continue;
            }
            // A correction of a sold entry is still what was sold. Corrections are acyclic;
            // the bound guards against a corrupt file. Few entries are corrected: the id is
            // copied only for those.
            let listed = r.get_ref(3)?.as_str().map_err(rusqlite::Error::from)?;
            let mut current = newer.get(listed);
            let mut entry = listed;
            for _ in 0..newer.len() {
                match current {
                    Some(n) => {
                        entry = n.as_str();
                        current = newer.get(entry);
                    }
                    None => break,
                }
            }
            let entry: ProductionId = entry.parse().map_err(|e: String| {
                rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, e.into())
            })?;
            let weight = known.get(&entry).copied();
            let slot = match slips.entry(sale_id) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => v.insert((
                    FirstSale {
                        sale_id,
                        day: super::rows::date(r, 1)?,
                        price: Cents(r.get(2)?),
                        lines: Vec::new(),
                    },
                    Vec::new(),
                    false,
                )),
            };
            slot.0
                .lines
                .push((entry, weight.unwrap_or(Centicarats(-1))));
            slot.1.push(r.get(4)?);
            slot.2 |= weight.is_some();
        }
        let mut total_of = self
            .conn()
            .prepare_cached("SELECT centicarats FROM production_totals WHERE production_id = ?1")?;
        let mut out = Vec::new();
        for (_, (mut slip, positions, relevant)) in slips {
            if !relevant {
                continue;
            }
            let mut lines: Vec<(i64, (ProductionId, Centicarats))> =
                positions.into_iter().zip(slip.lines).collect();
            lines.sort_by_key(|l| l.0);
            slip.lines = lines.into_iter().map(|l| l.1).collect();
            for line in &mut slip.lines {
                if line.1.0 < 0 {
                    line.1 = Centicarats(
                        total_of
                            .query_row([line.0.to_string()], |r| r.get(0))
                            .optional()?
                            .unwrap_or(0),
                    );
                }
            }
            out.push(slip);
        }
        out.sort_by_key(|s| (s.day, s.sale_id));
        Ok(out)
    }

    /// The exports and imports of `from..=to` (slip days) whose licence is in `region` (all
    /// when `None`), as their certificates declare them; slips a coordinator rejected are left
    /// out. Reads the exports and imports alone (an index of kind and day), not the chain.
    pub fn trade_slips(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        region: Option<&str>,
    ) -> Result<Vec<TradeSlip>, StoreError> {
        let states = self.review_states()?;
        let mut st = self.conn().prepare_cached(
            "SELECT sa.id, sa.kind, sa.day, sa.certificate_number, sa.hs_code,
               CASE sa.kind WHEN 'export' THEN sa.destination_country ELSE sa.origin_country END,
               sa.centicarats, sa.price_cents, l.region, coalesce(r.country, '')
             FROM sales sa JOIN licences l ON l.id = sa.seller_licence_id
             LEFT JOIN regions r ON r.code = l.region
             WHERE sa.kind IN ('export', 'import') AND sa.day BETWEEN ?1 AND ?2
               AND (?3 IS NULL OR l.region = ?3)
             ORDER BY sa.day, sa.id",
        )?;
        let mut rows = st.query(rusqlite::params![from.to_string(), to.to_string(), region])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id: crate::domain::SaleId = parsed(r, 0)?;
            if states.rejected.contains(&id.0) {
                continue;
            }
            out.push(TradeSlip {
                kind: parsed(r, 1)?,
                day: super::rows::date(r, 2)?,
                certificate_number: r.get(3)?,
                hs_code: r.get(4)?,
                partner: r.get(5)?,
                weight: Centicarats(r.get(6)?),
                price: Cents(r.get(7)?),
                region: r.get(8)?,
                country: r.get(9)?,
            });
        }
        Ok(out)
    }

    /// Everything KP production statistics read for `filter`.
    pub fn kp_inputs(&self, filter: &FactFilter) -> Result<KpInputs, StoreError> {
        let states = self.review_states()?;
        let countries: BTreeMap<String, String> = self
            .regions()?
            .into_iter()
            .map(|r| (r.code, r.country))
            .collect();
        let entries = self.entry_totals(filter, &states)?;
        Ok(KpInputs {
            tallies: self.stone_tallies(filter)?,
            first_sales: self.first_sales(&states, &entries)?,
            entries,
            countries,
        })
    }
}
