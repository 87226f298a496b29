//! What the server's push refuses, tested on the server store itself (the code the `/push`
//! handler runs, with the session it authenticated).
//!
//! First, one set of record rules on both ends: the device and the server hold the same
//! records (written locally on the device, pushed by an administrator to the server); each bad
//! record is then offered to the device's writer and to the server's push, and the two answers
//! are compared word for word. Then each way an enrolled officer could overreach, one test
//! per finding of the server review, named after it.

use alluvium::domain::rules::Record;
use alluvium::domain::*;
use alluvium::store::Store;
use alluvium::sync::wire::{Change, Op, Verdict};
mod common;

use alluvium_sync::db::{Device, Session};
use chrono::NaiveDate;
use common::Server;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn digger(region: &str, national_id: &str) -> Digger {
    Digger {
        id: DiggerId::new(),
        national_id: national_id.into(),
        full_name: format!("Digger {national_id}"),
        sex: Sex::Male,
        birth_date: day("1990-05-01"),
        village: "Koidu".into(),
        chiefdom: "Gbense".into(),
        phone: String::new(),
        region: region.into(),
        status: DiggerStatus::Active,
    }
}

/// A small square plot around (lat, lon), as WKT wants it: longitude first.
fn plot(lat: f64, lon: f64) -> Area {
    let (a, b, c, d) = (lon - 0.001, lon + 0.001, lat - 0.001, lat + 0.001);
    format!("POLYGON(({a} {c}, {b} {c}, {b} {d}, {a} {d}, {a} {c}))")
        .parse()
        .unwrap()
}

fn licence(region: &str, number: &str, kind: LicenceKind, holder: Option<&Digger>) -> Licence {
    let mining = kind == LicenceKind::ArtisanalMining;
    Licence {
        id: LicenceId::new(),
        number: number.into(),
        kind,
        holder_digger_id: holder.map(|d| d.id),
        holder_name: if mining {
            String::new()
        } else {
            format!("{number} Ltd")
        },
        region: region.into(),
        issued_on: day("2026-01-01"),
        expires_on: day("2026-12-31"),
        status: LicenceStatus::Active,
        area: mining.then(|| plot(8.64, -10.97)),
        fee_receipt: String::new(),
    }
}

fn site(licence: &Licence) -> Site {
    Site {
        id: SiteId::new(),
        licence_id: licence.id,
        name: format!("Pit of {}", licence.number),
        kind: SiteKind::Pit,
        status: SiteStatus::Active,
        position: Position {
            lat: 8.64,
            lon: -10.97,
            accuracy_m: 5.0,
        },
        opened_on: day("2026-01-10"),
    }
}

fn production(site: &Site) -> ProductionEntry {
    ProductionEntry {
        seal: String::new(),
        id: ProductionId::new(),
        site_id: site.id,
        day: day("2026-03-02"),
        officer: "field_a".into(),
        fix: None,
        crew_size: 4,
        digger_ids: vec![],
        gravel: Litres(2_000),
        notes: String::new(),
        replaces: None,
    }
}

fn sale(seller: &Licence, buyer: Option<&Licence>, kind: SaleKind) -> Sale {
    Sale {
        seals: vec![],
        id: SaleId::new(),
        slip_number: format!("S-{}", SaleId::new()),
        day: day("2026-03-05"),
        seller_licence_id: seller.id,
        buyer_licence_id: buyer.map(|b| b.id),
        weight: Centicarats(120),
        stone_count: 3,
        price: Cents(50_000),
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

/// A valid renewal of `l` from 2027-01-01 for a year, fee paid.
fn renewal(l: &Licence) -> LicenceEvent {
    LicenceEvent {
        id: LicenceEventId::new(),
        licence_id: l.id,
        kind: LicenceEventKind::Renewed,
        on: day("2027-01-01"),
        until: Some(day("2027-12-31")),
        fee_cents: Some(Cents(5_000)),
        receipt: "R-2027-1".into(),
        reason: String::new(),
    }
}

/// The records both ends hold before the bad ones are offered.
struct World {
    kono_digger: Digger,
    kono_mine: Licence,
    akwatia_mine: Licence,
    dealer: Licence,
    other_dealer: Licence,
    kono_site: Site,
    other_kono_site: Site,
    kono_entry: ProductionEntry,
    akwatia_digger: Digger,
    akwatia_site: Site,
    akwatia_entry: ProductionEntry,
    first_sale: Sale,
    records: Vec<Record>,
}

fn world() -> World {
    let kono_digger = digger("SL-KONO", "SL-0001");
    let akwatia_digger = digger("GH-AKWATIA", "GH-0001");
    let kono_mine = licence(
        "SL-KONO",
        "SL-M-1",
        LicenceKind::ArtisanalMining,
        Some(&kono_digger),
    );
    let mut akwatia_mine = licence(
        "GH-AKWATIA",
        "GH-M-1",
        LicenceKind::ArtisanalMining,
        Some(&akwatia_digger),
    );
    akwatia_mine.area = Some(plot(5.93, -0.98));
    let dealer = licence("SL-KONO", "SL-D-1", LicenceKind::Dealer, None);
    let other_dealer = licence("SL-KONO", "SL-D-2", LicenceKind::Dealer, None);
    let kono_site = site(&kono_mine);
    let other_kono_site = site(&kono_mine);
    let mut akwatia_site = site(&akwatia_mine);
    akwatia_site.position = Position {
        lat: 5.93,
        lon: -0.98,
        accuracy_m: 5.0,
    };
    let kono_entry = production(&kono_site);
    let akwatia_entry = production(&akwatia_site);
    let mut first_sale = sale(&kono_mine, Some(&dealer), SaleKind::FirstSale);
    first_sale.production_ids = vec![kono_entry.id];
    let records = vec![
        Record::Digger(kono_digger.clone()),
        Record::Digger(akwatia_digger.clone()),
        Record::Licence(kono_mine.clone()),
        Record::Licence(akwatia_mine.clone()),
        Record::Licence(dealer.clone()),
        Record::Licence(other_dealer.clone()),
        Record::Site(kono_site.clone()),
        Record::Site(other_kono_site.clone()),
        Record::Site(akwatia_site.clone()),
        Record::Production(kono_entry.clone()),
        Record::Production(akwatia_entry.clone()),
        Record::Sale(first_sale.clone()),
    ];
    World {
        kono_digger,
        kono_mine,
        akwatia_mine,
        dealer,
        other_dealer,
        kono_site,
        other_kono_site,
        kono_entry,
        akwatia_digger,
        akwatia_site,
        akwatia_entry,
        first_sale,
        records,
    }
}

/// A photo of `bytes` bytes on a record.
fn photo(by: OfficerId, target_entity: RecordKind, target_id: uuid::Uuid, bytes: u64) -> Photo {
    Photo {
        id: PhotoId::new(),
        target_entity,
        target_id,
        sha256: "c0".repeat(32),
        bytes,
        width: 800,
        height: 600,
        caption: String::new(),
        taken_at: None,
        lat: None,
        lon: None,
        added_by: by,
        at: chrono::Utc::now(),
    }
}

/// Writes one record on the device; the error's text, if refused.
fn on_device(store: &mut Store, record: &Record) -> Result<(), String> {
    store
        .write(|w| {
            w.set_today(day("2026-06-01"));
            match record {
                Record::Region(r) => w.put_region(r),
                Record::Officer(o) => w.put_officer(o),
                Record::Digger(d) => w.put_digger(d),
                Record::Licence(l) => w.put_licence(l),
                Record::Site(s) => w.put_site(s),
                Record::Crew(c) => w.put_crew(c),
                Record::Supporter(s) => w.put_supporter(s),
                Record::LicenceEvent(e) => w.add_licence_event(e),
                Record::Production(p) => w.add_production(p),
                Record::Stone(s) => w.add_stone(s),
                Record::Sale(s) => w.add_sale(s),
                Record::Review(r) => w.add_review(r),
                Record::Photo(p) => w.add_photo(p),
            }
        })
        .map_err(|e| e.to_string())
}

/// A session of an officer of `role` serving `regions`, on a device of its own.
fn session(role: Role, regions: &[&str]) -> Session {
    Session {
        device: Device {
            id: uuid::Uuid::now_v7(),
            region: regions.first().unwrap_or(&"SL-KONO").to_string(),
            public_key: None,
        },
        officer: Officer {
            id: OfficerId::new(),
            username: format!("{role}-{}", regions.join("-")),
            full_name: format!("{role}"),
            role,
            regions: regions.iter().map(|r| r.to_string()).collect(),
        },
    }
}

/// An administrator's session on the server, so that only the record rules can refuse.
fn admin_session() -> Session {
    session(Role::Admin, &[])
}

/// The change a device of session `s` would push for `record`, stamped now.
fn change_of(s: &Session, record: &Record) -> Change {
    let kind = record.kind();
    Change {
        change_id: uuid::Uuid::now_v7(),
        entity: kind,
        record_id: record.id(),
        region: None,
        hlc: Hlc::new(chrono::Utc::now().timestamp_millis() as u64, 0),
        base_hlc: Hlc::default(),
        origin: s.device.id,
        author: Some(s.officer.id.0),
        op: Op::of(kind),
        payload: match record {
            Record::Region(r) => serde_json::to_value(r),
            Record::Officer(o) => serde_json::to_value(o),
            Record::Digger(d) => serde_json::to_value(d),
            Record::Licence(l) => serde_json::to_value(l),
            Record::Site(x) => serde_json::to_value(x),
            Record::Crew(c) => serde_json::to_value(c),
            Record::Supporter(x) => serde_json::to_value(x),
            Record::LicenceEvent(e) => serde_json::to_value(e),
            Record::Production(p) => serde_json::to_value(p),
            Record::Stone(x) => serde_json::to_value(x),
            Record::Sale(x) => serde_json::to_value(x),
            Record::Review(r) => serde_json::to_value(r),
            Record::Photo(p) => serde_json::to_value(p),
        }
        .unwrap(),
        form: Default::default(),
        chain_seq: None,
        prev: None,
        sig: None,
    }
}

/// Pushes one change; the verdict's reason, if refused.
fn push_change(server: &Server, s: &Session, change: Change) -> Result<(), String> {
    let results = server.push(s, &[change]).unwrap();
    match &results[0].verdict {
        Verdict::Accepted => Ok(()),
        Verdict::Rejected { reason } => Err(reason.clone()),
    }
}

/// Pushes one record to the server; the verdict's reason, if refused.
fn on_server(server: &Server, s: &Session, record: &Record) -> Result<(), String> {
    push_change(server, s, change_of(s, record))
}

#[test]
fn device_and_server_refuse_the_same_records_with_the_same_reason() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let server = common::open_store(dir.path());
    server.add_region("SL-KONO", "Kono", "SL").unwrap();
    server.add_region("GH-AKWATIA", "Akwatia", "GH").unwrap();
    let admin = admin_session();
    let mut device = Store::open_in_memory().unwrap();
    device
        .write(|w| {
            w.ensure_known_region("SL-KONO")?;
            w.ensure_known_region("GH-AKWATIA")
        })
        .unwrap();
    for r in &w.records {
        on_device(&mut device, r).unwrap_or_else(|e| panic!("device {}: {e}", r.kind()));
        on_server(&server, &admin, r).unwrap_or_else(|e| panic!("server {}: {e}", r.kind()));
    }

    let mut correction_elsewhere = production(&w.other_kono_site);
    correction_elsewhere.replaces = Some(w.kono_entry.id);
    let mut orphan_stone = Stone {
        id: StoneId::new(),
        production_id: ProductionId::new(),
        weight: Centicarats(35),
        class: StoneClass::Gem,
        colour: String::new(),
        count: 1,
        sieve: None,
    };
    orphan_stone.colour = "white".into();
    let mut cross_border_first_sale = sale(&w.kono_mine, Some(&w.dealer), SaleKind::FirstSale);
    cross_border_first_sale.production_ids = vec![w.akwatia_entry.id];
    let mut resale_not_bought = sale(&w.other_dealer, Some(&w.dealer), SaleKind::Resale);
    resale_not_bought.source_sale_ids = vec![w.first_sale.id];
    let review = |target: uuid::Uuid, comment: String| Review {
        id: ReviewId::new(),
        target_entity: RecordKind::Production,
        target_id: target,
        decision: ReviewDecision::Queried,
        comment,
        reviewer: admin.officer.id,
        at: chrono::Utc::now(),
    };

    let cases: Vec<(&str, Record, &str)> = vec![
        (
            "a digger in a region nobody registered",
            Record::Digger(digger("XX-NOWHERE", "XX-1")),
            "region \"XX-NOWHERE\" is not known here",
        ),
        (
            "a licence held by an unregistered digger",
            Record::Licence(licence(
                "SL-KONO",
                "SL-M-9",
                LicenceKind::ArtisanalMining,
                Some(&digger("SL-KONO", "SL-9999")),
            )),
            "is not a registered digger",
        ),
        (
            "a site under an unknown licence",
            Record::Site(site(&licence(
                "SL-KONO",
                "SL-M-8",
                LicenceKind::Dealer,
                None,
            ))),
            "is not a known licence",
        ),
        (
            "a crew that ends before it starts",
            Record::Crew(Crew {
                id: CrewId::new(),
                licence_id: w.kono_mine.id,
                site_id: Some(w.kono_site.id),
                digger_id: w.kono_digger.id,
                from: day("2026-03-10"),
                to: Some(day("2026-03-01")),
            }),
            "is before its start",
        ),
        (
            "a crew with an unregistered digger",
            Record::Crew(Crew {
                id: CrewId::new(),
                licence_id: w.kono_mine.id,
                site_id: None,
                digger_id: DiggerId::new(),
                from: day("2026-03-01"),
                to: None,
            }),
            "is not a registered digger",
        ),
        (
            "production at an unknown site",
            Record::Production(production(&site(&w.kono_mine))),
            "is not a known site",
        ),
        (
            "a correction that moves an entry to another site",
            Record::Production(correction_elsewhere),
            "a correction keeps its site",
        ),
        (
            "a bag sealed with a seal number holding a space",
            Record::Production(ProductionEntry {
                seal: "K 12".into(),
                ..production(&w.other_kono_site)
            }),
            "seal \"K 12\" may hold only letters, digits",
        ),
        (
            "a stone of an unknown entry",
            Record::Stone(orphan_stone),
            "is not a known production entry",
        ),
        (
            "a first sale of another country's production",
            Record::Sale(cross_border_first_sale),
            "was found under another licence than the seller's SL-M-1",
        ),
        (
            "a first sale sold by a dealer",
            Record::Sale(sale(&w.dealer, Some(&w.other_dealer), SaleKind::FirstSale)),
            "is a dealer licence",
        ),
        (
            "a sale to an unknown buyer",
            Record::Sale(sale(
                &w.kono_mine,
                Some(&licence("SL-KONO", "SL-D-9", LicenceKind::Dealer, None)),
                SaleKind::FirstSale,
            )),
            "is not a known licence",
        ),
        (
            "a resale of goods the seller did not buy",
            Record::Sale(resale_not_bought),
            "was not bought or imported by the seller SL-D-2",
        ),
        (
            "an export by a mining licence",
            Record::Sale(Sale {
                certificate_number: "KP-SL-1".into(),
                destination_country: "BE".into(),
                hs_code: "7102.10".into(),
                ..sale(&w.akwatia_mine, None, SaleKind::Export)
            }),
            "must hold a exporter licence",
        ),
        (
            "an export without the HS code its certificate declares",
            Record::Sale(Sale {
                certificate_number: "KP-SL-2".into(),
                destination_country: "BE".into(),
                ..sale(&w.akwatia_mine, None, SaleKind::Export)
            }),
            "hs_code is required on an export",
        ),
        (
            "a review of a record that is not on record",
            Record::Review(review(uuid::Uuid::now_v7(), "Check".into())),
            "is not known here",
        ),
        (
            "a review with an endless comment",
            Record::Review(review(
                w.kono_entry.id.0,
                "x".repeat(MAX_REVIEW_COMMENT + 1),
            )),
            "comment is longer than 2000 characters",
        ),
        (
            "the same production entry again",
            Record::Production(w.kono_entry.clone()),
            "already exists; a correction is a new record",
        ),
        (
            "a renewal that ends before it starts",
            Record::LicenceEvent(LicenceEvent {
                until: Some(day("2026-12-01")),
                ..renewal(&w.kono_mine)
            }),
            "until 2026-12-01 is before 2027-01-01, the day the renewal takes effect",
        ),
        (
            "a renewal without its fee",
            Record::LicenceEvent(LicenceEvent {
                fee_cents: None,
                receipt: String::new(),
                ..renewal(&w.kono_mine)
            }),
            "fee_usd is required for a renewal",
        ),
        (
            "a suspension before the licence was issued",
            Record::LicenceEvent(LicenceEvent {
                kind: LicenceEventKind::Suspended,
                on: day("2025-12-31"),
                until: None,
                fee_cents: None,
                receipt: String::new(),
                reason: "late returns".into(),
                ..renewal(&w.kono_mine)
            }),
            "on 2025-12-31 is before licence SL-M-1 was issued on 2026-01-01",
        ),
        (
            "an event of an unknown licence",
            Record::LicenceEvent(LicenceEvent {
                licence_id: LicenceId::new(),
                ..renewal(&w.kono_mine)
            }),
            "is not a known licence",
        ),
        (
            "a supporter of a dealer licence",
            Record::Supporter(Supporter {
                id: SupporterId::new(),
                licence_id: w.dealer.id,
                digger_id: None,
                full_name: "Alhaji Kamara".into(),
                national_id: "SL-88120".into(),
            }),
            "supporters are named on artisanal mining licences",
        ),
        (
            "a photo of a record that is not on record",
            Record::Photo(photo(
                admin.officer.id,
                RecordKind::Production,
                uuid::Uuid::now_v7(),
                1_000,
            )),
            "the photo shows is not known here",
        ),
        (
            "a photo larger than the limit",
            Record::Photo(photo(
                admin.officer.id,
                RecordKind::Production,
                w.kono_entry.id.0,
                6 * 1024 * 1024,
            )),
            "the photo is 6.0 MB; a photo may be at most 5 MB",
        ),
        (
            "a photo on a stone",
            Record::Photo(photo(
                admin.officer.id,
                RecordKind::Stone,
                uuid::Uuid::now_v7(),
                1_000,
            )),
            "a stone does not take photos",
        ),
    ];
    for (what, record, reason) in cases {
        let device_says =
            on_device(&mut device, &record).expect_err(&format!("the device accepted {what}"));
        let server_says =
            on_server(&server, &admin, &record).expect_err(&format!("the server accepted {what}"));
        assert!(
            device_says.contains(reason),
            "{what}: the device said {device_says:?}"
        );
        assert_eq!(device_says, server_says, "{what}: device and server differ");
    }
}

/// A server holding the world, pushed by an administrator.
fn server_with_world() -> (tempfile::TempDir, Server, World) {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let server = common::open_store(dir.path());
    server.add_region("SL-KONO", "Kono", "SL").unwrap();
    server.add_region("GH-AKWATIA", "Akwatia", "GH").unwrap();
    let admin = admin_session();
    for r in &w.records {
        on_server(&server, &admin, r).unwrap_or_else(|e| panic!("server {}: {e}", r.kind()));
    }
    (dir, server, w)
}

#[test]
fn finding_01_cross_region_overwrite_is_refused() {
    let (_dir, server, w) = server_with_world();
    // A field officer of SL-KONO re-points a GH-AKWATIA site at an SL licence.
    let sl_field = session(Role::FieldOfficer, &["SL-KONO"]);
    let mut moved = w.akwatia_site.clone();
    moved.licence_id = w.kono_mine.id;
    let why = on_server(&server, &sl_field, &Record::Site(moved)).unwrap_err();
    assert!(why.contains("belongs to region GH-AKWATIA"), "{why}");
    // A licensing officer of SL-KONO moves a GH digger the same way.
    let sl_licensing = session(Role::LicensingOfficer, &["SL-KONO"]);
    let mut digger = w.akwatia_digger.clone();
    digger.region = "SL-KONO".into();
    let why = on_server(&server, &sl_licensing, &Record::Digger(digger.clone())).unwrap_err();
    assert!(why.contains("belongs to region GH-AKWATIA"), "{why}");
    // Serving both regions is not enough: moving a record is an administrator's act.
    let both = session(Role::LicensingOfficer, &["SL-KONO", "GH-AKWATIA"]);
    let why = on_server(&server, &both, &Record::Digger(digger.clone())).unwrap_err();
    assert!(why.contains("administrator's act"), "{why}");
    // The GH officer's work goes on at the site that stayed where it was.
    let gh_field = session(Role::FieldOfficer, &["GH-AKWATIA"]);
    let entry = production(&w.akwatia_site);
    on_server(&server, &gh_field, &Record::Production(entry)).unwrap();
    // An edit within the region is still an edit.
    let mut renamed = w.akwatia_site.clone();
    renamed.name = "Renamed pit".into();
    on_server(&server, &gh_field, &Record::Site(renamed)).unwrap();
    on_server(&server, &admin_session(), &Record::Digger(digger)).unwrap();
}

/// A licence whose area has `corners` corners on a small circle near Koidu, as a push payload.
fn licence_with_corners(w: &World, corners: usize) -> serde_json::Value {
    let mut ring: Vec<String> = (0..corners)
        .map(|i| {
            let a = i as f64 / corners as f64 * std::f64::consts::TAU;
            format!("{} {}", -10.97 + 0.01 * a.cos(), 8.64 + 0.01 * a.sin())
        })
        .collect();
    ring.push(ring[0].clone());
    let mut l = licence(
        "SL-KONO",
        "SL-M-BIG",
        LicenceKind::ArtisanalMining,
        Some(&w.kono_digger),
    );
    l.area = None;
    let mut json = serde_json::to_value(&l).unwrap();
    json["area"] = format!("POLYGON(({}))", ring.join(", ")).into();
    json
}

#[test]
fn finding_02_a_huge_polygon_is_refused_before_it_costs() {
    let (_dir, server, w) = server_with_world();
    let payload = licence_with_corners(&w, 32_000);
    let record_id = payload["id"].as_str().unwrap().to_string();
    let change = |s: &Session| Change {
        record_id: record_id.clone(),
        payload: payload.clone(),
        ..change_of(s, &Record::Digger(w.kono_digger.clone()))
    };
    let with_kind = |s: &Session| Change {
        entity: RecordKind::Licence,
        op: Op::Upsert,
        ..change(s)
    };
    // A field officer may not write licences: refused before the payload is read.
    let field = session(Role::FieldOfficer, &["SL-KONO"]);
    let why = push_change(&server, &field, with_kind(&field)).unwrap_err();
    assert!(why.contains("may not push licence"), "{why}");
    // A licensing officer's 32 000 corners are refused by count, not by geometry.
    let licensing = session(Role::LicensingOfficer, &["SL-KONO"]);
    let started = std::time::Instant::now();
    let why = push_change(&server, &licensing, with_kind(&licensing)).unwrap_err();
    assert!(why.contains("32000 corners, more than 1000"), "{why}");
    eprintln!("32 000-corner licence refused in {:?}", started.elapsed());
}

#[test]
fn finding_03_replaces_is_checked() {
    let (_dir, server, w) = server_with_world();
    let field = session(Role::FieldOfficer, &["SL-KONO"]);
    // A correction naming another region's entry (to hide it from the totals).
    let mut hiding = production(&w.kono_site);
    hiding.replaces = Some(w.akwatia_entry.id);
    let why = on_server(&server, &field, &Record::Production(hiding)).unwrap_err();
    assert!(why.contains("a correction keeps its site"), "{why}");
    // A correction of an entry that does not exist.
    let mut nothing = production(&w.kono_site);
    nothing.replaces = Some(ProductionId::new());
    let why = on_server(&server, &field, &Record::Production(nothing)).unwrap_err();
    assert!(why.contains("no such production entry"), "{why}");
    // The first correction is taken, a second one of the same version is not.
    let mut first = production(&w.kono_site);
    first.replaces = Some(w.kono_entry.id);
    on_server(&server, &field, &Record::Production(first.clone())).unwrap();
    let mut second = production(&w.kono_site);
    second.replaces = Some(w.kono_entry.id);
    let why = on_server(&server, &field, &Record::Production(second)).unwrap_err();
    assert!(
        why.contains(&format!("already corrected by {}", first.id)),
        "{why}"
    );
}

#[test]
fn finding_04_clocks_far_ahead_are_refused() {
    let (_dir, server, w) = server_with_world();
    let licensing = session(Role::LicensingOfficer, &["SL-KONO"]);
    let mut digger = w.kono_digger.clone();
    digger.phone = "+232 76 000000".into();
    // The year 6429.
    let far = Change {
        hlc: Hlc::new(140_700_000_000_000, 0),
        ..change_of(&licensing, &Record::Digger(digger.clone()))
    };
    let why = push_change(&server, &licensing, far).unwrap_err();
    assert!(why.contains("ahead of the server's"), "{why}");
    let backwards = change_of(&licensing, &Record::Digger(digger.clone()));
    let backwards = Change {
        base_hlc: Hlc(backwards.hlc.0 + 1),
        ..backwards
    };
    let why = push_change(&server, &licensing, backwards).unwrap_err();
    assert!(why.contains("base clock is later"), "{why}");
    // A clock a few seconds ahead (a device's clock is never exact) is fine.
    let slightly = change_of(&licensing, &Record::Digger(digger));
    let slightly = Change {
        hlc: Hlc::new(slightly.hlc.unix_ms() + 10_000, 0),
        ..slightly
    };
    push_change(&server, &licensing, slightly).unwrap();
}

#[test]
fn finding_04_a_device_does_not_follow_a_clock_far_ahead() {
    let mut device = Store::open_in_memory().unwrap();
    let region = Region::known("SL-KONO").unwrap();
    let far = alluvium::store::RemoteChange {
        change_id: uuid::Uuid::now_v7().to_string(),
        entity: RecordKind::Region,
        record_id: region.code.clone(),
        hlc: Hlc::new(140_700_000_000_000, 0),
        base_hlc: Hlc::default(),
        origin: uuid::Uuid::now_v7().to_string(),
        author: None,
        payload: serde_json::to_string(&region).unwrap(),
        refused: None,
    };
    device.apply_remote(&[far], Some(1)).unwrap();
    // The next local change is stamped near now, not in the year 6429.
    device
        .write(|w| w.put_digger(&digger("SL-KONO", "SL-0002")))
        .unwrap();
    let change = device.unsent_changes(10).unwrap().pop().unwrap();
    let ahead = change.hlc.unix_ms() as i64 - chrono::Utc::now().timestamp_millis();
    assert!(
        ahead < 6 * 60 * 1000,
        "the device's clock ran {ahead} ms ahead"
    );
}

#[test]
fn finding_05_fields_and_pull_pages_are_bounded() {
    let (_dir, server, w) = server_with_world();
    let coordinator = session(Role::Coordinator, &["SL-KONO"]);
    let review = Review {
        id: ReviewId::new(),
        target_entity: RecordKind::Production,
        target_id: w.kono_entry.id.0,
        decision: ReviewDecision::Queried,
        comment: "x".repeat(55 * 1024),
        reviewer: coordinator.officer.id,
        at: chrono::Utc::now(),
    };
    let why = on_server(&server, &coordinator, &Record::Review(review)).unwrap_err();
    assert!(why.contains("comment is longer than 2000"), "{why}");
    // 2 200 entries with the longest notes allowed make ~4.6 MB: a page stops at 4 MiB.
    let field = session(Role::FieldOfficer, &["SL-KONO"]);
    let entries: Vec<Change> = (0..2_200)
        .map(|_| {
            let mut p = production(&w.kono_site);
            p.notes = "n".repeat(2_000);
            change_of(&field, &Record::Production(p))
        })
        .collect();
    for batch in entries.chunks(1_000) {
        let results = server.push(&field, batch).unwrap();
        assert!(results.iter().all(|r| r.verdict == Verdict::Accepted));
    }
    let page = server.pull(&coordinator, 0, 2_000, false).unwrap();
    let bytes: usize = page
        .changes
        .iter()
        .map(|c| c.change.payload.to_string().len())
        .sum();
    assert!(
        page.has_more,
        "a page of {bytes} bytes claims to be the last"
    );
    assert!(
        bytes <= alluvium::sync::limits::MAX_PULL_PAGE_BYTES,
        "{bytes} bytes in one page"
    );
    assert!(page.changes.len() < 2_000);
    // Nothing is skipped: the device gets every entry over the following pages.
    let mut cursor = page.cursor;
    let mut seen = page.changes.len();
    loop {
        let next = server.pull(&coordinator, cursor, 2_000, false).unwrap();
        seen += next.changes.len();
        cursor = next.cursor;
        if !next.has_more {
            break;
        }
    }
    assert!(seen >= 2_200, "{seen} changes pulled");
}

#[test]
fn finding_10_sale_links_are_checked_on_the_server() {
    let (_dir, server, w) = server_with_world();
    let field = session(Role::FieldOfficer, &["SL-KONO"]);
    let mut slip = sale(&w.kono_mine, Some(&w.dealer), SaleKind::FirstSale);
    slip.production_ids = vec![w.akwatia_entry.id];
    let why = on_server(&server, &field, &Record::Sale(slip)).unwrap_err();
    assert!(
        why.contains("under another licence than the seller's"),
        "{why}"
    );
}

#[test]
fn finding_11_a_review_is_signed_by_the_session_and_not_in_the_future() {
    let (_dir, server, w) = server_with_world();
    let coordinator = session(Role::Coordinator, &["SL-KONO"]);
    let review = |reviewer: OfficerId, at: chrono::DateTime<chrono::Utc>| Review {
        id: ReviewId::new(),
        target_entity: RecordKind::Production,
        target_id: w.kono_entry.id.0,
        decision: ReviewDecision::Approved,
        comment: String::new(),
        reviewer,
        at,
    };
    let now = chrono::Utc::now();
    let forged = review(OfficerId::new(), now);
    let why = on_server(&server, &coordinator, &Record::Review(forged)).unwrap_err();
    assert!(why.contains("signed by the officer who pushes it"), "{why}");
    let later = review(coordinator.officer.id, now + chrono::Duration::days(30));
    let why = on_server(&server, &coordinator, &Record::Review(later)).unwrap_err();
    assert!(why.contains("in the future"), "{why}");
    let honest = review(coordinator.officer.id, now);
    on_server(&server, &coordinator, &Record::Review(honest)).unwrap();
}

#[test]
fn finding_12_a_change_id_answers_only_its_device_and_content() {
    let (_dir, server, w) = server_with_world();
    let field = session(Role::FieldOfficer, &["SL-KONO"]);
    let entry = production(&w.kono_site);
    let change = change_of(&field, &Record::Production(entry));
    push_change(&server, &field, change.clone()).unwrap();
    // The same change again: the same answer, nothing written twice.
    push_change(&server, &field, change.clone()).unwrap();
    // Other content under the same id.
    let other = change_of(&field, &Record::Production(production(&w.kono_site)));
    let why = push_change(
        &server,
        &field,
        Change {
            change_id: change.change_id,
            ..other
        },
    )
    .unwrap_err();
    assert!(why.contains("already used for other content"), "{why}");
    // Another device asking about this id learns nothing of it.
    let snoop = session(Role::FieldOfficer, &["SL-KONO"]);
    let theirs = Change {
        origin: snoop.device.id,
        author: Some(snoop.officer.id.0),
        ..change
    };
    let why = push_change(&server, &snoop, theirs).unwrap_err();
    assert!(why.contains("used by another device"), "{why}");
    assert_eq!(server.stats().unwrap().total.production, 3);
}
