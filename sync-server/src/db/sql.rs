//! One way for the store's logic to speak SQL to either backend, so that the record rules,
//! authorisation, exactly-once and the chain checks are written once and behave the same on
//! SQLite and on PostgreSQL.
//!
//! Statements are written in the SQL both understand, with numbered parameters `?1`, `?2`…
//! (PostgreSQL's connection rewrites them to `$1`, `$2`…). Values are 64-bit integers, text,
//! bytes or NULL: PostgreSQL columns are `BIGINT`, `TEXT` and `BYTEA` to match, and sums are
//! written `CAST(… AS BIGINT)`.

use super::DbError;

/// A statement parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Val<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl From<i64> for Val<'_> {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}

impl<'a> From<&'a str> for Val<'a> {
    fn from(v: &'a str) -> Self {
        Val::Text(v)
    }
}

impl<'a> From<&'a String> for Val<'a> {
    fn from(v: &'a String) -> Self {
        Val::Text(v)
    }
}

impl<'a> From<&'a [u8]> for Val<'a> {
    fn from(v: &'a [u8]) -> Self {
        Val::Blob(v)
    }
}

impl<'a> From<&'a Vec<u8>> for Val<'a> {
    fn from(v: &'a Vec<u8>) -> Self {
        Val::Blob(v)
    }
}

impl<'a, T: Into<Val<'a>>> From<Option<T>> for Val<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Val::Null, Into::into)
    }
}

/// Statement parameters: `vals![a, b, c]`, each converted with `Val::from`.
macro_rules! vals {
    ($($v:expr),* $(,)?) => { &[$($crate::db::sql::Val::from($v)),*] };
}
pub(crate) use vals;

/// A result row. Integers read back from either backend's integer and boolean columns.
pub trait Row {
    fn int(&self, i: usize) -> Result<Option<i64>, DbError>;
    fn text(&self, i: usize) -> Result<Option<String>, DbError>;
    fn blob(&self, i: usize) -> Result<Option<Vec<u8>>, DbError>;
}

impl dyn Row + '_ {
    /// A column that is never NULL.
    pub fn int_(&self, i: usize) -> Result<i64, DbError> {
        self.int(i)?.ok_or_else(|| null(i))
    }

    /// A text column that is never NULL.
    pub fn text_(&self, i: usize) -> Result<String, DbError> {
        self.text(i)?.ok_or_else(|| null(i))
    }

    /// A bytes column that is never NULL.
    pub fn blob_(&self, i: usize) -> Result<Vec<u8>, DbError> {
        self.blob(i)?.ok_or_else(|| null(i))
    }
}

fn null(i: usize) -> DbError {
    DbError::Database(format!("column {i} is NULL where a value was expected"))
}

/// A connection or transaction of either backend.
pub trait Sql {
    /// Runs a statement; returns the rows it changed.
    fn exec(&self, sql: &str, params: &[Val<'_>]) -> Result<u64, DbError>;
    /// Runs a query, handing each row to `f` in order until it returns false.
    fn each(
        &self,
        sql: &str,
        params: &[Val<'_>],
        f: &mut dyn FnMut(&dyn Row) -> Result<bool, DbError>,
    ) -> Result<(), DbError>;
}

impl dyn Sql + '_ {
    /// The first row's value, if any.
    pub fn one<T>(
        &self,
        sql: &str,
        params: &[Val<'_>],
        f: impl FnOnce(&dyn Row) -> Result<T, DbError>,
    ) -> Result<Option<T>, DbError> {
        let mut f = Some(f);
        let mut out = None;
        self.each(sql, params, &mut |r| {
            if let Some(f) = f.take() {
                out = Some(f(r)?);
            }
            Ok(false)
        })?;
        Ok(out)
    }

    /// Every row's value.
    pub fn all<T>(
        &self,
        sql: &str,
        params: &[Val<'_>],
        mut f: impl FnMut(&dyn Row) -> Result<T, DbError>,
    ) -> Result<Vec<T>, DbError> {
        let mut out = Vec::new();
        self.each(sql, params, &mut |r| {
            out.push(f(r)?);
            Ok(true)
        })?;
        Ok(out)
    }

    /// Whether the query has a row.
    pub fn exists(&self, sql: &str, params: &[Val<'_>]) -> Result<bool, DbError> {
        Ok(self.one(sql, params, |_| Ok(()))?.is_some())
    }
}

/// A backend: how the store's logic gets a connection, in a transaction or not.
pub trait Engine: Send + Sync + 'static {
    /// Runs `f` on a connection, outside any transaction (each statement on its own).
    fn read<T>(&self, f: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError>;
    /// Runs `f` in a transaction, committed when it returns `Ok`, rolled back otherwise.
    fn write<T>(&self, f: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError>;
    /// Like [`Engine::write`], for a transaction that appends to the change log: the log's
    /// sequence numbers must become visible in order (see the backends), so such
    /// transactions commit one at a time.
    fn append<T>(&self, f: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError>;
}
