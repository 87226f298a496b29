//! The `alluvium-sync` binary run for real on 127.0.0.1 with a temporary database, and devices
//! that enrol with it and sync through the `alluvium` library.
//!
//! The tests run the binary, not the router in process, because what they check includes the
//! process: start-up and its first line, TLS, a kill in the middle of a push and a restart on
//! the same file.

use crate::cargo_bin;
use crate::cli::SYNC_ADMIN;
use alluvium::store::Store;
use alluvium::sync::{Backoff, LoginKind, SyncClient, SyncError, SyncReport};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The password of every officer [`TestServer::seed`] creates.
pub const PASSWORD: &str = "correct horse";

/// The server process, running until dropped; dropping it stops the process and deletes its
/// database with the temporary directory.
pub struct TestServer {
    pub child: Child,
    /// `http://127.0.0.1:PORT`, or `https://…` when started with a certificate.
    pub url: String,
    /// Holds `server.db`.
    pub dir: tempfile::TempDir,
    /// The options after `serve --db … --listen …`, kept for a restart.
    extra: Vec<String>,
}

impl TestServer {
    /// A server with the default options on a free port.
    pub fn start() -> TestServer {
        Self::start_with(&[])
    }

    /// A server with `extra` options (`--tls-cert …`, `--session-ttl-secs …`) on a free port.
    pub fn start_with(extra: &[&str]) -> TestServer {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let (child, first) = serve(&dir.path().join("server.db"), "127.0.0.1:0", &extra);
        let url = listening_on(&first)
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_string();
        TestServer {
            child,
            url,
            dir,
            extra,
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
            let (mut child, first) = serve(&self.db(), &addr, &self.extra);
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

    /// The server's database file.
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("server.db")
    }

    /// Runs `alluvium-sync admin --db … ARGS`, with `stdin` as input; returns stdout.
    pub fn admin(&self, args: &[&str], stdin: &str) -> Result<String, String> {
        admin(&self.db(), args, stdin)
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
    }
}

/// Starts `alluvium-sync serve` and reads its first line, which says where it listens once it
/// does (or why it cannot).
fn serve(db: &Path, listen: &str, extra: &[String]) -> (Child, String) {
    let mut child = Command::new(cargo_bin("alluvium-sync"))
        .arg("serve")
        .arg("--db")
        .arg(db)
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
    let out = SYNC_ADMIN.run_with_input(db, args, stdin);
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).to_string())
    }
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
