//! Dated licence standing against known truth, on a real store: a renewal does not cover the
//! lapse before it, a suspension from June leaves March alone, a reinstatement clears what
//! follows, and a dealer suspended after a purchase was licensed when it bought. Also the CLI:
//! bad events are refused in one line with nothing written, and events round-trip through CSV.

use alluvium::analytics::{CheckConfig, FlagKind, PriceModel, run_checks};
use alluvium::domain::{
    Area, Centicarats, Cents, Digger, DiggerId, DiggerStatus, LatLon, Licence, LicenceEvent,
    LicenceEventId, LicenceEventKind, LicenceId, LicenceKind, LicenceStanding, LicenceStatus,
    Litres, Position, ProductionEntry, ProductionId, Region, Sale, SaleId, SaleKind, Sex, Site,
    SiteId, SiteKind, SiteStatus, Supporter, SupporterId,
};
use alluvium::store::{FactFilter, Store, StoreError, Writer};
use chrono::NaiveDate;
use std::collections::BTreeSet;
use test_kit::cli::{alluvium, ok, stderr_line};
use uuid::Uuid;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

const LICENCE_FLAGS: [FlagKind; 4] = [
    FlagKind::NoLicence,
    FlagKind::LicenceExpired,
    FlagKind::LicenceSuspended,
    FlagKind::UnlicensedBuyer,
];

struct World {
    store: Store,
    n: u32,
}

impl World {
    fn new() -> World {
        let mut store = Store::open_in_memory().unwrap();
        store
            .write(|w| w.put_region(&Region::known("SL-KONO").unwrap()))
            .unwrap();
        World { store, n: 0 }
    }

    fn write<T>(&mut self, f: impl FnOnce(&mut Writer<'_>) -> Result<T, StoreError>) -> T {
        self.store
            .write(|w| {
                w.set_today(d(2026, 12, 31));
                f(w)
            })
            .unwrap()
    }

    /// A mining licence issued 2026-01-10 until `expires`, with one site.
    fn miner(&mut self, expires: NaiveDate) -> (Licence, SiteId) {
        self.n += 1;
        let n = self.n;
        let lat = 8.0 + f64::from(n) * 0.01;
        let digger = Digger {
            id: DiggerId::new(),
            national_id: format!("SL-LH{n:05}"),
            full_name: format!("Holder {n}"),
            sex: Sex::Female,
            birth_date: d(1990, 1, 1),
            village: String::new(),
            chiefdom: String::new(),
            phone: String::new(),
            region: "SL-KONO".into(),
            status: DiggerStatus::Active,
        };
        let corners = [
            LatLon { lat, lon: -10.6 },
            LatLon { lat, lon: -10.599 },
            LatLon {
                lat: lat + 0.001,
                lon: -10.599,
            },
            LatLon {
                lat: lat + 0.001,
                lon: -10.6,
            },
        ];
        let l = Licence {
            id: LicenceId::new(),
            number: format!("KONO/AM/LH/{n:04}"),
            kind: LicenceKind::ArtisanalMining,
            holder_digger_id: Some(digger.id),
            holder_name: String::new(),
            region: "SL-KONO".into(),
            issued_on: d(2026, 1, 10),
            expires_on: expires,
            status: LicenceStatus::Active,
            area: Some(Area::from_corners(&corners).unwrap()),
            fee_receipt: "R-ISSUE".into(),
        };
        let s = Site {
            id: SiteId::new(),
            licence_id: l.id,
            name: format!("Pit {n}"),
            kind: SiteKind::Pit,
            status: SiteStatus::Active,
            position: Position {
                lat: lat + 0.0005,
                lon: -10.5995,
                accuracy_m: 4.0,
            },
            opened_on: d(2026, 1, 10),
        };
        let sid = s.id;
        self.write(|w| {
            w.put_digger(&digger)?;
            w.put_licence(&l)?;
            w.put_site(&s)
        });
        (l, sid)
    }

    fn dealer(&mut self) -> Licence {
        self.n += 1;
        let l = Licence {
            id: LicenceId::new(),
            number: format!("KONO/DL/LH/{:04}", self.n),
            kind: LicenceKind::Dealer,
            holder_digger_id: None,
            holder_name: "Kono Diamond House".into(),
            region: "SL-KONO".into(),
            issued_on: d(2026, 1, 10),
            expires_on: d(2026, 12, 31),
            status: LicenceStatus::Active,
            area: None,
            fee_receipt: String::new(),
        };
        self.write(|w| w.put_licence(&l));
        l
    }

    fn dig(&mut self, site: SiteId, day: NaiveDate) -> Uuid {
        let e = ProductionEntry {
            seal: String::new(),
            id: ProductionId::new(),
            site_id: site,
            day,
            officer: "fo.kono".into(),
            fix: None,
            crew_size: 8,
            digger_ids: vec![],
            gravel: Litres(6_000),
            notes: String::new(),
            replaces: None,
        };
        self.write(|w| w.add_production(&e));
        e.id.0
    }

    fn event(
        &mut self,
        l: &Licence,
        kind: LicenceEventKind,
        on: NaiveDate,
        until: Option<NaiveDate>,
    ) {
        let term = until.is_some();
        let e = LicenceEvent {
            id: LicenceEventId::new(),
            licence_id: l.id,
            kind,
            on,
            until,
            fee_cents: term.then_some(Cents(5_000)),
            receipt: if term {
                "R-RENEW".into()
            } else {
                String::new()
            },
            reason: if term {
                String::new()
            } else {
                "inspection".into()
            },
        };
        self.write(|w| w.add_licence_event(&e));
    }

    fn buy(&mut self, seller: &Licence, buyer: &Licence, day: NaiveDate, from: Uuid) -> Uuid {
        let s = Sale {
            seals: vec![],
            id: SaleId::new(),
            slip_number: format!("S-{}", Uuid::now_v7().simple()),
            day,
            seller_licence_id: seller.id,
            buyer_licence_id: Some(buyer.id),
            weight: Centicarats(100),
            stone_count: 1,
            price: Cents(20_000),
            production_ids: vec![ProductionId(from)],
            source_sale_ids: vec![],
            kind: SaleKind::FirstSale,
            certificate_number: String::new(),
            destination_country: String::new(),
            hs_code: String::new(),
            importer: String::new(),
            origin_country: String::new(),
        };
        self.write(|w| w.add_sale(&s));
        s.id.0
    }

    /// The licence flags raised, as (kind, record).
    fn flags(&self) -> BTreeSet<(FlagKind, Uuid)> {
        let data = self.store.check_data(&FactFilter::default()).unwrap();
        run_checks(&data, &CheckConfig::default(), &PriceModel::standard())
            .into_iter()
            .filter(|f| LICENCE_FLAGS.contains(&f.kind))
            .map(|f| (f.kind, f.record_id))
            .collect()
    }
}

#[test]
fn production_during_a_lapse_stays_flagged_after_the_renewal() {
    let mut w = World::new();
    let (l, site) = w.miner(d(2026, 3, 31));
    let before = w.dig(site, d(2026, 3, 15));
    let lapse = w.dig(site, d(2026, 4, 15));
    assert_eq!(
        w.flags(),
        BTreeSet::from([(FlagKind::LicenceExpired, lapse)])
    );
    w.event(
        &l,
        LicenceEventKind::Renewed,
        d(2026, 5, 1),
        Some(d(2027, 4, 30)),
    );
    let after = w.dig(site, d(2026, 5, 10));
    let flags = w.flags();
    assert_eq!(flags, BTreeSet::from([(FlagKind::LicenceExpired, lapse)]));
    assert!(!flags.iter().any(|(_, r)| *r == before || *r == after));
    let history = w.store.licence_history(l.id).unwrap().unwrap();
    assert_eq!(history.valid_until_on(d(2026, 4, 15)), Some(d(2026, 3, 31)));
    assert_eq!(history.standing_on(d(2026, 5, 10)), LicenceStanding::Active);
}

#[test]
fn a_suspension_from_june_flags_june_not_march_and_a_reinstatement_clears_what_follows() {
    let mut w = World::new();
    let (l, site) = w.miner(d(2026, 12, 31));
    let march = w.dig(site, d(2026, 3, 10));
    let june = w.dig(site, d(2026, 6, 15));
    w.event(&l, LicenceEventKind::Suspended, d(2026, 6, 1), None);
    assert_eq!(
        w.flags(),
        BTreeSet::from([(FlagKind::LicenceSuspended, june)])
    );
    w.event(&l, LicenceEventKind::Reinstated, d(2026, 7, 1), None);
    let july = w.dig(site, d(2026, 7, 10));
    let flags = w.flags();
    assert_eq!(flags, BTreeSet::from([(FlagKind::LicenceSuspended, june)]));
    assert!(!flags.iter().any(|(_, r)| *r == march || *r == july));
}

#[test]
fn a_dealer_suspended_after_a_purchase_was_licensed_when_it_bought() {
    let mut w = World::new();
    let (miner, site) = w.miner(d(2026, 12, 31));
    let dealer = w.dealer();
    let dug = w.dig(site, d(2026, 2, 20));
    let dug_later = w.dig(site, d(2026, 4, 10));
    let bought = w.buy(&miner, &dealer, d(2026, 3, 1), dug);
    w.event(&dealer, LicenceEventKind::Suspended, d(2026, 4, 1), None);
    let bought_suspended = w.buy(&miner, &dealer, d(2026, 4, 15), dug_later);
    let flags = w.flags();
    assert!(
        !flags.contains(&(FlagKind::UnlicensedBuyer, bought)),
        "{flags:?}"
    );
    assert_eq!(
        flags,
        BTreeSet::from([(FlagKind::UnlicensedBuyer, bought_suspended)])
    );
}

#[test]
fn a_licence_without_events_keeps_the_flags_its_status_always_gave() {
    let mut w = World::new();
    let (mut l, site) = w.miner(d(2026, 12, 31));
    let march = w.dig(site, d(2026, 3, 10));
    l.status = LicenceStatus::Suspended;
    w.write(|wr| wr.put_licence(&l));
    // No date was ever recorded for the suspension: it covers the whole term, as before.
    assert_eq!(
        w.flags(),
        BTreeSet::from([(FlagKind::LicenceSuspended, march)])
    );
    let history = w.store.licence_history(l.id).unwrap().unwrap();
    let kinds: Vec<_> = history.lines().iter().map(|h| h.kind).collect();
    assert_eq!(
        kinds,
        [LicenceEventKind::Issued, LicenceEventKind::Suspended]
    );
    assert!(history.events().iter().all(|h| h.implied));
    // A reinstatement is dated and ends it.
    w.event(&l, LicenceEventKind::Reinstated, d(2026, 4, 1), None);
    let april = w.dig(site, d(2026, 4, 2));
    let flags = w.flags();
    assert!(flags.contains(&(FlagKind::LicenceSuspended, march)));
    assert!(!flags.iter().any(|(_, r)| *r == april));
}

#[test]
fn supporters_are_a_digger_or_a_named_person_of_an_artisanal_licence() {
    let mut w = World::new();
    let (l, _) = w.miner(d(2026, 12, 31));
    let dealer = w.dealer();
    let named = Supporter {
        id: SupporterId::new(),
        licence_id: l.id,
        digger_id: None,
        full_name: "Alhaji Kamara".into(),
        national_id: "SL-88120".into(),
    };
    w.write(|wr| wr.put_supporter(&named));
    let holder = w.store.licence(l.id).unwrap().unwrap().holder_digger_id;
    let digger = Supporter {
        id: SupporterId::new(),
        licence_id: l.id,
        digger_id: holder,
        full_name: String::new(),
        national_id: String::new(),
    };
    w.write(|wr| wr.put_supporter(&digger));
    let list = w.store.licence_supporters(l.id).unwrap();
    let names: Vec<_> = list
        .iter()
        .map(|s| (s.full_name.as_str(), s.national_id.as_str()))
        .collect();
    assert_eq!(
        names,
        [("Alhaji Kamara", "SL-88120"), ("Holder 1", "SL-LH00001")]
    );
    let refused = w.store.write(|wr| {
        wr.put_supporter(&Supporter {
            id: SupporterId::new(),
            licence_id: dealer.id,
            ..named.clone()
        })
    });
    assert!(
        refused.unwrap_err().to_string().contains("artisanal"),
        "a dealer licence names no supporters"
    );
}

/// A database with one licence issued on 2026-01-10 until 2026-12-31, made through the CLI.
fn cli_db(dir: &std::path::Path) -> std::path::PathBuf {
    let db = dir.join("a.db");
    let diggers = dir.join("diggers.csv");
    std::fs::write(
        &diggers,
        "id,national_id,full_name,sex,birth_date,village,chiefdom,phone,region,status\n\
         01900000-0000-7000-8000-000000000001,SL-1,Aiah Sesay,male,1990-01-01,Motema,Gbense,,SL-KONO,active\n",
    )
    .unwrap();
    ok(
        &db,
        &["import", "diggers", "--csv", diggers.to_str().unwrap()],
    );
    let licences = dir.join("licences.csv");
    std::fs::write(
        &licences,
        "id,number,kind,holder_digger_id,region,issued_on,expires_on,status,area_wkt\n\
         01900000-0000-7000-8000-0000000000a1,KONO/AM/1,artisanal_mining,01900000-0000-7000-8000-000000000001,SL-KONO,2026-01-10,2026-12-31,active,\"POLYGON((-10.97 8.64, -10.969 8.64, -10.969 8.641, -10.97 8.641, -10.97 8.64))\"\n",
    )
    .unwrap();
    ok(
        &db,
        &["import", "licences", "--csv", licences.to_str().unwrap()],
    );
    db
}

#[test]
fn bad_licence_events_are_refused_in_one_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = cli_db(dir.path());
    let pending = || {
        let stats: serde_json::Value =
            serde_json::from_str(&ok(&db, &["stats", "--json"])).unwrap();
        stats["pending_changes"].as_i64().unwrap()
    };
    let before = pending();
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "licence",
                "renew",
                "KONO/AM/1",
                "--on",
                "2026-12-01",
                "--until",
                "2026-11-30",
                "--fee-usd",
                "50.00",
                "--receipt",
                "R-2",
            ],
            "until 2026-11-30 is before 2026-12-01, the day the renewal takes effect",
        ),
        (
            &[
                "licence",
                "suspend",
                "KONO/AM/1",
                "--on",
                "2025-12-31",
                "--reason",
                "late",
            ],
            "on 2025-12-31 is before licence KONO/AM/1 was issued on 2026-01-10",
        ),
        (
            &[
                "licence",
                "revoke",
                "KONO/AM/404",
                "--on",
                "2026-03-01",
                "--reason",
                "fraud",
            ],
            "no licence numbered \"KONO/AM/404\"",
        ),
        (
            &[
                "licence",
                "renew",
                "KONO/AM/1",
                "--on",
                "2026-12-01",
                "--until",
                "2027-11-30",
            ],
            "fee_usd is required for a renewal",
        ),
        (
            &[
                "licence",
                "renew",
                "KONO/AM/1",
                "--on",
                "2026-12-01",
                "--until",
                "2027-11-30",
                "--fee-usd",
                "fifty",
                "--receipt",
                "R-2",
            ],
            "--fee-usd",
        ),
    ];
    for (args, why) in cases {
        let out = alluvium(&db, args);
        assert!(!out.status.success(), "{args:?} succeeded");
        let line = stderr_line(&out);
        assert!(line.contains(why), "{args:?}: {line}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr)
                .trim_end()
                .lines()
                .count(),
            1,
            "{args:?}"
        );
    }
    assert_eq!(pending(), before, "nothing was written");
    let history: serde_json::Value = serde_json::from_str(&ok(
        &db,
        &["licence", "history", "KONO/AM/1", "--format", "json"],
    ))
    .unwrap();
    assert_eq!(history.as_array().unwrap().len(), 1, "{history}");
    assert_eq!(history[0]["kind"], "issued");
}

#[test]
fn licence_events_through_the_cli_read_back_as_history_fees_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let db = cli_db(dir.path());
    ok(
        &db,
        &[
            "licence",
            "suspend",
            "KONO/AM/1",
            "--on",
            "2026-06-01",
            "--reason",
            "unpaid royalties",
        ],
    );
    ok(
        &db,
        &["licence", "reinstate", "KONO/AM/1", "--on", "2026-07-01"],
    );
    ok(
        &db,
        &[
            "licence",
            "renew",
            "KONO/AM/1",
            "--on",
            "2027-01-05",
            "--until",
            "2028-01-04",
            "--fee-usd",
            "75.50",
            "--receipt",
            "R-2027-9",
        ],
    );
    let history: Vec<serde_json::Value> = serde_json::from_str(&ok(
        &db,
        &["licence", "history", "KONO/AM/1", "--format", "json"],
    ))
    .unwrap();
    let got: Vec<(String, String)> = history
        .iter()
        .map(|h| {
            (
                h["kind"].as_str().unwrap().to_string(),
                h["on"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("issued", "2026-01-10"),
        ("suspended", "2026-06-01"),
        ("reinstated", "2026-07-01"),
        ("renewed", "2027-01-05"),
    ];
    assert_eq!(
        got,
        want.map(|(k, o)| (k.to_string(), o.to_string())).to_vec()
    );
    assert_eq!(history[3]["fee_usd"], "75.50");
    assert_eq!(history[3]["until"], "2028-01-04");
    assert_eq!(history[3]["receipt"], "R-2027-9");
    assert_eq!(history[1]["reason"], "unpaid royalties");
    for key in ["kind", "on", "until", "fee_usd", "receipt", "reason"] {
        assert!(history[0].get(key).is_some(), "{key}");
    }

    let fees = ok(&db, &["report", "fees", "--period", "2027-H1"]);
    assert_eq!(
        fees.lines().collect::<Vec<_>>(),
        [
            "period,region,issues,issue_fees_usd,renewals,renewal_fees_usd,total_usd",
            "2027-H1,SL-KONO,0,0.00,1,75.50,75.50",
            "2027-H1,total,0,0.00,1,75.50,75.50",
        ]
    );
    let none = ok(
        &db,
        &["report", "fees", "--period", "2026", "--region", "SL-KONO"],
    );
    assert!(none.ends_with("2026,total,0,0.00,0,0.00,0.00\n"), "{none}");

    // What export writes, import reads back: into a second database with the same licence.
    let csv = ok(&db, &["export", "licence_events", "--format", "csv"]);
    assert!(
        csv.starts_with("id,licence_id,kind,on,until,fee_usd,receipt,reason\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 4, "{csv}");
    let file = dir.path().join("events.csv");
    std::fs::write(&file, &csv).unwrap();
    let other = tempfile::tempdir().unwrap();
    let db2 = cli_db(other.path());
    ok(
        &db2,
        &["import", "licence_events", "--csv", file.to_str().unwrap()],
    );
    assert_eq!(
        ok(&db2, &["export", "licence_events", "--format", "csv"]),
        csv
    );
    let again = ok(
        &db2,
        &["import", "licence_events", "--csv", file.to_str().unwrap()],
    );
    assert!(again.contains("imported 0 licence_events"), "{again}");
    assert_eq!(
        ok(
            &db2,
            &["licence", "history", "KONO/AM/1", "--format", "json"]
        ),
        ok(
            &db,
            &["licence", "history", "KONO/AM/1", "--format", "json"]
        )
    );

    // A bad row names its file and line, and nothing of the file is written.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "id,licence_id,kind,on,until,fee_usd,receipt,reason\n\
         ,01900000-0000-7000-8000-0000000000a1,suspended,2026-08-01,,,,audit\n\
         ,01900000-0000-7000-8000-0000000000a1,renewed,2027-02-01,2027-01-01,10.00,R,\n",
    )
    .unwrap();
    let out = alluvium(
        &db2,
        &["import", "licence_events", "--csv", bad.to_str().unwrap()],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.csv:3: until 2027-01-01 is before 2027-02-01"),
        "{err}"
    );
    assert_eq!(
        ok(&db2, &["export", "licence_events", "--format", "csv"]),
        csv
    );
}

#[test]
fn supporters_export_as_csv_and_import_back_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = cli_db(dir.path());
    let digger = "01900000-0000-7000-8000-000000000001";
    ok(
        &db,
        &["licence", "support", "KONO/AM/1", "--digger", digger],
    );
    ok(
        &db,
        &[
            "licence",
            "support",
            "KONO/AM/1",
            "--name",
            "Ibrahim Conteh",
            "--national-id",
            "SL-77",
        ],
    );
    let csv = ok(&db, &["export", "supporters", "--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "id,licence_id,digger_id,full_name,national_id");
    assert_eq!(lines.len(), 3, "{csv}");
    let licence = "01900000-0000-7000-8000-0000000000a1";
    assert!(
        lines.contains(&format!("{},{licence},{digger},,", &lines[1][..36]).as_str())
            || lines.contains(&format!("{},{licence},{digger},,", &lines[2][..36]).as_str()),
        "the digger supporter names only the digger: {csv}"
    );
    assert!(
        csv.contains(&format!(",{licence},,Ibrahim Conteh,SL-77")),
        "{csv}"
    );

    // Into a second database with the same licence: the same rows come back out.
    let file = dir.path().join("supporters.csv");
    std::fs::write(&file, &csv).unwrap();
    let other = tempfile::tempdir().unwrap();
    let db2 = cli_db(other.path());
    ok(
        &db2,
        &["import", "supporters", "--csv", file.to_str().unwrap()],
    );
    assert_eq!(ok(&db2, &["export", "supporters", "--format", "csv"]), csv);
    assert_eq!(
        ok(&db2, &["licence", "supporters", "KONO/AM/1"]),
        ok(&db, &["licence", "supporters", "KONO/AM/1"])
    );

    // A row naming both a digger and a person: the file is refused with its line, nothing written.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!(
            "id,licence_id,digger_id,full_name,national_id\n\
             ,{licence},,Fatu Kamara,SL-78\n\
             ,{licence},{digger},Aiah Sesay,SL-1\n"
        ),
    )
    .unwrap();
    let third = tempfile::tempdir().unwrap();
    let db3 = cli_db(third.path());
    let out = alluvium(
        &db3,
        &["import", "supporters", "--csv", bad.to_str().unwrap()],
    );
    assert!(!out.status.success());
    let line = stderr_line(&out);
    assert!(
        line.contains(":3:") && line.contains("registered digger"),
        "{line}"
    );
    assert_eq!(
        ok(&db3, &["export", "supporters", "--format", "csv"])
            .lines()
            .count(),
        1,
        "nothing written"
    );
}
