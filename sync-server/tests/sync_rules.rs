//! Authorisation, bad input and TLS against the real server binary on 127.0.0.1.

mod common;

use alluvium::domain::{RecordKind, Review, ReviewDecision, ReviewId};
use alluvium::sync::wire::{Change, Op, PullRequest, PushRequest, Verdict};
use common::*;
use std::collections::BTreeSet;
use test_kit::tls::PrivateCa;

struct World {
    /// Per region: digger, licence, site, production (all on the server).
    ids: std::collections::BTreeMap<
        &'static str,
        (
            alluvium::domain::Digger,
            alluvium::domain::Licence,
            alluvium::domain::Site,
            alluvium::domain::ProductionEntry,
        ),
    >,
}

fn world(server: &TestServer) -> World {
    let mut ids = std::collections::BTreeMap::new();
    let mut admin = server.device("SL-KONO", "admin");
    for (region, n) in [("SL-KONO", 1), ("GH-AKWATIA", 2)] {
        let dg = digger(region, &format!("N-{n}"), "Someone");
        let li = licence(region, &format!("L-{n}"), &dg);
        let si = site(&li, "Pit");
        let p = production(&si, "admin", &[]);
        admin
            .store
            .write(|w| {
                w.put_digger(&dg)?;
                w.put_licence(&li)?;
                w.put_site(&si)?;
                w.add_production(&p)
            })
            .unwrap();
        ids.insert(region, (dg, li, si, p));
    }
    assert_eq!(admin.sync().rejected, 0);
    World { ids }
}

fn change(
    d: &Device,
    entity: &str,
    record_id: String,
    op: Op,
    payload: serde_json::Value,
) -> Change {
    let mut c = Change {
        change_id: uuid::Uuid::now_v7(),
        entity: entity.parse().unwrap(),
        record_id,
        region: None,
        hlc: alluvium::domain::Hlc::new(chrono::Utc::now().timestamp_millis() as u64, 0),
        base_hlc: Default::default(),
        origin: d.store.device_id().0,
        author: Some(d.store.session().unwrap().unwrap().officer_id.0),
        op,
        payload,
        form: alluvium::sync::canonical::Form::V2,
        chain_seq: None,
        prev: None,
        sig: None,
    };
    // Signed by the device, at a place of its chain of its own (a gap the server allows).
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1_000_000);
    let n = NEXT.fetch_add(2, std::sync::atomic::Ordering::SeqCst);
    let prev = [9u8; 32];
    let (_, key) = d.store.device_signing_key().unwrap().unwrap();
    let (sig, _) = alluvium::sync::canonical::Signed::of_change(&c, n, &prev).sign(&key);
    c.chain_seq = Some(n);
    c.prev = Some(alluvium::sync::canonical::encode_b64(&prev));
    c.sig = Some(alluvium::sync::canonical::encode_b64(&sig.to_bytes()));
    c
}

/// A new record of `entity` in `region`, hanging off the world's records there.
fn new_record(w: &World, d: &Device, entity: &str, region: &'static str) -> Change {
    let (dg, li, si, p) = &w.ids[region];
    let j = |v: &dyn erased::Ser| v.json();
    match entity {
        "digger" => {
            let x = digger(region, &uuid::Uuid::now_v7().to_string()[..20], "New");
            change(d, entity, x.id.to_string(), Op::Upsert, j(&x))
        }
        "licence" => {
            let mut x = licence(region, &uuid::Uuid::now_v7().to_string()[..20], dg);
            x.holder_digger_id = Some(dg.id);
            change(d, entity, x.id.to_string(), Op::Upsert, j(&x))
        }
        "site" => {
            let x = site(li, "New pit");
            change(d, entity, x.id.to_string(), Op::Upsert, j(&x))
        }
        "production" => {
            let x = production(si, "someone", &[]);
            change(d, entity, x.id.to_string(), Op::Insert, j(&x))
        }
        "stone" => {
            let x = stone(p, 33);
            change(d, entity, x.id.to_string(), Op::Insert, j(&x))
        }
        "review" => {
            let x = Review {
                id: ReviewId::new(),
                target_entity: RecordKind::Production,
                target_id: p.id.0,
                decision: ReviewDecision::Queried,
                comment: String::new(),
                reviewer: d.store.session().unwrap().unwrap().officer_id,
                at: chrono::Utc::now(),
            };
            change(d, entity, x.id.to_string(), Op::Insert, j(&x))
        }
        _ => unreachable!(),
    }
}

mod erased {
    pub trait Ser {
        fn json(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap()
        }
    }
}

#[test]
fn authorisation_matrix() {
    let server = TestServer::start();
    server.seed();
    let w = world(&server);
    let own = "SL-KONO";
    let other = "GH-AKWATIA";
    // role (user in SL-KONO) × entity → may push in own region; nobody but admin in others.
    let table: &[(&str, &[&str])] = &[
        ("field_a", &["site", "production", "stone"]),
        ("lic_a", &["digger", "licence", "site"]),
        ("coord_a", &["review"]),
        (
            "admin",
            &["digger", "licence", "site", "production", "stone", "review"],
        ),
    ];
    let entities = ["digger", "licence", "site", "production", "stone", "review"];
    for (user, allowed) in table {
        let d = server.device(own, user);
        let client = alluvium::sync::SyncClient::from_store(&d.store).unwrap();
        let token = d.session_token();
        for entity in entities {
            for region in [own, other] {
                let c = new_record(&w, &d, entity, region);
                let resp = client
                    .push(&token, &PushRequest { changes: vec![c] })
                    .unwrap();
                let accepted = resp.results[0].verdict == Verdict::Accepted;
                let want = allowed.contains(&entity) && (region == own || *user == "admin");
                assert_eq!(
                    accepted, want,
                    "{user} push {entity} in {region}: {:?}",
                    resp.results[0]
                );
            }
        }
        // Pull: exactly the entities the role may read, only in its regions.
        let page = client
            .pull(
                &token,
                &PullRequest {
                    cursor: 0,
                    limit: Some(2000),
                    count: true,
                },
            )
            .unwrap();
        // Everything fits the page, so the count is the page.
        assert!(!page.has_more);
        assert_eq!(page.waiting, Some(page.changes.len() as u64), "{user}");
        let seen: BTreeSet<(RecordKind, String)> = page
            .changes
            .iter()
            .map(|c| (c.change.entity, c.change.region.clone().unwrap()))
            .collect();
        for (entity, region) in &seen {
            let role = d.store.session().unwrap().unwrap().role;
            assert!(
                alluvium::sync::scope::may_read(role, *entity),
                "{user} got {entity}"
            );
            assert!(
                *user == "admin" || region == own,
                "{user} got {entity} of {region}"
            );
        }
        let has = |e: &str| seen.iter().any(|(x, _)| x.as_str() == e);
        assert!(
            has("digger") || *user == "admin",
            "{user} gets the registries"
        );
        assert_eq!(
            has("production"),
            matches!(*user, "coord_a" | "admin"),
            "{user} production"
        );
    }
    // No token, or a device token where a session is needed: 401 with the JSON body.
    let http = reqwest::blocking::Client::new();
    for path in ["/api/v1/push", "/api/v1/pull"] {
        let r = http
            .post(format!("{}{path}", server.url))
            .body("{}")
            .send()
            .unwrap();
        assert_eq!(r.status(), 401);
        let body: serde_json::Value = r.json_value();
        assert_eq!(body["error"], "unauthorized");
    }
}

trait JsonValue {
    fn json_value(self) -> serde_json::Value;
}
impl JsonValue for reqwest::blocking::Response {
    fn json_value(self) -> serde_json::Value {
        let text = self.text().unwrap();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }
}

#[test]
fn bad_input_gets_clean_4xx_json_and_the_server_keeps_serving() {
    let server = TestServer::start();
    server.seed();
    let w = world(&server);
    let d = server.device("SL-KONO", "field_a");
    let token = d.session_token();
    let http = reqwest::blocking::Client::new();
    let post = |path: &str, body: Vec<u8>, zstd: bool| {
        let mut r = http
            .post(format!("{}/api/v1{path}", server.url))
            .bearer_auth(&token)
            .header("content-type", "application/json");
        if zstd {
            r = r.header("content-encoding", "zstd");
        }
        r.body(body).send().unwrap()
    };
    // A kind this server does not know refuses the whole request, so the device keeps the
    // change instead of losing it to a per-change rejection.
    let mut widget = serde_json::to_value(change(
        &d,
        "production",
        "x".into(),
        Op::Insert,
        serde_json::json!({}),
    ))
    .unwrap();
    widget["entity"] = "widget".into();
    let widget_push = serde_json::to_vec(&serde_json::json!({ "changes": [widget] })).unwrap();
    let cases: Vec<(&str, Vec<u8>, bool, u16)> = vec![
        ("unknown record kind", widget_push.clone(), false, 422),
        ("malformed JSON", b"{\"changes\": [".to_vec(), false, 400),
        (
            "wrong types",
            br#"{"changes": "many"}"#.to_vec(),
            false,
            422,
        ),
        (
            "unknown field",
            br#"{"changes": [], "extra": 1}"#.to_vec(),
            false,
            422,
        ),
        ("not zstd", b"garbage".to_vec(), true, 400),
        (
            "zstd bomb",
            alluvium::sync::codec::compress(&vec![b' '; 80 * 1024 * 1024]).unwrap(),
            true,
            413,
        ),
    ];
    for (what, body, zstd, status) in cases {
        let r = post("/push", body, zstd);
        assert_eq!(r.status().as_u16(), status, "{what}");
        let b = r.json_value();
        assert!(
            b["error"].is_string() && b["message"].is_string(),
            "{what}: {b}"
        );
    }
    let b = post("/push", widget_push, false).json_value();
    assert!(
        b["message"].as_str().unwrap().contains("widget"),
        "the refusal names the unknown kind: {b}"
    );
    // Oversized: the server answers 413 as soon as the declared length is too big (raw TCP,
    // since an HTTP client still sending its body would not read the early answer).
    {
        use std::io::{Read, Write};
        let addr = server.url.trim_start_matches("http://");
        let mut tcp = std::net::TcpStream::connect(addr).unwrap();
        write!(
            tcp,
            "POST /api/v1/push HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{",
            17 * 1024 * 1024
        )
        .unwrap();
        let mut answer = vec![0u8; 4096];
        let n = tcp.read(&mut answer).unwrap();
        let text = String::from_utf8_lossy(&answer[..n]);
        assert!(text.starts_with("HTTP/1.1 413"), "{text}");
        assert!(text.contains("\"error\":\"too_large\""), "{text}");
    }
    // Per-change problems are answered per change, with a reason.
    let (_, _, si, _) = &w.ids["SL-KONO"];
    let mut future = production(si, "field_a", &[]);
    future.day = today() + chrono::Days::new(400);
    let mut unknown_field = serde_json::to_value(stone(&w.ids["SL-KONO"].3, 5)).unwrap();
    unknown_field["sparkle"] = 9.into();
    let mut bad_type = serde_json::to_value(production(si, "field_a", &[])).unwrap();
    bad_type["crew_size"] = "lots".into();
    let mut nested_unknown = serde_json::to_value(production(si, "field_a", &[])).unwrap();
    nested_unknown["fix"] = serde_json::json!({
        "lat": 8.6, "lon": -10.9, "accuracy_m": 4.0, "source": "manual", "glitter": 1
    });
    let existing = &w.ids["SL-KONO"].3;
    let orphan = stone(&future, 7);
    let changes = vec![
        change(
            &d,
            "production",
            future.id.to_string(),
            Op::Insert,
            serde_json::to_value(&future).unwrap(),
        ),
        change(
            &d,
            "stone",
            unknown_field["id"].as_str().unwrap().into(),
            Op::Insert,
            unknown_field.clone(),
        ),
        change(
            &d,
            "production",
            bad_type["id"].as_str().unwrap().into(),
            Op::Insert,
            bad_type.clone(),
        ),
        change(
            &d,
            "production",
            nested_unknown["id"].as_str().unwrap().into(),
            Op::Insert,
            nested_unknown.clone(),
        ),
        // The same entry again under a new change id: an insert never overwrites.
        change(
            &d,
            "production",
            existing.id.to_string(),
            Op::Insert,
            serde_json::to_value(existing).unwrap(),
        ),
        // A stone of the entry refused above, in the same batch: its parent is not there.
        change(
            &d,
            "stone",
            orphan.id.to_string(),
            Op::Insert,
            serde_json::to_value(&orphan).unwrap(),
        ),
    ];
    let client = alluvium::sync::SyncClient::from_store(&d.store).unwrap();
    let resp = client.push(&token, &PushRequest { changes }).unwrap();
    let reasons: Vec<String> = resp
        .results
        .iter()
        .map(|r| match &r.verdict {
            Verdict::Rejected { reason } => reason.clone(),
            v => panic!("accepted: {v:?}"),
        })
        .collect();
    assert!(reasons[0].contains("future"), "{reasons:?}");
    assert!(reasons[1].contains("sparkle"), "{reasons:?}");
    assert!(
        reasons[2].contains("crew_size") || reasons[2].contains("invalid type"),
        "{reasons:?}"
    );
    assert!(reasons[3].contains("glitter"), "{reasons:?}");
    assert!(reasons[4].contains("already exists"), "{reasons:?}");
    assert!(
        reasons[5].contains("is not a known production entry"),
        "{reasons:?}"
    );

    // Wrong password, then rate limit.
    let dev_token = d.store.sync_setting("device_token").unwrap().unwrap();
    for i in 0..6 {
        let r = http
            .post(format!("{}/api/v1/login", server.url))
            .bearer_auth(&dev_token)
            .body(r#"{"username":"coord_a","password":"nope"}"#)
            .send()
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            if i < 5 { 401 } else { 429 },
            "attempt {i}"
        );
    }

    // A revoked device: its session stops working at once.
    let mut victim = server.device("SL-KONO", "lic_a");
    server
        .admin(
            &["device", "revoke", &victim.store.device_id().to_string()],
            "",
        )
        .unwrap();
    let e = victim.try_sync().unwrap_err();
    assert!(e.to_string().contains("revoked"), "{e}");

    // An expired session, on a server whose sessions last five seconds (a server of its own, so
    // that a slow machine cannot expire the sessions the checks above use).
    {
        let short = TestServer::start_with(&["--session-ttl-secs", "5"]);
        short.seed();
        let d = short.device("SL-KONO", "field_a");
        let token = d.session_token();
        std::thread::sleep(std::time::Duration::from_secs(6));
        let r = http
            .post(format!("{}/api/v1/pull", short.url))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(r#"{"cursor":0}"#)
            .send()
            .unwrap();
        assert_eq!(r.status(), 401);
        assert!(
            r.json_value()["message"]
                .as_str()
                .unwrap()
                .contains("expired")
        );
    }

    // An expired enrolment code.
    let code = server
        .admin(&["enrol-code", "--region", "SL-KONO", "--seconds", "1"], "")
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(2));
    let mut s = alluvium::store::Store::open_in_memory().unwrap();
    let e = alluvium::sync::enrol(&mut s, &server.url, code.trim(), None, false).unwrap_err();
    assert!(e.to_string().contains("expired"), "{e}");

    let r = http
        .get(format!("{}/api/v1/health", server.url))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "the server is still serving");
}

#[test]
fn tls_with_a_private_ca_and_a_clear_error_for_the_wrong_one() {
    let ca = PrivateCa::generate();
    let dir = tempfile::tempdir().unwrap();
    let files = ca.server_files(dir.path(), &["localhost", "127.0.0.1"]);

    let server = TestServer::start_with(&[
        "--tls-cert",
        files.cert.to_str().unwrap(),
        "--tls-key",
        files.key.to_str().unwrap(),
    ]);
    assert!(server.url.starts_with("https://"), "{}", server.url);
    server.seed();
    let mut d = server.device_at(
        &server.url.clone(),
        "SL-KONO",
        "lic_a",
        Some(ca.pem().as_bytes()),
    );
    let dg = digger("SL-KONO", "TLS-1", "Over TLS");
    d.store.write(|w| w.put_digger(&dg)).unwrap();
    assert_eq!(d.sync().pushed, 1);

    let wrong = PrivateCa::generate();
    let mut s = alluvium::store::Store::open_in_memory().unwrap();
    let e = alluvium::sync::enrol(
        &mut s,
        &server.url,
        &server.code("SL-KONO"),
        Some(wrong.pem().as_bytes()),
        false,
    )
    .unwrap_err();
    assert!(e.to_string().contains("certificate"), "{e}");
}
