//! The Sync page while a sync runs, driven through the real window with the testing backend
//! against the real server binary on 127.0.0.1, behind a loopback proxy that holds each
//! request for a moment so the sync is slow enough to watch: the page says how many changes
//! are sent of how many, then received of how many, and when the next background sync is.
//! With `ALLUVIUM_SCREENSHOTS=DIR` the window during the sync is kept as
//! `sync-during-1024x600.png` there (`docs/screenshots/` in the README).

use alluvium::app::{App, SessionAdapter, SyncAdapter};
use alluvium::store::Store;
use slint::ComponentHandle;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};
use test_kit::fixtures::digger;
use test_kit::server::{PASSWORD, TestServer};

mod ui_kit;
use ui_kit::{tap, type_into, window as app};

/// How long the proxy holds each request.
const HOLD: Duration = Duration::from_millis(700);

/// A loopback proxy to `target` that holds every HTTP request for [`HOLD`] before passing it
/// on; answers go back at once. Returns its URL.
fn slow_proxy(target: &str) -> String {
    let target = target
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let Ok(server) = TcpStream::connect(&target) else {
                continue;
            };
            let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            thread::spawn(move || pass(client, server, true));
            thread::spawn(move || pass(s2, c2, false));
        }
    });
    url
}

fn pass(mut from: TcpStream, mut to: TcpStream, hold_requests: bool) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        // A read that starts with a method is the start of a request.
        if hold_requests && (buf.starts_with(b"POST ") || buf.starts_with(b"GET ")) {
            thread::sleep(HOLD);
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
}

/// Lets the window's timers run until `done`; what the page said on the way, in order.
fn watch(app: &App, what: &str, done: impl Fn(&App) -> bool) -> Vec<String> {
    let mut said: Vec<String> = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(90) {
        let text = sync(app).get_progress_text().to_string();
        if sync(app).get_syncing() && said.last() != Some(&text) {
            said.push(text);
        }
        if done(app) {
            return said;
        }
        thread::sleep(Duration::from_millis(20));
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}; the page said {said:?}");
}

fn sync(app: &App) -> SyncAdapter<'_> {
    app.window().global::<SyncAdapter>()
}

fn save_png(path: &Path, buf: &slint::SharedPixelBuffer<slint::Rgba8Pixel>) {
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), buf.width(), buf.height());
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header()
        .unwrap()
        .write_image_data(buf.as_bytes())
        .unwrap();
}

/// "Receiving changes: 1000 of 1500 (sent 2500 of 2500)" → (1000, 1500).
fn received_of(text: &str) -> Option<(u64, u64)> {
    let rest = text.strip_prefix("Receiving changes: ")?;
    let (got, rest) = rest.split_once(" of ")?;
    let total = rest.split_whitespace().next()?;
    Some((got.parse().ok()?, total.parse().ok()?))
}

#[test]
fn the_sync_page_counts_changes_sent_and_received_of_their_totals_while_a_sync_runs() {
    let server = TestServer::start();
    server.seed();
    // This device reaches the server through the slow proxy; its first sync brings the
    // regions.
    let proxy = slow_proxy(&server.url);
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("device.db")).unwrap();
    alluvium::sync::enrol(&mut store, &proxy, &server.code("SL-KONO"), None, false).unwrap();
    alluvium::sync::login(&mut store, "lic_a", PASSWORD).unwrap();
    alluvium::sync::SyncClient::from_store(&store)
        .unwrap()
        .sync(&mut store)
        .unwrap();
    // Then another device of the region registers 1500 diggers: more than one pull page.
    let mut other = server.device("SL-KONO", "lic_a");
    let theirs: Vec<_> = (0..1500)
        .map(|i| digger("SL-KONO", &format!("SL-O{i}"), &format!("Digger O{i}")))
        .collect();
    other
        .store
        .write(|w| theirs.iter().try_for_each(|d| w.put_digger(d)))
        .unwrap();
    assert_eq!(other.sync().pushed, 1500);
    // And this one has 2500 changes waiting: more than one push batch.
    let ours: Vec<_> = (0..2500)
        .map(|i| digger("SL-KONO", &format!("SL-M{i}"), &format!("Digger M{i}")))
        .collect();
    store
        .write(|w| ours.iter().try_for_each(|d| w.put_digger(d)))
        .unwrap();

    let app = app(store);
    type_into(&app, "User name", "lic_a");
    type_into(&app, "Password", PASSWORD);
    tap(&app, "Log in");
    watch(&app, "the login", |a| {
        a.window().global::<SessionAdapter>().get_gate() == 0
    });
    app.show_page(4);
    tap(&app, "Sync now");
    assert!(sync(&app).get_syncing());

    // Caught between two pull pages: received some of the total, all sent.
    let said = watch(&app, "the first pull page", |a| {
        received_of(&sync(a).get_progress_text()).is_some_and(|(got, total)| got > 0 && got < total)
    });
    let during = sync(&app).get_progress_text().to_string();
    let (_, total) = received_of(&during).unwrap();
    assert!(during.ends_with("(sent 2500 of 2500)"), "{during}");
    assert!(
        said.iter().any(|s| s == "Sending changes: 2000 of 2500"),
        "the push is counted batch by batch: {said:?}"
    );
    assert_eq!(
        sync(&app).get_pending_text(),
        "0 changes waiting to be sent"
    );
    let share = sync(&app).get_progress();
    assert!(share > 0.5 && share < 1.0, "{share}");
    let next = sync(&app).get_next_text().to_string();
    assert!(next.starts_with("Next background sync at "), "{next}");
    let shot = app.window().window().take_snapshot().unwrap();
    assert_eq!((shot.width(), shot.height()), (1024, 600));
    if let Some(dir) = std::env::var_os("ALLUVIUM_SCREENSHOTS") {
        std::fs::create_dir_all(&dir).unwrap();
        save_png(&Path::new(&dir).join("sync-during-1024x600.png"), &shot);
    }

    watch(&app, "the end of the sync", |a| !sync(a).get_syncing());
    let last = sync(&app).get_last_success_text().to_string();
    assert_eq!(
        last,
        format!("Last sync: pushed 2500, pulled {total}, refused 0"),
        "the total announced is what arrived"
    );
    assert_eq!(
        total, 1500,
        "the other device's diggers, nothing of this one's own"
    );
}
