//! KP trade statistics against known truth through the command line: two countries, recorded
//! and unsold carats, a rejected entry and a rejected export, an import and exports with
//! declared HS codes. Every trade figure of `report kp --trade` (JSON and CSV) is checked to the
//! centicarat and the cent; an export or import without an HS code is refused; an export
//! traces only the purchases it names.

use alluvium::analytics::{Chain, CheckConfig, FlagKind, PriceModel, run_checks};
use alluvium::domain::{
    Area, Centicarats, Cents, Digger, DiggerId, DiggerStatus, HS_GEM, HS_INDUSTRIAL, HS_UNSORTED,
    LatLon, Licence, LicenceId, LicenceKind, LicenceStatus, Litres, Position, ProductionEntry,
    ProductionId, Region, Sale, SaleId, SaleKind, Sex, Site, SiteId, SiteKind, SiteStatus, Stone,
    StoneClass, StoneId,
};
use alluvium::store::{FactFilter, Store};
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

/// A region's licences: mining (with its site), dealer, exporter.
struct Parties {
    site: Site,
    mine: LicenceId,
    dealer: LicenceId,
    exporter: LicenceId,
}

fn region(store: &mut Store, code: &str, country: &str) -> Parties {
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
    let exporter = licence(code, LicenceKind::Exporter, 3, None);
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
            w.put_licence(&exporter)?;
            w.put_site(&site)
        })
        .unwrap();
    Parties {
        site,
        mine: mining.id,
        dealer: dealer.id,
        exporter: exporter.id,
    }
}

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

/// A slip of `kind`; exports and imports get their certificate, code and partner after.
fn slip(
    kind: SaleKind,
    day: NaiveDate,
    seller: LicenceId,
    buyer: Option<LicenceId>,
    cc: i64,
    cents: i64,
) -> Sale {
    Sale {
        seals: vec![],
        id: SaleId::new(),
        slip_number: format!("S-{}", uuid::Uuid::now_v7().simple()),
        day,
        seller_licence_id: seller,
        buyer_licence_id: buyer,
        weight: Centicarats(cc),
        stone_count: 3,
        price: Cents(cents),
        production_ids: vec![],
        source_sale_ids: vec![],
        kind,
        certificate_number: String::new(),
        destination_country: String::new(),
        hs_code: String::new(),
        importer: String::new(),
        origin_country: String::new(),
    }
}

#[allow(clippy::too_many_arguments)]
fn export(
    day: NaiveDate,
    exporter: LicenceId,
    cc: i64,
    cents: i64,
    hs: &str,
    to: &str,
    cert: &str,
    sources: &[&Sale],
) -> Sale {
    let mut s = slip(SaleKind::Export, day, exporter, None, cc, cents);
    s.hs_code = hs.into();
    s.destination_country = to.into();
    s.certificate_number = cert.into();
    s.importer = format!("{to} importer");
    s.source_sale_ids = sources.iter().map(|x| x.id).collect();
    s
}

fn import(
    day: NaiveDate,
    importer: LicenceId,
    cc: i64,
    cents: i64,
    hs: &str,
    from: &str,
    cert: &str,
) -> Sale {
    let mut s = slip(SaleKind::Import, day, importer, None, cc, cents);
    s.hs_code = hs.into();
    s.origin_country = from.into();
    s.certificate_number = cert.into();
    s.importer = "the importing exporter".into();
    s
}

fn write_sales(store: &mut Store, sales: &[&Sale]) {
    store
        .write(|w| {
            w.set_today(d(2026, 12, 31));
            for s in sales {
                w.add_sale(s)?;
            }
            Ok(())
        })
        .unwrap();
}

/// The world of the tests; returns the slips worth naming.
struct Known {
    a1: ProductionEntry,
    b1: ProductionEntry,
    x1: Sale,
    x2: Sale,
    x5: Sale,
    x6: Sale,
    i1: Sale,
    aa: Parties,
}

fn world(store: &mut Store) -> Known {
    let aa = region(store, "AA-ONE", "AA");
    let bb = region(store, "BB-TWO", "BB");
    // AA-ONE production: A1 sold (1.50 ct for 300.00), A2 unsold, A3 rejected (below).
    let a1 = produce(store, &aa.site, d(2026, 2, 1), &[100, 50]);
    let _a2 = produce(store, &aa.site, d(2026, 3, 1), &[60, 90]);
    // BB-TWO production: B1 (0.50 ct), sold on to the exporter.
    let b1 = produce(store, &bb.site, d(2026, 1, 5), &[30, 20]);
    let mut fs1 = slip(
        SaleKind::FirstSale,
        d(2026, 2, 3),
        aa.mine,
        Some(aa.dealer),
        150,
        30_000,
    );
    fs1.production_ids = vec![a1.id];
    let mut r1 = slip(
        SaleKind::Resale,
        d(2026, 2, 10),
        aa.dealer,
        Some(aa.exporter),
        150,
        35_000,
    );
    r1.source_sale_ids = vec![fs1.id];
    let i1 = import(
        d(2026, 2, 10),
        aa.exporter,
        1234,
        567_890,
        HS_UNSORTED,
        "CD",
        "CD-2026-0001",
    );
    let x1 = export(
        d(2026, 3, 1),
        aa.exporter,
        150,
        45_000,
        HS_GEM,
        "BE",
        "AA-2026-001",
        &[&r1],
    );
    let x2 = export(
        d(2026, 4, 15),
        aa.exporter,
        1000,
        400_000,
        HS_UNSORTED,
        "AE",
        "AA-2026-002",
        &[&i1],
    );
    let x3 = export(
        d(2026, 5, 20),
        aa.exporter,
        200,
        10_000,
        HS_GEM,
        "BE",
        "AA-2026-003",
        &[&i1],
    );
    let x4 = export(
        d(2026, 8, 1),
        aa.exporter,
        24,
        1_000,
        HS_INDUSTRIAL,
        "IN",
        "AA-2026-004",
        &[&i1],
    );
    // Rejected by a coordinator below: out of the statistics.
    let x5 = export(
        d(2026, 3, 5),
        aa.exporter,
        10,
        99_999,
        HS_GEM,
        "BE",
        "AA-2026-005",
        &[&i1],
    );
    let mut fs2 = slip(
        SaleKind::FirstSale,
        d(2026, 1, 6),
        bb.mine,
        Some(bb.dealer),
        50,
        5_000,
    );
    fs2.production_ids = vec![b1.id];
    let mut r2 = slip(
        SaleKind::Resale,
        d(2026, 1, 7),
        bb.dealer,
        Some(bb.exporter),
        50,
        6_000,
    );
    r2.source_sale_ids = vec![fs2.id];
    // An export naming no purchase: counted as declared, traced to nothing, flagged.
    let x6 = export(
        d(2026, 6, 30),
        bb.exporter,
        50,
        7_525,
        HS_UNSORTED,
        "BE",
        "BB-2026-1",
        &[],
    );
    let i2 = import(
        d(2026, 1, 20),
        bb.exporter,
        200,
        9_999,
        HS_INDUSTRIAL,
        "AA",
        "AA-2026-900",
    );
    write_sales(
        store,
        &[&fs1, &r1, &i1, &x1, &x2, &x3, &x4, &x5, &fs2, &r2, &x6, &i2],
    );
    Known {
        a1,
        b1,
        x1,
        x2,
        x5,
        x6,
        i1,
        aa,
    }
}

/// (half-year, country, flow, HS code, partner, certificates, carats, USD, partner list).
type Line = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u64,
    &'static str,
    &'static str,
    &'static str,
);

/// The trade of 2026, worked out by hand from the slips of `world`.
const TRUTH: [Line; 17] = [
    (
        "2026-H1", "AA", "export", "7102.10", "AE", 1, "10.00", "4000.00", "AE",
    ),
    (
        "2026-H1", "AA", "export", "7102.10", "ALL", 1, "10.00", "4000.00", "AE",
    ),
    (
        "2026-H1", "AA", "export", "7102.31", "BE", 2, "3.50", "550.00", "BE",
    ),
    (
        "2026-H1", "AA", "export", "7102.31", "ALL", 2, "3.50", "550.00", "BE",
    ),
    (
        "2026-H1", "AA", "export", "ALL", "ALL", 3, "13.50", "4550.00", "AE;BE",
    ),
    (
        "2026-H1", "AA", "import", "7102.10", "CD", 1, "12.34", "5678.90", "CD",
    ),
    (
        "2026-H1", "AA", "import", "7102.10", "ALL", 1, "12.34", "5678.90", "CD",
    ),
    (
        "2026-H1", "AA", "import", "ALL", "ALL", 1, "12.34", "5678.90", "CD",
    ),
    (
        "2026-H1", "BB", "export", "7102.10", "BE", 1, "0.50", "75.25", "BE",
    ),
    (
        "2026-H1", "BB", "export", "7102.10", "ALL", 1, "0.50", "75.25", "BE",
    ),
    (
        "2026-H1", "BB", "export", "ALL", "ALL", 1, "0.50", "75.25", "BE",
    ),
    (
        "2026-H1", "BB", "import", "7102.21", "AA", 1, "2.00", "99.99", "AA",
    ),
    (
        "2026-H1", "BB", "import", "7102.21", "ALL", 1, "2.00", "99.99", "AA",
    ),
    (
        "2026-H1", "BB", "import", "ALL", "ALL", 1, "2.00", "99.99", "AA",
    ),
    (
        "2026-H2", "AA", "export", "7102.21", "IN", 1, "0.24", "10.00", "IN",
    ),
    (
        "2026-H2", "AA", "export", "7102.21", "ALL", 1, "0.24", "10.00", "IN",
    ),
    (
        "2026-H2", "AA", "export", "ALL", "ALL", 1, "0.24", "10.00", "IN",
    ),
];

fn truth() -> Vec<Line> {
    TRUTH.to_vec()
}

fn csv_line(l: &Line) -> String {
    format!(
        "{},{},{},{},{},{},{},{},{}",
        l.0, l.1, l.2, l.3, l.4, l.5, l.6, l.7, l.8
    )
}

/// Two-decimal text of exact hundredths.
fn hundredths(text: &str) -> i64 {
    let (whole, frac) = text.split_once('.').unwrap();
    whole.parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap()
}

#[test]
fn kp_trade_statistics_equal_the_declared_certificates_to_the_centicarat_and_cent() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("trade.db");
    let mut store = Store::open(&db).unwrap();
    let k = world(&mut store);
    // A3: production a coordinator rejects (out of the production figures).
    let a3 = produce(&mut store, &k.aa.site, d(2026, 5, 1), &[500]);
    drop(store);
    for id in [a3.id.to_string(), k.x5.id.to_string()] {
        ok(
            &db,
            &[
                "review",
                "add",
                "--record",
                &id,
                "--decision",
                "reject",
                "--comment",
                "not as declared",
            ],
        );
    }

    // JSON: production beside the trade.
    let json: serde_json::Value = serde_json::from_str(&ok(
        &db,
        &[
            "report", "kp", "--period", "2026", "--trade", "--format", "json",
        ],
    ))
    .unwrap();
    let aa = &json["countries"][0];
    assert_eq!(aa["country"], "AA");
    assert_eq!(aa["stones"], 4, "the rejected entry is out");
    assert_eq!(aa["carats"], "3.00");
    assert_eq!(aa["value_usd_recorded"], "300.00");
    assert_eq!(aa["carats_recorded"], "1.50");
    assert_eq!(aa["value_usd_estimated"], "300.00");
    assert_eq!(aa["carats_estimated"], "1.50");
    let bb = &json["countries"][1];
    assert_eq!(bb["country"], "BB");
    assert_eq!(bb["carats"], "0.50");
    assert_eq!(bb["value_usd_recorded"], "50.00");

    let rows = json["trade"]["rows"].as_array().unwrap();
    let got: Vec<String> = rows
        .iter()
        .map(|r| {
            // The exact integers agree with the two-decimal text.
            assert_eq!(
                r["centicarats"].as_i64().unwrap(),
                hundredths(r["carats"].as_str().unwrap())
            );
            assert_eq!(
                r["usd_cents"].as_i64().unwrap(),
                hundredths(r["usd_value"].as_str().unwrap())
            );
            format!(
                "{},{},{},{},{},{},{},{},{}",
                r["half_year"].as_str().unwrap(),
                r["country"].as_str().unwrap(),
                r["flow"].as_str().unwrap(),
                r["hs_code"].as_str().unwrap(),
                r["partner_country"].as_str().unwrap(),
                r["certificates"],
                r["carats"].as_str().unwrap(),
                r["usd_value"].as_str().unwrap(),
                r["partner_countries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(";"),
            )
        })
        .collect();
    let want: Vec<String> = truth().iter().map(csv_line).collect();
    assert_eq!(got, want);

    // CSV: the same lines under the KP layout's header.
    let csv = ok(&db, &["report", "kp", "--period", "2026", "--trade"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "half_year,country,flow,hs_code,partner_country,certificates,carats,usd_value,partner_countries"
    );
    assert_eq!(
        lines[1..],
        want.iter().map(String::as_str).collect::<Vec<_>>()[..]
    );

    // A half-year and a region: only theirs.
    let csv = ok(
        &db,
        &[
            "report", "kp", "--period", "2026-H2", "--region", "AA-ONE", "--trade",
        ],
    );
    let want_h2: Vec<String> = truth()
        .iter()
        .filter(|l| l.0 == "2026-H2")
        .map(csv_line)
        .collect();
    assert_eq!(csv.lines().skip(1).collect::<Vec<_>>(), want_h2);
    let csv = ok(
        &db,
        &[
            "report", "kp", "--period", "2026-H1", "--region", "BB-TWO", "--trade",
        ],
    );
    assert_eq!(csv.lines().count(), 7, "{csv}");
    assert!(csv.lines().skip(1).all(|l| l.starts_with("2026-H1,BB,")));

    // The export slip prints what its certificate declares.
    let slip = ok(&db, &["report", "slip", "--sale", &k.x1.id.to_string()]);
    assert!(slip.contains("HS code:       7102.31"), "{slip}");
    // The same slip in French: labels, and numbers and dates as French writes them.
    let id = k.x1.id.to_string();
    let fr = ok(&db, &["report", "slip", "--sale", &id, "--lang", "fr"]);
    assert!(
        fr.starts_with("BORDEREAU D'EXPORTATION") && fr.contains("Code SH :"),
        "{fr}"
    );
    let day = k.x1.day.format("%d/%m/%Y").to_string();
    assert!(fr.contains(&format!("Date :               {day}")), "{fr}");
    assert!(!fr.contains("Seller"), "{fr}");
    let slip = ok(&db, &["report", "slip", "--sale", &k.i1.id.to_string()]);
    assert!(
        slip.contains("IMPORT SLIP") && slip.contains("Origin:        CD"),
        "{slip}"
    );
}

#[test]
fn an_export_traces_only_the_purchases_it_names_and_one_naming_none_is_flagged() {
    let mut store = Store::open_in_memory().unwrap();
    let k = world(&mut store);
    let data = store.check_data(&FactFilter::default()).unwrap();
    let chain = Chain::new(&data);
    let x1 = chain.origin(&k.x1);
    assert_eq!(x1.production_ids, [k.a1.id]);
    assert_eq!(x1.centicarats, Centicarats(150));
    // Goods imported come from abroad: the trace ends at the import.
    assert!(chain.origin(&k.x2).production_ids.is_empty());
    // The BB exporter bought B1's goods, but an export naming nothing draws on nothing.
    let x6 = chain.origin(&k.x6);
    assert!(x6.production_ids.is_empty(), "{x6:?}");
    assert!(!x6.production_ids.contains(&k.b1.id));
    let flags = run_checks(&data, &CheckConfig::default(), &PriceModel::empty());
    let custody: Vec<(FlagKind, uuid::Uuid)> = flags
        .iter()
        .filter(|f| {
            matches!(
                f.kind,
                FlagKind::SaleWithoutProduction
                    | FlagKind::ExportExceedsPurchases
                    | FlagKind::ResaleExceedsPurchases
                    | FlagKind::SaleExceedsProduction
            )
        })
        .map(|f| (f.kind, f.record_id))
        .collect();
    assert_eq!(custody, [(FlagKind::SaleWithoutProduction, k.x6.id.0)]);
    // An import is bought by its importer: a resale by someone else cannot name it.
    let mut stolen = slip(
        SaleKind::Resale,
        d(2026, 3, 1),
        k.aa.dealer,
        Some(k.aa.exporter),
        10,
        100,
    );
    stolen.source_sale_ids = vec![k.i1.id];
    let err = store
        .write(|w| {
            w.set_today(d(2026, 12, 31));
            w.add_sale(&stolen)
        })
        .unwrap_err();
    assert!(err.to_string().contains("not bought or imported"), "{err}");
}

#[test]
fn an_export_or_import_without_its_hs_code_is_refused_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("trade.db");
    let mut store = Store::open(&db).unwrap();
    let k = world(&mut store);
    drop(store);
    let header = "id,slip_number,day,seller_licence_id,buyer_licence_id,carats,stone_count,price_usd,production_ids,kind,certificate_number,destination_country,source_sale_ids,hs_code,importer,origin_country";
    let ex = k.aa.exporter;
    let src = k.i1.id;
    let good = format!(
        ",EX-9,2026-06-01,{ex},,0.10,1,5.00,,export,AA-2026-009,BE,{src},7102.10,Antwerp Rough,"
    );
    let no_code = format!(",EX-10,2026-06-01,{ex},,0.10,1,5.00,,export,AA-2026-010,BE,{src},,,");
    let bad_import = format!(",IM-2,2026-06-01,{ex},,1.00,1,5.00,,import,CD-2026-7,,,,,CD");
    let f = dir.path().join("sales.csv");
    std::fs::write(&f, format!("{header}\n{good}\n{no_code}\n{bad_import}\n")).unwrap();
    let err = fails(&db, &["import", "sales", "--csv", f.to_str().unwrap()]);
    assert!(
        err.contains("sales.csv:3:") && err.contains("hs_code"),
        "{err}"
    );
    assert!(err.contains("sales.csv:4:"), "{err}");
    assert!(!err.contains("sales.csv:2:"), "{err}");
    // All or nothing: the good row was not imported either; alone, it is.
    std::fs::write(&f, format!("{header}\n{good}\n")).unwrap();
    let out = ok(&db, &["import", "sales", "--csv", f.to_str().unwrap()]);
    assert!(out.contains("imported 1 sales"), "{out}");
    let csv = ok(&db, &["export", "sales", "--format", "csv"]);
    assert!(
        csv.lines()
            .any(|l| l.ends_with(",7102.10,Antwerp Rough,,") && l.contains(",EX-9,")),
        "{csv}"
    );
    assert!(
        csv.lines().any(|l| l.contains(",import,CD-2026-0001,")
            && l.ends_with(",7102.10,the importing exporter,CD,")),
        "{csv}"
    );
}
