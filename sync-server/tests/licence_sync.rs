//! Licence events and supporters end to end: made on a licensing officer's device, they reach
//! a field officer's device through the real server, where the licence's dated standing reads
//! the same; an invalid event sent straight to the server is refused with the device's words.

mod common;

use alluvium::domain::{
    Cents, Hlc, LicenceEvent, LicenceEventId, LicenceEventKind, LicenceStanding, RecordKind,
    Supporter, SupporterId,
};
use alluvium::sync::canonical;
use alluvium::sync::wire::{Change, Op, PushRequest, Verdict};
use chrono::{Days, NaiveDate};
use common::*;

fn write<T>(
    d: &mut Device,
    f: impl FnOnce(&mut alluvium::store::Writer<'_>) -> Result<T, alluvium::store::StoreError>,
) -> T {
    d.store.write(f).unwrap()
}

#[test]
fn a_licence_history_made_on_one_device_reaches_another_through_the_server() {
    let server = TestServer::start();
    server.seed();
    let mut lic = server.device("SL-KONO", "lic_a");
    let dg = digger("SL-KONO", "SL-300", "Isatu Bangura");
    let li = licence("SL-KONO", "KONO/AM/300", &dg);
    let suspended_on: NaiveDate = li.issued_on + Days::new(5);
    let reinstated_on: NaiveDate = li.issued_on + Days::new(15);
    let renewal = LicenceEvent {
        id: LicenceEventId::new(),
        licence_id: li.id,
        kind: LicenceEventKind::Renewed,
        on: li.expires_on + Days::new(1),
        until: Some(li.expires_on + Days::new(366)),
        fee_cents: Some(Cents(7_500)),
        receipt: "R-300".into(),
        reason: String::new(),
    };
    let suspension = LicenceEvent {
        id: LicenceEventId::new(),
        kind: LicenceEventKind::Suspended,
        on: suspended_on,
        until: None,
        fee_cents: None,
        receipt: String::new(),
        reason: "royalties unpaid".into(),
        ..renewal.clone()
    };
    let reinstatement = LicenceEvent {
        id: LicenceEventId::new(),
        kind: LicenceEventKind::Reinstated,
        on: reinstated_on,
        reason: String::new(),
        ..suspension.clone()
    };
    let supporter = Supporter {
        id: SupporterId::new(),
        licence_id: li.id,
        digger_id: None,
        full_name: "Alhaji Kamara".into(),
        national_id: "SL-88120".into(),
    };
    write(&mut lic, |w| {
        w.put_digger(&dg)?;
        w.put_licence(&li)?;
        w.add_licence_event(&suspension)?;
        w.add_licence_event(&reinstatement)?;
        w.add_licence_event(&renewal)?;
        w.put_supporter(&supporter)
    });
    let r = lic.sync();
    assert_eq!((r.pushed, r.rejected), (6, 0), "{r:?}");

    // The field officer's device pulls the history with the registries and judges the same.
    let mut field = server.device("SL-KONO", "field_a");
    field.sync();
    assert_eq!(field.store.pending_changes().unwrap(), 0);
    let here = field.store.licence_history(li.id).unwrap().unwrap();
    let there = lic.store.licence_history(li.id).unwrap().unwrap();
    assert_eq!(here, there);
    assert_eq!(here.events().len(), 4, "the issue and three events");
    assert_eq!(
        here.standing_on(suspended_on + Days::new(1)),
        LicenceStanding::Suspended
    );
    assert!(here.standing_on(reinstated_on).permits_work());
    assert_eq!(
        here.valid_until_on(renewal.on),
        Some(li.expires_on + Days::new(366))
    );
    let supporters = field.store.licence_supporters(li.id).unwrap();
    assert_eq!(supporters.len(), 1);
    assert_eq!(supporters[0].full_name, "Alhaji Kamara");
    // A repeated pull changes nothing.
    field.sync();
    assert_eq!(field.store.licence_events(li.id).unwrap().len(), 3);

    // A field officer may read licence events but not write them.
    let late = LicenceEvent {
        id: LicenceEventId::new(),
        on: reinstated_on + Days::new(3),
        ..suspension.clone()
    };
    write(&mut field, |w| w.add_licence_event(&late));
    let r = field.sync();
    assert_eq!(r.rejected, 1, "{r:?}");
}

#[test]
fn the_server_refuses_an_invalid_licence_event_with_the_device_s_reason() {
    let server = TestServer::start();
    server.seed();
    let mut lic = server.device("SL-KONO", "lic_a");
    let dg = digger("SL-KONO", "SL-301", "Musa Conteh");
    let li = licence("SL-KONO", "KONO/AM/301", &dg);
    write(&mut lic, |w| {
        w.put_digger(&dg)?;
        w.put_licence(&li)
    });
    assert_eq!(lic.sync().rejected, 0);

    let bad_events = [
        LicenceEvent {
            id: LicenceEventId::new(),
            licence_id: li.id,
            kind: LicenceEventKind::Renewed,
            on: li.expires_on,
            until: Some(li.expires_on - Days::new(1)),
            fee_cents: Some(Cents(5_000)),
            receipt: "R-1".into(),
            reason: String::new(),
        },
        LicenceEvent {
            id: LicenceEventId::new(),
            licence_id: li.id,
            kind: LicenceEventKind::Revoked,
            on: li.issued_on - Days::new(1),
            until: None,
            fee_cents: None,
            receipt: String::new(),
            reason: "fraud".into(),
        },
    ];
    let officer = lic.store.session().unwrap().unwrap().officer_id;
    let client = alluvium::sync::SyncClient::from_store(&lic.store).unwrap();
    let (_, key) = lic.store.device_signing_key().unwrap().unwrap();
    for (i, bad) in bad_events.into_iter().enumerate() {
        let device_says = lic
            .store
            .write(|w| w.add_licence_event(&bad))
            .unwrap_err()
            .to_string();
        let mut change = Change {
            change_id: uuid::Uuid::now_v7(),
            entity: RecordKind::LicenceEvent,
            record_id: bad.id.to_string(),
            region: Some("SL-KONO".into()),
            hlc: Hlc::new(chrono::Utc::now().timestamp_millis() as u64, 0),
            base_hlc: Hlc::default(),
            origin: lic.store.device_id().0,
            author: Some(officer.0),
            op: Op::Insert,
            payload: serde_json::to_value(&bad).unwrap(),
            form: alluvium::sync::canonical::Form::V2,
            chain_seq: None,
            prev: None,
            sig: None,
        };
        // Signed by this device far ahead of its chain, with a gap on each side (which the
        // server allows), so that the record rules are what refuses it.
        let seq = 1_000_000 + 10 * i as u64;
        let prev = canonical::GENESIS;
        let (sig, _) = canonical::Signed::of_change(&change, seq, &prev).sign(&key);
        change.chain_seq = Some(seq);
        change.prev = Some(canonical::encode_b64(&prev));
        change.sig = Some(canonical::encode_b64(&sig.to_bytes()));
        let resp = client
            .push(
                &lic.session_token(),
                &PushRequest {
                    changes: vec![change],
                },
            )
            .unwrap();
        match &resp.results[0].verdict {
            Verdict::Rejected { reason } => assert_eq!(reason, &device_says),
            Verdict::Accepted => panic!("the server accepted {bad:?}"),
        }
    }
    assert!(lic.store.licence_events(li.id).unwrap().is_empty());
}
