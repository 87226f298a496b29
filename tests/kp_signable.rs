//! KP statistics a focal point can sign, against known truth through the command line: two
//! countries, sold and unsold carats, a large stone, a rejected and a queried entry. Every
//! figure is checked to the centicarat and the cent.

use alluvium::domain::{
    Area, Centicarats, Cents, Digger, DiggerId, DiggerStatus, LatLon, Licence, LicenceId,
    LicenceKind, LicenceStatus, Litres, Position, ProductionEntry, ProductionId, Region, Sale,
    SaleId, SaleKind, Sex, Site, SiteId, SiteKind, SiteStatus, Stone, StoneClass, StoneId,
};
use alluvium::store::Store;
use chrono::NaiveDate;
use test_kit::cli::{fails, ok};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn licence(code: &str, kind: LicenceKind, n: u32, holder: Option<DiggerId>) -> Licence {
    Licence {
        id: LicenceId::new(),
        number: format!("{code}/{n}"),
        kind,
        holder_digger_id: holder,
        holder_name: format!("holder {n}"),
        region: code.into(),
        issued_on: d(2025, 1, 1),
        expires_on: d(2028, 1, 1),
        status: LicenceStatus::Active,
        area: (kind == LicenceKind::ArtisanalMining).then(|| {
            Area::from_corners(&[
                LatLon {
                    lat: 7.999,
                    lon: -11.001,
                },
                LatLon {
                    lat: 7.999,
                    lon: -10.999,
                },
                LatLon {
                    lat: 8.001,
                    lon: -10.999,
                },
                LatLon {
                    lat: 8.001,
                    lon: -11.001,
                },
            ])
            .unwrap()
        }),
        fee_receipt: String::new(),
    }
}

/// A region of `country` with one mining licence and its site, and a dealer licence.
fn region(store: &mut Store, code: &str, country: &str) -> (Site, LicenceId, LicenceId) {
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
    let mining = licence(code, LicenceKind::ArtisanalMining, 1, Some(holder.id));
    let dealer = licence(code, LicenceKind::Dealer, 2, None);
    let site = Site {
        id: SiteId::new(),
        licence_id: mining.id,
        name: format!("{code} pit"),
        kind: SiteKind::Pit,
        status: SiteStatus::Active,
        position: Position {
            lat: 8.0,
            lon: -11.0,
            accuracy_m: 3.0,
        },
        opened_on: d(2025, 1, 1),
    };
    store
        .write(|w| {
            // Regions of no built-in catalogue, as a server adds them.
            w.put_region(&Region {
                code: code.into(),
                name: code.into(),
                country: country.into(),
                utc_offset_minutes: 0,
                centre: (8.0, -11.0),
            })?;
            w.put_digger(&holder)?;
            w.put_licence(&mining)?;
            w.put_licence(&dealer)?;
            w.put_site(&site)
        })
        .unwrap();
    (site, mining.id, dealer.id)
}

/// An entry at `site` on `day` with stones of these weights.
fn produce(store: &mut Store, site: &Site, day: NaiveDate, weights: &[i64]) -> ProductionEntry {
    let e = ProductionEntry {
        seal: String::new(),
        id: ProductionId::new(),
        site_id: site.id,
        day,
        officer: "fo".into(),
        fix: None,
        crew_size: 3,
        digger_ids: vec![],
        gravel: Litres(3000),
        notes: String::new(),
        replaces: None,
    };
    store
        .write(|w| {
            w.set_today(d(2026, 12, 31));
            w.add_production(&e)?;
            for &cc in weights {
                w.add_stone(&Stone {
                    id: StoneId::new(),
                    production_id: e.id,
                    weight: Centicarats(cc),
                    class: StoneClass::Gem,
                    colour: "white".into(),
                    count: 1,
                    sieve: None,
                })?;
            }
            Ok(())
        })
        .unwrap();
    e
}

fn first_sale(
    store: &mut Store,
    seller: LicenceId,
    buyer: LicenceId,
    day: NaiveDate,
    price: i64,
    entries: &[&ProductionEntry],
) {
    let s = Sale {
        seals: vec![],
        id: SaleId::new(),
        slip_number: format!("FS-{price}"),
        day,
        seller_licence_id: seller,
        buyer_licence_id: Some(buyer),
        weight: Centicarats(100),
        stone_count: 2,
        price: Cents(price),
        production_ids: entries.iter().map(|e| e.id).collect(),
        source_sale_ids: vec![],
        kind: SaleKind::FirstSale,
        certificate_number: String::new(),
        destination_country: String::new(),
        hs_code: String::new(),
        importer: String::new(),
        origin_country: String::new(),
    };
    store
        .write(|w| {
            w.set_today(d(2026, 12, 31));
            w.add_sale(&s)
        })
        .unwrap();
}

#[test]
fn kp_statistics_are_per_country_valued_from_recorded_prices_with_reviews_applied() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kp.db");
    let mut store = Store::open(&db).unwrap();
    let (a_site, a_mine, a_dealer) = region(&mut store, "AA-ONE", "AA");
    let (b_site, b_mine, b_dealer) = region(&mut store, "BB-TWO", "BB");
    // AA-ONE: A1 sold for 300.00 USD (150 cc); A2 unsold, same size class of its mean stone
    // (0.75 ct, class 0.5-1); A3 a 12 ct large stone, unsold, no sale of its class; A4 rejected.
    let a1 = produce(&mut store, &a_site, d(2026, 2, 1), &[100, 50]);
    let _a2 = produce(&mut store, &a_site, d(2026, 3, 1), &[60, 90]);
    let _a3 = produce(&mut store, &a_site, d(2026, 4, 1), &[1200]);
    let a4 = produce(&mut store, &a_site, d(2026, 5, 1), &[500]);
    first_sale(&mut store, a_mine, a_dealer, d(2026, 2, 3), 30_000, &[&a1]);
    // BB-TWO: a slip of 101.01 USD over B0 (2025, 50 cc) and B1 (50 cc): 50.51 and 50.50 (the
    // odd cent to the earlier line); B2 unsold and queried, class 0.25-0.5 like B1.
    let b0 = produce(&mut store, &b_site, d(2025, 12, 20), &[50]);
    let b1 = produce(&mut store, &b_site, d(2026, 1, 10), &[30, 20]);
    let b2 = produce(&mut store, &b_site, d(2026, 6, 30), &[40, 35]);
    first_sale(
        &mut store,
        b_mine,
        b_dealer,
        d(2026, 1, 12),
        10_101,
        &[&b0, &b1],
    );
    drop(store);

    // Decisions through the command line; a later decision replaces an earlier one.
    let a4_id = a4.id.to_string();
    let b2_id = b2.id.to_string();
    ok(
        &db,
        &[
            "review",
            "add",
            "--record",
            &a4_id,
            "--decision",
            "query",
            "--comment",
            "weight?",
        ],
    );
    ok(
        &db,
        &[
            "review",
            "add",
            "--record",
            &a4_id,
            "--decision",
            "reject",
            "--comment",
            "bought, not found",
        ],
    );
    ok(
        &db,
        &[
            "review",
            "add",
            "--record",
            &b2_id,
            "--decision",
            "query",
            "--comment",
            "check the scale",
        ],
    );
    let err = fails(
        &db,
        &["review", "add", "--record", &b2_id, "--decision", "reject"],
    );
    assert!(err.contains("--comment"), "{err}");
    let err = fails(
        &db,
        &[
            "review",
            "add",
            "--record",
            &SiteId::new().to_string(),
            "--decision",
            "approve",
        ],
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let list: serde_json::Value =
        serde_json::from_str(&ok(&db, &["review", "list", "--format", "json"])).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[1]["decision"], "rejected");
    assert_eq!(list[1]["target_entity"], "production");
    assert_eq!(list[1]["target_id"], a4_id.as_str());

    let json: serde_json::Value = serde_json::from_str(&ok(
        &db,
        &["report", "kp", "--period", "2026-H1", "--format", "json"],
    ))
    .unwrap();
    let countries = json["countries"].as_array().unwrap();
    assert_eq!(
        countries
            .iter()
            .map(|c| c["country"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["AA", "BB"]
    );
    let aa = &countries[0];
    let aa_region = &aa["regions"][0];
    assert_eq!(aa_region["region"], "AA-ONE");
    for row in [aa, aa_region] {
        assert_eq!(row["stones"], 5, "the rejected entry's stone is out");
        assert_eq!(row["carats"], "15.00");
        assert_eq!(row["large_stones"], 1);
        assert_eq!(row["large_carats"], "12.00");
        assert_eq!(row["value_usd_recorded"], "300.00");
        assert_eq!(row["carats_recorded"], "1.50");
        assert_eq!(row["carats_recorded_share"], 0.1);
        assert_eq!(row["value_usd_estimated"], "300.00");
        assert_eq!(row["carats_estimated"], "1.50");
        assert_eq!(row["carats_estimated_share"], 0.1);
        assert_eq!(row["carats_unvalued"], "12.00");
        assert_eq!(row["carats_under_query"], "0.00");
    }
    assert_eq!(aa_region["estimate_basis"][0]["size_class"], "0.5-1");
    assert_eq!(aa_region["estimate_basis"][0]["usd_per_ct"], "200.00");
    let bb = &countries[1];
    for row in [bb, &bb["regions"][0]] {
        assert_eq!(row["stones"], 4);
        assert_eq!(row["carats"], "1.25");
        assert_eq!(row["large_stones"], 0);
        assert_eq!(row["value_usd_recorded"], "50.50");
        assert_eq!(row["value_cents_recorded"], 5050);
        assert_eq!(row["carats_recorded_share"], 0.4);
        // 0.75 ct at 50.50 / 0.50 = 101.00 USD/ct.
        assert_eq!(row["value_usd_estimated"], "75.75");
        assert_eq!(row["carats_estimated_share"], 0.6);
        assert_eq!(row["carats_unvalued"], "0.00");
        assert_eq!(row["carats_under_query"], "0.75");
    }
    assert!(json["value_rule"].as_str().unwrap().contains("first-sale"));

    // The CSV: one row per region, then its country's; no row adds countries.
    let csv = ok(&db, &["report", "kp", "--period", "2026-H1"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert_eq!(
        lines[1],
        "2026-H1,AA,AA-ONE,5,15.00,1,12.00,300.00,0.1000,300.00,0.1000,12.00,0.00,0.5-1: 1.50 ct at 200.00 USD/ct of 1.50 ct sold"
    );
    assert_eq!(
        lines[2],
        "2026-H1,AA,,5,15.00,1,12.00,300.00,0.1000,300.00,0.1000,12.00,0.00,"
    );
    assert!(
        lines[3]
            .starts_with("2026-H1,BB,BB-TWO,4,1.25,0,0.00,50.50,0.4000,75.75,0.6000,0.00,0.75,")
    );
    assert!(lines[4].starts_with("2026-H1,BB,,4,1.25,"));

    // The 2025 entry's share of the slip counts in 2025.
    let y2025: serde_json::Value = serde_json::from_str(&ok(
        &db,
        &["report", "kp", "--period", "2025", "--format", "json"],
    ))
    .unwrap();
    assert_eq!(y2025["countries"][0]["value_usd_recorded"], "50.51");

    // Footprints leave the rejected entry out too.
    let fp: serde_json::Value = serde_json::from_str(&ok(
        &db,
        &[
            "report",
            "footprint",
            "--region",
            "AA-ONE",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(fp["footprint"]["stones"], 5);
    assert_eq!(fp["footprint"]["usd_per_ct"], serde_json::Value::Null);

    // Approving the rejected entry brings it back.
    ok(
        &db,
        &["review", "add", "--record", &a4_id, "--decision", "approve"],
    );
    let csv = ok(
        &db,
        &["report", "kp", "--period", "2026-H1", "--region", "AA-ONE"],
    );
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("2026-H1,AA,AA-ONE,6,20.00,"),
        "{csv}"
    );
}
