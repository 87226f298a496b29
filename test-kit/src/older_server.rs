//! A stand-in for a server of an earlier release in front of the real one: a proxy that
//! answers the requests such a server would refuse as it would, and forwards everything else
//! to the real server, one request per connection. Tests of the device's fallbacks (a field
//! or an endpoint the older server lacks) use it, since an earlier release's binary is not at
//! hand.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

/// How the older server answers a request it does not know.
#[derive(Debug, Clone, Copy)]
pub struct Refusal {
    /// The status line's code and reason, such as `404 Not Found`.
    pub status: &'static str,
    /// The JSON error body.
    pub body: &'static str,
}

/// An older server's proxy to `target`; `refuses` sees each request (head and body as text)
/// and says how to refuse it, if at all. Returns the proxy's URL and how many it refused.
pub fn older_server(
    target: &str,
    refuses: impl Fn(&str) -> Option<Refusal> + Send + Sync + 'static,
) -> (String, Arc<AtomicUsize>) {
    let target = target
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let refused = Arc::new(AtomicUsize::new(0));
    let (r, refuses) = (refused.clone(), Arc::new(refuses));
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let (target, r, refuses) = (target.clone(), r.clone(), refuses.clone());
            thread::spawn(move || serve(client, &target, &r, &*refuses));
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

fn serve(
    mut client: TcpStream,
    target: &str,
    refused: &AtomicUsize,
    refuses: &dyn Fn(&str) -> Option<Refusal>,
) {
    while let Some(req) = request(&mut client) {
        if let Some(r) = refuses(&String::from_utf8_lossy(&req)) {
            refused.fetch_add(1, Ordering::SeqCst);
            let answer = format!(
                "HTTP/1.1 {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{}",
                r.status,
                r.body.len(),
                r.body
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
        let _ = client.write_all(&answer);
        return; // the answer said connection: close
    }
}
