//! The PostgreSQL schema's versioned migrations: numbered SQL files in `migrations/`, run in
//! order by `refinery`, which records each in `refinery_schema_history`. Several server
//! processes may start at once, so the run holds a session advisory lock; a database a newer
//! release migrated is refused before anything is written.

use crate::db::DbError;
use ::postgres::Client;

mod embedded {
    refinery::embed_migrations!("src/db/postgres/migrations");
}

/// Held while migrating: one process migrates, the others wait and find nothing to do.
const MIGRATION_LOCK: i64 = 0x616c_6c75_7669_7567;

pub use crate::db::Migrated;

/// The schema version this release writes.
pub fn latest_version() -> i64 {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| i64::from(m.version()))
        .max()
        .unwrap_or(0)
}

fn applied(client: &mut Client) -> Result<i64, DbError> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('refinery_schema_history') IS NOT NULL",
            &[],
        )?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let v: Option<i32> = client
        .query_one("SELECT max(version) FROM refinery_schema_history", &[])?
        .get(0);
    Ok(v.map_or(0, i64::from))
}

/// Brings the database to the latest version; refuses one of a newer release.
pub fn to_latest(client: &mut Client) -> Result<Migrated, DbError> {
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
    let result = run(client);
    // The lock is the session's: released here, or when the connection closes.
    let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    result
}

fn run(client: &mut Client) -> Result<Migrated, DbError> {
    let from = applied(client)?;
    let known = latest_version();
    if from > known {
        return Err(DbError::TooNew { found: from, known });
    }
    embedded::migrations::runner()
        .run(client)
        .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(Migrated {
        from,
        to: applied(client)?,
    })
}
