//! The server database's versioned schema: numbered migrations, the version recorded in the
//! file (`PRAGMA user_version`), run by `serve`, `admin` and `migrate` when they open it.
//! A file from a newer release is refused rather than written to, since this release does not
//! know what its tables mean.
//!
//! Migration 1 is the schema of the releases before versioning: it creates a new file, or
//! adopts one such a release made, as it is (see `schema::adopt`). Later migrations are SQL
//! files beside this one, appended to `MIGRATIONS` and never edited once released.

use super::schema;
use crate::db::DbError;
use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

/// Every migration, in order; its position + 1 is the version it brings the file to.
fn list() -> Vec<M<'static>> {
    vec![
        M::up_with_hook("", |tx: &rusqlite::Transaction| schema::adopt(tx)),
        M::up(include_str!("0002_canonical_form.sql")),
        M::up(include_str!("0003_photos.sql")),
        M::up(include_str!("0004_login_attempts.sql")),
        M::up(include_str!("0005_compact_change_log.sql")),
    ]
}

fn migrations() -> Migrations<'static> {
    Migrations::new(list())
}

/// The schema version this release writes.
pub fn latest_version() -> i64 {
    list().len() as i64
}

/// The schema version recorded in the file (0: new, or made before versioning).
pub fn version(conn: &Connection) -> Result<i64, DbError> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

/// What `migrate` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    pub from: i64,
    pub to: i64,
}

/// Brings the file to the latest version, each migration in its own transaction; refuses a
/// file of a newer release.
pub fn to_latest(conn: &mut Connection) -> Result<Migrated, DbError> {
    let from = version(conn)?;
    let known = latest_version();
    if from > known {
        return Err(DbError::TooNew { found: from, known });
    }
    migrations()
        .to_latest(conn)
        .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(Migrated {
        from,
        to: version(conn)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_and_the_latest_version_agree() {
        let mut conn = Connection::open_in_memory().unwrap();
        let m = to_latest(&mut conn).unwrap();
        assert_eq!((m.from, m.to), (0, latest_version()));
        migrations().validate().unwrap();
    }

    #[test]
    fn the_compact_log_moves_exactly_the_insert_only_kinds() {
        let moved = |sql: &str| {
            let from = &sql[sql.find("DELETE FROM records").unwrap()..];
            from[..from.find(';').unwrap()].to_string()
        };
        let sqlite = moved(include_str!("0005_compact_change_log.sql"));
        for kind in alluvium::domain::RecordKind::ALL {
            let named = sqlite.contains(&format!("'{}'", kind.as_str()));
            assert_eq!(named, !kind.is_registry(), "{kind}");
        }
        let postgres = include_str!("../postgres/migrations/V5__compact_change_log.sql");
        assert_eq!(sqlite, moved(postgres), "PostgreSQL moves the same kinds");
    }

    #[test]
    fn the_rebuilt_log_keeps_its_numbers_and_numbers_on() {
        let mut conn = Connection::open_in_memory().unwrap();
        let up_to_4 = Migrations::new(list().into_iter().take(4).collect());
        up_to_4.to_latest(&mut conn).unwrap();
        let add = |conn: &Connection, seq: Option<i64>, id: &str, entity: &str, op: &str| {
            conn.execute(
                "INSERT INTO changes(seq, change_id, entity, record_id, region, hlc, base_hlc,
                                     origin, op, payload)
                 VALUES (?1, ?2, ?3, ?2, 'SL-KONO', 1, 0, 'o', ?4, '{}')",
                rusqlite::params![seq, id, entity, op],
            )
            .unwrap();
        };
        add(&conn, Some(7), "a", "digger", "upsert");
        add(&conn, Some(9), "b", "stone", "insert");
        conn.execute(
            "INSERT INTO records(entity, record_id, region, parent, hlc, origin)
             VALUES ('stone', 'b', 'SL-KONO', 'p', 1, 'o'), ('digger', 'a', 'SL-KONO', NULL, 1, 'o')",
            [],
        )
        .unwrap();
        to_latest(&mut conn).unwrap();
        let rows: Vec<(i64, String, Option<String>)> = conn
            .prepare("SELECT seq, change_id, parent FROM changes ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            [(7, "a".into(), None), (9, "b".into(), Some("p".into()))]
        );
        add(&conn, None, "c", "stone", "insert");
        let next: i64 = conn
            .query_row("SELECT seq FROM changes WHERE change_id = 'c'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(next, 10);
        let registries: i64 = conn
            .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
            .unwrap();
        assert_eq!(registries, 1, "the stone's index row moved to the log");
    }

    #[test]
    fn a_newer_file_is_refused_untouched() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", latest_version() + 1)
            .unwrap();
        let err = to_latest(&mut conn).unwrap_err();
        assert!(matches!(err, DbError::TooNew { .. }), "{err}");
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tables, 0);
    }
}
