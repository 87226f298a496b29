//! The `alluvium-sync` binary run for real on 127.0.0.1 with a temporary database (a SQLite
//! file, or a fresh PostgreSQL database when `ALLUVIUM_TEST_BACKEND=postgres`), and devices
//! that enrol with it and sync through the `alluvium` library.
//!
//! The tests run the binary, not the router in process, because what they check includes the
//! process: start-up and its first line, TLS, a kill in the middle of a push and a restart on
//! the same file.

use crate::cargo_bin;
use crate::postgres::{self, Backend};
use alluvium::store::Store;
use alluvium::sync::{Backoff, LoginKind, SyncClient, SyncError, SyncReport};
use std::ffi::OsString;
use std::io::Write;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The password of every officer [`TestServer::seed`] creates.
pub const PASSWORD: &str = "correct horse";

/// The server process, running until dropped; dropping it stops the process and deletes its
/// database with the temporary directory.
pub struct TestServer {
    pub child: Child,
    /// `http://127.0.0.1:PORT`, or `https://…` when started with a certificate.
    pub url: String,
    /// Holds `server.db` (or, on PostgreSQL, the pictures).
    pub dir: tempfile::TempDir,
    /// Where the server keeps its data.
    pub database: ServerDatabase,
    /// The options after `serve --db … --listen …`, kept for a restart.
    extra: Vec<String>,
    /// Whether the database goes with this server (it was made for it).
    owns_database: bool,
}

/// A test server's database: a SQLite file, or a database of its own on the test cluster.
#[derive(Debug, Clone)]
pub enum ServerDatabase {
    File(PathBuf),
    Postgres {
        url: String,
        photo_dir: PathBuf,
        /// Connections per server process.
        pool_size: u32,
    },
}

impl ServerDatabase {
    /// A new database for a server whose files go in `dir`, on the backend the tests run on.
    pub fn new(dir: &Path) -> ServerDatabase {
        match postgres::backend() {
            Backend::Sqlite => ServerDatabase::File(dir.join("server.db")),
            Backend::Postgres => ServerDatabase::Postgres {
                url: postgres::fresh_database(),
                photo_dir: dir.join("photos"),
                // Several servers and test binaries share the test cluster.
                pool_size: 4,
            },
        }
    }

    /// The options that name it: `--db FILE`, or `--database-url URL --photo-dir DIR`.
    pub fn args(&self) -> Vec<OsString> {
        match self {
            ServerDatabase::File(path) => vec!["--db".into(), path.into()],
            ServerDatabase::Postgres {
                url,
                photo_dir,
                pool_size,
            } => vec![
                "--database-url".into(),
                url.into(),
                "--photo-dir".into(),
                photo_dir.into(),
                "--pool-size".into(),
                pool_size.to_string().into(),
            ],
        }
    }
}

impl TestServer {
    /// A server with the default options on a free port.
    pub fn start() -> TestServer {
        Self::start_with(&[])
    }

    /// A server with `extra` options (`--tls-cert …`, `--session-ttl-secs …`) on a free port.
    pub fn start_with(extra: &[&str]) -> TestServer {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let database = ServerDatabase::new(dir.path());
        let mut server = Self::start_on(dir, database, extra);
        server.owns_database = true;
        server
    }

    /// A server on `database`, which may already hold data (another server's, say), with its
    /// files in `dir`.
    pub fn start_on(
        dir: tempfile::TempDir,
        database: ServerDatabase,
        extra: &[&str],
    ) -> TestServer {
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let (child, first) = serve(&database, "127.0.0.1:0", &extra);
        let url = listening_on(&first)
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_string();
        TestServer {
            child,
            url,
            dir,
            database,
            extra,
            owns_database: false,
        }
    }

    /// Starts the server again after its process ended (killed by a test), on the same
    /// database, address and options.
    pub fn restart(&mut self) {
        let addr = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, a)| a)
            .to_string();
        let started = Instant::now();
        loop {
            let (mut child, first) = serve(&self.database, &addr, &self.extra);
            if let Some(url) = listening_on(&first) {
                assert_eq!(url, self.url, "restarted on another address");
                self.child = child;
                return;
            }
            // The port may linger for a moment after the kill.
            let _ = child.wait();
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "cannot listen on {addr} again"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The server's database file; only on SQLite (a test that reads or edits the file
    /// returns early on PostgreSQL: [`postgres::sqlite_only`]).
    pub fn db(&self) -> PathBuf {
        match &self.database {
            ServerDatabase::File(path) => path.clone(),
            ServerDatabase::Postgres { .. } => {
                panic!("this test reads the SQLite file; skip it on PostgreSQL (sqlite_only)")
            }
        }
    }

    /// Runs `alluvium-sync admin --db … ARGS`, with `stdin` as input; returns stdout.
    pub fn admin(&self, args: &[&str], stdin: &str) -> Result<String, String> {
        admin_on(&self.database, args, stdin)
    }

    /// Runs `alluvium-sync admin --db … ARGS` to the end, whatever the outcome.
    pub fn admin_output(&self, args: &[&str], stdin: &str) -> Output {
        admin_output(&self.database, args, stdin)
    }

    /// Standard setup: regions A (SL-KONO) and B (GH-AKWATIA), one officer per role and
    /// region (`field_a`, `lic_a`, `coord_a`, `field_b`, …) and an `admin` of both, all with
    /// [`PASSWORD`].
    pub fn seed(&self) {
        for (code, name, country) in [("SL-KONO", "Kono", "SL"), ("GH-AKWATIA", "Akwatia", "GH")] {
            self.admin(
                &["region", "add", code, "--name", name, "--country", country],
                "",
            )
            .unwrap();
        }
        for (user, role, region) in [
            ("field_a", "field_officer", "SL-KONO"),
            ("lic_a", "licensing_officer", "SL-KONO"),
            ("coord_a", "coordinator", "SL-KONO"),
            ("field_b", "field_officer", "GH-AKWATIA"),
            ("lic_b", "licensing_officer", "GH-AKWATIA"),
            ("coord_b", "coordinator", "GH-AKWATIA"),
            ("admin", "admin", "SL-KONO,GH-AKWATIA"),
        ] {
            self.admin(
                &[
                    "officer",
                    "add",
                    user,
                    "--role",
                    role,
                    "--regions",
                    region,
                    "--password-stdin",
                ],
                &format!("{PASSWORD}\n"),
            )
            .unwrap();
        }
    }

    /// A fresh enrolment code for `region`.
    pub fn code(&self, region: &str) -> String {
        self.admin(&["enrol-code", "--region", region], "")
            .unwrap()
            .trim()
            .to_string()
    }

    /// A device database enrolled in `region` with `user` logged in, synced once.
    pub fn device(&self, region: &str, user: &str) -> Device {
        self.device_at(&self.url, region, user, None)
    }

    /// A device enrolled through `url` (a proxy, say), trusting `ca` (PEM) when given.
    pub fn device_at(&self, url: &str, region: &str, user: &str, ca: Option<&[u8]>) -> Device {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("device.db");
        let mut store = Store::open(&path).unwrap();
        alluvium::sync::enrol(&mut store, url, &self.code(region), ca, false).unwrap();
        let kind = alluvium::sync::login(&mut store, user, PASSWORD).unwrap();
        assert_eq!(kind, LoginKind::Online);
        let mut d = Device { store, dir, path };
        // The first sync brings the regions (and what the officer may see).
        d.sync();
        d
    }

    /// `admin stats --json`: record counts on the server.
    pub fn stats(&self) -> serde_json::Value {
        serde_json::from_str(&self.admin(&["stats", "--json"], "").unwrap()).unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A database per test would fill the test cluster's disk; one another server still
        // uses (started on it with `start_on`) is dropped by that server's owner.
        if let (true, ServerDatabase::Postgres { url, .. }) = (self.owns_database, &self.database) {
            postgres::drop_database(url);
        }
    }
}

/// Starts `alluvium-sync serve` and reads its first line, which says where it listens once it
/// does (or why it cannot).
fn serve(database: &ServerDatabase, listen: &str, extra: &[String]) -> (Child, String) {
    let mut child = Command::new(cargo_bin("alluvium-sync"))
        .arg("serve")
        .args(database.args())
        .args(["--listen", listen])
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("alluvium-sync starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout is piped"))
        .read_line(&mut line)
        .expect("the server's stdout is readable");
    (child, line)
}

/// The URL in the server's `listening on URL` line.
fn listening_on(line: &str) -> Option<&str> {
    line.trim().strip_prefix("listening on ")
}

/// Runs `alluvium-sync admin --db DB ARGS` with `stdin` as input: stdout on success, stderr on
/// failure.
pub fn admin(db: &Path, args: &[&str], stdin: &str) -> Result<String, String> {
    admin_on(&ServerDatabase::File(db.to_path_buf()), args, stdin)
}

/// Runs `alluvium-sync admin DATABASE ARGS` with `stdin` as input: stdout on success, stderr
/// on failure.
pub fn admin_on(database: &ServerDatabase, args: &[&str], stdin: &str) -> Result<String, String> {
    let out = admin_output(database, args, stdin);
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).to_string())
    }
}

/// Runs `alluvium-sync admin DATABASE ARGS` to the end with `stdin` as input.
pub fn admin_output(database: &ServerDatabase, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(cargo_bin("alluvium-sync"))
        .arg("admin")
        .args(database.args())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("alluvium-sync starts");
    // Dropping stdin after the write closes it, so the command sees the end of its input.
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("the password is written");
    child.wait_with_output().expect("alluvium-sync ends")
}

/// A device: its store (kept open) and its files.
pub struct Device {
    pub store: Store,
    /// Holds `device.db`; the files go with it.
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl Device {
    /// One sync, which must succeed.
    pub fn sync(&mut self) -> SyncReport {
        SyncClient::from_store(&self.store)
            .unwrap()
            .sync(&mut self.store)
            .unwrap()
    }

    /// One sync with short retries, for links that fail on purpose.
    pub fn try_sync(&mut self) -> Result<SyncReport, SyncError> {
        SyncClient::from_store(&self.store)?
            .with_backoff(Backoff {
                first: Duration::from_millis(20),
                max: Duration::from_millis(100),
                attempts: 4,
            })
            .sync(&mut self.store)
    }

    /// The bearer token of the logged-in session.
    pub fn session_token(&self) -> String {
        self.store
            .session()
            .unwrap()
            .unwrap()
            .session_token
            .unwrap()
    }
}

/// Kills process `pid` with SIGKILL, as a power cut or the OOM killer would: no clean-up runs.
pub fn kill9(pid: u32) {
    let ok = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -9 {pid}");
}
