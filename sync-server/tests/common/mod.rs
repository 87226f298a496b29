//! Helpers for the end-to-end tests: the real `alluvium-sync` binary on 127.0.0.1 with a
//! temporary database, devices driven through the `alluvium` library, sample records, and a
//! loopback TCP proxy that can cut a connection.
#![allow(dead_code)]

use alluvium::domain::*;
use alluvium::store::Store;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub const PASSWORD: &str = "correct horse";

/// The server binary, running until dropped.
pub struct TestServer {
    pub child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    pub fn start() -> TestServer {
        Self::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("server.db");
        // Admin before serve: the store is created by whichever comes first.
        let s = TestServer::prepare(dir, &db);
        s.spawn(extra)
    }

    fn prepare(dir: tempfile::TempDir, _db: &Path) -> TestServerDraft {
        TestServerDraft { dir }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("server.db")
    }

    /// Runs `alluvium-sync admin --db … ARGS`, with `stdin` as input; returns stdout.
    pub fn admin(&self, args: &[&str], stdin: &str) -> Result<String, String> {
        admin(&self.db(), args, stdin)
    }

    /// Standard setup: regions A (SL-KONO) and B (GH-AKWATIA), one officer per role and region.
    pub fn seed(&self) {
        self.admin(
            &[
                "region",
                "add",
                "SL-KONO",
                "--name",
                "Kono",
                "--country",
                "SL",
            ],
            "",
        )
        .unwrap();
        self.admin(
            &[
                "region",
                "add",
                "GH-AKWATIA",
                "--name",
                "Akwatia",
                "--country",
                "GH",
            ],
            "",
        )
        .unwrap();
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

    pub fn code(&self, region: &str) -> String {
        self.admin(&["enrol-code", "--region", region], "")
            .unwrap()
            .trim()
            .to_string()
    }

    /// A device database enrolled in `region` with `user` logged in.
    pub fn device(&self, region: &str, user: &str) -> Device {
        self.device_at(&self.url.clone(), region, user, None)
    }

    pub fn device_at(&self, url: &str, region: &str, user: &str, ca: Option<&[u8]>) -> Device {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.db");
        let mut store = Store::open(&path).unwrap();
        alluvium::sync::enrol(&mut store, url, &self.code(region), ca, false).unwrap();
        let kind = alluvium::sync::login(&mut store, user, PASSWORD).unwrap();
        assert_eq!(kind, alluvium::sync::LoginKind::Online);
        let mut d = Device { store, dir, path };
        // The first sync brings the regions (and what the officer may see).
        d.sync();
        d
    }

    pub fn stats(&self) -> serde_json::Value {
        serde_json::from_str(&self.admin(&["stats", "--json"], "").unwrap()).unwrap()
    }
}

pub struct TestServerDraft {
    dir: tempfile::TempDir,
}

impl TestServerDraft {
    fn spawn(self, extra: &[&str]) -> TestServer {
        let db = self.dir.path().join("server.db");
        let mut args = vec![
            "serve".to_string(),
            "--db".into(),
            db.display().to_string(),
            "--listen".into(),
            "127.0.0.1:0".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_alluvium-sync"))
            .args(&args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        TestServer {
            child,
            url,
            dir: self.dir,
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn admin(db: &Path, args: &[&str], stdin: &str) -> Result<String, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_alluvium-sync"))
        .arg("admin")
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).to_string())
    }
}

/// A device: its store (kept open) and files.
pub struct Device {
    pub store: Store,
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl Device {
    pub fn sync(&mut self) -> alluvium::sync::SyncReport {
        alluvium::sync::SyncClient::from_store(&self.store)
            .unwrap()
            .sync(&mut self.store)
            .unwrap()
    }

    pub fn try_sync(&mut self) -> Result<alluvium::sync::SyncReport, alluvium::sync::SyncError> {
        alluvium::sync::SyncClient::from_store(&self.store)?
            .with_backoff(alluvium::sync::Backoff {
                first: std::time::Duration::from_millis(20),
                max: std::time::Duration::from_millis(100),
                attempts: 4,
            })
            .sync(&mut self.store)
    }

    pub fn session_token(&self) -> String {
        self.store
            .session()
            .unwrap()
            .unwrap()
            .session_token
            .unwrap()
    }
}

pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

pub fn digger(region: &str, national_id: &str, name: &str) -> Digger {
    Digger {
        id: DiggerId::new(),
        national_id: national_id.into(),
        full_name: name.into(),
        sex: Sex::Female,
        birth_date: chrono::NaiveDate::from_ymd_opt(1990, 5, 1).unwrap(),
        village: "Koidu".into(),
        chiefdom: "Gbense".into(),
        phone: String::new(),
        region: region.into(),
        status: DiggerStatus::Active,
    }
}

pub fn licence(region: &str, number: &str, holder: &Digger) -> Licence {
    let (lat, lon) = (8.64, -10.97);
    Licence {
        id: LicenceId::new(),
        number: number.into(),
        kind: LicenceKind::ArtisanalMining,
        holder_digger_id: Some(holder.id),
        holder_name: holder.full_name.clone(),
        region: region.into(),
        issued_on: today() - chrono::Days::new(30),
        expires_on: today() + chrono::Days::new(300),
        status: LicenceStatus::Active,
        area: Some(
            Area::from_corners(&[
                LatLon { lat, lon },
                LatLon {
                    lat,
                    lon: lon + 0.005,
                },
                LatLon {
                    lat: lat + 0.005,
                    lon: lon + 0.005,
                },
                LatLon {
                    lat: lat + 0.005,
                    lon,
                },
            ])
            .unwrap(),
        ),
        fee_receipt: "R-1".into(),
    }
}

pub fn site(l: &Licence, name: &str) -> Site {
    Site {
        id: SiteId::new(),
        licence_id: l.id,
        name: name.into(),
        kind: SiteKind::Pit,
        status: SiteStatus::Active,
        position: Position {
            lat: 8.642,
            lon: -10.968,
            accuracy_m: 5.0,
        },
        opened_on: today() - chrono::Days::new(10),
    }
}

pub fn production(s: &Site, officer: &str, diggers: &[&Digger]) -> ProductionEntry {
    ProductionEntry {
        id: ProductionId::new(),
        site_id: s.id,
        day: today(),
        officer: officer.into(),
        fix: None,
        crew_size: 12,
        digger_ids: diggers.iter().map(|d| d.id).collect(),
        gravel: Litres(8_000),
        notes: String::new(),
        replaces: None,
    }
}

pub fn stone(p: &ProductionEntry, centicarats: i64) -> Stone {
    Stone {
        id: StoneId::new(),
        production_id: p.id,
        weight: Centicarats(centicarats),
        class: StoneClass::Gem,
        colour: "white".into(),
    }
}

/// A loopback TCP proxy to `target` that counts bytes and can cut connections.
pub struct Proxy {
    pub addr: String,
    /// Bytes client → server and server → client.
    pub up: Arc<AtomicU64>,
    pub down: Arc<AtomicU64>,
    /// When set, the next response is cut after this many bytes, then the flag clears.
    pub cut_response_after: Arc<AtomicU64>,
    pub cuts: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    pub fn start(target: &str) -> Proxy {
        let target = target
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let p = Proxy {
            addr,
            up: Arc::default(),
            down: Arc::default(),
            cut_response_after: Arc::default(),
            cuts: Arc::default(),
            stop: Arc::default(),
        };
        let (up, down, cut, cuts, stop) = (
            p.up.clone(),
            p.down.clone(),
            p.cut_response_after.clone(),
            p.cuts.clone(),
            p.stop.clone(),
        );
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = conn else { continue };
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let up = up.clone();
                std::thread::spawn(move || pipe(c2, s2, &up, None, None));
                let (down, cut, cuts) = (down.clone(), cut.clone(), cuts.clone());
                std::thread::spawn(move || pipe(server, client, &down, Some(&cut), Some(&cuts)));
            }
        });
        p
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.addr);
    }
}

fn pipe(
    mut from: TcpStream,
    mut to: TcpStream,
    count: &AtomicU64,
    cut: Option<&AtomicU64>,
    cuts: Option<&AtomicU64>,
) {
    let mut buf = [0u8; 16 * 1024];
    let mut sent = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(cut) = cut {
            let limit = cut.load(Ordering::SeqCst);
            if limit > 0 && sent + n as u64 > limit {
                let keep = limit.saturating_sub(sent) as usize;
                let _ = to.write_all(&buf[..keep]);
                cut.store(0, Ordering::SeqCst);
                if let Some(c) = cuts {
                    c.fetch_add(1, Ordering::SeqCst);
                }
                break;
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
        sent += n as u64;
        count.fetch_add(n as u64, Ordering::SeqCst);
    }
    let _ = from.shutdown(std::net::Shutdown::Both);
    let _ = to.shutdown(std::net::Shutdown::Both);
}
