//! One set of record rules on both ends: the same bad records, written on a device and pushed
//! to the server, are refused by both with the same reason.
//!
//! The device and the server hold the same records (written locally on the device, pushed by an
//! administrator to the server); each bad record is then offered to the device's writer and to
//! the server store's push, and the two answers are compared word for word.

use alluvium::domain::rules::Record;
use alluvium::domain::*;
use alluvium::store::Store;
use alluvium::sync::wire::{Change, Op, Verdict};
use alluvium_sync::db::{Device, ServerStore, Session, SqliteStore};
use chrono::NaiveDate;

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
        Record::Digger(akwatia_digger),
        Record::Licence(kono_mine.clone()),
        Record::Licence(akwatia_mine.clone()),
        Record::Licence(dealer.clone()),
        Record::Licence(other_dealer.clone()),
        Record::Site(kono_site.clone()),
        Record::Site(other_kono_site.clone()),
        Record::Site(akwatia_site),
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
        akwatia_entry,
        first_sale,
        records,
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
                Record::Production(p) => w.add_production(p),
                Record::Stone(s) => w.add_stone(s),
                Record::Sale(s) => w.add_sale(s),
                Record::Review(r) => w.add_review(r),
            }
        })
        .map_err(|e| e.to_string())
}

/// An administrator's session on the server, so that only the record rules can refuse.
fn admin_session() -> Session {
    Session {
        device: Device {
            id: uuid::Uuid::now_v7(),
            region: "SL-KONO".into(),
        },
        officer: Officer {
            id: OfficerId::new(),
            username: "admin".into(),
            full_name: "Admin".into(),
            role: Role::Admin,
            regions: vec![],
        },
    }
}

/// Pushes one record to the server; the verdict's reason, if refused.
fn on_server(server: &SqliteStore, s: &Session, record: &Record) -> Result<(), String> {
    let kind = record.kind();
    let change = Change {
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
            Record::Production(p) => serde_json::to_value(p),
            Record::Stone(x) => serde_json::to_value(x),
            Record::Sale(x) => serde_json::to_value(x),
            Record::Review(r) => serde_json::to_value(r),
        }
        .unwrap(),
    };
    let results = server.push(s, &[change]).unwrap();
    match &results[0].verdict {
        Verdict::Accepted => Ok(()),
        Verdict::Rejected { reason } => Err(reason.clone()),
    }
}

#[test]
fn device_and_server_refuse_the_same_records_with_the_same_reason() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let server = SqliteStore::open(&dir.path().join("server.db")).unwrap();
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
        reviewer: OfficerId::new(),
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
            "was not bought by the seller SL-D-2",
        ),
        (
            "an export by a mining licence",
            Record::Sale(Sale {
                certificate_number: "KP-SL-1".into(),
                destination_country: "BE".into(),
                ..sale(&w.akwatia_mine, None, SaleKind::Export)
            }),
            "must hold a exporter licence",
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
