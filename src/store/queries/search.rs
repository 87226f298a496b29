//! Searches of the registry as the user types: diggers by name, national id, village or
//! licence number through the full-text index, and licences by number or holder. The SQL is
//! built here, apart from the plain reads, because the search picks a different plan for
//! one letter than for a word.

use crate::domain::{Digger, Licence};
use crate::store::rows;
use crate::store::{Store, StoreError};

/// A digger found by a search, with the licence that decides their badge.
#[derive(Debug, Clone, PartialEq)]
pub struct DiggerHit {
    pub digger: Digger,
    /// The licence the digger holds or works under, if any.
    pub licence: Option<Licence>,
}

impl Store {
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
