//! Reads of the review trail: the decisions taken on a record, the latest decision on each,
//! and the coordinators' queries still open on this device's entries — the field officer's
//! tasks.

use crate::domain::{ProductionEntry, ProductionId};
use crate::store::rows::parsed;
use crate::store::{Store, StoreError};

impl Store {
    /// The decisions taken on a record, oldest first.
    pub fn reviews_of(&self, target: uuid::Uuid) -> Result<Vec<crate::domain::Review>, StoreError> {
        self.all(
            &format!("SELECT {REVIEW_COLS} FROM reviews WHERE target_id = ?1 ORDER BY at, id"),
            [target.to_string()],
            review_row,
        )
    }

    /// Every decision, oldest first.
    pub fn reviews(&self) -> Result<Vec<crate::domain::Review>, StoreError> {
        self.all(
            &format!("SELECT {REVIEW_COLS} FROM reviews ORDER BY at, id"),
            [],
            review_row,
        )
    }

    /// The latest decision on each reviewed record.
    pub fn latest_decisions(
        &self,
    ) -> Result<std::collections::HashMap<uuid::Uuid, crate::domain::ReviewDecision>, StoreError>
    {
        let mut st = self.conn().prepare_cached(
            "SELECT target_id, decision FROM reviews r WHERE NOT EXISTS
               (SELECT 1 FROM reviews n WHERE n.target_id = r.target_id AND (n.at, n.id) > (r.at, r.id))",
        )?;
        let rows = st.query_map([], |r| {
            Ok((parsed::<crate::domain::DiggerId>(r, 0)?.0, parsed(r, 1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Store {
    /// Coordinators' queries still open on this device's production entries or their stones
    /// (the latest decision on the record is `queried`), newest first: the field officer's tasks.
    pub fn open_queries(
        &self,
    ) -> Result<Vec<(crate::domain::Review, ProductionEntry)>, StoreError> {
        let decisions = self.latest_decisions()?;
        let mut out = Vec::new();
        for (target, decision) in decisions {
            if decision != crate::domain::ReviewDecision::Queried {
                continue;
            }
            // A query on a stone is a task on the entry it was recorded with.
            let entry = match self.production(ProductionId(target))? {
                Some(e) => Some(e),
                None => match self.stone(crate::domain::StoneId(target))? {
                    Some(st) => self.production(st.production_id)?,
                    None => None,
                },
            };
            let Some(entry) = entry else { continue };
            // A correction of the entry answers the query.
            if self.production_history(entry.id)?.last().map(|v| v.id) != Some(entry.id) {
                continue;
            }
            if let Some(review) = self.reviews_of(target)?.pop() {
                out.push((review, entry));
            }
        }
        out.sort_by_key(|r| std::cmp::Reverse(r.0.at));
        Ok(out)
    }
}

const REVIEW_COLS: &str = "id, target_entity, target_id, decision, comment, reviewer, at";

fn review_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<crate::domain::Review> {
    let at: String = r.get(6)?;
    Ok(crate::domain::Review {
        id: parsed(r, 0)?,
        target_entity: parsed(r, 1)?,
        target_id: parsed::<crate::domain::DiggerId>(r, 2)?.0,
        decision: parsed(r, 3)?,
        comment: r.get(4)?,
        reviewer: parsed(r, 5)?,
        at: chrono::DateTime::parse_from_rfc3339(&at)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(6, rusqlite::types::Type::Text, e.into())
            })?,
    })
}
