//! A push in columns (`alluvium::sync::columns`) over real HTTP: lists that do not agree are
//! refused with a reason, and a device in front of a server older than the form (404 for the
//! endpoint) sends rows instead, loses nothing, and does not ask again for a day.

mod common;

use common::*;
use std::sync::atomic::Ordering;
use test_kit::older_server::{Refusal, older_server};

#[test]
fn a_push_in_columns_whose_lists_disagree_is_refused_with_a_reason() {
    let server = TestServer::start();
    server.seed();
    let field = server.device("SL-KONO", "field_a");
    let body = serde_json::json!({
        "origin": uuid::Uuid::now_v7(),
        "author": uuid::Uuid::now_v7(),
        "change_id": [uuid::Uuid::now_v7(), uuid::Uuid::now_v7()],
        "entity": ["site", "site"],
        "record_id": [null, null],
        "hlc": [1],
        "base_hlc": [0, 0],
        "form": [2, 2],
        "chain_seq": [null, null],
        "prev": [null, null],
        "sig": [null, null],
        "payload": {}
    });
    let resp = reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/push/columns", server.url))
        .bearer_auth(field.session_token())
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .unwrap();
    assert_eq!(resp.status(), 422);
    let answer: serde_json::Value = serde_json::from_str(&resp.text().unwrap()).unwrap();
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("2 change ids but 1 values of hlc"),
        "{answer}"
    );
    // The server is still there and the device syncs.
    let mut field = field;
    field.sync();
}

#[test]
fn a_device_sends_rows_to_a_server_older_than_columns() {
    let server = TestServer::start();
    server.seed();
    let mut lic = server.device("SL-KONO", "lic_a");
    let (url, refused) = older_server(&server.url, |req| {
        req.starts_with("POST /api/v1/push/columns ")
            .then_some(Refusal {
                status: "404 Not Found",
                body: r#"{"error":"not_found","message":"no such endpoint (the API is under /api/v1)"}"#,
            })
    });
    let mut behind = server.device_at(&url, "SL-KONO", "lic_a", None);
    // More than one batch: the second goes as rows without asking again.
    let n = alluvium::sync::limits::MAX_PUSH_CHANGES + 10;
    behind
        .store
        .write(|w| {
            (0..n).try_for_each(|i| {
                w.put_digger(&digger(
                    "SL-KONO",
                    &format!("SL-R{i:05}"),
                    &format!("Digger R{i}"),
                ))
            })
        })
        .unwrap();
    let report = behind.sync();
    assert_eq!((report.pushed, report.rejected), (n, 0), "{report:?}");
    assert_eq!(refused.load(Ordering::SeqCst), 1, "asked once");
    assert_eq!(lic.sync().pulled, n, "every record reached the server once");
    // The next sync does not ask again for a day.
    behind
        .store
        .write(|w| w.put_digger(&digger("SL-KONO", "SL-R-LAST", "Digger Last")))
        .unwrap();
    assert_eq!(behind.sync().pushed, 1);
    assert_eq!(refused.load(Ordering::SeqCst), 1);
}
