//! Failed logins per user name, kept in the database so that every server process sharing it
//! counts the same attempts (a load balancer may send each guess to another process) and a
//! restart does not reset them. The rules are the protocol's (`alluvium::sync::limits`):
//! [`MAX_FAILED_LOGINS`] per [`FAILED_LOGIN_WINDOW_SECS`]; an attempt counts from the moment it
//! starts until it succeeds, so concurrent guesses cannot all slip under the limit — the
//! count is taken and checked in one statement, atomic on both backends.

use crate::db::DbError;
use crate::db::sql::{Sql, vals};
use alluvium::sync::limits::{FAILED_LOGIN_WINDOW_SECS, MAX_FAILED_LOGINS};

/// Counts an attempt for `name` before its password is checked; false (nothing counted) when
/// the name has used up its attempts for now. Names whose window has passed are dropped on
/// the way, so the table holds only the names tried in the last window.
pub(super) fn reserve(db: &dyn Sql, name: &str, now: i64) -> Result<bool, DbError> {
    let expired = now - FAILED_LOGIN_WINDOW_SECS as i64;
    db.exec(
        "DELETE FROM login_attempts WHERE since < ?1",
        vals![expired],
    )?;
    // A row comes back when the attempt was counted: a new name, or one under the limit.
    let counted = db.one(
        "INSERT INTO login_attempts(name, count, since) VALUES (?1, 1, ?2)
         ON CONFLICT (name) DO UPDATE SET count = login_attempts.count + 1
         WHERE login_attempts.count < ?3
         RETURNING count",
        vals![name, now, i64::from(MAX_FAILED_LOGINS)],
        |r| r.int_(0),
    )?;
    Ok(counted.is_some())
}

/// Clears `name`'s count after a successful login.
pub(super) fn succeeded(db: &dyn Sql, name: &str) -> Result<(), DbError> {
    db.exec("DELETE FROM login_attempts WHERE name = ?1", vals![name])?;
    Ok(())
}

/// Gives back an attempt that was never checked (the server was busy or failed), or that
/// was the right password for a disabled account.
pub(super) fn withdraw(db: &dyn Sql, name: &str) -> Result<(), DbError> {
    db.exec(
        "UPDATE login_attempts SET count = count - 1 WHERE name = ?1",
        vals![name],
    )?;
    db.exec(
        "DELETE FROM login_attempts WHERE name = ?1 AND count <= 0",
        vals![name],
    )?;
    Ok(())
}

/// The attempts counted against `name` in its current window.
pub(super) fn counted(db: &dyn Sql, name: &str, now: i64) -> Result<u32, DbError> {
    let expired = now - FAILED_LOGIN_WINDOW_SECS as i64;
    let n = db.one(
        "SELECT count FROM login_attempts WHERE name = ?1 AND since >= ?2",
        vals![name, expired],
        |r| r.int_(0),
    )?;
    Ok(n.map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::SqliteStore;

    const WINDOW: i64 = FAILED_LOGIN_WINDOW_SECS as i64;

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("server.db")).unwrap();
        (dir, store)
    }

    #[test]
    fn attempts_stop_at_the_limit_and_start_again_on_success() {
        let (_dir, s) = store();
        let reserve = |name: &str| s.write(|db| reserve(db, name, 1_000)).unwrap();
        for _ in 0..MAX_FAILED_LOGINS {
            assert!(reserve("a"));
        }
        assert!(!reserve("a"), "one attempt past the limit is refused");
        assert_eq!(
            s.read(|db| counted(db, "a", 1_000)).unwrap(),
            MAX_FAILED_LOGINS
        );
        assert!(reserve("b"), "another name has its own count");
        s.write(|db| succeeded(db, "a")).unwrap();
        assert!(reserve("a"));
        s.write(|db| withdraw(db, "a")).unwrap();
        assert_eq!(s.read(|db| counted(db, "a", 1_000)).unwrap(), 0);
    }

    #[test]
    fn a_name_is_forgotten_when_its_window_has_passed() {
        let (_dir, s) = store();
        for _ in 0..MAX_FAILED_LOGINS {
            assert!(s.write(|db| reserve(db, "a", 1_000)).unwrap());
        }
        assert!(!s.write(|db| reserve(db, "a", 1_000 + WINDOW)).unwrap());
        assert!(s.write(|db| reserve(db, "a", 1_001 + WINDOW)).unwrap());
    }

    #[test]
    fn the_table_holds_only_the_names_tried_in_the_last_window() {
        let (_dir, s) = store();
        for i in 0..1_000 {
            assert!(
                s.write(|db| reserve(db, &format!("name-{i}"), 1_000))
                    .unwrap()
            );
        }
        assert!(s.write(|db| reserve(db, "late", 1_001 + WINDOW)).unwrap());
        let rows = s
            .read(|db| {
                db.one("SELECT count(*) FROM login_attempts", vals![], |r| {
                    r.int_(0)
                })
            })
            .unwrap();
        assert_eq!(rows, Some(1));
    }
}
