//! Where a server's database is: a SQLite file (the embedded default), or a PostgreSQL
//! database with the folder its pictures are kept in. `serve`, `migrate` and `admin` all take
//! one and open the store behind the same trait.

use super::{DbError, Migrated, PgStore, ServerStore, SqliteStore};
use std::path::PathBuf;
use std::sync::Arc;

/// A server database.
#[derive(Debug, Clone)]
pub enum Location {
    /// A SQLite file; pictures in `FILE.photos` beside it.
    Sqlite(PathBuf),
    /// A PostgreSQL database shared by every `serve` process; pictures in `photo_dir`, which
    /// every process must reach (shared storage when they run on several machines).
    Postgres {
        url: String,
        photo_dir: PathBuf,
        pool_size: u32,
    },
}

impl Location {
    /// Opens the store, bringing its schema to the current version.
    pub fn open(&self) -> Result<Arc<dyn ServerStore>, DbError> {
        Ok(self.open_migrated()?.0)
    }

    /// [`Location::open`], saying from which schema version it brought the database.
    pub fn open_migrated(&self) -> Result<(Arc<dyn ServerStore>, Migrated), DbError> {
        Ok(match self {
            Location::Sqlite(path) => {
                let (store, m) = SqliteStore::open_migrated(path)?;
                (Arc::new(store), m)
            }
            Location::Postgres {
                url,
                photo_dir,
                pool_size,
            } => {
                let (store, m) = PgStore::open_migrated(url, photo_dir, *pool_size)?;
                (Arc::new(store), m)
            }
        })
    }

    /// [`Location::open`] with officer sessions lasting `secs`.
    pub fn open_with_session_ttl(&self, secs: i64) -> Result<Arc<dyn ServerStore>, DbError> {
        Ok(match self {
            Location::Sqlite(path) => Arc::new(SqliteStore::open(path)?.with_session_ttl(secs)),
            Location::Postgres {
                url,
                photo_dir,
                pool_size,
            } => Arc::new(PgStore::open(url, photo_dir, *pool_size)?.with_session_ttl(secs)),
        })
    }

    /// How it is named in messages and logs (a URL without its password).
    pub fn shown(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres { url, .. } => super::shown_url(url),
        }
    }
}
