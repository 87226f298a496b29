//! Signed chains on the wire (canonical form 2): a push carries a signature only where a run
//! of changes, a pull scope class or a checkpoint needs one; the server keeps what it received;
//! pullers vouch for runs without being told to trust the server; form-1 chains still verify.

mod common;

use alluvium::domain::{Digger, Licence, RecordKind, Site};
use alluvium::store::OutboxRow;
use alluvium::sync::SyncClient;
use alluvium::sync::canonical::{Form, GENESIS, Link, Signed, encode_b64};
use alluvium::sync::wire::{Change, Op, PushRequest, Verdict};
use common::*;

fn server_audit(server: &TestServer) -> (Vec<serde_json::Value>, bool) {
    let out = server.admin_output(&["audit", "verify", "--format", "json"], "");
    let problems: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (problems, out.status.success())
}

/// A licence and its site registered by the licensing officer, synced.
fn licensed_site(server: &TestServer) -> (Digger, Licence, Site) {
    let mut lic = server.device("SL-KONO", "lic_a");
    let dg = digger("SL-KONO", "SL-910", "Aminata Sesay");
    let li = licence("SL-KONO", "KONO/W/1", &dg);
    let si = site(&li, "Pit W");
    lic.store
        .write(|w| {
            w.put_digger(&dg)?;
            w.put_licence(&li)?;
            w.put_site(&si)
        })
        .unwrap();
    lic.sync();
    (dg, li, si)
}

/// Rows of the server's `changes` for one device in chain order: (entity, form, has sig).
fn stored_chain(server: &TestServer, device: &str) -> Vec<(String, i64, bool)> {
    let db = rusqlite::Connection::open(server.db()).unwrap();
    let mut st = db
        .prepare(
            "SELECT entity, form, sig IS NOT NULL FROM changes WHERE origin = ?1 ORDER BY chain_seq",
        )
        .unwrap();
    st.query_map([device], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn apply_failures(d: &Device) -> i64 {
    rusqlite::Connection::open(&d.path)
        .unwrap()
        .query_row("SELECT count(*) FROM sync_apply_failures", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_push_signs_where_pullers_need_it_and_pullers_vouch_for_every_change() {
    if test_kit::postgres::sqlite_only("reads the stored chain from the server's SQLite file") {
        return;
    }
    let server = TestServer::start();
    server.seed();
    let (dg, li, si) = licensed_site(&server);
    let mut field = server.device("SL-KONO", "field_a");
    // The pullers: another field officer's device and a coordinator's, enrolled first.
    let mut other_field = server.device("SL-KONO", "field_a");
    let mut coord = server.device("SL-KONO", "coord_a");
    // A site, an entry with three stones, another site: three pull scope classes in a row
    // (field officers receive sites but not production; coordinators receive both).
    let site2 = site(&li, "Pit W2");
    let site3 = site(&li, "Pit W3");
    let p = production(&si, "field_a", &[&dg]);
    field
        .store
        .write(|w| {
            w.put_site(&site2)?;
            w.add_production(&p)?;
            (0..3).try_for_each(|i| w.add_stone(&stone(&p, 120 + i)))?;
            w.put_site(&site3)
        })
        .unwrap();
    let r = field.sync();
    assert_eq!((r.pushed, r.rejected), (6, 0), "{r:?}");
    let device = field.store.device_id().to_string();
    let chain = stored_chain(&server, &device);
    let sigs: Vec<(&str, bool)> = chain.iter().map(|(e, _, s)| (e.as_str(), *s)).collect();
    assert_eq!(
        sigs,
        vec![
            ("site", true),
            ("production", false),
            ("stone", false),
            ("stone", false),
            ("stone", true),
            ("site", true),
        ],
        "a signature ends each class's run and the push"
    );
    assert!(chain.iter().all(|(_, form, _)| *form == 2), "{chain:?}");
    let (problems, ok) = server_audit(&server);
    assert!(ok && problems.is_empty(), "{problems:?}");

    // Another field officer's device gets the sites only, each with its signature.
    let r = other_field.sync();
    assert_eq!((r.pulled, r.vouched_by_server), (2, 0), "{r:?}");
    assert_eq!(apply_failures(&other_field), 0);
    // A coordinator gets everything, and vouches for all of it from the device's signatures.
    let r = coord.sync();
    assert_eq!((r.pulled, r.vouched_by_server), (6, 0), "{r:?}");
    assert_eq!(apply_failures(&coord), 0);
}

/// A signed change of `row` as the wire carries it, in `form`, at its chain place.
fn wire_change(row: &OutboxRow, origin: uuid::Uuid, form: Form) -> Change {
    Change {
        change_id: row.change_id.parse().unwrap(),
        entity: row.entity,
        record_id: row.record_id.clone(),
        region: row.region.clone(),
        hlc: row.hlc,
        base_hlc: row.base_hlc,
        origin,
        author: row.author.as_deref().map(|a| a.parse().unwrap()),
        op: Op::of(row.entity),
        payload: serde_json::from_str(&row.payload).unwrap(),
        form,
        chain_seq: None,
        prev: None,
        sig: None,
    }
}

/// The field device's production entry and `stones` stones, unsent, as wire changes signed
/// in `forms` (one per change, chain from the start), each with its `prev` and signature.
fn signed_by_hand(server: &TestServer, forms: &[Form]) -> (Device, Vec<Change>) {
    let (dg, _, si) = licensed_site(server);
    let mut field = server.device("SL-KONO", "field_a");
    let p = production(&si, "field_a", &[&dg]);
    field
        .store
        .write(|w| {
            w.add_production(&p)?;
            (1..forms.len()).try_for_each(|i| w.add_stone(&stone(&p, 100 + i as i64)))
        })
        .unwrap();
    let (origin, key) = field.store.device_signing_key().unwrap().unwrap();
    let rows = field.store.unsent_changes(100).unwrap();
    assert_eq!(rows.len(), forms.len());
    let mut prev: Link = GENESIS;
    let changes = rows
        .iter()
        .zip(forms)
        .enumerate()
        .map(|(i, (row, form))| {
            let mut c = wire_change(row, origin, *form);
            let n = i as u64 + 1;
            let (sig, link) = Signed::of_change(&c, n, &prev).sign(&key);
            c.chain_seq = Some(n);
            c.prev = Some(encode_b64(&prev));
            c.sig = Some(encode_b64(&sig.to_bytes()));
            prev = link;
            c
        })
        .collect();
    (field, changes)
}

fn push(field: &Device, changes: Vec<Change>) -> Vec<Verdict> {
    let client = SyncClient::from_store(&field.store).unwrap();
    let resp = client
        .push(&field.session_token(), &PushRequest { changes })
        .unwrap();
    resp.results.into_iter().map(|r| r.verdict).collect()
}

#[test]
fn a_run_whose_last_change_has_no_signature_is_refused() {
    let server = TestServer::start();
    server.seed();
    let (field, mut changes) = signed_by_hand(&server, &[Form::V2; 3]);
    for c in &mut changes {
        c.sig = None;
    }
    let verdicts = push(&field, changes.clone());
    assert_eq!(verdicts.len(), 3);
    for v in &verdicts {
        match v {
            Verdict::Rejected { reason } => {
                assert!(reason.contains("no signature"), "{reason}")
            }
            Verdict::Accepted => panic!("an unsigned run was accepted: {verdicts:?}"),
        }
    }
    assert_eq!(server.stats()["stones"], 0);
}

#[test]
fn a_form_1_chain_stays_verifiable_and_may_switch_to_form_2() {
    if test_kit::postgres::sqlite_only("edits the server's SQLite file by hand") {
        return;
    }
    let server = TestServer::start();
    server.seed();
    let forms = [Form::V1, Form::V1, Form::V2, Form::V2];
    let (field, mut changes) = signed_by_hand(&server, &forms);
    // The form-2 change in the middle goes as a run's member: no prev, position or signature.
    changes[2].prev = None;
    changes[2].chain_seq = None;
    changes[2].sig = None;
    let verdicts = push(&field, changes.clone());
    assert!(
        verdicts.iter().all(|v| *v == Verdict::Accepted),
        "{verdicts:?}"
    );
    let device = field.store.device_id().to_string();
    let chain = stored_chain(&server, &device);
    let forms: Vec<(i64, bool)> = chain.iter().map(|(_, f, s)| (*f, *s)).collect();
    assert_eq!(forms, vec![(1, true), (1, true), (2, false), (2, true)]);
    let (problems, ok) = server_audit(&server);
    assert!(ok && problems.is_empty(), "{problems:?}");
    assert_eq!(chain[0].0, RecordKind::Production.as_str());

    // A form-1 change altered is named alone (it carries its own signature); so is the
    // unsigned form-2 change (its successor carries another link), the signed form-1 change
    // before it holding on its own.
    let db = rusqlite::Connection::open(server.db()).unwrap();
    for c in [&changes[1], &changes[2]] {
        db.execute(
            "UPDATE changes SET payload = replace(payload, '\"weight\":10', '\"weight\":90')
             WHERE change_id = ?1",
            [c.change_id.to_string()],
        )
        .unwrap();
    }
    let (problems, ok) = server_audit(&server);
    assert!(!ok);
    let named: Vec<(String, String)> = problems
        .iter()
        .map(|p| {
            (
                p["change_id"].as_str().unwrap().to_string(),
                p["problem"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(named.len(), 2, "{named:?}");
    assert_eq!(named[0].0, changes[1].change_id.to_string());
    assert!(
        named[0].1.starts_with("altered: the signature"),
        "{named:?}"
    );
    assert_eq!(named[1].0, changes[2].change_id.to_string());
    assert!(
        named[1].1.starts_with("altered: the stored change"),
        "{named:?}"
    );
}

#[test]
fn a_run_cut_by_the_end_of_a_pull_page_waits_for_the_next_page() {
    let server = TestServer::start();
    server.seed();
    let (dg, _, si) = licensed_site(&server);
    let mut field = server.device("SL-KONO", "field_a");
    let mut coord = server.device("SL-KONO", "coord_a");
    let p = production(&si, "field_a", &[&dg]);
    // More than a pull page (1 000): the first page ends inside a run.
    let stones: Vec<_> = (0..1_099).map(|i| stone(&p, 100 + i)).collect();
    field
        .store
        .write(|w| {
            w.add_production(&p)?;
            stones.iter().try_for_each(|s| w.add_stone(s))
        })
        .unwrap();
    let r = field.sync();
    assert_eq!((r.pushed, r.rejected), (1_100, 0), "{r:?}");
    let r = coord.sync();
    assert_eq!((r.pulled, r.vouched_by_server), (1_100, 0), "{r:?}");
    assert_eq!(apply_failures(&coord), 0);
}

#[test]
fn a_device_chain_switching_from_form_1_to_form_2_verifies_and_names_an_altered_row() {
    let server = TestServer::start();
    server.seed();
    let mut lic = server.device("SL-KONO", "lic_a");
    let path = lic.path.clone();
    let first = digger("SL-KONO", "SL-920", "Mariama Bangura");
    lic.store.write(|w| w.put_digger(&first)).unwrap();
    // What a release before form 2 wrote: the same change signed in form 1.
    let (origin, key) = lic.store.device_signing_key().unwrap().unwrap();
    let row = lic.store.unsent_changes(10).unwrap().pop().unwrap();
    let f = row.chain.clone().unwrap();
    assert_eq!(f.form, Form::V2, "every new change is form 2");
    let c = wire_change(&row, origin, Form::V1);
    let (sig, v1_link) = Signed::of_change(&c, f.chain_seq, &f.prev).sign(&key);
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute(
        "UPDATE outbox SET form = 1, sig = ?1, link = ?2 WHERE change_id = ?3",
        rusqlite::params![sig.to_bytes().to_vec(), v1_link.to_vec(), row.change_id],
    )
    .unwrap();
    // The next change is form 2, linked to the form-1 change before it.
    lic.store
        .write(|w| w.put_digger(&digger("SL-KONO", "SL-921", "Sahr Kamara")))
        .unwrap();
    let rows = lic.store.unsent_changes(10).unwrap();
    let next = rows[1].chain.clone().unwrap();
    assert_eq!((next.form, next.prev), (Form::V2, v1_link));
    assert_eq!(rows[0].chain.as_ref().unwrap().form, Form::V1);
    assert!(lic.store.audit_chain().unwrap().is_empty());
    // The server takes the switch as it is, and its audit finds the chain whole.
    let r = lic.sync();
    assert_eq!((r.pushed, r.rejected), (2, 0), "{r:?}");
    let (problems, ok) = server_audit(&server);
    assert!(ok && problems.is_empty(), "{problems:?}");
    // The form-1 row edited by hand: named alone.
    db.execute(
        "UPDATE outbox SET payload = replace(payload, 'Mariama', 'Marian') WHERE change_id = ?1",
        [&row.change_id],
    )
    .unwrap();
    let problems = lic.store.audit_chain().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].change_id, row.change_id);
    assert!(problems[0].problem.starts_with("altered"), "{problems:?}");
}
