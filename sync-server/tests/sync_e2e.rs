//! End to end: the real server binary on 127.0.0.1, devices driven through the `alluvium`
//! library over real HTTP.

mod common;

use alluvium::domain::{Review, ReviewDecision, ReviewId};
use alluvium::sync::wire::{Change, Op, PushRequest, Verdict};
use common::*;

fn write<T>(
    d: &mut Device,
    f: impl FnOnce(&mut alluvium::store::Writer<'_>) -> Result<T, alluvium::store::StoreError>,
) -> T {
    d.store.write(f).unwrap()
}

#[test]
fn licensing_to_field_to_coordinator_with_region_isolation() {
    let server = TestServer::start();
    server.seed();

    let mut lic = server.device("SL-KONO", "lic_a");
    let dg = digger("SL-KONO", "SL-100", "Aminata Sesay");
    let li = licence("SL-KONO", "KONO/AM/1", &dg);
    let si = site(&li, "Pit 1");
    write(&mut lic, |w| {
        w.put_digger(&dg)?;
        w.put_licence(&li)?;
        w.put_site(&si)
    });
    let r = lic.sync();
    assert_eq!((r.pushed, r.rejected), (3, 0), "{r:?}");

    // The field officer's device receives the registries and can check the licence offline.
    // (the helper's first sync after login pulls them)
    let mut field = server.device("SL-KONO", "field_a");
    assert_eq!(
        field.store.digger(dg.id).unwrap().unwrap().full_name,
        "Aminata Sesay"
    );
    assert_eq!(
        field.store.current_licence_of(dg.id).unwrap().unwrap().id,
        li.id
    );
    // Pulled records are not local changes: nothing to push back.
    assert_eq!(field.store.pending_changes().unwrap(), 0);

    let p = production(&si, "field_a", &[&dg]);
    let (s1, s2) = (stone(&p, 125), stone(&p, 40));
    write(&mut field, |w| {
        w.add_production(&p)?;
        w.add_stone(&s1)?;
        w.add_stone(&s2)
    });
    // Written while field_a is logged in: authored by field_a.
    let field_officer = field
        .store
        .session()
        .unwrap()
        .unwrap()
        .officer_id
        .to_string();
    assert!(
        field.store.changes_of(&p.id.to_string()).unwrap()[0]
            .author
            .as_deref()
            == Some(field_officer.as_str())
    );
    let r = field.sync();
    assert_eq!((r.pushed, r.rejected), (3, 0), "{r:?}");
    assert_eq!(field.sync().pushed, 0, "a second sync pushes nothing");

    let mut coord = server.device("SL-KONO", "coord_a");
    coord.sync();
    assert_eq!(coord.store.production(p.id).unwrap().unwrap().crew_size, 12);
    assert_eq!(coord.store.stones_of(p.id).unwrap().len(), 2);
    let coord_id = coord.store.session().unwrap().unwrap().officer_id;
    let review = Review {
        id: ReviewId::new(),
        target_entity: alluvium::domain::RecordKind::Production,
        target_id: p.id.0,
        decision: ReviewDecision::Approved,
        comment: "ok".into(),
        reviewer: coord_id,
        at: chrono::Utc::now(),
    };
    write(&mut coord, |w| w.add_review(&review));
    let r = coord.sync();
    assert_eq!((r.pushed, r.rejected), (1, 0), "{r:?}");

    // Another region's coordinator sees nothing of SL-KONO.
    let mut other = server.device("GH-AKWATIA", "coord_b");
    other.sync();
    let s = other.store.stats().unwrap();
    assert_eq!(
        (
            s.total.diggers,
            s.total.licences,
            s.total.sites,
            s.total.production,
            s.total.stones
        ),
        (0, 0, 0, 0, 0)
    );
    assert!(other.store.digger(dg.id).unwrap().is_none());

    let st = server.stats();
    assert_eq!(st["production"], 1);
    assert_eq!(st["stones"], 2);
    assert_eq!(st["reviews"], 1);
    assert_eq!(st["regions"]["SL-KONO"]["diggers"], 1);
    assert_eq!(st["regions"]["GH-AKWATIA"]["diggers"], 0);
}

fn wire_batch(d: &Device) -> PushRequest {
    let officer = d.store.session().unwrap().unwrap().officer_id;
    let changes = d
        .store
        .unsent_changes(10_000)
        .unwrap()
        .into_iter()
        .map(|row| {
            let chain = row.chain.as_ref().map(|c| c.to_wire());
            Change {
                change_id: row.change_id.parse().unwrap(),
                entity: row.entity,
                record_id: row.record_id,
                region: row.region,
                hlc: row.hlc,
                base_hlc: row.base_hlc,
                origin: d.store.device_id().0,
                author: Some(officer.0),
                op: if row.op == "insert" {
                    Op::Insert
                } else {
                    Op::Upsert
                },
                payload: serde_json::from_str(&row.payload).unwrap(),
                form: row.chain.as_ref().map(|c| c.form).unwrap_or_default(),
                chain_seq: chain.as_ref().map(|c| c.0),
                prev: chain.as_ref().map(|c| c.1.clone()),
                sig: chain.map(|c| c.2),
            }
        })
        .collect();
    PushRequest { changes }
}

#[test]
fn replays_and_cut_connections_neither_lose_nor_double() {
    let server = TestServer::start();
    server.seed();
    let mut lic = server.device("SL-KONO", "lic_a");
    let dg = digger("SL-KONO", "SL-7", "Mohamed Koroma");
    let li = licence("SL-KONO", "KONO/AM/7", &dg);
    let si = site(&li, "Pit 7");
    write(&mut lic, |w| {
        w.put_digger(&dg)?;
        w.put_licence(&li)?;
        w.put_site(&si)
    });
    lic.sync();

    // The same batch three times: all accepted each time, stored once.
    let mut field = server.device("SL-KONO", "field_a");
    field.sync();
    let p = production(&si, "field_a", &[&dg]);
    write(&mut field, |w| {
        w.add_production(&p)?;
        (0..20).try_for_each(|i| w.add_stone(&stone(&p, 10 + i)))
    });
    let batch = wire_batch(&field);
    let client = alluvium::sync::SyncClient::from_store(&field.store).unwrap();
    for _ in 0..3 {
        let resp = client.push(&field.session_token(), &batch).unwrap();
        assert_eq!(resp.results.len(), 21);
        assert!(
            resp.results.iter().all(|r| r.verdict == Verdict::Accepted),
            "{resp:?}"
        );
    }
    assert_eq!(server.stats()["stones"], 20);
    // The device never saw those answers: its sync resends and the server answers the same.
    let r = field.sync();
    assert_eq!((r.pushed, r.rejected), (21, 0));
    assert_eq!(server.stats()["stones"], 20);
    assert_eq!(field.sync().pushed, 0);

    // Through a proxy that cuts the connection in the middle of the push answer.
    let proxy = Proxy::start(&server.url);
    let mut cut = server.device_at(&proxy.url(), "SL-KONO", "field_a", None);
    cut.sync();
    let p2 = production(&si, "field_a", &[]);
    write(&mut cut, |w| {
        w.add_production(&p2)?;
        (0..30).try_for_each(|i| w.add_stone(&stone(&p2, 50 + i)))
    });
    proxy
        .cut_response_after
        .store(20, std::sync::atomic::Ordering::SeqCst);
    let r = cut.try_sync().unwrap();
    assert_eq!(
        proxy.cuts.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the proxy cut one answer"
    );
    assert_eq!((r.pushed, r.rejected), (31, 0), "{r:?}");
    assert_eq!(server.stats()["stones"], 50);
    assert_eq!(server.stats()["production"], 2);
    assert_eq!(cut.try_sync().unwrap().pushed, 0);
    assert_eq!(cut.store.pending_changes().unwrap(), 0);
}

#[test]
fn concurrent_digger_edits_merge_by_clock_and_keep_the_loser() {
    let server = TestServer::start();
    server.seed();
    let mut a = server.device("SL-KONO", "lic_a");
    let mut dg = digger("SL-KONO", "SL-9", "Original Name");
    write(&mut a, |w| w.put_digger(&dg));
    a.sync();
    let mut b = server.device("SL-KONO", "lic_a");
    b.sync();
    assert!(b.store.digger(dg.id).unwrap().is_some());

    // Both edit offline; b edits last, so b's clock is higher.
    dg.full_name = "Edited On A".into();
    write(&mut a, |w| w.put_digger(&dg));
    std::thread::sleep(std::time::Duration::from_millis(5));
    dg.full_name = "Edited On B".into();
    write(&mut b, |w| w.put_digger(&dg));
    a.sync();
    b.sync();
    a.sync();
    for d in [&a, &b] {
        assert_eq!(
            d.store.digger(dg.id).unwrap().unwrap().full_name,
            "Edited On B"
        );
    }
    // Each device kept the version it lost or refused.
    assert!(
        a.store
            .conflicts()
            .unwrap()
            .iter()
            .any(|c| c.loser_payload.contains("Edited On A"))
    );
    assert!(
        b.store
            .conflicts()
            .unwrap()
            .iter()
            .any(|c| c.loser_payload.contains("Edited On A"))
    );

    let mut coord = server.device("SL-KONO", "coord_a");
    coord.sync();
    assert_eq!(
        coord.store.digger(dg.id).unwrap().unwrap().full_name,
        "Edited On B"
    );
    let conflicts = coord.store.conflicts().unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert!(conflicts[0].loser_payload.contains("Edited On A"));
    assert_eq!(coord.store.sync_status().unwrap().conflicts, 1);
}

/// Issues 6 and 8 through the real server: a field officer's sale slip reaches the coordinator,
/// and the coordinator's query comes back to the field officer's device.
#[test]
fn a_sale_reaches_the_coordinator_and_a_query_reaches_the_field_officer() {
    use alluvium::domain::{Centicarats, Cents, LicenceId, LicenceKind, Sale, SaleId, SaleKind};
    let server = TestServer::start();
    server.seed();

    let mut lic = server.device("SL-KONO", "lic_a");
    let dg = digger("SL-KONO", "SL-200", "Sahr Komba");
    let li = licence("SL-KONO", "KONO/AM/2", &dg);
    let si = site(&li, "Pit 2");
    let dealer = alluvium::domain::Licence {
        id: LicenceId::new(),
        number: "KONO/DL/1".into(),
        kind: LicenceKind::Dealer,
        holder_digger_id: None,
        holder_name: "Koidu Diamond House".into(),
        area: None,
        ..li.clone()
    };
    write(&mut lic, |w| {
        w.put_digger(&dg)?;
        w.put_licence(&li)?;
        w.put_licence(&dealer)?;
        w.put_site(&si)
    });
    assert_eq!(lic.sync().rejected, 0);

    let mut field = server.device("SL-KONO", "field_a");
    let p = production(&si, "field_a", &[&dg]);
    let st = stone(&p, 150);
    let sale = Sale {
        seals: vec![],
        id: SaleId::new(),
        slip_number: "BA-0001".into(),
        day: p.day,
        seller_licence_id: li.id,
        buyer_licence_id: Some(dealer.id),
        weight: Centicarats(150),
        stone_count: 1,
        price: Cents(43_500),
        production_ids: vec![p.id],
        source_sale_ids: vec![],
        kind: SaleKind::FirstSale,
        certificate_number: String::new(),
        destination_country: String::new(),
        hs_code: String::new(),
        importer: String::new(),
        origin_country: String::new(),
    };
    write(&mut field, |w| {
        w.add_production(&p)?;
        w.add_stone(&st)?;
        w.add_sale(&sale)
    });
    let r = field.sync();
    assert_eq!((r.pushed, r.rejected), (3, 0), "{r:?}");

    // The coordinator sees the slip, with what it draws on.
    let mut coord = server.device("SL-KONO", "coord_a");
    coord.sync();
    let got = coord
        .store
        .sale(sale.id)
        .unwrap()
        .expect("the slip reached the coordinator");
    assert_eq!(
        (got.weight, got.production_ids.clone()),
        (Centicarats(150), vec![p.id])
    );

    // The coordinator queries the entry; the field officer's device gets the query.
    let review = Review {
        id: ReviewId::new(),
        target_entity: alluvium::domain::RecordKind::Production,
        target_id: p.id.0,
        decision: ReviewDecision::Queried,
        comment: "Weigh the stone again".into(),
        reviewer: coord.store.session().unwrap().unwrap().officer_id,
        at: chrono::Utc::now(),
    };
    write(&mut coord, |w| w.add_review(&review));
    assert_eq!(coord.sync().rejected, 0);
    field.sync();
    let queries = field.store.reviews_of(p.id.0).unwrap();
    assert_eq!(queries.len(), 1);
    assert_eq!(queries[0].decision, ReviewDecision::Queried);
    assert_eq!(
        field.store.open_queries().unwrap().len(),
        1,
        "shown as a task on the device"
    );
    assert_eq!(server.stats()["sales"], 1);
}
