//! Tamper evidence end to end: devices sign their changes, the real server checks and keeps
//! the signatures, and `audit verify` (server and device) names every change altered, removed
//! or inserted afterwards — in the server's file or in a device's outbox.

mod common;

use alluvium::sync::SyncClient;
use alluvium::sync::canonical::{Signed, encode_b64};
use alluvium::sync::wire::{Change, Op, PushRequest, Verdict};

use alluvium_sync::db::Session;
use common::*;

/// `admin audit verify --format json`: the problems and whether it exited 0.
fn server_audit(server: &TestServer) -> (Vec<serde_json::Value>, bool) {
    let out = server.admin_output(&["audit", "verify", "--format", "json"], "");
    let problems: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (problems, out.status.success())
}

/// A field device with a production entry and `stones` stones written (not pushed), plus
/// their change ids in chain order (the entry's first).
fn field_with_stones(server: &TestServer, stones: usize) -> (Device, Vec<String>) {
    let mut lic = server.device("SL-KONO", "lic_a");
    let dg = digger("SL-KONO", "SL-900", "Fatmata Koroma");
    let li = licence("SL-KONO", "KONO/T/1", &dg);
    let si = site(&li, "Pit T");
    lic.store
        .write(|w| {
            w.put_digger(&dg)?;
            w.put_licence(&li)?;
            w.put_site(&si)
        })
        .unwrap();
    lic.sync();
    let mut field = server.device("SL-KONO", "field_a");
    let p = production(&si, "field_a", &[&dg]);
    let stones: Vec<_> = (0..stones).map(|i| stone(&p, 100 + i as i64)).collect();
    field
        .store
        .write(|w| {
            w.add_production(&p)?;
            stones.iter().try_for_each(|s| w.add_stone(s))
        })
        .unwrap();
    let change_ids = std::iter::once(p.id.to_string())
        .chain(stones.iter().map(|s| s.id.to_string()))
        .map(|record| {
            field.store.changes_of(&record).unwrap()[0]
                .change_id
                .clone()
        })
        .collect();
    (field, change_ids)
}

#[test]
fn the_server_audit_names_altered_removed_and_inserted_changes() {
    if test_kit::postgres::sqlite_only("edits the server's SQLite file by hand") {
        return;
    }
    let server = TestServer::start();
    server.seed();
    let (mut field, ids) = field_with_stones(&server, 5);
    let r = field.sync();
    assert_eq!((r.pushed, r.rejected), (6, 0), "{r:?}");
    let (problems, ok) = server_audit(&server);
    assert!(ok && problems.is_empty(), "{problems:?}");
    let device = field.store.device_id().to_string();

    let db = rusqlite::Connection::open(server.db()).unwrap();
    // A figure changed after the fact.
    db.execute(
        "UPDATE changes SET payload = replace(payload, '\"weight\":101', '\"weight\":1010')
         WHERE change_id = ?1",
        [&ids[2]],
    )
    .unwrap();
    // A change gone from the middle of the chain.
    db.execute("DELETE FROM changes WHERE change_id = ?1", [&ids[4]])
        .unwrap();
    // A forged change after the last one, and an unsigned one.
    let forged = uuid::Uuid::now_v7().to_string();
    db.execute(
        "INSERT INTO changes(change_id, entity, record_id, region, hlc, base_hlc, origin, author, op,
                             payload, chain_seq, prev, sig, link)
         SELECT ?2, entity, ?2, region, hlc + 1, 0, origin, author, op, replace(payload, record_id, ?2),
                chain_seq + 1, link, zeroblob(64), zeroblob(32)
         FROM changes WHERE change_id = ?1",
        [&ids[5], &forged],
    )
    .unwrap();
    let unsigned = uuid::Uuid::now_v7().to_string();
    db.execute(
        "INSERT INTO changes(change_id, entity, record_id, region, hlc, base_hlc, origin, author, op, payload)
         SELECT ?2, entity, ?2, region, hlc + 2, 0, origin, author, op, replace(payload, record_id, ?2)
         FROM changes WHERE change_id = ?1",
        [&ids[5], &unsigned],
    )
    .unwrap();

    let (problems, ok) = server_audit(&server);
    assert!(!ok, "audit verify exits 1 when it finds problems");
    let named = |id: &str| -> String {
        problems
            .iter()
            .find(|p| p["change_id"] == id)
            .unwrap_or_else(|| panic!("{id} not named in {problems:?}"))["problem"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(named(&ids[2]).starts_with("altered"), "{problems:?}");
    // The removed change is named by its place: the next change says what is missing.
    let removed = named(&ids[5]);
    assert!(
        removed.starts_with("removed") && removed.contains('#'),
        "{removed}"
    );
    assert!(named(&forged).starts_with("altered"), "{problems:?}");
    assert!(named(&unsigned).starts_with("inserted"), "{problems:?}");
    // The push carried one signature, on its last change (form 2): the unsigned changes
    // before the altered one and before the removed one can no longer be proven, and are
    // reported as such.
    for id in [&ids[0], &ids[1], &ids[3]] {
        assert!(named(id).starts_with("unproven"), "{problems:?}");
    }
    assert!(named(&ids[1]).contains("#3"), "{problems:?}");
    assert!(named(&ids[3]).contains("#5"), "{problems:?}");
    assert_eq!(problems.len(), 7, "nothing else is named: {problems:?}");
    assert!(problems.iter().all(|p| p["device"] == device.as_str()));
}

#[test]
fn an_edited_outbox_row_is_refused_at_push_and_named_by_the_device_audit() {
    let server = TestServer::start();
    server.seed();
    let (mut field, ids) = field_with_stones(&server, 3);
    assert!(field.store.audit_chain().unwrap().is_empty());
    // Someone with the device in hand raises a stone's weight before it is sent.
    let db = rusqlite::Connection::open(&field.path).unwrap();
    let n = db
        .execute(
            "UPDATE outbox SET payload = replace(payload, '\"weight\":101', '\"weight\":901')
             WHERE change_id = ?1 AND sent_at IS NULL",
            [&ids[2]],
        )
        .unwrap();
    assert_eq!(n, 1);
    let problems = field.store.audit_chain().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].change_id, ids[2]);
    assert!(problems[0].problem.starts_with("altered"), "{problems:?}");

    let r = field.sync();
    assert_eq!((r.pushed, r.rejected), (3, 1), "{r:?}");
    let rejected = field.store.rejected_changes().unwrap();
    assert_eq!(rejected[0].change_id, ids[2]);
    assert!(rejected[0].reason.contains("signature"), "{rejected:?}");
    // The change after it still went in: it carried its own link.
    assert_eq!(server.stats()["stones"], 2);
    // The server's audit sees the hole the refused change left in the device's chain.
    let (problems, ok) = server_audit(&server);
    assert!(!ok);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["change_id"], ids[3].as_str());
    assert!(
        problems[0]["problem"]
            .as_str()
            .unwrap()
            .starts_with("removed")
    );
}

#[test]
fn a_change_replayed_by_another_device_is_refused() {
    let server = TestServer::start();
    server.seed();
    let (mut a, ids) = field_with_stones(&server, 1);
    let mut b = server.device("SL-KONO", "field_a");
    let original: Change = {
        let row = a
            .store
            .unsent_changes(100)
            .unwrap()
            .into_iter()
            .find(|r| r.change_id == ids[1]);
        let row = row.unwrap_or_else(|| panic!("{} not in the outbox", ids[1]));
        let chain = row.chain.as_ref().unwrap().to_wire();
        Change {
            change_id: row.change_id.parse().unwrap(),
            entity: row.entity,
            record_id: row.record_id.clone(),
            region: row.region.clone(),
            hlc: row.hlc,
            base_hlc: row.base_hlc,
            origin: a.store.device_id().0,
            author: row.author.as_deref().map(|s| s.parse().unwrap()),
            op: Op::of(row.entity),
            payload: serde_json::from_str(&row.payload).unwrap(),
            form: row.chain.as_ref().unwrap().form,
            chain_seq: Some(chain.0),
            prev: Some(chain.1),
            sig: Some(chain.2),
        }
    };
    let r = a.sync();
    assert_eq!((r.pushed, r.rejected), (2, 0), "{r:?}");
    // B's next place in its own chain: where a change of its own would go.
    let (b_id, b_key) = b.store.device_signing_key().unwrap().unwrap();
    b.store
        .write(|w| w.put_digger(&digger("SL-KONO", "SL-901", "Placeholder")))
        .unwrap();
    let own = b.store.unsent_changes(10).unwrap().pop().unwrap();
    let own = own.chain.unwrap();
    let resigned = |mut c: Change| {
        let (sig, _) = Signed::of_change(&c, own.chain_seq, &own.prev).sign(&b_key);
        c.chain_seq = Some(own.chain_seq);
        c.prev = Some(encode_b64(&own.prev));
        c.sig = Some(encode_b64(&sig.to_bytes()));
        c
    };
    let client = SyncClient::from_store(&b.store).unwrap();
    let token = b.session_token();
    let push = |c: Change| -> String {
        let resp = client
            .push(&token, &PushRequest { changes: vec![c] })
            .unwrap();
        match &resp.results[0].verdict {
            Verdict::Rejected { reason } => reason.clone(),
            Verdict::Accepted => panic!("a replayed change was accepted"),
        }
    };
    // A's change as A signed it, sent by B.
    let why = push(original.clone());
    assert!(why.contains("used by another device"), "{why}");
    // The same with a fresh id: still A's change, not B's to send.
    let why = push(Change {
        change_id: uuid::Uuid::now_v7(),
        ..original.clone()
    });
    assert!(why.contains("not on this one"), "{why}");
    // A's change re-signed by B as its own (same id).
    let why = push(resigned(Change {
        origin: b_id,
        ..original.clone()
    }));
    assert!(why.contains("used by another device"), "{why}");
    // B's own change signed with A's key is not B's.
    let (_, a_key) = a.store.device_signing_key().unwrap().unwrap();
    let mut forged = resigned(Change {
        origin: b_id,
        change_id: uuid::Uuid::now_v7(),
        ..original.clone()
    });
    let (sig, _) = Signed::of_change(&forged, own.chain_seq, &own.prev).sign(&a_key);
    forged.sig = Some(encode_b64(&sig.to_bytes()));
    let why = push(forged);
    assert!(why.contains("signature does not match"), "{why}");
    // B's own pending change still takes that place: refused by the record rules (a field
    // officer does not register diggers), it keeps its place in B's chain all the same.
    let r = b.sync();
    assert_eq!((r.pushed, r.rejected), (0, 1), "{r:?}");
    let why = &b.store.rejected_changes().unwrap()[0].reason;
    assert!(why.contains("may not push"), "{why}");
    let (problems, ok) = server_audit(&server);
    assert!(ok && problems.is_empty(), "{problems:?}");
}

#[test]
fn keys_sync_down_and_a_revoked_key_signs_nothing_new() {
    let server = TestServer::start();
    server.seed();
    let (mut a, _) = field_with_stones(&server, 2);
    a.sync();
    let mut coord = server.device("SL-KONO", "coord_a");
    let a_id = a.store.device_id().0;
    let a_key = a.store.device_signing_key().unwrap().unwrap().1;
    // The coordinator's device knows A's key, and checked what it pulled from A with it.
    assert_eq!(
        coord.store.known_device_key(a_id).unwrap(),
        Some(a_key.verifying_key())
    );
    assert_eq!(coord.store.device_key_revoked(a_id).unwrap(), None);
    // A device of another region does not get it.
    let other = server.device("GH-AKWATIA", "field_b");
    assert_eq!(other.store.known_device_key(a_id).unwrap(), None);

    server
        .admin(&["device", "revoke", &a_id.to_string()], "")
        .unwrap();
    let stone_later = {
        let p = production(
            &site(&licence("SL-KONO", "X", &digger("SL-KONO", "x", "x")), "x"),
            "field_a",
            &[],
        );
        stone(&p, 5)
    };
    let _ = a.store.write(|w| w.add_stone(&stone_later));
    assert!(a.try_sync().is_err(), "a revoked device pushes nothing");
    coord.sync();
    assert!(coord.store.device_key_revoked(a_id).unwrap().is_some());
    // Still known, so what A signed before stays verifiable, on the coordinator's device
    // and on the server.
    assert!(coord.store.known_device_key(a_id).unwrap().is_some());
    let (problems, ok) = server_audit(&server);
    assert!(ok && problems.is_empty(), "{problems:?}");
    let list = server
        .admin(&["device", "list", "--format", "json"], "")
        .unwrap();
    let list: Vec<serde_json::Value> = serde_json::from_str(&list).unwrap();
    let a_row = list
        .iter()
        .find(|d| d["id"] == a_id.to_string().as_str())
        .unwrap();
    assert_eq!(a_row["signed"], true);
    assert!(a_row["revoked_at"].is_i64());
}

#[test]
fn a_device_without_a_key_is_taken_unsigned_until_it_registers_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::open_store(dir.path());
    store.add_region("SL-KONO", "Kono", "SL").unwrap();
    let officer = store
        .add_officer(&alluvium_sync::db::NewOfficer {
            username: "lic".into(),
            full_name: "lic".into(),
            role: alluvium::domain::Role::LicensingOfficer,
            regions: vec!["SL-KONO".into()],
            password_hash: "x".into(),
        })
        .unwrap();
    let device = uuid::Uuid::now_v7();
    // Enrolled by an older version: no key.
    store
        .enrol(
            &store.make_enrol_code("SL-KONO", 600).unwrap(),
            device,
            None,
        )
        .unwrap();
    let mut session = Session {
        device: alluvium_sync::db::Device {
            id: device,
            region: "SL-KONO".into(),
            public_key: None,
        },
        officer,
    };
    let change = |name: &str| {
        let d = digger("SL-KONO", name, name);
        Change {
            change_id: uuid::Uuid::now_v7(),
            entity: alluvium::domain::RecordKind::Digger,
            record_id: d.id.to_string(),
            region: None,
            hlc: alluvium::domain::Hlc::new(chrono::Utc::now().timestamp_millis() as u64, 0),
            base_hlc: Default::default(),
            origin: device,
            author: Some(session.officer.id.0),
            op: Op::Upsert,
            payload: serde_json::to_value(&d).unwrap(),
            form: Default::default(),
            chain_seq: None,
            prev: None,
            sig: None,
        }
    };
    let r = store.push(&session, &[change("old-1")]).unwrap();
    assert_eq!(r[0].verdict, Verdict::Accepted);
    let devices = store.devices().unwrap();
    assert!(!devices[0].signed && devices[0].unsigned_changes == 1);
    // It registers a key at its next sync; from then on an unsigned change is refused.
    let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
    store
        .register_device_key(device, &key.verifying_key())
        .unwrap();
    // Registering the same key again is fine; another one is refused.
    store
        .register_device_key(device, &key.verifying_key())
        .unwrap();
    let other = ed25519_dalek::SigningKey::from_bytes(&[4; 32]);
    assert!(
        store
            .register_device_key(device, &other.verifying_key())
            .is_err()
    );
    session.device.public_key = Some(key.verifying_key());
    let r = store.push(&session, &[change("old-2")]).unwrap();
    match &r[0].verdict {
        Verdict::Rejected { reason } => assert!(reason.contains("not signed"), "{reason}"),
        v => panic!("{v:?}"),
    }
    // Its signed chain starts at 1 from genesis.
    let mut c = change("new-1");
    let prev = alluvium::sync::canonical::GENESIS;
    let (sig, _) = Signed::of_change(&c, 1, &prev).sign(&key);
    c.chain_seq = Some(1);
    c.prev = Some(encode_b64(&prev));
    c.sig = Some(encode_b64(&sig.to_bytes()));
    let r = store.push(&session, &[c]).unwrap();
    assert_eq!(r[0].verdict, Verdict::Accepted);
    let report = store.audit().unwrap();
    assert!(report.problems.is_empty(), "{report:?}");
    assert_eq!((report.devices, report.changes), (1, 1));
}
