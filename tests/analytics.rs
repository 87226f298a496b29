//! Analytics against known truth: anomaly checks on demo data with injected breaches of every
//! kind, KP totals to the centicarat across period boundaries and time zones, and the
//! footprint comparison through the command line.

use alluvium::analytics::{
    CheckConfig, FlagKind, Footprint, Period, PriceModel, SPECIAL_STONE, kp_statistics, run_checks,
};
use alluvium::demo::{self, DemoOptions};
use alluvium::domain::{
    Area, Centicarats, Digger, DiggerId, DiggerStatus, FixSource, LatLon, Licence, LicenceId,
    LicenceKind, LicenceStatus, Litres, Position, PositionFix, ProductionEntry, ProductionId,
    Region, Sex, Site, SiteId, SiteKind, SiteStatus, Stone, StoneClass, StoneId,
};
use alluvium::store::{FactFilter, Store};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};
use std::collections::BTreeSet;
use test_kit::cli::{fails, ok};
use uuid::Uuid;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

const END: (i32, u32, u32) = (2026, 10, 31);

fn end() -> NaiveDate {
    d(END.0, END.1, END.2)
}

/// Demo data for two regions whose licences all stand for the whole span, so the only true
/// flags are the special stones. The footprint test is calibrated to 0.1 % false alarms per
/// site-month, so some seeds raise one on clean data; this one (chosen when the demo began to
/// draw licence histories, which changed its data) raises none.
fn clean_store() -> Store {
    let opts = DemoOptions {
        seed: 12,
        regions: vec!["SL-KONO".into(), "GH-AKWATIA".into()],
        diggers: 240,
        days: 200,
        end: end(),
    };
    let mut data = demo::generate(&opts).unwrap();
    for l in &mut data.licences {
        l.status = LicenceStatus::Active;
        l.expires_on = l.issued_on + Duration::days(3 * 365);
    }
    // Without stored events each licence reads as its record: one issue for three years.
    data.licence_events.clear();
    let mut store = Store::open_in_memory().unwrap();
    demo::load(&mut store, &data, end()).unwrap();
    store
}

/// A tiny square plot (≈ 110 m a side) with its south-west corner at (lat, lon).
fn plot(lat: f64, lon: f64) -> Area {
    Area::from_corners(&[
        LatLon { lat, lon },
        LatLon {
            lat,
            lon: lon + 0.001,
        },
        LatLon {
            lat: lat + 0.001,
            lon: lon + 0.001,
        },
        LatLon {
            lat: lat + 0.001,
            lon,
        },
    ])
    .unwrap()
}

struct Injector {
    n: u32,
    lat: f64,
}

impl Injector {
    fn digger(&mut self) -> Digger {
        self.n += 1;
        Digger {
            id: DiggerId::new(),
            national_id: format!("SL-INJ{:05}", self.n),
            full_name: format!("Injected Digger {}", self.n),
            sex: Sex::Male,
            birth_date: d(1990, 1, 1),
            village: String::new(),
            chiefdom: String::new(),
            phone: String::new(),
            region: "SL-KONO".into(),
            status: DiggerStatus::Active,
        }
    }

    /// A licence and one site at its centre; returns (digger, licence, site).
    fn licence(
        &mut self,
        status: LicenceStatus,
        issued: NaiveDate,
        expires: NaiveDate,
    ) -> (Digger, Licence, Site) {
        let holder = self.digger();
        self.lat += 0.01;
        let (lat, lon) = (self.lat, -10.6);
        let l = Licence {
            id: LicenceId::new(),
            number: format!("KONO/AM/INJ/{:04}", self.n),
            kind: LicenceKind::ArtisanalMining,
            holder_digger_id: Some(holder.id),
            holder_name: String::new(),
            region: "SL-KONO".into(),
            issued_on: issued,
            expires_on: expires,
            status,
            area: Some(plot(lat, lon)),
            fee_receipt: String::new(),
        };
        let s = Site {
            id: SiteId::new(),
            licence_id: l.id,
            name: format!("Injected site {}", self.n),
            kind: SiteKind::Pit,
            status: SiteStatus::Active,
            position: Position {
                lat: lat + 0.0005,
                lon: lon + 0.0005,
                accuracy_m: 4.0,
            },
            opened_on: issued,
        };
        (holder, l, s)
    }
}

fn entry(site: &Site, day: NaiveDate, crew: u32, gravel_m3: i64) -> ProductionEntry {
    ProductionEntry {
        seal: String::new(),
        id: ProductionId::new(),
        site_id: site.id,
        day,
        officer: "fo.kono".into(),
        fix: Some(PositionFix {
            lat: site.position.lat,
            lon: site.position.lon,
            accuracy_m: 5.0,
            source: FixSource::Manual,
            time: None,
        }),
        crew_size: crew,
        digger_ids: vec![],
        gravel: Litres(gravel_m3 * 1000),
        notes: String::new(),
        replaces: None,
    }
}

fn stone(p: &ProductionEntry, cc: i64) -> Stone {
    Stone {
        id: StoneId::new(),
        production_id: p.id,
        weight: Centicarats(cc),
        class: StoneClass::Gem,
        colour: "white".into(),
        count: 1,
        sieve: None,
    }
}

fn flag_set(store: &Store) -> (BTreeSet<(FlagKind, Uuid)>, BTreeSet<Uuid>) {
    let data = store.check_data(&FactFilter::default()).unwrap();
    // Fewer simulations than the default keep the unoptimised test build quick; the thresholds
    // move little.
    let config = CheckConfig {
        simulations: 4000,
        ..CheckConfig::default()
    };
    let flags = run_checks(&data, &config, &PriceModel::standard());
    let mut others = BTreeSet::new();
    let mut specials = BTreeSet::new();
    for f in flags {
        assert!(
            f.evidence["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{f:?}"
        );
        if f.kind == FlagKind::SpecialStone {
            specials.insert(f.record_id);
        } else {
            others.insert((f.kind, f.record_id));
        }
    }
    (others, specials)
}

fn true_specials(store: &Store) -> BTreeSet<Uuid> {
    store
        .stones()
        .unwrap()
        .iter()
        .filter(|s| s.weight >= SPECIAL_STONE)
        .map(|s| s.id.0)
        .collect()
}

#[test]
fn every_injected_breach_is_flagged_and_nothing_else() {
    let mut store = clean_store();
    let (clean_flags, specials) = flag_set(&store);
    // Clean data raises only the capacity check's stated false alarms (≤ 0.5 % of days).
    let days = store
        .check_data(&FactFilter::default())
        .unwrap()
        .production
        .len();
    assert!(
        clean_flags
            .iter()
            .all(|(k, _)| *k == FlagKind::AboveCapacity)
            && clean_flags.len() * 200 <= days,
        "flags on clean data: {clean_flags:?} over {days} days"
    );
    assert_eq!(specials, true_specials(&store));

    let mut inj = Injector { n: 0, lat: 8.0 };
    let mut truth: BTreeSet<(FlagKind, Uuid)> = BTreeSet::new();
    let day = d(2026, 8, 12);
    let year = (d(2026, 1, 1), d(2026, 12, 31));
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    store
        .write(|w| {
            w.set_today(end());
            let put = |w: &mut alluvium::store::Writer<'_>, (h, l, s): &(Digger, Licence, Site)| {
                w.put_digger(h)?;
                w.put_licence(l)?;
                w.put_site(s)
            };
            // Licence standing on the production day.
            let revoked = inj.licence(LicenceStatus::Revoked, year.0, year.1);
            let early = inj.licence(LicenceStatus::Active, d(2026, 9, 1), year.1);
            let expired = inj.licence(LicenceStatus::Active, d(2025, 8, 1), d(2026, 7, 31));
            let suspended = inj.licence(LicenceStatus::Suspended, year.0, year.1);
            for (lic, kind) in [
                (&revoked, FlagKind::NoLicence),
                (&early, FlagKind::NoLicence),
                (&expired, FlagKind::LicenceExpired),
                (&suspended, FlagKind::LicenceSuspended),
            ] {
                put(w, lic)?;
                // The site opened before the licence in the "not yet issued" case.
                let mut s = lic.2.clone();
                s.opened_on = year.0;
                w.put_site(&s)?;
                let e = entry(&s, day, 6, 6);
                w.add_production(&e)?;
                truth.insert((kind, e.id.0));
            }
            // Outside the licensed area: 500 m north of the plot with a 5 m fix.
            let ok = inj.licence(LicenceStatus::Active, year.0, year.1);
            put(w, &ok)?;
            let mut e = entry(&ok.2, day, 6, 6);
            e.fix.as_mut().unwrap().lat += 0.0045;
            w.add_production(&e)?;
            truth.insert((FlagKind::OutsideLicenceArea, e.id.0));
            // ...but a fix 3 m outside with 8 m accuracy is within the margin.
            let mut e = entry(&ok.2, day + Duration::days(1), 6, 6);
            let f = e.fix.as_mut().unwrap();
            f.lat = ok.1.area.as_ref().unwrap().corners()[2].0 + 0.000027;
            f.accuracy_m = 8.0;
            w.add_production(&e)?;
            // One digger at two sites on one day.
            let other = inj.licence(LicenceStatus::Active, year.0, year.1);
            put(w, &other)?;
            let busy = inj.digger();
            w.put_digger(&busy)?;
            let mut a = entry(&ok.2, d(2026, 8, 20), 6, 6);
            a.digger_ids = vec![busy.id];
            let mut b = entry(&other.2, d(2026, 8, 20), 6, 6);
            b.digger_ids = vec![busy.id];
            // The same digger on the next day at one site only is fine.
            let mut c = entry(&other.2, d(2026, 8, 21), 6, 6);
            c.digger_ids = vec![busy.id];
            for e in [&a, &b, &c] {
                w.add_production(e)?;
            }
            truth.insert((FlagKind::DiggerDoubleBooked, a.id.0));
            truth.insert((FlagKind::DiggerDoubleBooked, b.id.0));
            // 300 ct of 5 ct stones by a crew of three.
            let cap = inj.licence(LicenceStatus::Active, year.0, year.1);
            put(w, &cap)?;
            let e = entry(&cap.2, day, 3, 4);
            w.add_production(&e)?;
            for _ in 0..60 {
                w.add_stone(&stone(&e, 500))?;
            }
            truth.insert((FlagKind::AboveCapacity, e.id.0));
            // Sixty 5 ct stones in one month are also no Kono run-of-mine.
            truth.insert((FlagKind::FootprintMismatch, cap.2.id.0));
            // A special stone of exactly 10.80 ct (the class boundary) and one just below.
            let sp = inj.licence(LicenceStatus::Active, year.0, year.1);
            put(w, &sp)?;
            let e = entry(&sp.2, day, 12, 12);
            w.add_production(&e)?;
            w.add_stone(&stone(&e, 1080))?;
            w.add_stone(&stone(&e, 1079))?;
            // Six identical days at one site; five differing days at another.
            let rep = inj.licence(LicenceStatus::Active, year.0, year.1);
            put(w, &rep)?;
            for k in 0..6 {
                let e = entry(&rep.2, d(2026, 9, 1) + Duration::days(k), 8, 10);
                w.add_production(&e)?;
                w.add_stone(&stone(&e, 30))?;
                if k == 0 {
                    truth.insert((FlagKind::RepeatedValues, e.id.0));
                }
            }
            // A month of Kasai-sized stones (LN 0.04 ct, σ 1.0) at a Kono site.
            let fp = inj.licence(LicenceStatus::Active, year.0, year.1);
            put(w, &fp)?;
            let kasai = LogNormal::new(0.04f64.ln(), 1.0).unwrap();
            for k in 0..12 {
                let e = entry(&fp.2, d(2026, 7, 2) + Duration::days(2 * k), 15, 20);
                w.add_production(&e)?;
                for _ in 0..10 {
                    let cc = ((kasai.sample(&mut rng) * 100.0).round() as i64).clamp(1, 1000);
                    w.add_stone(&stone(&e, cc))?;
                }
            }
            truth.insert((FlagKind::FootprintMismatch, fp.2.id.0));
            Ok(())
        })
        .unwrap();
    let _ = rng.random::<u8>();
    let (flags, specials) = flag_set(&store);
    // Every breach is flagged; anything else is one of clean data's false alarms.
    assert!(
        truth.is_subset(&flags),
        "missed: {:?}",
        truth.difference(&flags)
    );
    let extra: BTreeSet<_> = flags.difference(&truth).collect();
    assert!(
        extra.iter().all(|f| clean_flags.contains(f)),
        "flagged beyond the breaches: {extra:?}"
    );
    assert_eq!(specials, true_specials(&store));
    // Every contract kind of production was exercised.
    let kinds: BTreeSet<FlagKind> = truth.iter().map(|(k, _)| *k).collect();
    assert_eq!(kinds.len(), 8);
}

/// Writes a region with its own UTC offset, a licence and a site.
fn region_site(store: &mut Store, code: &str, offset_min: i32, lat: f64) -> Site {
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
    let licence = Licence {
        id: LicenceId::new(),
        number: format!("{code}/1"),
        kind: LicenceKind::ArtisanalMining,
        holder_digger_id: Some(holder.id),
        holder_name: String::new(),
        region: code.into(),
        issued_on: d(2025, 1, 1),
        expires_on: d(2028, 1, 1),
        status: LicenceStatus::Active,
        area: Some(plot(lat, 10.0)),
        fee_receipt: String::new(),
    };
    let site = Site {
        id: SiteId::new(),
        licence_id: licence.id,
        name: format!("{code} pit"),
        kind: SiteKind::Pit,
        status: SiteStatus::Active,
        position: Position {
            lat: lat + 0.0005,
            lon: 10.0005,
            accuracy_m: 3.0,
        },
        opened_on: d(2025, 1, 1),
    };
    store
        .write(|w| {
            w.put_region(&Region {
                code: code.into(),
                name: code.into(),
                country: "XX".into(),
                utc_offset_minutes: offset_min,
                centre: (lat, 10.0),
            })?;
            w.put_digger(&holder)?;
            w.put_licence(&licence)?;
            w.put_site(&site)
        })
        .unwrap();
    site
}

#[test]
fn kp_totals_match_the_stones_of_each_period_to_the_centicarat() {
    let mut store = Store::open_in_memory().unwrap();
    // UTC−5, UTC and UTC+1: a fix taken late on a local day is already the next UTC day (west)
    // or still the previous one (east); the period follows the local production day.
    let sites = [
        (region_site(&mut store, "XW-WEST", -300, 1.0), -300),
        (region_site(&mut store, "XU-MID", 0, 2.0), 0),
        (region_site(&mut store, "XE-EAST", 60, 3.0), 60),
    ];
    let days = [
        d(2025, 12, 31),
        d(2026, 1, 1),
        d(2026, 3, 31),
        d(2026, 4, 1),
        d(2026, 6, 30),
        d(2026, 7, 1),
        d(2026, 9, 30),
        d(2026, 10, 1),
        d(2026, 12, 31),
        d(2027, 1, 1),
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    // (day, region, centicarats) of every stone that should count.
    let mut counted: Vec<(NaiveDate, String, i64)> = Vec::new();
    store
        .write(|w| {
            w.set_today(d(2027, 2, 1));
            for (site, offset) in &sites {
                let region = match offset {
                    -300 => "XW-WEST",
                    0 => "XU-MID",
                    _ => "XE-EAST",
                };
                for &day in &days {
                    // Local 23:30 (west) or 00:30 (east) on the production day, stored in UTC.
                    let local = if *offset < 0 {
                        day.and_hms_opt(23, 30, 0).unwrap()
                    } else {
                        day.and_hms_opt(0, 30, 0).unwrap()
                    };
                    let mut e = entry(site, day, 10, 10);
                    e.fix.as_mut().unwrap().time = Some(
                        Utc.from_utc_datetime(&(local - Duration::minutes(i64::from(*offset)))),
                    );
                    w.add_production(&e)?;
                    let n = rng.random_range(1..6);
                    let mut first = Vec::new();
                    for _ in 0..n {
                        let cc = rng.random_range(1..1500);
                        w.add_stone(&stone(&e, cc))?;
                        first.push(cc);
                    }
                    if rng.random_bool(0.3) {
                        // A correction: the replaced version's stones no longer count.
                        let mut c = entry(site, day, 10, 11);
                        c.replaces = Some(e.id);
                        w.add_production(&c)?;
                        let cc = rng.random_range(1..1500);
                        w.add_stone(&stone(&c, cc))?;
                        counted.push((day, region.to_string(), cc));
                    } else {
                        counted.extend(first.into_iter().map(|cc| (day, region.to_string(), cc)));
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    let periods = [
        "2026", "2026-H1", "2026-H2", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4",
    ];
    let mut totals = std::collections::HashMap::new();
    for text in periods {
        let p: Period = text.parse().unwrap();
        let r = kp_statistics(
            p,
            &store
                .kp_inputs(&FactFilter::days(p.first_day(), p.last_day()))
                .unwrap(),
        );
        let expect: i64 = counted
            .iter()
            .filter(|(day, _, _)| p.contains(*day))
            .map(|(_, _, cc)| cc)
            .sum();
        let n = counted
            .iter()
            .filter(|(day, _, _)| p.contains(*day))
            .count() as u64;
        // The three regions are of one country: one country row, three region rows.
        assert_eq!(r.countries.len(), 1, "{text}");
        let country = r.country("XX").unwrap();
        assert_eq!(country.centicarats.0, expect, "{text}");
        assert_eq!(country.stones, n, "{text}");
        for row in &r.countries[0].regions {
            let e: i64 = counted
                .iter()
                .filter(|(day, reg, _)| p.contains(*day) && Some(reg) == row.region.as_ref())
                .map(|(_, _, cc)| cc)
                .sum();
            assert_eq!(row.centicarats.0, e, "{text} {:?}", row.region);
        }
        // Nothing was sold: no value, recorded or estimated, and every carat unvalued.
        assert_eq!(country.value_recorded.0 + country.value_estimated.0, 0);
        assert_eq!(country.centicarats_unvalued().0, expect);
        totals.insert(text, country.centicarats.0);
        // A region filter gives that region's row.
        let rw = kp_statistics(
            p,
            &store
                .kp_inputs(
                    &FactFilter::days(p.first_day(), p.last_day()).in_region(Some("XW-WEST")),
                )
                .unwrap(),
        );
        assert_eq!(rw.countries[0].regions.len(), 1);
    }
    assert_eq!(totals["2026-H1"] + totals["2026-H2"], totals["2026"]);
    assert_eq!(
        totals["2026-Q1"] + totals["2026-Q2"] + totals["2026-Q3"] + totals["2026-Q4"],
        totals["2026"]
    );
}

fn demo_db(dir: &std::path::Path) -> std::path::PathBuf {
    let db = dir.join("a.db");
    ok(
        &db,
        &[
            "demo-data",
            "--seed",
            "3",
            "--regions",
            "SL-KONO",
            "--diggers",
            "120",
            "--days",
            "150",
            "--end",
            "2026-10-31",
        ],
    );
    db
}

#[test]
fn command_line_reports_check_and_compare() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());

    // check: JSON list of {kind, record_id, severity, evidence}; text one line per flag.
    let flags: serde_json::Value =
        serde_json::from_str(&ok(&db, &["check", "--format", "json"])).unwrap();
    let flags = flags.as_array().unwrap();
    for f in flags {
        let keys: BTreeSet<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            BTreeSet::from(["kind", "record_id", "severity", "evidence"])
        );
    }
    let text = ok(&db, &["check"]);
    assert_eq!(text.lines().count(), flags.len());

    // report kp: CSV total equals the JSON total equals the stones' sum.
    let json: serde_json::Value = serde_json::from_str(&ok(
        &db,
        &["report", "kp", "--period", "2026", "--format", "json"],
    ))
    .unwrap();
    let stones_csv = ok(&db, &["export", "stones", "--format", "csv"]);
    let mut r = csv::Reader::from_reader(stones_csv.as_bytes());
    let col = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "carats")
        .unwrap();
    let count_col = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "count")
        .unwrap();
    // (weight of the row, stones it holds: 1, or a lot's count)
    let rows: Vec<(Centicarats, u64)> = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[col].parse().unwrap(), rec[count_col].parse().unwrap())
        })
        .collect();
    let weights: Vec<Centicarats> = rows.iter().map(|r| r.0).collect();
    let sum: i64 = weights.iter().map(|c| c.0).sum();
    let stones: u64 = rows.iter().map(|r| r.1).sum();
    // Countries are never added together: each country's regions add up to its row, and the
    // countries' carats together are every stone's.
    let countries = json["countries"].as_array().unwrap();
    assert!(!countries.is_empty());
    let mut all = 0;
    for c in countries {
        let regions: i64 = c["regions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["centicarats"].as_i64().unwrap())
            .sum();
        assert_eq!(c["centicarats"], regions);
        all += regions;
    }
    assert_eq!(all, sum);
    assert!(json.get("total").is_none());
    let csv_out = ok(
        &db,
        &["report", "kp", "--period", "2026-H2", "--region", "SL-KONO"],
    );
    assert!(csv_out.starts_with(
        "period,country,region,stones,carats,large_stones,large_carats,value_usd_recorded,carats_recorded_share,value_usd_estimated,carats_estimated_share,carats_unvalued,carats_under_query,estimate_basis"
    ));
    assert!(
        csv_out
            .lines()
            .any(|l| l.starts_with("2026-H2,SL,SL-KONO,"))
    );
    assert!(csv_out.lines().any(|l| l.starts_with("2026-H2,SL,,")));
    assert!(!csv_out.contains("TOTAL"));
    let err = fails(&db, &["report", "kp", "--period", "2026-H3"]);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("H1 and H2"), "{err}");

    // report footprint in its three formats.
    let fp: serde_json::Value = serde_json::from_str(&ok(
        &db,
        &[
            "report",
            "footprint",
            "--region",
            "SL-KONO",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(fp["footprint"]["classes"].as_array().unwrap().len(), 9);
    assert_eq!(
        fp["footprint"]["stones"], stones,
        "a lot counts all its stones"
    );
    let svg = ok(
        &db,
        &[
            "report",
            "footprint",
            "--region",
            "SL-KONO",
            "--format",
            "svg",
        ],
    );
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    let csv_fp = ok(
        &db,
        &[
            "report",
            "footprint",
            "--region",
            "SL-KONO",
            "--from",
            "2026-07-01",
            "--to",
            "2026-07-31",
        ],
    );
    assert_eq!(csv_fp.lines().count(), 10);

    // footprint compare: the region's own stones pass, Kasai-sized stones are flagged.
    let own = dir.path().join("own.csv");
    let mut text = String::from("carats,count\n");
    for (w, n) in rows.iter().step_by(rows.len() / 150).take(150) {
        text.push_str(&format!("{w},{n}\n"));
    }
    std::fs::write(&own, text).unwrap();
    let c: serde_json::Value = serde_json::from_str(&ok(
        &db,
        &[
            "footprint",
            "compare",
            "--region",
            "SL-KONO",
            "--stones",
            own.to_str().unwrap(),
        ],
    ))
    .unwrap();
    assert_eq!(c["flagged"], false, "{c}");
    assert!(c["threshold"]["anderson_darling"].as_f64().unwrap() > 0.0);
    assert!(c["statistics"]["mean_log_shift_z"].is_f64());
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let kasai = LogNormal::new(0.04f64.ln(), 1.0).unwrap();
    let foreign = dir.path().join("foreign.csv");
    let mut text = String::from("id,carats,count\n");
    for (i, (w, n)) in rows.iter().step_by(rows.len() / 140).take(140).enumerate() {
        text.push_str(&format!("{i},{w},{n}\n"));
    }
    for i in 0..60 {
        let cc = ((kasai.sample(&mut rng) * 100.0).round() as i64).max(1);
        text.push_str(&format!("k{i},{},1\n", Centicarats(cc)));
    }
    std::fs::write(&foreign, text).unwrap();
    let c: serde_json::Value = serde_json::from_str(&ok(
        &db,
        &[
            "footprint",
            "compare",
            "--region",
            "SL-KONO",
            "--stones",
            foreign.to_str().unwrap(),
        ],
    ))
    .unwrap();
    assert_eq!(c["flagged"], true, "{c}");
    // A bad row is named by file and line.
    let bad_csv = dir.path().join("bad.csv");
    std::fs::write(&bad_csv, "carats\n0.25\nheavy\n").unwrap();
    let err = fails(
        &db,
        &[
            "footprint",
            "compare",
            "--region",
            "SL-KONO",
            "--stones",
            bad_csv.to_str().unwrap(),
        ],
    );
    assert!(err.contains("bad.csv:3"));
}

/// Stones per (region, class, weight), as the reports count them.
type Tally = std::collections::BTreeMap<(String, StoneClass, i64), u64>;

/// Compares the reports' counted read with the per-stone read over several filters: the same
/// stones, the same KP statistics and the same footprints, to the centicarat and the cent.
fn assert_tallies_match_facts(store: &Store, sites: &[SiteId]) {
    let prices = PriceModel::standard();
    let periods = [
        Period::Year(2026),
        "2026-Q3".parse::<Period>().unwrap(),
        "2026-H1".parse::<Period>().unwrap(),
    ];
    let mut filters: Vec<(Option<Period>, FactFilter)> = Vec::new();
    for p in periods {
        let days = FactFilter::days(p.first_day(), p.last_day());
        filters.push((Some(p), days.clone()));
        filters.push((Some(p), days.clone().in_region(Some("GH-AKWATIA"))));
        filters.push((Some(p), days.in_region(Some("XX-NONE"))));
    }
    filters.push((None, FactFilter::default()));
    filters.push((
        None,
        FactFilter {
            from: Some(d(2026, 6, 1)),
            ..FactFilter::default()
        }
        .in_region(Some("SL-KONO")),
    ));
    for &site in sites {
        filters.push((
            None,
            FactFilter {
                site: Some(site),
                to: Some(d(2026, 9, 30)),
                ..FactFilter::default()
            },
        ));
    }
    let mut non_empty = 0;
    for (period, filter) in &filters {
        let facts = store.stone_facts(filter).unwrap();
        let tallies = store.stone_tallies(filter).unwrap();
        let mut want = Tally::new();
        // A lot counts its stones at its mean weight (whole centicarats that add up).
        for f in &facts {
            for (w, n) in f.stones() {
                *want
                    .entry((f.region.to_string(), f.class, w.0))
                    .or_default() += u64::from(n);
            }
        }
        let mut got = Tally::new();
        for t in &tallies {
            assert!(t.stones > 0, "{filter:?}: empty tally {t:?}");
            let slot = got
                .entry((t.region.to_string(), t.class, t.weight.0))
                .or_default();
            assert_eq!(*slot, 0, "{filter:?}: {t:?} appears twice");
            *slot += t.stones;
        }
        assert_eq!(got, want, "{filter:?}");
        non_empty += usize::from(!facts.is_empty());
        assert_eq!(
            Footprint::from_tallies(&tallies, &prices),
            Footprint::from_facts(&facts, &prices),
            "{filter:?}"
        );
        if let Some(p) = period {
            // The KP report counts the same stones, and the entries' kept totals (what the
            // value is shared by) hold the same carats.
            let inputs = store.kp_inputs(filter).unwrap();
            let r = kp_statistics(*p, &inputs);
            let mut per_region = std::collections::BTreeMap::<String, (u64, i64)>::new();
            for f in &facts {
                let slot = per_region.entry(f.region.to_string()).or_default();
                slot.0 += u64::from(f.count);
                slot.1 += f.weight.0;
            }
            let got: std::collections::BTreeMap<String, (u64, i64)> = r
                .countries
                .iter()
                .flat_map(|c| &c.regions)
                .map(|row| (row.region.clone().unwrap(), (row.stones, row.centicarats.0)))
                .collect();
            assert_eq!(got, per_region, "{filter:?}");
            let entries_cc: i64 = inputs.entries.iter().map(|e| e.weight.0).sum();
            assert_eq!(entries_cc, facts.iter().map(|f| f.weight.0).sum::<i64>());
        }
    }
    assert!(non_empty >= filters.len() / 2, "the filters find stones");
}

/// The reports read counted stones (`stone_tallies`, kept by triggers as stones and corrections
/// are written); they must count exactly the stones of current versions, whatever the order of
/// arrival, and the migration must count what a file already holds.
#[test]
fn counted_stones_report_exactly_what_the_stones_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tallies.db");
    let opts = DemoOptions {
        seed: 21,
        regions: vec!["SL-KONO".into(), "GH-AKWATIA".into()],
        diggers: 160,
        days: 300,
        end: end(),
    };
    let data = demo::generate(&opts).unwrap();
    let mut store = Store::open(&path).unwrap();
    demo::load(&mut store, &data, end()).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let with_stones: Vec<_> = data
        .production
        .iter()
        .filter(|(_, s)| s.len() >= 2)
        .collect();
    assert!(with_stones.len() > 100, "demo data has finds");
    store
        .write(|w| {
            w.set_today(end());
            for (i, (e, stones)) in with_stones.iter().step_by(5).enumerate() {
                // A correction drops the first stone and reweighs the others.
                let mut fixed = e.clone();
                fixed.id = ProductionId::new();
                fixed.replaces = Some(e.id);
                w.add_production(&fixed)?;
                for s in &stones[1..] {
                    let mut s = s.clone();
                    s.id = StoneId::new();
                    s.production_id = fixed.id;
                    // Single stones only: a lot's weight is bound by its sieve class.
                    if s.count == 1 {
                        s.weight = Centicarats(s.weight.0 + rng.random_range(0..3));
                    }
                    w.add_stone(&s)?;
                }
                // A stone of the replaced version arriving late (sync order): never counted.
                let mut late = stones[0].clone();
                late.id = StoneId::new();
                w.add_stone(&late)?;
                if i % 3 == 0 {
                    // Corrected twice: only the last version's single stone counts.
                    let mut again = fixed.clone();
                    again.id = ProductionId::new();
                    again.replaces = Some(fixed.id);
                    w.add_production(&again)?;
                    let mut s = stone(&again, 37);
                    s.class = StoneClass::NearGem;
                    w.add_stone(&s)?;
                }
            }
            // Heavy stones on both sides of the reader's dense weights, and a special.
            let (e, _) = &with_stones[0];
            let mut heavy = e.clone();
            heavy.id = ProductionId::new();
            heavy.day = d(2026, 7, 15);
            w.add_production(&heavy)?;
            for cc in [4095, 4096, 4096, 120_000, SPECIAL_STONE.0] {
                w.add_stone(&stone(&heavy, cc))?;
            }
            Ok(())
        })
        .unwrap();
    let sites: Vec<SiteId> = data.sites.iter().step_by(7).map(|s| s.id).collect();
    assert_tallies_match_facts(&store, &sites);

    // A file written before the tallies existed: the migration counts what it holds.
    drop(store);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TRIGGER stone_tallies_add; DROP TRIGGER stone_tallies_correct;
             DROP TABLE stone_tallies; DROP TABLE licence_events; DROP TABLE supporters;
             DROP TRIGGER production_totals_add; DROP TRIGGER production_totals_correct;
             DROP TABLE production_totals;
             DROP INDEX outbox_chain; ALTER TABLE outbox DROP COLUMN chain_seq;
             ALTER TABLE outbox DROP COLUMN prev; ALTER TABLE outbox DROP COLUMN sig;
             ALTER TABLE outbox DROP COLUMN link; ALTER TABLE outbox DROP COLUMN form; DROP TABLE device_key; DROP TABLE device_keys;
             DROP INDEX sales_kind_id; DROP INDEX sales_kind_day; ALTER TABLE sales DROP COLUMN hs_code;
             ALTER TABLE sales DROP COLUMN importer; ALTER TABLE sales DROP COLUMN origin_country;
             ALTER TABLE stones DROP COLUMN stone_count; ALTER TABLE stones DROP COLUMN sieve;
             DROP INDEX production_seal; ALTER TABLE production DROP COLUMN seal;
             ALTER TABLE sales DROP COLUMN seals;
             DROP TABLE photos; DROP TABLE photo_uploads;
             PRAGMA user_version = 4;",
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_tallies_match_facts(&store, &sites);
}
