//! Typed reads of every entity. Exports read in id order, which for UUIDv7 is birth order, so
//! the same data always exports to the same bytes.

use super::rows::{self, parsed};
use super::{Store, StoreError};
use crate::domain::{
    Crew, Digger, DiggerId, Licence, LicenceId, Officer, ProductionEntry, ProductionId, Region,
    Sale, Site, SiteId, Stone,
};
use chrono::NaiveDate;
use rusqlite::{OptionalExtension, Params, Row};

/// A digger found by a search, with the licence that decides their badge.
#[derive(Debug, Clone, PartialEq)]
pub struct DiggerHit {
    pub digger: Digger,
    /// The licence the digger holds or works under, if any.
    pub licence: Option<Licence>,
}

/// A site with what the site lists show beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteSummary {
    pub site: Site,
    pub licence_number: String,
    pub region: String,
}

impl Store {
    fn all<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let mut st = self.conn().prepare_cached(sql)?;
        let rows = st.query_map(params, f)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn one<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(sql)?
            .query_row(params, f)
            .optional()?)
    }

    /// All regions, by code.
    pub fn regions(&self) -> Result<Vec<Region>, StoreError> {
        self.all(
            &format!("SELECT {} FROM regions ORDER BY code", rows::REGION_COLS),
            [],
            rows::region,
        )
    }

    /// All officer profiles on this device, by user name.
    pub fn officers(&self) -> Result<Vec<Officer>, StoreError> {
        self.all(
            &format!(
                "SELECT {} FROM officers ORDER BY username",
                rows::OFFICER_COLS
            ),
            [],
            rows::officer,
        )
    }

    /// An officer by user name.
    pub fn officer_by_username(&self, username: &str) -> Result<Option<Officer>, StoreError> {
        self.one(
            &format!(
                "SELECT {} FROM officers WHERE username = ?1",
                rows::OFFICER_COLS
            ),
            [username],
            rows::officer,
        )
    }

    /// Every digger, in id order.
    pub fn diggers(&self) -> Result<Vec<Digger>, StoreError> {
        self.all(
            &format!("SELECT {} FROM diggers d ORDER BY d.id", rows::DIGGER_COLS),
            [],
            rows::digger,
        )
    }

    /// A digger by id.
    pub fn digger(&self, id: DiggerId) -> Result<Option<Digger>, StoreError> {
        self.one(
            &format!(
                "SELECT {} FROM diggers d WHERE d.id = ?1",
                rows::DIGGER_COLS
            ),
            [id.to_string()],
            rows::digger,
        )
    }

    /// Searches diggers by any word of their name, their national id or village (prefixes
    /// count), or the number of a licence they hold; an empty query lists everyone by name.
    /// `offset`/`limit` page through the result for lazy lists.
    pub fn search_diggers(
        &self,
        query: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<DiggerHit>, StoreError> {
        let (sql, fts, like) = search_sql(
            query,
            "SELECT DISTINCT",
            rows::DIGGER_COLS,
            "ORDER BY d.full_name, d.id LIMIT ?3 OFFSET ?4",
        );
        let mut st = self.conn().prepare_cached(&sql)?;
        let diggers: Vec<Digger> = st
            .query_map(
                rusqlite::params![fts, like, limit as i64, offset as i64],
                rows::digger,
            )?
            .collect::<Result<_, _>>()?;
        diggers
            .into_iter()
            .map(|d| {
                let licence = self.current_licence_of(d.id)?;
                Ok(DiggerHit { digger: d, licence })
            })
            .collect()
    }

    /// How many diggers [`Store::search_diggers`] would list for `query`.
    pub fn count_diggers_matching(&self, query: &str) -> Result<usize, StoreError> {
        let (sql, fts, like) =
            search_sql(query, "SELECT count(*) FROM (SELECT DISTINCT", "d.id", ")");
        let n: i64 = self
            .conn()
            .prepare_cached(&sql)?
            .query_row(rusqlite::params![fts, like], |r| r.get(0))?;
        Ok(n as usize)
    }

    /// The licence a digger works under: the one they hold, else the one whose crew they are
    /// on; among several, the one that expires last.
    pub fn current_licence_of(&self, digger: DiggerId) -> Result<Option<Licence>, StoreError> {
        self.one(
            &format!(
                "SELECT {} FROM licences l
                 WHERE l.holder_digger_id = ?1 OR l.id IN (SELECT licence_id FROM crews WHERE digger_id = ?1)
                 ORDER BY l.holder_digger_id IS ?1 DESC, l.expires_on DESC, l.id LIMIT 1",
                rows::LICENCE_COLS
            ),
            [digger.to_string()],
            rows::licence,
        )
    }

    /// Every licence, in id order.
    pub fn licences(&self) -> Result<Vec<Licence>, StoreError> {
        self.all(
            &format!(
                "SELECT {} FROM licences l ORDER BY l.id",
                rows::LICENCE_COLS
            ),
            [],
            rows::licence,
        )
    }

    /// A licence by id.
    pub fn licence(&self, id: LicenceId) -> Result<Option<Licence>, StoreError> {
        self.one(
            &format!(
                "SELECT {} FROM licences l WHERE l.id = ?1",
                rows::LICENCE_COLS
            ),
            [id.to_string()],
            rows::licence,
        )
    }

    /// A licence by its number (case-insensitive).
    pub fn licence_by_number(&self, number: &str) -> Result<Option<Licence>, StoreError> {
        self.one(
            &format!(
                "SELECT {} FROM licences l WHERE l.number = ?1",
                rows::LICENCE_COLS
            ),
            [number.trim()],
            rows::licence,
        )
    }

    /// Licences whose number, holder name or holder digger's name matches `query`, by number.
    pub fn search_licences(&self, query: &str, limit: usize) -> Result<Vec<Licence>, StoreError> {
        let like = format!("%{}%", escape_like(query.trim()));
        self.all(
            &format!(
                "SELECT {} FROM licences l LEFT JOIN diggers d ON d.id = l.holder_digger_id
                 WHERE l.number LIKE ?1 ESCAPE '\\' OR l.holder_name LIKE ?1 ESCAPE '\\' OR d.full_name LIKE ?1 ESCAPE '\\'
                 ORDER BY l.number LIMIT ?2",
                rows::LICENCE_COLS
            ),
            rusqlite::params![like, limit as i64],
            rows::licence,
        )
    }

    /// Every site, in id order.
    pub fn sites(&self) -> Result<Vec<Site>, StoreError> {
        self.all(
            &format!("SELECT {} FROM sites s ORDER BY s.id", rows::SITE_COLS),
            [],
            rows::site,
        )
    }

    /// A site by id.
    pub fn site(&self, id: SiteId) -> Result<Option<Site>, StoreError> {
        self.one(
            &format!("SELECT {} FROM sites s WHERE s.id = ?1", rows::SITE_COLS),
            [id.to_string()],
            rows::site,
        )
    }

    /// The sites of a licence, by name.
    pub fn sites_of_licence(&self, licence: LicenceId) -> Result<Vec<Site>, StoreError> {
        self.all(
            &format!(
                "SELECT {} FROM sites s WHERE s.licence_id = ?1 ORDER BY s.name",
                rows::SITE_COLS
            ),
            [licence.to_string()],
            rows::site,
        )
    }

    /// Every site with its licence number and region, by region then name.
    pub fn site_summaries(&self) -> Result<Vec<SiteSummary>, StoreError> {
        self.all(
            &format!(
                "SELECT {}, l.number, l.region FROM sites s JOIN licences l ON l.id = s.licence_id
                 ORDER BY l.region, s.name, s.id",
                rows::SITE_COLS
            ),
            [],
            |r| {
                Ok(SiteSummary {
                    site: rows::site(r)?,
                    licence_number: r.get(9)?,
                    region: r.get(10)?,
                })
            },
        )
    }

    /// The crew assignments of a licence.
    pub fn crews_of_licence(&self, licence: LicenceId) -> Result<Vec<Crew>, StoreError> {
        self.all(
            &format!(
                "SELECT {} FROM crews WHERE licence_id = ?1 ORDER BY from_day, id",
                rows::CREW_COLS
            ),
            [licence.to_string()],
            rows::crew,
        )
    }

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

    /// Every sale, in id order.
    pub fn sales(&self) -> Result<Vec<Sale>, StoreError> {
        self.all(
            &format!("SELECT {} FROM sales sa ORDER BY sa.id", rows::SALE_COLS),
            [],
            rows::sale,
        )
    }

    /// Whether a record with this id exists in `entity`'s table.
    pub fn contains(
        &self,
        entity: crate::domain::RecordKind,
        id: &str,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "SELECT 1 FROM {} WHERE {} = ?1",
            entity.table(),
            entity.key_column()
        );
        Ok(self
            .conn()
            .prepare_cached(&sql)?
            .query_row([id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// The stored id of a digger with this national id, if any.
    pub fn digger_id_by_national_id(
        &self,
        national_id: &str,
    ) -> Result<Option<DiggerId>, StoreError> {
        self.one(
            "SELECT id FROM diggers WHERE national_id = ?1",
            [national_id.trim()],
            |r| parsed(r, 0),
        )
    }
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Builds the digger search: full-text prefix match on the name, national id and village, or a
/// licence number prefix. Returns the SQL and its two parameters (`?1` FTS query, `?2` LIKE).
fn search_sql(
    query: &str,
    head: &str,
    cols: &str,
    tail: &str,
) -> (String, Option<String>, Option<String>) {
    let tokens: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| format!("\"{t}\"*"))
        .collect();
    if tokens.is_empty() {
        return (
            format!("{head} {cols} FROM diggers d WHERE ?1 IS NULL AND ?2 IS NULL {tail}"),
            None,
            None,
        );
    }
    let trimmed = query.trim();
    if trimmed.chars().count() == 1 {
        // One letter matches most of the full-text index; a range scan of the name index
        // (case-insensitive, already in list order) answers at once instead.
        let sql = format!(
            "{head} {cols} FROM diggers d WHERE ?1 IS NULL AND d.full_name LIKE ?2 ESCAPE '\\' {tail}"
        );
        return (sql, None, Some(format!("{}%", escape_like(trimmed))));
    }
    let sql = format!(
        "{head} {cols} FROM diggers d
         WHERE d.rid IN (SELECT rowid FROM diggers_fts WHERE diggers_fts MATCH ?1)
            OR d.id IN (SELECT holder_digger_id FROM licences WHERE number LIKE ?2 ESCAPE '\\')
         {tail}"
    );
    (
        sql,
        Some(tokens.join(" ")),
        Some(format!("{}%", escape_like(query.trim()))),
    )
}

impl Store {
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

    /// A sale by id.
    pub fn sale(&self, id: crate::domain::SaleId) -> Result<Option<Sale>, StoreError> {
        self.one(
            &format!("SELECT {} FROM sales sa WHERE sa.id = ?1", rows::SALE_COLS),
            [id.to_string()],
            rows::sale,
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

impl Store {
    /// The decisions taken on a record, oldest first.
    pub fn reviews_of(&self, target: uuid::Uuid) -> Result<Vec<crate::domain::Review>, StoreError> {
        self.all(
            "SELECT id, target_entity, target_id, decision, comment, reviewer, at FROM reviews
             WHERE target_id = ?1 ORDER BY at, id",
            [target.to_string()],
            |r| {
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
                            rusqlite::Error::FromSqlConversionFailure(
                                6,
                                rusqlite::types::Type::Text,
                                e.into(),
                            )
                        })?,
                })
            },
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
