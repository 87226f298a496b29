//! The device store on real SQLite files: write and outbox commit together, WAL, integrity,
//! refusal of newer schemas, demo determinism and CSV round trips.

use alluvium::demo::{self, DemoOptions};
use alluvium::domain::{
    Centicarats, DiggerId, DiggerStatus, ProductionId, RecordKind, Sex, StoneClass, StoneId,
};
use alluvium::interchange::{ImportError, export_csv, import_csv};
use alluvium::store::{Store, StoreError};
use chrono::NaiveDate;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn opts(seed: u64) -> DemoOptions {
    DemoOptions {
        seed,
        regions: vec!["SL-KONO".into(), "GH-AKWATIA".into()],
        diggers: 120,
        days: 60,
        end: day(2026, 9, 30),
    }
}

fn demo_store(dir: &tempfile::TempDir, name: &str, seed: u64) -> Store {
    let mut store = Store::open(&dir.path().join(name)).unwrap();
    let o = opts(seed);
    demo::load(&mut store, &demo::generate(&o).unwrap(), o.end).unwrap();
    store
}

fn csv_of(store: &Store, e: RecordKind) -> Vec<u8> {
    let mut out = Vec::new();
    export_csv(store, e, &mut out).unwrap();
    out
}

fn digger(national_id: &str) -> alluvium::domain::Digger {
    alluvium::domain::Digger {
        id: DiggerId::new(),
        national_id: national_id.into(),
        full_name: "Sahr Komba".into(),
        sex: Sex::Male,
        birth_date: day(1988, 3, 4),
        village: "Tombodu".into(),
        chiefdom: "Kamara".into(),
        phone: String::new(),
        region: "SL-KONO".into(),
        status: DiggerStatus::Active,
    }
}

#[test]
fn a_write_and_its_outbox_row_commit_together() {
    let mut store = Store::open_in_memory().unwrap();
    let d = digger("SL-1");
    store
        .write(|w| {
            w.ensure_known_region("SL-KONO")?;
            w.put_digger(&d)
        })
        .unwrap();
    assert!(store.digger(d.id).unwrap().is_some());
    let changes = store.changes_of(&d.id.to_string()).unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].entity, RecordKind::Digger);
    assert!(changes[0].payload.contains("Sahr Komba"));
    assert_eq!(
        store.pending_changes().unwrap(),
        2,
        "the region and the digger"
    );
}

#[test]
fn a_failed_transaction_leaves_neither_record_nor_outbox_row() {
    let mut store = Store::open_in_memory().unwrap();
    store.write(|w| w.ensure_known_region("SL-KONO")).unwrap();
    let before = store.pending_changes().unwrap();
    let good = digger("SL-2");
    let clash = digger("SL-2"); // same national id, other record
    let err = store
        .write(|w| {
            w.put_digger(&good)?;
            w.put_digger(&clash)
        })
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ref m) if m.contains("already registered")),
        "{err}"
    );
    assert!(
        store.digger(good.id).unwrap().is_none(),
        "the first write was rolled back too"
    );
    assert_eq!(store.pending_changes().unwrap(), before);
    assert!(store.changes_of(&good.id.to_string()).unwrap().is_empty());
}

#[test]
fn invalid_records_are_refused_before_anything_is_written() {
    let mut store = Store::open_in_memory().unwrap();
    let mut d = digger("SL-3");
    d.birth_date = day(2015, 1, 1);
    store.write(|w| w.ensure_known_region("SL-KONO")).unwrap();
    let err = store.write(|w| w.put_digger(&d)).unwrap_err();
    match err {
        StoreError::Invalid(inv) => assert!(inv.for_field("birth_date").is_some()),
        other => panic!("expected a validation error, got {other}"),
    }
    assert!(store.digger(d.id).unwrap().is_none());
}

#[test]
fn file_database_is_wal_and_sound_after_a_demo_run() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(&dir, "a.db", 1);
    assert_eq!(store.journal_mode().unwrap(), "wal");
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let s = store.stats().unwrap();
    for (name, n) in [
        ("diggers", s.total.diggers),
        ("licences", s.total.licences),
        ("sites", s.total.sites),
        ("production", s.total.production),
        ("stones", s.total.stones),
    ] {
        assert!(n > 0, "{name} is empty");
    }
    assert_eq!(s.regions.len(), 2);
    assert_eq!(
        s.total.diggers,
        s.regions.values().map(|r| r.diggers).sum::<i64>()
    );
    assert_eq!(
        s.total.stones,
        s.regions.values().map(|r| r.stones).sum::<i64>()
    );
}

#[test]
fn same_seed_gives_byte_identical_exports_and_another_seed_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let a = demo_store(&dir, "a.db", 7);
    let b = demo_store(&dir, "b.db", 7);
    let c = demo_store(&dir, "c.db", 8);
    for e in RecordKind::ALL
        .into_iter()
        .filter(|k| k.csv_name().is_some())
    {
        assert_eq!(
            csv_of(&a, e),
            csv_of(&b, e),
            "{e} differs for the same seed"
        );
    }
    assert_ne!(csv_of(&a, RecordKind::Stone), csv_of(&c, RecordKind::Stone));
}

#[test]
fn demo_data_is_realistic() {
    let data = demo::generate(&opts(3)).unwrap();
    // Sites inside their licence polygon.
    use geo::Contains;
    for s in &data.sites {
        let l = data.licences.iter().find(|l| l.id == s.licence_id).unwrap();
        let area = l.area.as_ref().unwrap();
        assert!(
            area.0
                .contains(&geo::Point::new(s.position.lon, s.position.lat)),
            "{} outside {}",
            s.name,
            l.number
        );
        assert!(
            area.hectares() > 0.3 && area.hectares() < 1.5,
            "{} ha",
            area.hectares()
        );
    }
    // Zero-find days between 20% and 80% of washing days; Ghana's stones smaller than Kono's.
    let zero = data.production.iter().filter(|(_, s)| s.is_empty()).count() as f64;
    let share = zero / data.production.len() as f64;
    assert!((0.2..0.8).contains(&share), "zero-find share {share}");
    let median = |region: &str| {
        let sites: Vec<_> = data
            .sites
            .iter()
            .filter(|s| {
                data.licences
                    .iter()
                    .any(|l| l.id == s.licence_id && l.region == region)
            })
            .map(|s| s.id)
            .collect();
        let mut w: Vec<i64> = data
            .production
            .iter()
            .filter(|(p, _)| sites.contains(&p.site_id))
            // Every stone, a lot's at its mean weight.
            .flat_map(|(_, st)| st.iter())
            .flat_map(|s| alluvium::domain::spread_lot(s.weight, s.count))
            .flat_map(|(w, n)| std::iter::repeat_n(w.0, n as usize))
            .collect();
        w.sort();
        w[w.len() / 2]
    };
    let (kono, akwatia) = (median("SL-KONO"), median("GH-AKWATIA"));
    assert!((10..=22).contains(&kono), "Kono median {kono} ct/100");
    assert!(
        (2..=5).contains(&akwatia),
        "Akwatia median {akwatia} ct/100"
    );
}

#[test]
fn every_entity_round_trips_through_csv_into_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    let a = demo_store(&dir, "a.db", 2);
    let mut b = Store::open(&dir.path().join("b.db")).unwrap();
    for e in [
        RecordKind::Digger,
        RecordKind::Licence,
        RecordKind::Site,
        RecordKind::Production,
        RecordKind::Stone,
    ] {
        let path = dir.path().join(format!("{e}.csv"));
        std::fs::write(&path, csv_of(&a, e)).unwrap();
        import_csv(&mut b, e, &path).unwrap_or_else(|err| panic!("{e}: {err}"));
        assert_eq!(
            csv_of(&a, e),
            csv_of(&b, e),
            "{e} changed in the round trip"
        );
    }
    let (sa, sb) = (a.stats().unwrap().total, b.stats().unwrap().total);
    assert_eq!(
        (sa.diggers, sa.licences, sa.sites, sa.production, sa.stones),
        (sb.diggers, sb.licences, sb.sites, sb.production, sb.stones)
    );
    // Importing the same production file again changes nothing.
    let path = dir.path().join("production.csv");
    let again = import_csv(&mut b, RecordKind::Production, &path).unwrap();
    assert_eq!(again.written, 0);
    assert_eq!(again.unchanged as i64, sa.production);
}

fn import_err(store: &mut Store, e: RecordKind, text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.csv");
    std::fs::write(&path, text).unwrap();
    match import_csv(store, e, &path) {
        Err(ImportError::Rows(rows)) => rows,
        other => panic!("expected row errors, got {other:?}"),
    }
}

#[test]
fn one_bad_row_writes_nothing_and_every_bad_row_is_named() {
    let mut store = Store::open_in_memory().unwrap();
    let head = "id,national_id,full_name,sex,birth_date,village,chiefdom,phone,region,status\n";
    let good = ",SL-10,Aiah Sesay,male,1990-01-01,Motema,Gbense,,SL-KONO,active\n";
    let text = format!(
        "{head}{good},SL-11,Isatu Kamara,female,2026-02-30,Motema,Gbense,,SL-KONO,active\n\
         ,SL-12,Brima Turay,male,1991-01-01,Motema,Gbense,,SL-KONO\n\
         ,SL-13,Musa Conteh,male,1992-01-01,Motema,Gbense,,XX-NOWHERE,active\n"
    );
    let rows = import_err(&mut store, RecordKind::Digger, &text);
    assert_eq!(rows.len(), 3, "{rows:#?}");
    assert!(
        rows[0]
            .ends_with("in.csv:3: birth_date \"2026-02-30\" is not a calendar date (YYYY-MM-DD)"),
        "{}",
        rows[0]
    );
    assert!(rows[1].contains("in.csv:4: has 9 fields"), "{}", rows[1]);
    assert!(
        rows[2].contains("in.csv:5: region \"XX-NOWHERE\" is not known"),
        "{}",
        rows[2]
    );
    assert_eq!(
        store.stats().unwrap().total.diggers,
        0,
        "the good row was not written either"
    );
    assert_eq!(store.pending_changes().unwrap(), 0);
}

#[test]
fn bad_references_weights_and_polygons_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(&dir, "a.db", 4);
    let before = store.stats().unwrap().total;
    let prod = store.production_entries().unwrap().remove(0);
    let rows = import_err(
        &mut store,
        RecordKind::Stone,
        &format!(
            "id,production_id,carats,class,colour\n,{p},0.00,gem,white\n,{p},-1,gem,white\n,{unknown},0.5,gem,white\n,{p},0.25,diamond,white\n",
            p = prod.id,
            unknown = ProductionId::new()
        ),
    );
    assert_eq!(rows.len(), 4, "{rows:#?}");
    assert!(
        rows[0].contains(":2: carats 0.00 ct: a stone must weigh more than 0"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains(":3: carats \"-1\" is not a weight"),
        "{}",
        rows[1]
    );
    assert!(
        rows[2].contains(":4: production_id") && rows[2].contains("not a known production entry"),
        "{}",
        rows[2]
    );
    assert!(
        rows[3].contains(":5: class \"diamond\" is not one of gem, near_gem, industrial"),
        "{}",
        rows[3]
    );

    let holder = store.diggers().unwrap().remove(0).id;
    let rows = import_err(
        &mut store,
        RecordKind::Licence,
        &format!(
            "id,number,kind,holder_digger_id,region,issued_on,expires_on,status,area_wkt\n\
         ,X/1,artisanal_mining,{holder},SL-KONO,2026-01-01,2026-12-31,active,\"POLYGON((-10.9 8.6, -10.899 8.6, -10.899 8.601))\"\n\
         ,X/2,artisanal_mining,{holder},SL-KONO,2026-01-01,2025-12-31,active,\"POLYGON((-10.9 8.6, -10.899 8.6, -10.899 8.601, -10.9 8.6))\"\n"
        ),
    );
    assert!(
        rows[0].contains(":2: area_wkt") && rows[0].contains("not closed"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains(":3: expires_on 2025-12-31 is before the issue date"),
        "{}",
        rows[1]
    );

    let site = store.sites().unwrap().remove(0).id;
    let rows = import_err(
        &mut store,
        RecordKind::Production,
        &format!(
            "id,site_id,day,officer,lat,lon,accuracy_m,crew_size,digger_ids,gravel_m3,notes\n\
         ,{unknown},2026-09-01,fo.kono,8.6,-10.9,5,12,,10,\n\
         ,{site},2026-13-01,fo.kono,8.6,-10.9,5,12,,10,\n",
            unknown = alluvium::domain::SiteId::new()
        ),
    );
    assert!(
        rows[0].contains(":2: site_id") && rows[0].contains("not a known site"),
        "{}",
        rows[0]
    );
    assert!(rows[1].contains(":3: day \"2026-13-01\""), "{}", rows[1]);
    assert_eq!(store.stats().unwrap().total, before, "nothing was written");
}

#[test]
fn a_database_from_a_newer_version_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    drop(Store::open(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path)
        .err()
        .expect("a newer schema must be refused");
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("newer Alluvium"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_file_that_is_not_a_database_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "field notes, not a database ".repeat(100)).unwrap();
    let err = Store::open(&path).err().expect("refused");
    assert!(
        err.to_string().contains("not an Alluvium database"),
        "{err}"
    );
}

#[test]
fn corrections_are_new_versions_and_history_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(&dir, "a.db", 5);
    let old = store.production_entries().unwrap().remove(0);
    let mut fixed = old.clone();
    fixed.id = ProductionId::new();
    fixed.replaces = Some(old.id);
    fixed.notes = "corrected gravel count".into();
    let stone = alluvium::domain::Stone {
        id: StoneId::new(),
        production_id: fixed.id,
        weight: Centicarats(125),
        class: StoneClass::Gem,
        colour: "white".into(),
        count: 1,
        sieve: None,
    };
    let before = store.stats().unwrap().total.production;
    store
        .write(|w| {
            w.set_today(day(2026, 9, 30));
            w.add_production(&fixed)?;
            w.add_stone(&stone)
        })
        .unwrap();
    assert_eq!(
        store.stats().unwrap().total.production,
        before,
        "a correction does not add an entry"
    );
    let history = store.production_history(old.id).unwrap();
    assert_eq!(
        history.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![old.id, fixed.id]
    );
    assert_eq!(
        store
            .production_at(old.site_id, old.day)
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect::<Vec<_>>(),
        vec![fixed.id]
    );
    // Correcting the old version again would fork the history: refused.
    let mut fork = fixed.clone();
    fork.id = ProductionId::new();
    fork.replaces = Some(old.id);
    let err = store
        .write(|w| {
            w.set_today(day(2026, 9, 30));
            w.add_production(&fork)
        })
        .unwrap_err();
    assert!(err.to_string().contains("already corrected"), "{err}");
}

#[test]
fn digger_search_finds_by_name_prefix_national_id_and_licence_number() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(&dir, "a.db", 6);
    let d = store.diggers().unwrap().remove(3);
    let surname = d.full_name.split(' ').next_back().unwrap();
    let hits = store
        .search_diggers(&surname[..3].to_lowercase(), 0, 500)
        .unwrap();
    assert!(hits.iter().any(|h| h.digger.id == d.id));
    assert!(hits.iter().all(|h| {
        h.digger
            .full_name
            .to_lowercase()
            .contains(&surname[..3].to_lowercase())
            || h.digger
                .village
                .to_lowercase()
                .starts_with(&surname[..3].to_lowercase())
    }));
    let hits = store.search_diggers(&d.national_id, 0, 10).unwrap();
    assert_eq!(hits[0].digger.id, d.id);
    let l = store.licences().unwrap().remove(0);
    let hits = store.search_diggers(&l.number, 0, 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(Some(hits[0].digger.id), l.holder_digger_id);
    assert_eq!(hits[0].licence.as_ref().map(|x| x.id), Some(l.id));
    assert_eq!(
        store.count_diggers_matching("").unwrap(),
        store.diggers().unwrap().len()
    );
    assert!(
        store.search_diggers("kam\" OR (*", 0, 10).is_ok(),
        "FTS syntax in the query is harmless"
    );
}

#[test]
fn the_pending_count_follows_the_outbox_through_sends() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(&dir, "a.db", 9);
    let count = |s: &Store| -> i64 { s.unsent_changes(usize::MAX).unwrap().len() as i64 };
    assert_eq!(store.pending_changes().unwrap(), count(&store));
    let first: Vec<String> = store
        .unsent_changes(10)
        .unwrap()
        .into_iter()
        .map(|c| c.change_id)
        .collect();
    store.mark_sent(&first).unwrap();
    store.mark_sent(&first).unwrap(); // a repeated acknowledgement changes nothing
    assert_eq!(store.pending_changes().unwrap(), count(&store));
    assert_eq!(store.stats().unwrap().total.pending_changes, count(&store));
}

#[test]
fn a_one_letter_search_lists_names_starting_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(&dir, "a.db", 10);
    let hits = store.search_diggers("k", 0, 1000).unwrap();
    assert!(!hits.is_empty());
    assert!(
        hits.iter()
            .all(|h| h.digger.full_name.to_lowercase().starts_with('k'))
    );
    let names: Vec<_> = hits
        .iter()
        .map(|h| h.digger.full_name.to_lowercase())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "in name order");
    assert_eq!(store.count_diggers_matching("K").unwrap(), hits.len());
}
