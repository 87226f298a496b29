//! The PostgreSQL backend, for national deployments: a pool of connections (`r2d2`), each
//! with its prepared statements, used from `spawn_blocking` like the SQLite one. Several
//! `serve` processes may share one database: everything they share is in it (sessions,
//! enrolment, failed-login counts), except the pictures' files, which live in a folder every
//! process is given (`--photo-dir`, on storage they all mount).
//!
//! **Gap-safe sequence numbers.** A device pulls the change log by `seq` and keeps the highest
//! it has seen as its cursor, so a change that became visible after a higher one would be
//! skipped for ever. With concurrent writers, a sequence drawn early may commit late. So every
//! transaction that appends to the log first takes one transaction-scoped advisory lock
//! (`pg_advisory_xact_lock(CHANGE_LOG_LOCK)`), across all processes, and keeps it until it
//! commits or rolls back: appends commit one at a time, in the order their `seq` values were
//! drawn. When a reader sees `seq` N, every change below N was committed before N was drawn,
//! so it is visible too; a rolled-back append leaves a gap that nothing will ever fill. The
//! lock also gives push the same view as on SQLite (one writer of records at a time), so the
//! record rules never judge against a state another process is changing. Reading, login,
//! sessions and photo bytes do not take it.

mod migrations;

use super::DbError;
use super::sql::{Engine, Row, Sql, Val};
use super::store::Store;
use crate::photo_vault::PhotoVault;
use ::postgres::fallible_iterator::FallibleIterator;
use ::postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use ::postgres::{Client, Config, NoTls, Statement};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use super::Migrated;

/// The server store on PostgreSQL.
pub type PgStore = Store<PgEngine>;

/// Connections per server process by default.
pub const DEFAULT_POOL_SIZE: u32 = 16;

/// The advisory lock every change-log append holds until it commits (any 64-bit key that no
/// other application on the database uses; this one spells "alluvium").
const CHANGE_LOG_LOCK: i64 = 0x616c_6c75_7669_756d;

/// Prepared statements kept per connection before the cache starts again (pull queries
/// differ by the officer's regions).
const STATEMENT_CACHE: usize = 512;

/// A pool of connections to one database.
pub struct PgEngine {
    pool: r2d2::Pool<Manager>,
}

/// One pooled connection and its prepared statements.
pub struct PgConn {
    /// Always there until the connection is dropped (see `Drop`).
    client: Option<Client>,
    statements: HashMap<String, Statement>,
}

impl PgConn {
    fn client(&mut self) -> &mut Client {
        self.client
            .as_mut()
            .expect("a connection has its client until it is dropped")
    }
}

impl Drop for PgConn {
    /// Closing a connection blocks on the client's own runtime, which cannot run inside
    /// another: when the last reference to the store goes on an async thread (a test, a
    /// shutdown), the client is closed on a thread of its own.
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            let _ = std::thread::Builder::new()
                .name("pg-close".into())
                .spawn(move || drop(client));
        }
    }
}

struct Manager {
    config: Config,
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = ::postgres::Error;

    fn connect(&self) -> Result<PgConn, ::postgres::Error> {
        Ok(PgConn {
            client: Some(self.config.connect(NoTls)?),
            statements: HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), ::postgres::Error> {
        conn.client().simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.client.as_ref().is_none_or(Client::is_closed)
    }
}

impl Store<PgEngine> {
    /// Connects to the database at `url` (`postgres://user@host:port/name`), brings it to the
    /// current schema, and keeps the pictures in `photo_dir`.
    pub fn open(url: &str, photo_dir: &Path, pool_size: u32) -> Result<PgStore, DbError> {
        Ok(Self::open_migrated(url, photo_dir, pool_size)?.0)
    }

    /// [`Store::<PgEngine>::open`], saying from which schema version it brought the database.
    pub fn open_migrated(
        url: &str,
        photo_dir: &Path,
        pool_size: u32,
    ) -> Result<(PgStore, Migrated), DbError> {
        let config: Config = url.parse().map_err(|e| {
            DbError::Invalid(format!(
                "{} is not a PostgreSQL URL (postgres://user@host:port/database): {e}",
                shown_url(url)
            ))
        })?;
        let mut client = config.connect(NoTls)?;
        let migrated = migrations::to_latest(&mut client)?;
        drop(client);
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(30))
            .build(Manager { config })
            .map_err(|e| DbError::Database(e.to_string()))?;
        let engine = PgEngine { pool };
        Ok((Store::new(engine, PhotoVault::at(photo_dir)), migrated))
    }
}

/// A URL as it may be shown: without its password.
pub fn shown_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].find(':') {
            Some(colon) => format!("{}:***{}", &url[..s + 3 + colon], &url[at..]),
            None => url.to_string(),
        },
        _ => url.to_string(),
    }
}

impl PgEngine {
    fn conn(&self) -> Result<r2d2::PooledConnection<Manager>, DbError> {
        self.pool
            .get()
            // Every connection busy for the pool's whole wait (a burst of pushes queued on the
            // change-log lock), or the database unreachable: the device tries again later.
            .map_err(|e| DbError::Busy(format!("no database connection free: {e}")))
    }

    fn in_transaction<T>(
        &self,
        lock_log: bool,
        f: impl FnOnce(&dyn Sql) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let mut conn = self.conn()?;
        conn.client().batch_execute("BEGIN")?;
        let tx = Tx {
            conn: RefCell::new(&mut conn),
            open: std::cell::Cell::new(true),
        };
        if lock_log {
            tx.exec(
                "SELECT pg_advisory_xact_lock(?1)",
                &[Val::Int(CHANGE_LOG_LOCK)],
            )?;
        }
        let out = f(&tx)?;
        tx.conn.borrow_mut().client().batch_execute("COMMIT")?;
        tx.open.set(false);
        Ok(out)
    }
}

impl Engine for PgEngine {
    fn read<T>(&self, f: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError> {
        let mut conn = self.conn()?;
        let tx = Tx {
            conn: RefCell::new(&mut conn),
            open: std::cell::Cell::new(false),
        };
        f(&tx)
    }

    fn write<T>(&self, f: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError> {
        self.in_transaction(false, f)
    }

    fn append<T>(&self, f: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError> {
        self.in_transaction(true, f)
    }
}

/// A connection, in a transaction when `open`: rolled back when dropped uncommitted (an
/// error or a panic), so the connection goes back to the pool clean.
struct Tx<'c> {
    conn: RefCell<&'c mut PgConn>,
    open: std::cell::Cell<bool>,
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open.get() {
            // A connection that cannot roll back is broken, and the pool drops it.
            let _ = self.conn.get_mut().client().batch_execute("ROLLBACK");
        }
    }
}

impl PgConn {
    fn statement(&mut self, sql: &str) -> Result<Statement, DbError> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        if self.statements.len() >= STATEMENT_CACHE {
            self.statements.clear();
        }
        let st = self.client().prepare(&dollar_params(sql))?;
        self.statements.insert(sql.to_string(), st.clone());
        Ok(st)
    }
}

impl Sql for Tx<'_> {
    fn exec(&self, sql: &str, params: &[Val<'_>]) -> Result<u64, DbError> {
        let mut conn = self.conn.borrow_mut();
        let st = conn.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        Ok(conn.client().execute(&st, &params)?)
    }

    fn each(
        &self,
        sql: &str,
        params: &[Val<'_>],
        f: &mut dyn FnMut(&dyn Row) -> Result<bool, DbError>,
    ) -> Result<(), DbError> {
        let mut conn = self.conn.borrow_mut();
        let st = conn.statement(sql)?;
        let mut rows = conn.client().query_raw(&st, params.iter())?;
        while let Some(row) = rows.next()? {
            if !f(&row)? {
                break;
            }
        }
        Ok(())
    }
}

/// `?1`, `?2`… as PostgreSQL's `$1`, `$2`… (outside quoted strings).
fn dollar_params(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => quoted = !quoted,
            '?' if !quoted && chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push('$');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

impl ToSql for Val<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut ::postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match *self {
            Val::Null => Ok(IsNull::Yes),
            Val::Int(v) => match *ty {
                Type::INT4 => i32::try_from(v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(v)?.to_sql(ty, out),
                Type::BOOL => (v != 0).to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Val::Text(s) => s.to_sql(ty, out),
            Val::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl Row for ::postgres::Row {
    fn int(&self, i: usize) -> Result<Option<i64>, DbError> {
        let ty = self
            .columns()
            .get(i)
            .map(|c| c.type_().clone())
            .ok_or_else(|| DbError::Database(format!("no column {i}")))?;
        Ok(match ty {
            Type::INT4 => self.try_get::<_, Option<i32>>(i)?.map(i64::from),
            Type::INT2 => self.try_get::<_, Option<i16>>(i)?.map(i64::from),
            Type::BOOL => self.try_get::<_, Option<bool>>(i)?.map(i64::from),
            _ => self.try_get::<_, Option<i64>>(i)?,
        })
    }

    fn text(&self, i: usize) -> Result<Option<String>, DbError> {
        Ok(self.try_get(i)?)
    }

    fn blob(&self, i: usize) -> Result<Option<Vec<u8>>, DbError> {
        Ok(self.try_get(i)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_the_postgresql_way_outside_quotes() {
        assert_eq!(
            dollar_params("SELECT ?1, '?2' FROM t WHERE a = ?10 AND b = '?' AND c = ?2"),
            "SELECT $1, '?2' FROM t WHERE a = $10 AND b = '?' AND c = $2"
        );
    }

    #[test]
    fn a_url_is_shown_without_its_password() {
        assert_eq!(
            shown_url("postgres://sync:secret@db.example:5432/alluvium"),
            "postgres://sync:***@db.example:5432/alluvium"
        );
        assert_eq!(
            shown_url("postgres://sync@127.0.0.1/alluvium"),
            "postgres://sync@127.0.0.1/alluvium"
        );
    }
}
