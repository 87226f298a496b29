//! The pull's optional count: a device's first page asks how many changes wait, and the sync
//! reports received-of-total; behind a proxy that answers the count as a server older than
//! the field does (400, unknown field), the device asks again without it and syncs all the
//! same, with no total.

use alluvium::sync::{SyncClient, SyncProgress};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use test_kit::fixtures::digger;
use test_kit::older_server::{Refusal, older_server};
use test_kit::server::TestServer;

/// A server older than the count: it refuses a pull asking for one (400, unknown field).
fn old_server(target: &str) -> (String, Arc<AtomicUsize>) {
    older_server(target, |req| {
        (req.starts_with("POST /api/v1/pull") && req.contains("\"count\":true")).then_some(Refusal {
            status: "400 Bad Request",
            body: r#"{"error":"invalid","message":"unknown field `count`, expected `cursor` or `limit`"}"#,
        })
    })
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
