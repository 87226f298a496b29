//! The server's versioned schema and its backups, with the real binary: a database made by the
//! release before versioning opens, migrates and keeps every change, device, session and
//! officer; a database of a newer release is refused and left as it was; a backup taken while
//! a device pushes is consistent and restores into a working server.

mod common;

use common::*;
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A server database written by the last release without schema versions (how it was made:
/// tests/data/README.md).
fn unversioned_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/server-unversioned.sqlite")
}

fn sync_server(args: &[&str]) -> Output {
    Command::new(test_kit::cargo_bin("alluvium-sync"))
        .args(args)
        .output()
        .expect("alluvium-sync runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

/// Row counts of every table a server keeps, a digest of the change log in order, and a
/// digest of the record index: what the record rules read of each record, wherever the schema
/// keeps it (since version 5 an insert-only record's is in its row of the log).
#[derive(Debug, PartialEq, Eq)]
struct Contents {
    rows: Vec<(&'static str, i64)>,
    log: String,
    index: String,
}

/// The record index as `(kind, id, region, parent, replaces, facts)` rows in order, from a file
/// of schema version `version`.
fn record_index(conn: &Connection, version: i64) -> String {
    let sql = if version < 5 {
        "SELECT entity, record_id, region, parent, replaces, facts FROM records
         ORDER BY entity, record_id"
    } else {
        "SELECT entity, record_id, region, parent, replaces, facts FROM records
         UNION ALL
         SELECT entity, record_id, region, parent, replaces, facts FROM changes WHERE op = 'insert'
         ORDER BY 1, 2"
    };
    let mut digest = Sha256::new();
    let mut q = conn.prepare(sql).unwrap();
    let mut rows = q.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        for i in 0..6 {
            let v: rusqlite::types::Value = r.get(i).unwrap();
            digest.update(format!("{v:?}\u{1f}").as_bytes());
        }
    }
    format!("{:x}", digest.finalize())
}

fn contents(db: &Path) -> Contents {
    let conn = Connection::open(db).unwrap();
    let rows = [
        "regions",
        "officers",
        "enrol_codes",
        "devices",
        "sessions",
        "changes",
        "rejected",
        "acknowledged",
    ]
    .into_iter()
    .map(|t| {
        let n = conn
            .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
            .unwrap();
        (t, n)
    })
    .collect();
    let mut log = Sha256::new();
    let mut q = conn
        .prepare(
            "SELECT seq, change_id, entity, record_id, hlc, origin, payload,
                    coalesce(hex(sig), ''), coalesce(hex(link), '')
             FROM changes ORDER BY seq",
        )
        .unwrap();
    let mut rows_q = q.query([]).unwrap();
    while let Some(r) = rows_q.next().unwrap() {
        for i in 0..9 {
            let v: rusqlite::types::Value = r.get(i).unwrap();
            log.update(format!("{v:?}\u{1f}").as_bytes());
        }
    }
    let version = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    Contents {
        rows,
        log: format!("{:x}", log.finalize()),
        index: record_index(&conn, version),
    }
}

fn user_version(db: &Path) -> i64 {
    Connection::open(db)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap()
}

fn copy_fixture(to: &Path) {
    std::fs::copy(unversioned_fixture(), to).unwrap();
}

#[test]
fn a_database_made_before_versioning_migrates_and_keeps_everything() {
    if test_kit::postgres::sqlite_only("the upgrade of a SQLite file made by an older release") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    copy_fixture(&db);
    assert_eq!(user_version(&db), 0, "the fixture predates versioning");
    let before = contents(&db);
    let count = |t: &str| before.rows.iter().find(|(n, _)| *n == t).unwrap().1;
    assert!(
        count("changes") > 50 && count("devices") >= 2 && count("sessions") >= 2,
        "the fixture holds a real history: {before:?}"
    );

    let out = sync_server(&["migrate", "--db", db.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let latest = alluvium_sync::db::sqlite_schema_version();
    assert!(
        text(&out.stdout).contains(&format!("schema version 0 brought to {latest}")),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(user_version(&db), latest);
    assert_eq!(
        contents(&db),
        before,
        "migrating changed what the server kept"
    );

    // Once more: nothing to do, and said so.
    let again = sync_server(&["migrate", "--db", db.to_str().unwrap()]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(
        text(&again.stdout).contains("current"),
        "{}",
        text(&again.stdout)
    );

    // The signed chains the old release accepted are intact after the migration.
    admin(&db, &["audit", "verify"], "").expect("audit verify passes on the migrated file");

    // A server on the migrated file serves it: a new device of the fixture's region, logged
    // in with an account the old release created, pulls every record the server counts.
    let mut server = TestServer::start();
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", server.db().display()));
    }
    std::fs::copy(&db, server.db()).unwrap();
    server.restart();
    let device = server.device("SL-KONO", "admin");
    let on_server = server.stats();
    let on_device = serde_json::to_value(device.store.stats().unwrap()).unwrap();
    for key in [
        "diggers",
        "licences",
        "sites",
        "production",
        "stones",
        "sales",
    ] {
        assert!(
            on_server["regions"]["SL-KONO"][key].as_i64().unwrap() > 0,
            "{key}"
        );
        assert_eq!(
            on_device[key], on_server["regions"]["SL-KONO"][key],
            "{key}: device {on_device} server {on_server}"
        );
    }
}

#[test]
fn a_database_from_a_newer_release_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    copy_fixture(&db);
    assert!(
        sync_server(&["migrate", "--db", db.to_str().unwrap()])
            .status
            .success()
    );
    Connection::open(&db)
        .unwrap()
        .pragma_update(None, "user_version", 7)
        .unwrap();
    let bytes = std::fs::read(&db).unwrap();
    let db_arg = db.to_str().unwrap();
    for args in [
        vec!["migrate", "--db", db_arg],
        vec!["serve", "--db", db_arg, "--listen", "127.0.0.1:0"],
        vec!["admin", "--db", db_arg, "stats", "--json"],
    ] {
        let out = sync_server(&args);
        assert!(!out.status.success(), "{args:?} ran on a newer database");
        let err = text(&out.stderr);
        assert!(
            err.contains("newer release") && err.contains("schema version 7"),
            "{args:?}: {err}"
        );
        assert!(
            text(&out.stdout).is_empty(),
            "{args:?}: {}",
            text(&out.stdout)
        );
    }
    assert_eq!(
        std::fs::read(&db).unwrap(),
        bytes,
        "the newer file was written to"
    );
}

#[test]
fn a_backup_taken_while_a_device_pushes_is_consistent_and_restores() {
    if test_kit::postgres::sqlite_only(
        "admin backup copies a SQLite file (postgres.rs restores a pg_dump)",
    ) {
        return;
    }
    let mut server = TestServer::start();
    server.seed();
    let mut lic = server.device("SL-KONO", "lic_a");
    // Pushes go on in another thread while the backups are taken.
    let pusher = std::thread::spawn(move || {
        for batch in 0..12 {
            lic.store
                .write(|w| {
                    for i in 0..25 {
                        w.put_digger(&digger(
                            "SL-KONO",
                            &format!("SL-{batch:02}{i:02}"),
                            &format!("Digger {batch}-{i}"),
                        ))?;
                    }
                    Ok(())
                })
                .unwrap();
            let r = lic.sync();
            assert_eq!((r.pushed, r.rejected), (25, 0), "{r:?}");
        }
        lic
    });
    let dir = tempfile::tempdir().unwrap();
    let during = dir.path().join("during.db");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let said = server
        .admin(&["backup", "--out", during.to_str().unwrap()], "")
        .unwrap();
    assert!(said.contains("backup written to"), "{said}");
    let _lic = pusher.join().unwrap();

    // The copy taken mid-push is the log up to one moment: a prefix of the server's, checked.
    let copy = Connection::open(&during).unwrap();
    let ok: String = copy
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let seqs = |c: &Connection| -> Vec<(i64, String)> {
        c.prepare("SELECT seq, change_id FROM changes ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let live = seqs(&Connection::open(server.db()).unwrap());
    let taken = seqs(&copy);
    assert!(taken.len() <= live.len() && live.starts_with(&taken));
    // A push is one transaction: the copy holds whole batches of 25 diggers.
    let diggers: i64 = copy
        .query_row(
            "SELECT count(*) FROM changes WHERE entity = 'digger'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(diggers % 25, 0, "{diggers} diggers: a push was cut in two");
    drop(copy);

    // A backup never overwrites a file.
    let err = server
        .admin(&["backup", "--out", during.to_str().unwrap()], "")
        .unwrap_err();
    assert!(err.contains("already exists"), "{err}");

    // Restore: the last backup becomes the database of a server that devices sync with.
    let after = dir.path().join("after.db");
    server
        .admin(&["backup", "--out", after.to_str().unwrap()], "")
        .unwrap();
    let expected = server.stats();
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", server.db().display()));
    }
    std::fs::copy(&after, server.db()).unwrap();
    server.restart();
    assert_eq!(server.stats(), expected);
    let coord = server.device("SL-KONO", "coord_a");
    let on_device = serde_json::to_value(coord.store.stats().unwrap()).unwrap();
    assert_eq!(on_device["diggers"], expected["diggers"]);
    assert_eq!(expected["diggers"], 300);
}
