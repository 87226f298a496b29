//! Several `serve` processes on one PostgreSQL database, with the real binaries: devices
//! pushing through two processes at once never make a puller skip a change that committed
//! late; a process killed in the middle of a push leaves the device to converge, exactly
//! once, through the other; a `pg_dump` taken while devices push restores into a database a
//! server opens and serves; failed logins count whichever process a guess reaches; a
//! database migrated by a newer release is refused.
//!
//! Run in the PostgreSQL pass of `cargo xtask test` (`ALLUVIUM_TEST_BACKEND=postgres`); on
//! SQLite they say they are skipped.

mod common;

use common::*;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use test_kit::postgres::{self as pg, Backend};

fn on_postgres(what: &str) -> bool {
    let on = pg::backend() == Backend::Postgres;
    if !on {
        eprintln!("skipped on SQLite: {what} (runs with ALLUVIUM_TEST_BACKEND=postgres)");
    }
    on
}

/// A second `serve` process on the first one's database.
fn second_process(first: &TestServer) -> TestServer {
    TestServer::start_on(tempfile::tempdir().unwrap(), first.database.clone(), &[])
}

fn postgres_url(server: &TestServer) -> String {
    match &server.database {
        ServerDatabase::Postgres { url, .. } => url.clone(),
        ServerDatabase::File(_) => unreachable!("only run on PostgreSQL"),
    }
}

fn put_diggers(d: &mut Device, prefix: &str, n: usize) {
    d.store
        .write(|w| {
            (0..n).try_for_each(|i| {
                w.put_digger(&digger(
                    "SL-KONO",
                    &format!("SL-{prefix}{i:03}"),
                    &format!("Digger {prefix} {i}"),
                ))
            })
        })
        .unwrap();
}

#[test]
fn a_puller_never_skips_a_change_committed_late_by_another_process() {
    if !on_postgres("two server processes on one database") {
        return;
    }
    let a = TestServer::start();
    a.seed();
    let b = second_process(&a);
    // Four licensing devices, two through each process, push small batches at once while a
    // coordinator pulls over and over, alternating processes: a late commit of a low seq
    // would be behind the coordinator's cursor and never arrive.
    let (rounds, batch) = (10, 40);
    let pushers: Vec<_> = (0..4)
        .map(|i| {
            let url = if i % 2 == 0 { &a.url } else { &b.url };
            let mut d = a.device_at(url, "SL-KONO", "lic_a", None);
            std::thread::spawn(move || {
                for r in 0..rounds {
                    put_diggers(&mut d, &format!("{i}{r:02}"), batch);
                    let report = d.sync();
                    assert_eq!(report.rejected, 0, "{report:?}");
                }
            })
        })
        .collect();
    let mut coord = a.device("SL-KONO", "coord_a");
    let done = Arc::new(AtomicBool::new(false));
    let urls = [a.url.clone(), b.url.clone()];
    let mut pulls = 0;
    let watcher = {
        let done = done.clone();
        std::thread::spawn(move || {
            for p in pushers {
                p.join().unwrap();
            }
            done.store(true, Ordering::SeqCst);
        })
    };
    while !done.load(Ordering::SeqCst) {
        coord
            .store
            .set_sync_setting("server_url", &urls[pulls % 2])
            .unwrap();
        coord.sync();
        pulls += 1;
    }
    watcher.join().unwrap();
    // Everything is committed now; one more pull brings whatever is past the cursor.
    coord.sync();
    let held = coord.store.diggers().unwrap().len();
    assert_eq!(
        held,
        4 * rounds * batch,
        "after {pulls} pulls during the pushes"
    );
    assert_eq!(a.stats()["diggers"], 4 * rounds * batch);
    assert!(
        pulls > 3,
        "the coordinator pulled only {pulls} times during the pushes"
    );
}

/// The advisory lock every change-log append holds until it commits (db/postgres/mod.rs).
const CHANGE_LOG_LOCK: i64 = 0x616c_6c75_7669_756d;

#[test]
fn appends_from_every_process_wait_for_the_change_log_lock_until_commit() {
    if !on_postgres("two server processes on one database") {
        return;
    }
    // The mechanism behind gap safety, shown directly: while another session holds the lock
    // in an open transaction (as an appending process does until it commits), a push through
    // either process waits; it goes on once that transaction ends.
    let a = TestServer::start();
    a.seed();
    let b = second_process(&a);
    let mut client = postgres::Client::connect(&postgres_url(&a), postgres::NoTls).unwrap();
    let mut tx = client.transaction().unwrap();
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CHANGE_LOG_LOCK])
        .unwrap();
    let mut pushers = Vec::new();
    for url in [a.url.clone(), b.url.clone()] {
        let mut d = a.device_at(&url, "SL-KONO", "lic_a", None);
        put_diggers(&mut d, &url[url.len() - 5..], 5);
        pushers.push(std::thread::spawn(move || d.sync().pushed));
    }
    std::thread::sleep(Duration::from_millis(1_500));
    assert!(
        pushers.iter().all(|p| !p.is_finished()),
        "a push committed while another transaction held the change-log lock"
    );
    assert_eq!(a.stats()["diggers"], 0);
    tx.commit().unwrap();
    let pushed: Vec<usize> = pushers.into_iter().map(|p| p.join().unwrap()).collect();
    assert_eq!(pushed, [5, 5]);
    assert_eq!(a.stats()["diggers"], 10);
}

#[test]
fn a_process_killed_mid_push_leaves_the_device_to_converge_through_the_other() {
    if !on_postgres("two server processes on one database") {
        return;
    }
    let mut a = TestServer::start();
    a.seed();
    let b = second_process(&a);
    let mut lic = a.device("SL-KONO", "lic_a");
    let mut interrupted = 0;
    let mut total = 0;
    for (round, delay_ms) in [30u64, 120, 300].into_iter().enumerate() {
        put_diggers(&mut lic, &format!("K{round}"), 1_500);
        total += 1_500;
        lic.store.set_sync_setting("server_url", &a.url).unwrap();
        let pid = a.child.id();
        let killer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(delay_ms));
            kill9(pid);
        });
        let first = lic.try_sync();
        killer.join().unwrap();
        let _ = a.child.wait();
        if first.is_err() || lic.store.pending_changes().unwrap() > 0 {
            interrupted += 1;
        }
        // The load balancer sends the retry to the other process.
        lic.store.set_sync_setting("server_url", &b.url).unwrap();
        for _ in 0..10 {
            if lic.try_sync().is_ok() && lic.store.pending_changes().unwrap() == 0 {
                break;
            }
        }
        assert_eq!(lic.store.pending_changes().unwrap(), 0, "round {round}");
        assert_eq!(b.stats()["diggers"], total, "round {round}: exactly once");
        a.restart();
    }
    assert!(interrupted > 0, "no kill landed during a push");
    eprintln!("{interrupted} of 3 kills interrupted a push");
}

/// `pg_dump` and `pg_restore`, from the directory of the cluster's own binaries.
fn pg_tool(name: &str) -> Command {
    Command::new(
        pg::server_bin_dir()
            .unwrap_or_else(|e| panic!("{e}"))
            .join(name),
    )
}

#[test]
fn a_dump_taken_while_devices_push_restores_into_a_working_server() {
    if !on_postgres("pg_dump and pg_restore") {
        return;
    }
    let a = TestServer::start();
    a.seed();
    let mut lic = a.device("SL-KONO", "lic_a");
    let pusher = std::thread::spawn(move || {
        for r in 0..10 {
            put_diggers(&mut lic, &format!("D{r}"), 30);
            assert_eq!(lic.sync().rejected, 0);
        }
    });
    std::thread::sleep(Duration::from_millis(200));
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("server.dump");
    let out = pg_tool("pg_dump")
        .args(["--format=custom", "--file"])
        .arg(&dump)
        .arg(postgres_url(&a))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    pusher.join().unwrap();

    // Restore into a new database and serve it.
    let restored = pg::fresh_database();
    let out = pg_tool("pg_restore")
        .args(["--no-owner", "--dbname"])
        .arg(&restored)
        .arg(&dump)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let photo_dir = dir.path().join("photos");
    let copy = TestServer::start_on(
        tempfile::tempdir().unwrap(),
        ServerDatabase::Postgres {
            url: restored.clone(),
            photo_dir,
            pool_size: 4,
        },
        &[],
    );
    // A consistent copy: the diggers of whole batches only, and the chains verify.
    let n = copy.stats()["diggers"].as_u64().unwrap();
    assert!(n.is_multiple_of(30) && n <= 300, "{n} diggers in the copy");
    copy.admin(&["audit", "verify"], "")
        .expect("the restored chains verify");
    // It serves: a new device enrols, logs in and pulls the copy's diggers.
    let mut coord = copy.device("SL-KONO", "coord_a");
    coord.sync();
    assert_eq!(coord.store.diggers().unwrap().len() as u64, n);
    drop(copy);
    pg::drop_database(&restored);
}

#[test]
fn a_database_migrated_by_a_newer_release_is_refused() {
    if !on_postgres("the schema version on PostgreSQL") {
        return;
    }
    let a = TestServer::start();
    let url = postgres_url(&a);
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .batch_execute(
            "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) \
             VALUES (999, 'from_the_future', '2030-01-01', '0')",
        )
        .unwrap();
    drop(client);
    let out = a.admin_output(&["stats", "--json"], "");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("999"), "{err}");
    let migrate = Command::new(test_kit::cargo_bin("alluvium-sync"))
        .arg("migrate")
        .args(a.database.args())
        .output()
        .unwrap();
    assert!(!migrate.status.success());
}

/// Failed logins are counted in the database: guesses spread over two processes use up the
/// one allowance of the name (each process counting its own would allow twice as many).
#[test]
fn failed_logins_count_whichever_process_a_guess_reaches() {
    use alluvium::sync::limits::MAX_FAILED_LOGINS;
    if !on_postgres("failed logins shared by two server processes") {
        return;
    }
    let a = TestServer::start();
    a.seed();
    let b = second_process(&a);
    let mut through_a = a.device("SL-KONO", "field_a");
    let mut through_b = a.device_at(&b.url, "SL-KONO", "field_a", None);
    for i in 0..MAX_FAILED_LOGINS {
        let d = if i % 2 == 0 {
            &mut through_a
        } else {
            &mut through_b
        };
        let e = alluvium::sync::login(&mut d.store, "field_a", "a wrong guess").unwrap_err();
        assert!(
            matches!(&e, alluvium::sync::SyncError::Credentials(m) if m.contains("wrong")),
            "guess {i}: {e:?}"
        );
    }
    for d in [&mut through_a, &mut through_b] {
        let e = alluvium::sync::login(&mut d.store, "field_a", PASSWORD).unwrap_err();
        assert!(
            matches!(&e, alluvium::sync::SyncError::Credentials(m) if m.contains("too many failed logins")),
            "{e:?}"
        );
    }
}
