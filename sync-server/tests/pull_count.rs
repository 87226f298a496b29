//! The pull's optional count: a device's first page asks how many changes wait, and the sync
//! reports received-of-total; behind a proxy that answers the count as a server older than
//! the field does (400, unknown field), the device asks again without it and syncs all the
//! same, with no total.

use alluvium::sync::{SyncClient, SyncProgress};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use test_kit::fixtures::digger;
use test_kit::server::TestServer;

/// A proxy to `target` that refuses a pull asking for a count, as an older server does.
/// Returns its URL and how many it refused.
fn old_server(target: &str) -> (String, Arc<AtomicUsize>) {
    let target = target
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let refused = Arc::new(AtomicUsize::new(0));
    let r = refused.clone();
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let (target, r) = (target.clone(), r.clone());
            thread::spawn(move || serve(client, &target, &r));
        }
    });
    (url, refused)
}

/// Reads one request (head and body by Content-Length).
fn request(from: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return Some(buf);
            }
        }
        let n = from.read(&mut chunk).ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn serve(mut client: TcpStream, target: &str, refused: &AtomicUsize) {
    while let Some(req) = request(&mut client) {
        let text = String::from_utf8_lossy(&req);
        if text.starts_with("POST /api/v1/pull") && text.contains("\"count\":true") {
            refused.fetch_add(1, Ordering::SeqCst);
            let body = r#"{"error":"invalid","message":"unknown field `count`, expected `cursor` or `limit`"}"#;
            let answer = format!(
                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            if client.write_all(answer.as_bytes()).is_err() {
                return;
            }
            continue;
        }
        // Anything else goes to the real server on a connection of its own, answer back whole.
        let Ok(mut server) = TcpStream::connect(target) else {
            return;
        };
        let head_end = req.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0);
        let head = String::from_utf8_lossy(&req[..head_end])
            .lines()
            .filter(|l| !l.to_lowercase().starts_with("connection:"))
            .collect::<Vec<_>>()
            .join("\r\n");
        let forwarded = [
            head.as_bytes(),
            b"\r\nconnection: close\r\n\r\n",
            &req[head_end + 4..],
        ]
        .concat();
        let mut answer = Vec::new();
        if server.write_all(&forwarded).is_err() || server.read_to_end(&mut answer).is_err() {
            return;
        }
        if client.write_all(&answer).is_err() {
            return;
        }
        return; // the answer said connection: close
    }
}

#[test]
fn the_first_page_counts_and_an_older_server_is_asked_again_without_the_count() {
    let server = TestServer::start();
    server.seed();
    let mut lic = server.device("SL-KONO", "lic_a");
    let mut reader = server.device("SL-KONO", "field_a");
    let (url, refused) = old_server(&server.url);
    let mut behind = server.device_at(&url, "SL-KONO", "field_a", None);
    assert_eq!(
        refused.load(Ordering::SeqCst),
        1,
        "its first sync asked once"
    );

    let diggers: Vec<_> = (0..3)
        .map(|i| digger("SL-KONO", &format!("SL-C{i}"), &format!("Digger C{i}")))
        .collect();
    lic.store
        .write(|w| diggers.iter().try_for_each(|d| w.put_digger(d)))
        .unwrap();
    assert_eq!(lic.sync().pushed, 3);

    let mut seen: Vec<SyncProgress> = Vec::new();
    let report = SyncClient::from_store(&reader.store)
        .unwrap()
        .sync_with_progress(&mut reader.store, &mut |p| seen.push(*p))
        .unwrap();
    assert_eq!(report.pulled, 3);
    let last = seen.last().unwrap();
    assert_eq!((last.received, last.to_receive), (3, Some(3)), "{seen:?}");
    assert_eq!(last.words(), "Receiving changes: 3 of 3 (sent 0 of 0)");

    let mut seen: Vec<SyncProgress> = Vec::new();
    let report = SyncClient::from_store(&behind.store)
        .unwrap()
        .sync_with_progress(&mut behind.store, &mut |p| seen.push(*p))
        .unwrap();
    assert_eq!(report.pulled, 3, "all of it, without the count");
    let last = seen.last().unwrap();
    assert_eq!((last.received, last.to_receive), (3, None), "{seen:?}");
    assert_eq!(refused.load(Ordering::SeqCst), 2);
}
