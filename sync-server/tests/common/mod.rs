//! Helpers for the end-to-end tests (and, through `#[path]`, the benches): the server guard,
//! devices and sample records from the shared test kit, and a loopback TCP proxy that counts
//! bytes and can cut a connection.
#![allow(dead_code, unused_imports)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
pub use test_kit::fixtures::*;
pub use test_kit::server::*;

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

/// A server store held in process, as the rule tests hold it.
pub type Server = Arc<dyn alluvium_sync::db::ServerStore>;

/// A new, empty store whose files go in `dir`, on the backend the suite runs on
/// (`ALLUVIUM_TEST_BACKEND`: a SQLite file, or a fresh PostgreSQL database).
pub fn open_store(dir: &std::path::Path) -> Server {
    use alluvium_sync::db::Location;
    let location = match ServerDatabase::new(dir) {
        ServerDatabase::File(path) => Location::Sqlite(path),
        ServerDatabase::Postgres {
            url,
            photo_dir,
            pool_size,
        } => Location::Postgres {
            url,
            photo_dir,
            pool_size,
        },
    };
    location.open().expect("the test store opens")
}
