//! Lots of small stones against known truth, through the command line on a real database file:
//! a day of single stones and lots counts every stone and centicarat in KP statistics; the
//! footprint counts a lot's stones in its sieve class; a correction and a rejection take a
//! lot out whole; stones CSV carries `count` and `sieve` both ways and a file without them
//! still imports; a bad lot is refused with its file and line; a parcel is never part of its own
//! reference in `footprint compare`.

use alluvium::domain::{
    Area, Centicarats, Digger, DiggerId, DiggerStatus, LatLon, Licence, LicenceId, LicenceKind,
    LicenceStatus, Litres, Position, ProductionEntry, ProductionId, Region, Sex, SieveClass, Site,
    SiteId, SiteKind, SiteStatus, Stone, StoneClass, StoneId,
};
use alluvium::store::Store;
use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use test_kit::cli::{alluvium, fails, ok};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Region `code` of country `country` with a mining licence and `sites` sites under it.
fn region(store: &mut Store, code: &str, country: &str, sites: usize) -> Vec<Site> {
    let holder = Digger {
        id: DiggerId::new(),
        national_id: format!("{code}-1"),
        full_name: "Holder".into(),
        sex: Sex::Female,
        birth_date: d(1980, 1, 1),
        village: String::new(),
        chiefdom: String::new(),
        phone: String::new(),
        region: code.into(),
        status: DiggerStatus::Active,
    };
    let corner = |lat, lon| LatLon { lat, lon };
    let licence = Licence {
        id: LicenceId::new(),
        number: format!("{code}/1"),
        kind: LicenceKind::ArtisanalMining,
        holder_digger_id: Some(holder.id),
        holder_name: "Holder".into(),
        region: code.into(),
        issued_on: d(2025, 1, 1),
        expires_on: d(2028, 1, 1),
        status: LicenceStatus::Active,
        area: Some(
            Area::from_corners(&[
                corner(7.999, -11.001),
                corner(7.999, -10.999),
                corner(8.001, -10.999),
                corner(8.001, -11.001),
            ])
            .unwrap(),
        ),
        fee_receipt: String::new(),
    };
    let sites: Vec<Site> = (0..sites)
        .map(|i| Site {
            id: SiteId::new(),
            licence_id: licence.id,
            name: format!("{code} pit {i}"),
            kind: SiteKind::Pit,
            status: SiteStatus::Active,
            position: Position {
                lat: 8.0,
                lon: -11.0,
                accuracy_m: 3.0,
            },
            opened_on: d(2025, 1, 1),
        })
        .collect();
    store
        .write(|w| {
            w.put_region(&Region {
                code: code.into(),
                name: code.into(),
                country: country.into(),
                utc_offset_minutes: 0,
                centre: (8.0, -11.0),
            })?;
            w.put_digger(&holder)?;
            w.put_licence(&licence)?;
            sites.iter().try_for_each(|s| w.put_site(s))
        })
        .unwrap();
    sites
}

fn entry(site: &Site, day: NaiveDate, crew: u32) -> ProductionEntry {
    ProductionEntry {
        seal: String::new(),
        id: ProductionId::new(),
        site_id: site.id,
        day,
        officer: "fo".into(),
        fix: None,
        crew_size: crew,
        digger_ids: vec![],
        gravel: Litres(3000),
        notes: String::new(),
        replaces: None,
    }
}

fn single(e: &ProductionEntry, cc: i64) -> Stone {
    Stone {
        id: StoneId::new(),
        production_id: e.id,
        weight: Centicarats(cc),
        class: StoneClass::Gem,
        colour: "white".into(),
        count: 1,
        sieve: None,
    }
}

fn lot(e: &ProductionEntry, count: u32, cc: i64, sieve: SieveClass) -> Stone {
    Stone {
        id: StoneId::new(),
        production_id: e.id,
        weight: Centicarats(cc),
        class: StoneClass::Industrial,
        colour: "mixed".into(),
        count,
        sieve: Some(sieve),
    }
}

fn record(store: &mut Store, e: &ProductionEntry, stones: &[Stone]) {
    store
        .write(|w| {
            w.set_today(d(2026, 12, 31));
            w.add_production(e)?;
            stones.iter().try_for_each(|s| w.add_stone(s))
        })
        .unwrap();
}

fn json(db: &Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(db, args)).unwrap()
}

/// (stones, centicarats, large stones) of a region in `report kp --period 2026`.
fn kp_of(db: &Path, code: &str) -> (u64, i64, u64) {
    let kp = json(
        db,
        &["report", "kp", "--period", "2026", "--format", "json"],
    );
    let r = kp["countries"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["regions"].as_array().unwrap())
        .find(|r| r["region"] == code)
        .unwrap_or_else(|| panic!("no row for {code}: {kp}"))
        .clone();
    (
        r["stones"].as_u64().unwrap(),
        r["centicarats"].as_i64().unwrap(),
        r["large_stones"].as_u64().unwrap(),
    )
}

/// The footprint's (class label → (stones, centicarats)) of a region.
fn footprint_of(db: &Path, code: &str) -> Vec<(String, u64, i64)> {
    let f = json(
        db,
        &["report", "footprint", "--region", code, "--format", "json"],
    );
    f["footprint"]["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["class"].as_str().unwrap().to_string(),
                c["stones"].as_u64().unwrap(),
                c["centicarats"].as_i64().unwrap(),
            )
        })
        .filter(|c| c.1 > 0)
        .collect()
}

#[test]
fn a_day_of_stones_and_lots_counts_every_stone_and_centicarat() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lots.db");
    let mut store = Store::open(&db).unwrap();
    let sites = region(&mut store, "XA-ONE", "XA", 1);
    let day = entry(&sites[0], d(2026, 3, 2), 6);
    // Truth: three single stones (1.25, 0.40 and a large 12.00 ct), 250 stones under 0.05 ct
    // weighing 5.00 ct, and 40 stones of the 0.05-0.1 sieve weighing 2.87 ct (mean 0.07175:
    // counted as 33 stones of 0.07 and 7 of 0.08).
    let small = lot(&day, 250, 500, SieveClass::Below005);
    let fine = lot(&day, 40, 287, SieveClass::From005);
    let stones = vec![
        single(&day, 125),
        single(&day, 40),
        single(&day, 1200),
        small.clone(),
        fine.clone(),
    ];
    record(&mut store, &day, &stones);
    drop(store);

    assert_eq!(kp_of(&db, "XA-ONE"), (293, 2152, 1));
    let fp = footprint_of(&db, "XA-ONE");
    assert_eq!(
        fp,
        vec![
            ("<0.05".to_string(), 250, 500),
            ("0.05-0.1".to_string(), 40, 287),
            ("0.25-0.5".to_string(), 1, 40),
            ("1-2".to_string(), 1, 125),
            (">=10.8".to_string(), 1, 1200),
        ]
    );
    // The CSV form of the KP report carries the same figures.
    let csv = ok(
        &db,
        &["report", "kp", "--period", "2026", "--format", "csv"],
    );
    let row = csv
        .lines()
        .find(|l| l.contains("XA-ONE"))
        .unwrap()
        .to_string();
    assert!(row.contains(",293,21.52,1,12.00,"), "{row}");
    // `stats` counts records; the lot is one record.
    let stats = json(&db, &["stats", "--json"]);
    assert_eq!(stats["stones"], 5);

    // A rejected lot leaves the statistics whole.
    ok(
        &db,
        &[
            "review",
            "add",
            "--record",
            &fine.id.to_string(),
            "--decision",
            "reject",
            "--comment",
            "counted twice",
        ],
    );
    assert_eq!(kp_of(&db, "XA-ONE"), (253, 1865, 1));

    // A correction without the lot under 0.05 ct takes its 250 stones out of the tallies.
    let mut store = Store::open(&db).unwrap();
    let fixed = ProductionEntry {
        id: ProductionId::new(),
        replaces: Some(day.id),
        ..day.clone()
    };
    let kept: Vec<Stone> = stones
        .iter()
        .filter(|s| s.id != small.id && s.id != fine.id)
        .map(|s| Stone {
            id: StoneId::new(),
            production_id: fixed.id,
            ..s.clone()
        })
        .collect();
    record(&mut store, &fixed, &kept);
    drop(store);
    assert_eq!(kp_of(&db, "XA-ONE"), (3, 1365, 1));
    assert_eq!(
        footprint_of(&db, "XA-ONE").iter().map(|c| c.1).sum::<u64>(),
        3
    );
}

#[test]
fn stones_csv_carries_count_and_sieve_and_a_file_without_them_still_imports() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    let b = dir.path().join("b.db");
    let mut store = Store::open(&a).unwrap();
    let sites = region(&mut store, "XA-ONE", "XA", 1);
    let day = entry(&sites[0], d(2026, 3, 2), 6);
    record(&mut store, &day, &[]);
    drop(store);
    // The same registries and entry in a second database, with no stones yet.
    std::fs::copy(&a, &b).unwrap();

    let mut store = Store::open(&a).unwrap();
    let stones = [
        single(&day, 125),
        lot(&day, 250, 500, SieveClass::Below005),
        lot(&day, 40, 287, SieveClass::From005),
    ];
    store
        .write(|w| stones.iter().try_for_each(|s| w.add_stone(s)))
        .unwrap();
    drop(store);
    let csv = dir.path().join("stones.csv");
    ok(
        &a,
        &[
            "export",
            "stones",
            "--format",
            "csv",
            "--out",
            csv.to_str().unwrap(),
        ],
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let header = text.lines().next().unwrap();
    assert_eq!(header, "id,production_id,carats,class,colour,count,sieve");
    assert!(text.contains(",5.00,industrial,mixed,250,<0.05"), "{text}");
    assert!(text.contains(",1.25,gem,white,1,\n") || text.contains(",1.25,gem,white,1,\r\n"));

    ok(&b, &["import", "stones", "--csv", csv.to_str().unwrap()]);
    let mut there = Store::open(&b).unwrap().stones().unwrap();
    let mut here = stones.to_vec();
    there.sort_by_key(|s| s.id);
    here.sort_by_key(|s| s.id);
    assert_eq!(there, here, "the round trip keeps every field");
    assert_eq!(kp_of(&b, "XA-ONE"), (291, 912, 0));

    // A file from before lots: no count, no sieve; each row is one stone.
    let old = dir.path().join("old.csv");
    std::fs::write(
        &old,
        format!(
            "id,production_id,carats,class,colour\n,{},0.35,gem,white\n,{},0.02,industrial,grey\n",
            day.id, day.id
        ),
    )
    .unwrap();
    ok(&b, &["import", "stones", "--csv", old.to_str().unwrap()]);
    assert_eq!(kp_of(&b, "XA-ONE"), (293, 949, 0));

    // Bad lots: one line naming the file and row, and nothing written.
    for (row, why) in [
        (",{},0.60,industrial,grey,30,", "sieve"),
        (
            ",{},12.00,industrial,grey,120,0.05-0.1",
            "sieve class 0.05-0.1",
        ),
        (",{},2.00,industrial,grey,100001,<0.05", "100000"),
        (",{},2.00,industrial,grey,many,<0.05", "count"),
        (",{},0.50,gem,white,1,<0.05", "single stone"),
    ] {
        let bad = dir.path().join("bad.csv");
        std::fs::write(
            &bad,
            format!(
                "id,production_id,carats,class,colour,count,sieve\n,{},0.10,gem,white,,\n{}\n",
                day.id,
                row.replace("{}", &day.id.to_string())
            ),
        )
        .unwrap();
        let err = fails(&b, &["import", "stones", "--csv", bad.to_str().unwrap()]);
        // The summary, then one line for the bad row, naming its file and line.
        let rows: Vec<&str> = err.lines().filter(|l| l.contains("bad.csv:")).collect();
        assert_eq!(rows.len(), 1, "{err}");
        assert!(rows[0].contains("bad.csv:3:"), "{err}");
        assert!(rows[0].contains(why), "{why}: {err}");
        assert_eq!(kp_of(&b, "XA-ONE"), (293, 949, 0), "nothing written");
    }
}

#[test]
fn footprint_compare_never_puts_the_parcel_in_its_own_reference() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fp.db");
    let mut store = Store::open(&db).unwrap();
    let sites = region(&mut store, "XA-ONE", "XA", 2);
    let mut rng = ChaCha8Rng::seed_from_u64(16);
    // The region's other production: 10 days of 60 stones of 0.05–2 ct at site 0.
    for k in 0..10 {
        let e = entry(&sites[0], d(2026, 2, 1 + k), 5 + k);
        let stones: Vec<Stone> = (0..60)
            .map(|_| single(&e, rng.random_range(5..200)))
            .collect();
        record(&mut store, &e, &stones);
    }
    // The parcel judged: three days at site 1, 100 small stones each, recorded too.
    let mut parcel_rows = vec!["id,production_id,carats".to_string()];
    for k in 0..3 {
        let e = entry(&sites[1], d(2026, 3, 1 + k), 20 + k);
        let stones: Vec<Stone> = (0..100)
            .map(|_| single(&e, rng.random_range(1..6)))
            .collect();
        record(&mut store, &e, &stones);
        for s in &stones {
            parcel_rows.push(format!("{},{},{}", s.id, s.production_id, s.weight));
        }
    }
    drop(store);
    let parcel = dir.path().join("parcel.csv");
    std::fs::write(&parcel, parcel_rows.join("\n") + "\n").unwrap();
    let c = json(
        &db,
        &[
            "footprint",
            "compare",
            "--region",
            "XA-ONE",
            "--stones",
            parcel.to_str().unwrap(),
        ],
    );
    assert_eq!(c["stones"], 300);
    assert_eq!(
        c["reference_stones"], 600,
        "the parcel's 300 recorded stones are not in its reference"
    );
    assert_eq!(c["flagged"], true, "{c}");

    // Named by its entries only, the parcel is left out just the same.
    let by_entry: Vec<String> = std::fs::read_to_string(&parcel)
        .unwrap()
        .lines()
        .map(|l| l.split_once(',').unwrap().1.to_string())
        .collect();
    std::fs::write(&parcel, by_entry.join("\n") + "\n").unwrap();
    let c = json(
        &db,
        &[
            "footprint",
            "compare",
            "--region",
            "XA-ONE",
            "--stones",
            parcel.to_str().unwrap(),
        ],
    );
    assert_eq!(c["reference_stones"], 600);

    // A parcel given as lots counts the lots' stones.
    std::fs::write(&parcel, "carats,count\n0.60,20\n1.50,30\n2.00,1\n").unwrap();
    let c = json(
        &db,
        &[
            "footprint",
            "compare",
            "--region",
            "XA-ONE",
            "--stones",
            parcel.to_str().unwrap(),
        ],
    );
    assert_eq!(c["stones"], 51);
    assert_eq!(
        c["reference_stones"], 900,
        "an unrecorded parcel takes nothing out"
    );
    let out = alluvium(
        &db,
        &[
            "footprint",
            "compare",
            "--region",
            "XA-ONE",
            "--stones",
            parcel.to_str().unwrap(),
            "--false-alarm",
            "0",
        ],
    );
    assert!(!out.status.success());
}
