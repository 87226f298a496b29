//! The two ends of the link: the real `alluvium-sync` binary, serving HTTPS in the server
//! namespace under a private CA, and the device databases that sync with it, each from the
//! namespace it sits in (the office's beside the server, the field device's across the link).

use super::REGION;
use super::common::{PASSWORD, admin};
use super::net;
use alluvium::store::Store;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// The server binary in the server namespace, killed on drop.
pub struct Server {
    child: Child,
    url: String,
    /// The server's database, read to check what arrived.
    pub db: PathBuf,
}

impl Server {
    /// Starts the server in namespace `ns` with its database in `dir`, serving `cert` with
    /// `key` (PEM); returns once it listens.
    pub fn start(ns: &str, dir: &Path, cert: &Path, key: &str) -> Server {
        let db = dir.join("server.db");
        let key_path = dir.join("key.pem");
        std::fs::write(&key_path, key).unwrap();
        let listen = format!("{}:0", net::SERVER_ADDR);
        let mut child = net::Link::within(ns, || {
            Command::new(env!("CARGO_BIN_EXE_alluvium-sync"))
                .args(["serve", "--db"])
                .arg(&db)
                .args(["--listen", &listen, "--tls-cert"])
                .arg(cert)
                .arg("--tls-key")
                .arg(&key_path)
                .env("RUST_LOG", "warn")
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("starting alluvium-sync")
        });
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        assert!(url.starts_with("https://"), "{url}");
        Server { child, url, db }
    }

    /// Runs an `alluvium-sync admin` command on the server's database; panics if it fails.
    pub fn admin(&self, args: &[&str], stdin: &str) -> String {
        admin(&self.db, args, stdin).unwrap_or_else(|e| panic!("admin {args:?}: {e}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A device database and the namespace it syncs from.
pub struct Device {
    path: PathBuf,
    ns: String,
}

impl Device {
    /// Enrols a new device database in `dir` from namespace `ns` and logs `user` in, trusting
    /// `ca` (PEM) for the server's certificate.
    pub fn enrol(server: &Server, ns: &str, dir: &Path, user: &str, ca: &str) -> Device {
        let path = dir.join(format!("{user}.db"));
        let code = server
            .admin(&["enrol-code", "--region", REGION], "")
            .trim()
            .to_string();
        let d = Device {
            path,
            ns: ns.to_string(),
        };
        d.with_store(|store| {
            alluvium::sync::enrol(store, &server.url, &code, Some(ca.as_bytes()), false).unwrap();
            let kind = alluvium::sync::login(store, user, PASSWORD).unwrap();
            assert_eq!(kind, alluvium::sync::LoginKind::Online);
        });
        d
    }

    /// Runs `f` on the device's store, from inside its namespace.
    pub fn with_store<T: Send>(&self, f: impl FnOnce(&mut Store) -> T + Send) -> T {
        net::Link::within(&self.ns, || {
            let mut store = Store::open(&self.path).unwrap();
            f(&mut store)
        })
    }

    /// Syncs the device, untimed; panics if the sync fails.
    pub fn sync(&self) -> alluvium::sync::SyncReport {
        self.with_store(|store| {
            alluvium::sync::SyncClient::from_store(store)
                .unwrap()
                .sync(store)
                .unwrap()
        })
    }

    /// Syncs the device, timing the whole sync (connects included) and counting the TCP
    /// segments of its namespace; checks the outbox is empty afterwards.
    pub fn timed_sync(&self) -> Measured {
        self.with_store(|store| {
            let before = net::Link::tcp_counters();
            let t = Instant::now();
            let report = alluvium::sync::SyncClient::from_store(store)
                .unwrap()
                .sync(store)
                .unwrap();
            let secs = t.elapsed().as_secs_f64();
            let after = net::Link::tcp_counters();
            let tcp = after
                .iter()
                .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
                .collect();
            assert_eq!(store.pending_changes().unwrap(), 0, "the outbox is empty");
            Measured { report, secs, tcp }
        })
    }
}

/// One timed sync of the field device.
pub struct Measured {
    /// What the sync pushed, pulled and had refused.
    pub report: alluvium::sync::SyncReport,
    /// Wall-clock seconds of the sync.
    pub secs: f64,
    /// Changes of the kernel's TCP counters during the sync.
    pub tcp: HashMap<String, i64>,
}

/// A private CA and a server certificate for the server's address, signed by it: the CA's
/// certificate, the server's certificate and the server's key, all PEM.
pub fn private_ca() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec![net::SERVER_ADDR.to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}
