//! A write transaction's statements, kept prepared for its length. A push runs the same few
//! statements for each of its changes; rusqlite's statement cache would hash each statement's
//! text twice per run (to find it, then to put it back) and clear its parameters, about a
//! fifth of the time of writing a change (measured with `perf` on the `sync` bench's ingest).
//! Here a statement is found by where its text lives (statements are constants), its text
//! compared to be sure.

use super::super::DbError;
use super::super::sql::{Row, Sql, Val};
use rusqlite::{Connection, Statement};
use std::cell::RefCell;
use std::collections::HashMap;

/// Statements by the address and length of their text; the texts kept to tell apart two
/// texts made at run time in the same place.
type ByText<'c> = HashMap<(usize, usize), Vec<(Box<str>, Statement<'c>)>>;

/// The statements of one transaction on `conn`.
pub(super) struct Kept<'c> {
    conn: &'c Connection,
    statements: RefCell<ByText<'c>>,
}

impl<'c> Kept<'c> {
    pub(super) fn new(conn: &'c Connection) -> Kept<'c> {
        Kept {
            conn,
            statements: RefCell::default(),
        }
    }

    /// The statement for `sql`, taken out while it runs (a statement run from inside another's
    /// row callback gets one of its own).
    fn take(&self, sql: &str) -> Result<Statement<'c>, DbError> {
        let key = (sql.as_ptr() as usize, sql.len());
        if let Some(kept) = self.statements.borrow_mut().get_mut(&key)
            && let Some(i) = kept.iter().position(|(text, _)| **text == *sql)
        {
            return Ok(kept.swap_remove(i).1);
        }
        Ok(self.conn.prepare(sql)?)
    }

    fn give_back(&self, sql: &str, statement: Statement<'c>) {
        let key = (sql.as_ptr() as usize, sql.len());
        self.statements
            .borrow_mut()
            .entry(key)
            .or_default()
            .push((sql.into(), statement));
    }
}

impl Sql for Kept<'_> {
    fn exec(&self, sql: &str, params: &[Val<'_>]) -> Result<u64, DbError> {
        let mut st = self.take(sql)?;
        let n = st.execute(rusqlite::params_from_iter(params));
        self.give_back(sql, st);
        Ok(n? as u64)
    }

    fn each(
        &self,
        sql: &str,
        params: &[Val<'_>],
        f: &mut dyn FnMut(&dyn Row) -> Result<bool, DbError>,
    ) -> Result<(), DbError> {
        let mut st = self.take(sql)?;
        let out = super::each_row(&mut st, params, f);
        self.give_back(sql, st);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sql::vals;

    #[test]
    fn a_statement_is_prepared_once_and_texts_alike_in_place_are_told_apart() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (x INTEGER)").unwrap();
        let kept = Kept::new(&conn);
        let db: &dyn Sql = &kept;
        const INSERT: &str = "INSERT INTO t VALUES (?1)";
        for i in 0..3 {
            db.exec(INSERT, vals![i]).unwrap();
        }
        assert_eq!(kept.statements.borrow().len(), 1);
        // Two texts made at run time may share an address; each gets its own statement.
        for sql in ["SELECT count(*) FROM t", "SELECT max(x) FROM t"] {
            let text = sql.to_string();
            let n = db.one(&text, vals![], |r| r.int_(0)).unwrap();
            assert_eq!(n, Some(if sql.contains("count") { 3 } else { 2 }));
        }
        // A statement run from inside another's rows.
        let mut seen = Vec::new();
        db.each("SELECT x FROM t ORDER BY x", vals![], &mut |r| {
            let x = r.int_(0)?;
            let again = db.one("SELECT x FROM t ORDER BY x", vals![], |r| r.int_(0))?;
            seen.push((x, again));
            Ok(true)
        })
        .unwrap();
        assert_eq!(seen, [(0, Some(0)), (1, Some(0)), (2, Some(0))]);
    }
}
