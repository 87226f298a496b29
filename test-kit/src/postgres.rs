//! Which database the sync server's tests run it on, and fresh PostgreSQL databases for them.
//!
//! `ALLUVIUM_TEST_BACKEND=postgres` runs the server tests on PostgreSQL: each [`TestServer`]
//! gets a database of its own, created on the cluster `ALLUVIUM_TEST_POSTGRES_URL` names
//! (`cargo xtask test` starts a throwaway one and sets both for its second pass). Unset, or
//! `sqlite`, they run on a SQLite file as before.
//!
//! [`TestServer`]: crate::server::TestServer

use postgres::{Client, NoTls};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub use crate::cluster::{Cluster, server_bin_dir};

/// The variable that picks the backend: `sqlite` (the default) or `postgres`.
pub const BACKEND_VAR: &str = "ALLUVIUM_TEST_BACKEND";
/// The variable that names the cluster for `postgres`: a superuser's URL.
pub const URL_VAR: &str = "ALLUVIUM_TEST_POSTGRES_URL";

/// The database the server tests run the server on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The backend `ALLUVIUM_TEST_BACKEND` names; panics on any other value than `sqlite` or
/// `postgres` (a typo must not quietly test SQLite again).
pub fn backend() -> Backend {
    parse_backend(std::env::var(BACKEND_VAR).ok().as_deref()).unwrap_or_else(|e| panic!("{e}"))
}

fn parse_backend(value: Option<&str>) -> Result<Backend, String> {
    match value.map(str::trim) {
        None | Some("" | "sqlite") => Ok(Backend::Sqlite),
        Some("postgres" | "postgresql") => Ok(Backend::Postgres),
        Some(other) => Err(format!(
            "{BACKEND_VAR}={other:?}: it takes `sqlite` (the default) or `postgres`"
        )),
    }
}

/// For a test that only makes sense on a file (a backup, the file copied or edited): on
/// PostgreSQL prints that it is skipped and returns true, so the test returns early.
pub fn sqlite_only(why: &str) -> bool {
    let skip = backend() == Backend::Postgres;
    if skip {
        eprintln!("skipped on PostgreSQL: {why}");
    }
    skip
}

/// The cluster's URL from `ALLUVIUM_TEST_POSTGRES_URL`; panics saying how to get one.
pub fn cluster_url() -> String {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => url.trim().to_string(),
        _ => panic!(
            "{BACKEND_VAR}=postgres needs {URL_VAR}, a superuser's URL on a PostgreSQL cluster \
             (postgres://postgres@127.0.0.1:PORT/postgres) where each test creates its own \
             database: run `cargo xtask test`, which starts a throwaway cluster and runs the \
             server tests on it, or start one yourself (README, \"Server on PostgreSQL\") and \
             set {URL_VAR}"
        ),
    }
}

/// A new, empty database on the cluster of `ALLUVIUM_TEST_POSTGRES_URL`; its URL.
pub fn fresh_database() -> String {
    fresh_database_on(&cluster_url())
}

/// A new, empty database on the cluster `cluster_url` reaches (as a user who may create
/// databases); its URL. Panics if the cluster cannot be reached.
pub fn fresh_database_on(cluster_url: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    // Unique across the test binaries that share the cluster at once (process id) and the
    // tests of one binary (counter); lower case, so it needs no quoting.
    let name = format!(
        "alluvium_test_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    execute(cluster_url, &format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("cannot create a test database on {cluster_url}: {e}"));
    with_database(cluster_url, &name)
}

/// Drops the database `url` names, cutting its sessions (`WITH (FORCE)`); for clean-up, so
/// failures are only reported.
pub fn drop_database(url: &str) {
    let Some(name) = database_name(url) else {
        return;
    };
    let maintenance = with_database(url, "postgres");
    if let Err(e) = execute(
        &maintenance,
        &format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            name.replace('"', "\"\"")
        ),
    ) {
        eprintln!("cannot drop test database {name}: {e}");
    }
}

fn execute(url: &str, sql: &str) -> Result<(), postgres::Error> {
    let mut client = Client::connect(url, NoTls)?;
    client.batch_execute(sql)?;
    client.close()
}

/// `url` with its database (the path) replaced by `name`; user, host, port and query kept.
pub fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let (authority, query) = split_url(rest);
    match query {
        Some(q) => format!("{scheme}://{authority}/{name}?{q}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}

/// The database a URL names, if it names one.
pub fn database_name(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let path = rest.split_once('/')?.1;
    let name = path.split('?').next().unwrap_or("");
    (!name.is_empty()).then(|| name.to_string())
}

/// `user@host:port/db?query` → (`user@host:port`, `query`).
fn split_url(rest: &str) -> (&str, Option<&str>) {
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let authority = before_query.split('/').next().unwrap_or(before_query);
    (authority, query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_is_sqlite_unless_postgres_is_named() {
        assert_eq!(parse_backend(None), Ok(Backend::Sqlite));
        assert_eq!(parse_backend(Some("")), Ok(Backend::Sqlite));
        assert_eq!(parse_backend(Some("sqlite")), Ok(Backend::Sqlite));
        assert_eq!(parse_backend(Some("postgres")), Ok(Backend::Postgres));
        assert_eq!(parse_backend(Some("postgresql")), Ok(Backend::Postgres));
        let e = parse_backend(Some("pg")).unwrap_err();
        assert!(e.contains("`sqlite` (the default) or `postgres`"), "{e}");
    }

    #[test]
    fn a_url_gets_another_database_and_keeps_the_rest() {
        let base = "postgres://postgres@127.0.0.1:5544/postgres";
        assert_eq!(
            with_database(base, "t1"),
            "postgres://postgres@127.0.0.1:5544/t1"
        );
        assert_eq!(
            with_database("postgresql://u:p@h:1/db?sslmode=disable", "t2"),
            "postgresql://u:p@h:1/t2?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h:1", "t3"),
            "postgres://u@h:1/t3"
        );
        assert_eq!(database_name(base).as_deref(), Some("postgres"));
        assert_eq!(database_name("postgres://u@h/t?x=1").as_deref(), Some("t"));
        assert_eq!(database_name("postgres://u@h"), None);
    }
}
