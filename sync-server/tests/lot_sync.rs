//! Lots of small stones through the real server: a lot recorded on a field officer's device is
//! accepted and reaches a coordinator's device as the same lot; a bad lot sent straight to the
//! server is refused with the device's own words; a stone from a device that knows no lots (no
//! `count` in its payload) reads as one stone.

mod common;

use alluvium::domain::{
    Centicarats, Hlc, RecordKind, SieveClass, Stone, StoneClass, StoneId, rules::Record,
};
use alluvium::sync::canonical;
use alluvium::sync::wire::{Change, Op, PushRequest, Verdict};
use common::*;

fn write<T>(
    d: &mut Device,
    f: impl FnOnce(&mut alluvium::store::Writer<'_>) -> Result<T, alluvium::store::StoreError>,
) -> T {
    d.store.write(f).unwrap()
}

fn lot(p: &alluvium::domain::ProductionEntry, count: u32, cc: i64, sieve: SieveClass) -> Stone {
    Stone {
        id: StoneId::new(),
        production_id: p.id,
        weight: Centicarats(cc),
        class: StoneClass::Industrial,
        colour: "mixed".into(),
        count,
        sieve: Some(sieve),
    }
}

#[test]
fn a_lot_goes_through_the_server_and_a_bad_one_is_refused_with_the_device_s_reason() {
    let server = TestServer::start();
    server.seed();
    let mut lic = server.device("SL-KONO", "lic_a");
    let dg = digger("SL-KONO", "SL-400", "Fatmata Koroma");
    let li = licence("SL-KONO", "KONO/AM/400", &dg);
    let si = site(&li, "Pit 400");
    write(&mut lic, |w| {
        w.put_digger(&dg)?;
        w.put_licence(&li)?;
        w.put_site(&si)
    });
    assert_eq!(lic.sync().rejected, 0);

    let mut field = server.device("SL-KONO", "field_a");
    let p = production(&si, "field_a", &[&dg]);
    // 120 stones of the 0.05-0.1 sieve weighing 8.40 ct together, and one stone of 1.25 ct.
    let good = lot(&p, 120, 840, SieveClass::From005);
    let single = stone(&p, 125);
    write(&mut field, |w| {
        w.add_production(&p)?;
        w.add_stone(&good)?;
        w.add_stone(&single)
    });
    let r = field.sync();
    assert_eq!((r.pushed, r.rejected), (3, 0), "{r:?}");

    // The coordinator's device pulls the same lot, and counts its stones.
    let coord = server.device("SL-KONO", "coord_a");
    let pulled = coord
        .store
        .stone(good.id)
        .unwrap()
        .expect("the lot is pulled");
    assert_eq!(pulled, good);
    let tallies = coord
        .store
        .stone_tallies(&alluvium::store::FactFilter::default())
        .unwrap();
    let stones: u64 = tallies.iter().map(|t| t.stones).sum();
    let cc: i64 = tallies.iter().map(|t| t.weight.0 * t.stones as i64).sum();
    assert_eq!((stones, cc), (121, 965));

    // Bad lots sent straight to the server are refused with the reason the device gives.
    let bad_lots = [
        // 12.00 ct for 120 stones is 0.10 ct a stone: above the 0.05-0.1 sieve.
        lot(&p, 120, 1200, SieveClass::From005),
        // A lot without its sieve class.
        Stone {
            sieve: None,
            ..lot(&p, 30, 60, SieveClass::Below005)
        },
        // More stones than a lot may hold.
        lot(&p, 100_001, 100_001, SieveClass::Below005),
    ];
    let officer = field.store.session().unwrap().unwrap().officer_id;
    let client = alluvium::sync::SyncClient::from_store(&field.store).unwrap();
    let (_, key) = field.store.device_signing_key().unwrap().unwrap();
    for (i, bad) in bad_lots.into_iter().enumerate() {
        let device_says = field
            .store
            .write(|w| w.add_stone(&bad))
            .unwrap_err()
            .to_string();
        let mut change = Change {
            change_id: uuid::Uuid::now_v7(),
            entity: RecordKind::Stone,
            record_id: bad.id.to_string(),
            region: Some("SL-KONO".into()),
            hlc: Hlc::new(chrono::Utc::now().timestamp_millis() as u64, 0),
            base_hlc: Hlc::default(),
            origin: field.store.device_id().0,
            author: Some(officer.0),
            op: Op::Insert,
            payload: serde_json::to_value(&bad).unwrap(),
            form: alluvium::sync::canonical::Form::V2,
            chain_seq: None,
            prev: None,
            sig: None,
        };
        // Signed far ahead of the device's chain, with a gap on each side (which the server
        // allows), so that the record rules are what refuses it.
        let seq = 1_000_000 + 10 * i as u64;
        let prev = canonical::GENESIS;
        let (sig, _) = canonical::Signed::of_change(&change, seq, &prev).sign(&key);
        change.chain_seq = Some(seq);
        change.prev = Some(canonical::encode_b64(&prev));
        change.sig = Some(canonical::encode_b64(&sig.to_bytes()));
        let resp = client
            .push(
                &field.session_token(),
                &PushRequest {
                    changes: vec![change],
                },
            )
            .unwrap();
        match &resp.results[0].verdict {
            Verdict::Rejected { reason } => {
                assert_eq!(reason, &device_says);
                assert!(
                    reason.contains("sieve") || reason.contains("lot"),
                    "the reason says why: {reason}"
                );
            }
            Verdict::Accepted => panic!("the server accepted {bad:?}"),
        }
        assert!(field.store.stone(bad.id).unwrap().is_none());
    }
}

#[test]
fn a_stone_from_a_device_that_knows_no_lots_reads_as_one_stone() {
    let p = ProductionEntryIds::new();
    // The payload an older device sends: no `count`, no `sieve`.
    let old = serde_json::json!({
        "id": p.stone.to_string(),
        "production_id": p.entry.to_string(),
        "weight": 35,
        "class": "gem",
        "colour": "white",
    });
    let Record::Stone(s) = Record::from_json(RecordKind::Stone, &old).unwrap() else {
        panic!("a stone payload reads as a stone");
    };
    assert_eq!((s.count, s.sieve, s.weight), (1, None, Centicarats(35)));
    // And a single stone is written as it always was, so older devices read it too.
    assert_eq!(serde_json::to_value(&s).unwrap(), old);
}

/// Ids for a stone payload.
struct ProductionEntryIds {
    entry: alluvium::domain::ProductionId,
    stone: StoneId,
}

impl ProductionEntryIds {
    fn new() -> Self {
        ProductionEntryIds {
            entry: alluvium::domain::ProductionId::new(),
            stone: StoneId::new(),
        }
    }
}
