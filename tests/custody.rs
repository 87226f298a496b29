//! The chain of custody against known truth: balanced chains raise nothing, each injected
//! imbalance raises exactly its flag on the right slip, bad slips are refused at write time,
//! the KP trade statistics equal the export slips of each half-year by declared HS code to the
//! centicarat and the cent, and sales round-trip through CSV in any row order.

use alluvium::analytics::{
    CheckConfig, FlagKind, HS_GEM, HS_INDUSTRIAL, HS_UNSORTED, Period, PriceModel, TradeSlip,
    kp_trade, run_checks,
};
use alluvium::demo::{self, DemoOptions};
use alluvium::domain::{
    Area, Centicarats, Cents, Digger, DiggerId, DiggerStatus, LatLon, Licence, LicenceId,
    LicenceKind, LicenceStatus, Litres, Position, ProductionEntry, ProductionId, Region, Sale,
    SaleId, SaleKind, Sex, Site, SiteId, SiteKind, SiteStatus, Stone, StoneClass, StoneId,
};
use alluvium::store::{FactFilter, Store, StoreError, Writer};
use chrono::{Datelike, Duration, NaiveDate};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use test_kit::cli::{fails, ok};
use uuid::Uuid;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

const CUSTODY: [FlagKind; 5] = [
    FlagKind::SaleExceedsProduction,
    FlagKind::SaleWithoutProduction,
    FlagKind::ResaleExceedsPurchases,
    FlagKind::ExportExceedsPurchases,
    FlagKind::UnlicensedBuyer,
];

/// A small world of one region, built by hand so every carat is known.
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

    fn try_write(
        &mut self,
        f: impl FnOnce(&mut Writer<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.store.write(|w| {
            w.set_today(d(2026, 12, 31));
            f(w)
        })
    }

    /// A mining licence with one site; returns (licence, site).
    fn miner(&mut self) -> (LicenceId, SiteId) {
        self.n += 1;
        let n = self.n;
        let lat = 8.0 + f64::from(n) * 0.01;
        let digger = Digger {
            id: DiggerId::new(),
            national_id: format!("SL-CUS{n:05}"),
            full_name: format!("Holder {n}"),
            sex: Sex::Male,
            birth_date: d(1990, 1, 1),
            village: String::new(),
            chiefdom: String::new(),
            phone: String::new(),
            region: "SL-KONO".into(),
            status: DiggerStatus::Active,
        };
        let l = Licence {
            id: LicenceId::new(),
            number: format!("KONO/AM/CUS/{n:04}"),
            kind: LicenceKind::ArtisanalMining,
            holder_digger_id: Some(digger.id),
            holder_name: String::new(),
            region: "SL-KONO".into(),
            issued_on: d(2026, 1, 1),
            expires_on: d(2026, 12, 31),
            status: LicenceStatus::Active,
            area: Some(
                Area::from_corners(&[
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
                ])
                .unwrap(),
            ),
            fee_receipt: String::new(),
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
            opened_on: d(2026, 1, 1),
        };
        let (lid, sid) = (l.id, s.id);
        self.write(|w| {
            w.put_digger(&digger)?;
            w.put_licence(&l)?;
            w.put_site(&s)
        });
        (lid, sid)
    }

    /// A dealer or exporter licence valid from `issued` to `expires`.
    fn trader(&mut self, kind: LicenceKind, issued: NaiveDate, expires: NaiveDate) -> LicenceId {
        self.n += 1;
        let l = Licence {
            id: LicenceId::new(),
            number: format!("KONO/TR/CUS/{:04}", self.n),
            kind,
            holder_digger_id: None,
            holder_name: format!("Trader {}", self.n),
            region: "SL-KONO".into(),
            issued_on: issued,
            expires_on: expires,
            status: LicenceStatus::Active,
            area: None,
            fee_receipt: String::new(),
        };
        let id = l.id;
        self.write(|w| w.put_licence(&l));
        id
    }

    /// A production entry with stones of the given weights and class.
    fn dig(&mut self, site: SiteId, day: NaiveDate, stones: &[(i64, StoneClass)]) -> ProductionId {
        self.dig_sealed(site, day, stones, "")
    }

    /// A production entry whose stones were sealed in the bag `seal` (empty: not sealed).
    fn dig_sealed(
        &mut self,
        site: SiteId,
        day: NaiveDate,
        stones: &[(i64, StoneClass)],
        seal: &str,
    ) -> ProductionId {
        let e = ProductionEntry {
            seal: seal.into(),
            id: ProductionId::new(),
            site_id: site,
            day,
            officer: "fo.kono".into(),
            fix: None,
            crew_size: 10,
            digger_ids: vec![],
            gravel: Litres(10_000),
            notes: String::new(),
            replaces: None,
        };
        let id = e.id;
        let stones: Vec<Stone> = stones
            .iter()
            .map(|&(cc, class)| Stone {
                id: StoneId::new(),
                production_id: id,
                weight: Centicarats(cc),
                class,
                colour: "white".into(),
                count: 1,
                sieve: None,
            })
            .collect();
        self.write(|w| {
            w.add_production(&e)?;
            for s in &stones {
                w.add_stone(s)?;
            }
            Ok(())
        });
        id
    }
}

fn slip(
    kind: SaleKind,
    day: NaiveDate,
    seller: LicenceId,
    buyer: Option<LicenceId>,
    cc: i64,
) -> Sale {
    Sale {
        seals: vec![],
        id: SaleId::new(),
        slip_number: format!("S-{}", Uuid::now_v7().simple()),
        day,
        seller_licence_id: seller,
        buyer_licence_id: buyer,
        weight: Centicarats(cc),
        stone_count: 3,
        price: Cents(cc * 250),
        production_ids: vec![],
        source_sale_ids: vec![],
        kind,
        certificate_number: if kind == SaleKind::Export {
            "SL-2026-00001".into()
        } else {
            String::new()
        },
        destination_country: if kind == SaleKind::Export {
            "BE".into()
        } else {
            String::new()
        },
        hs_code: if kind == SaleKind::Export {
            HS_UNSORTED.into()
        } else {
            String::new()
        },
        importer: String::new(),
        origin_country: String::new(),
    }
}

fn first(
    day: NaiveDate,
    seller: LicenceId,
    buyer: LicenceId,
    cc: i64,
    prods: &[ProductionId],
) -> Sale {
    let mut s = slip(SaleKind::FirstSale, day, seller, Some(buyer), cc);
    s.production_ids = prods.to_vec();
    s
}

fn onward(
    kind: SaleKind,
    day: NaiveDate,
    seller: LicenceId,
    buyer: Option<LicenceId>,
    cc: i64,
    src: &[&Sale],
) -> Sale {
    let mut s = slip(kind, day, seller, buyer, cc);
    s.source_sale_ids = src.iter().map(|x| x.id).collect();
    s
}

fn custody_flags(store: &Store) -> BTreeSet<(FlagKind, Uuid)> {
    let data = store.check_data(&FactFilter::default()).unwrap();
    let flags = run_checks(&data, &CheckConfig::default(), &PriceModel::standard());
    for f in &flags {
        assert!(!f.message().is_empty(), "{f:?}");
    }
    flags
        .into_iter()
        .filter(|f| CUSTODY.contains(&f.kind))
        .map(|f| (f.kind, f.record_id))
        .collect()
}

const G: StoneClass = StoneClass::Gem;
const I: StoneClass = StoneClass::Industrial;

#[test]
fn balanced_chains_raise_nothing_and_each_imbalance_raises_exactly_its_flag() {
    let mut w = World::new();
    let year = (d(2026, 1, 1), d(2026, 12, 31));
    let dealer = w.trader(LicenceKind::Dealer, year.0, year.1);
    let dealer2 = w.trader(LicenceKind::Dealer, year.0, year.1);
    let exporter = w.trader(LicenceKind::Exporter, year.0, year.1);
    let (miner, pit) = w.miner();

    // Balanced: 3.00 ct dug, sold in two slips (one the same day as the find), resold through
    // a second dealer, exported.
    let p1 = w.dig(pit, d(2026, 6, 1), &[(100, G), (50, I)]);
    let p2 = w.dig(pit, d(2026, 6, 5), &[(150, G)]);
    let s1 = first(d(2026, 6, 1), miner, dealer, 150, &[p1]);
    let s2 = first(d(2026, 6, 20), miner, dealer, 150, &[p2]);
    let r1 = onward(
        SaleKind::Resale,
        d(2026, 6, 25),
        dealer,
        Some(dealer2),
        300,
        &[&s1, &s2],
    );
    let r2 = onward(
        SaleKind::Resale,
        d(2026, 6, 25),
        dealer2,
        Some(exporter),
        300,
        &[&r1],
    );
    let x1 = onward(SaleKind::Export, d(2026, 7, 2), exporter, None, 300, &[&r2]);
    w.write(|wr| {
        for s in [&s1, &s2, &r1, &r2, &x1] {
            wr.add_sale(s)?;
        }
        Ok(())
    });
    assert_eq!(custody_flags(&w.store), BTreeSet::new());

    let mut truth = BTreeSet::new();
    // An oversold licence: 1.00 ct dug, 1.60 ct sold; the excess is written off, so a later
    // honest slip after more finds is not flagged again.
    let (over, over_pit) = w.miner();
    let q1 = w.dig(over_pit, d(2026, 7, 1), &[(100, G)]);
    let o1 = first(d(2026, 7, 3), over, dealer, 160, &[q1]);
    let q2 = w.dig(over_pit, d(2026, 7, 10), &[(80, G)]);
    let o2 = first(d(2026, 7, 12), over, dealer, 80, &[q2]);
    truth.insert((FlagKind::SaleExceedsProduction, o1.id.0));
    // Sold before it was dug: the find of 8 August does not cover a slip of 5 August.
    let (early, early_pit) = w.miner();
    let e1 = w.dig(early_pit, d(2026, 8, 8), &[(200, G)]);
    let early_slip = first(d(2026, 8, 5), early, dealer, 200, &[e1]);
    truth.insert((FlagKind::SaleExceedsProduction, early_slip.id.0));
    // A slip with no production, by a licence that has plenty.
    let (bare, bare_pit) = w.miner();
    w.dig(bare_pit, d(2026, 7, 1), &[(500, G)]);
    let b1 = first(d(2026, 7, 4), bare, dealer, 100, &[]);
    truth.insert((FlagKind::SaleWithoutProduction, b1.id.0));
    // A buyer whose dealer licence expired on 30 June.
    let lapsed = w.trader(LicenceKind::Dealer, d(2025, 7, 1), d(2026, 6, 30));
    let (m4, pit4) = w.miner();
    let f4 = w.dig(pit4, d(2026, 7, 1), &[(90, G)]);
    let u1 = first(d(2026, 7, 2), m4, lapsed, 90, &[f4]);
    truth.insert((FlagKind::UnlicensedBuyer, u1.id.0));
    // A first sale straight to an exporter: wrong kind of buyer.
    let f5 = w.dig(pit4, d(2026, 7, 3), &[(40, G)]);
    let u2 = first(d(2026, 7, 3), m4, exporter, 40, &[f5]);
    truth.insert((FlagKind::UnlicensedBuyer, u2.id.0));
    // A dealer reselling more than it bought.
    let dealer3 = w.trader(LicenceKind::Dealer, year.0, year.1);
    let (m6, pit6) = w.miner();
    let f6 = w.dig(pit6, d(2026, 7, 1), &[(300, G)]);
    let buy = first(d(2026, 7, 2), m6, dealer3, 300, &[f6]);
    let exporter2 = w.trader(LicenceKind::Exporter, year.0, year.1);
    let resell = onward(
        SaleKind::Resale,
        d(2026, 7, 9),
        dealer3,
        Some(exporter2),
        420,
        &[&buy],
    );
    truth.insert((FlagKind::ResaleExceedsPurchases, resell.id.0));
    // An export larger than the exporter's purchases (it bought 4.20 ct).
    let ship = onward(
        SaleKind::Export,
        d(2026, 7, 20),
        exporter2,
        None,
        500,
        &[&resell],
    );
    truth.insert((FlagKind::ExportExceedsPurchases, ship.id.0));
    // Within the tolerance (0.5 % of the inflow) is not flagged: 2.00 ct bought, 2.01 exported.
    let (m7, pit7) = w.miner();
    let f7 = w.dig(pit7, d(2026, 7, 1), &[(200, G)]);
    let b7 = first(d(2026, 7, 1), m7, dealer, 200, &[f7]);
    let exporter3 = w.trader(LicenceKind::Exporter, year.0, year.1);
    let r7 = onward(
        SaleKind::Resale,
        d(2026, 7, 2),
        dealer,
        Some(exporter3),
        200,
        &[&b7],
    );
    let x7 = onward(
        SaleKind::Export,
        d(2026, 7, 3),
        exporter3,
        None,
        201,
        &[&r7],
    );
    w.write(|wr| {
        for s in [
            &o1,
            &o2,
            &early_slip,
            &b1,
            &u1,
            &u2,
            &buy,
            &resell,
            &ship,
            &b7,
            &r7,
            &x7,
        ] {
            wr.add_sale(s)?;
        }
        Ok(())
    });
    let flags = custody_flags(&w.store);
    assert_eq!(flags, truth);
    let kinds: BTreeSet<FlagKind> = truth.iter().map(|(k, _)| *k).collect();
    assert_eq!(kinds.len(), 5);

    // The evidence names the licence, the slip's records and the running balance.
    let data = w.store.check_data(&FactFilter::default()).unwrap();
    let all = run_checks(&data, &CheckConfig::default(), &PriceModel::standard());
    let f = all.iter().find(|f| f.record_id == o1.id.0).unwrap();
    assert_eq!(f.evidence["inflow_carats"], "1.00");
    assert_eq!(f.evidence["balance_carats"], "-0.60");
    assert_eq!(f.evidence["listed_carats"], "1.00");
    assert_eq!(f.evidence["production_ids"][0], q1.to_string());
    assert_eq!(f.target_entity(), alluvium::domain::RecordKind::Sale);
    let f = all.iter().find(|f| f.record_id == ship.id.0).unwrap();
    assert_eq!(f.evidence["balance_carats"], "-0.80");
    assert_eq!(f.evidence["source_sale_ids"][0], resell.id.to_string());
    let f = all.iter().find(|f| f.record_id == u1.id.0).unwrap();
    assert_eq!(f.evidence["reason"], "standing");
    assert!(f.message().contains("expired"), "{}", f.message());

    // A region filter still sees the whole chain of the region's licences.
    let data = w
        .store
        .check_data(&FactFilter::default().in_region(Some("SL-KONO")))
        .unwrap();
    assert_eq!(data.sales.len(), w.store.sales().unwrap().len());
}

#[test]
fn slips_that_break_the_chain_rules_are_refused_with_the_field_named() {
    let mut w = World::new();
    let year = (d(2026, 1, 1), d(2026, 12, 31));
    let dealer = w.trader(LicenceKind::Dealer, year.0, year.1);
    let dealer2 = w.trader(LicenceKind::Dealer, year.0, year.1);
    let exporter = w.trader(LicenceKind::Exporter, year.0, year.1);
    let (miner, pit) = w.miner();
    let (_other, other_pit) = w.miner();
    let p = w.dig(pit, d(2026, 6, 1), &[(100, G)]);
    let q = w.dig(other_pit, d(2026, 6, 1), &[(100, G)]);
    let s1 = first(d(2026, 6, 2), miner, dealer, 100, &[p]);
    w.write(|wr| wr.add_sale(&s1));
    let field = |r: Result<(), StoreError>| match r {
        Err(StoreError::Invalid(i)) => i.0[0].field.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    };
    let not_found = |r: Result<(), StoreError>| matches!(r, Err(StoreError::NotFound(_)));
    // A dealer cannot make a first sale; a miner cannot resell; a dealer cannot export.
    let bad = first(d(2026, 6, 3), dealer, dealer2, 100, &[p]);
    assert_eq!(
        field(w.try_write(|wr| wr.add_sale(&bad))),
        "seller_licence_id"
    );
    let bad = onward(
        SaleKind::Resale,
        d(2026, 6, 3),
        miner,
        Some(dealer),
        10,
        &[],
    );
    assert_eq!(
        field(w.try_write(|wr| wr.add_sale(&bad))),
        "seller_licence_id"
    );
    let bad = onward(SaleKind::Export, d(2026, 6, 3), dealer, None, 10, &[&s1]);
    assert_eq!(
        field(w.try_write(|wr| wr.add_sale(&bad))),
        "seller_licence_id"
    );
    // Another licence's production.
    let bad = first(d(2026, 6, 3), miner, dealer, 100, &[q]);
    assert_eq!(field(w.try_write(|wr| wr.add_sale(&bad))), "production_ids");
    // Reselling a slip someone else bought, or drawing on a later slip.
    let bad = onward(
        SaleKind::Resale,
        d(2026, 6, 3),
        dealer2,
        Some(exporter),
        100,
        &[&s1],
    );
    assert_eq!(
        field(w.try_write(|wr| wr.add_sale(&bad))),
        "source_sale_ids"
    );
    let bad = onward(
        SaleKind::Resale,
        d(2026, 6, 1),
        dealer,
        Some(exporter),
        100,
        &[&s1],
    );
    assert_eq!(
        field(w.try_write(|wr| wr.add_sale(&bad))),
        "source_sale_ids"
    );
    // References that do not exist at all.
    let bad = first(d(2026, 6, 3), miner, LicenceId::new(), 100, &[p]);
    assert!(not_found(w.try_write(|wr| wr.add_sale(&bad))));
    let bad = first(d(2026, 6, 3), miner, dealer, 100, &[ProductionId::new()]);
    assert!(not_found(w.try_write(|wr| wr.add_sale(&bad))));
    let ghost = slip(SaleKind::FirstSale, d(2026, 6, 1), miner, Some(dealer), 1);
    let bad = onward(
        SaleKind::Resale,
        d(2026, 6, 3),
        dealer,
        Some(exporter),
        100,
        &[&ghost],
    );
    assert!(not_found(w.try_write(|wr| wr.add_sale(&bad))));
    // Nothing of the refused slips was written.
    assert_eq!(w.store.sales().unwrap().len(), 1);
}

#[test]
fn kp_trade_counts_exports_by_the_hs_code_their_certificate_declares() {
    let mut w = World::new();
    let year = (d(2026, 1, 1), d(2026, 12, 31));
    let dealer = w.trader(LicenceKind::Dealer, year.0, year.1);
    let exporter = w.trader(LicenceKind::Exporter, year.0, year.1);
    let (miner, pit) = w.miner();
    let gem = w.dig(pit, d(2026, 8, 1), &[(120, G), (35, StoneClass::NearGem)]);
    let ind = w.dig(pit, d(2026, 8, 2), &[(300, I)]);
    let mix = w.dig(pit, d(2026, 9, 2), &[(50, G), (70, I)]);
    let late = w.dig(pit, d(2026, 9, 20), &[(10, G)]);
    let a = first(d(2026, 8, 3), miner, dealer, 155, &[gem]);
    let b = first(d(2026, 8, 3), miner, dealer, 300, &[ind]);
    let c = first(d(2026, 9, 3), miner, dealer, 120, &[mix]);
    let e = first(d(2026, 9, 21), miner, dealer, 10, &[late]);
    let ra = onward(
        SaleKind::Resale,
        d(2026, 8, 5),
        dealer,
        Some(exporter),
        155,
        &[&a],
    );
    let rb = onward(
        SaleKind::Resale,
        d(2026, 8, 5),
        dealer,
        Some(exporter),
        300,
        &[&b],
    );
    let rc = onward(
        SaleKind::Resale,
        d(2026, 9, 5),
        dealer,
        Some(exporter),
        120,
        &[&c],
    );
    let re = onward(
        SaleKind::Resale,
        d(2026, 9, 25),
        dealer,
        Some(exporter),
        10,
        &[&e],
    );
    let mut xa = onward(
        SaleKind::Export,
        d(2026, 8, 10),
        exporter,
        None,
        155,
        &[&ra],
    );
    let mut xb = onward(
        SaleKind::Export,
        d(2026, 8, 11),
        exporter,
        None,
        300,
        &[&rb],
    );
    xb.certificate_number = "SL-2026-00002".into();
    xa.destination_country = "AE".into();
    let mut xc = onward(
        SaleKind::Export,
        d(2026, 9, 30),
        exporter,
        None,
        120,
        &[&rc],
    );
    xc.certificate_number = "SL-2026-00003".into();
    // The last export of Q3 is shipped on 1 October: Q4.
    let mut xe = onward(SaleKind::Export, d(2026, 10, 1), exporter, None, 10, &[&re]);
    xe.certificate_number = "SL-2026-00004".into();
    // Declared, not worked out: the industrial parcel is declared unsorted, the mixed one
    // sorted industrial (the stones would say otherwise both times).
    xa.hs_code = HS_GEM.into();
    xb.hs_code = HS_UNSORTED.into();
    xc.hs_code = HS_INDUSTRIAL.into();
    w.write(|wr| {
        for s in [&a, &b, &c, &e, &ra, &rb, &rc, &re, &xa, &xb, &xc, &xe] {
            wr.add_sale(s)?;
        }
        Ok(())
    });
    let data = w.store.check_data(&FactFilter::default()).unwrap();
    let slips = TradeSlip::of_check_data(&data);
    assert_eq!(
        slips,
        w.store
            .trade_slips(d(2026, 1, 1), d(2026, 12, 31), None)
            .unwrap(),
        "the store's read of the trade equals the chain's"
    );
    let t = kp_trade(&slips, Period::Quarter(2026, 3), None);
    let rows: Vec<(&str, &str, &str, u64, i64, i64)> = t
        .rows
        .iter()
        .map(|r| {
            (
                r.half_year.as_str(),
                r.hs_code.as_str(),
                r.partner_country.as_str(),
                r.certificates,
                r.centicarats.0,
                r.usd_cents.0,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("2026-H2", HS_UNSORTED, "BE", 1, 300, 300 * 250),
            ("2026-H2", HS_UNSORTED, "ALL", 1, 300, 300 * 250),
            ("2026-H2", HS_INDUSTRIAL, "BE", 1, 120, 120 * 250),
            ("2026-H2", HS_INDUSTRIAL, "ALL", 1, 120, 120 * 250),
            ("2026-H2", HS_GEM, "AE", 1, 155, 155 * 250),
            ("2026-H2", HS_GEM, "ALL", 1, 155, 155 * 250),
            ("2026-H2", "ALL", "ALL", 3, 575, 575 * 250),
        ]
    );
    assert!(
        t.rows
            .iter()
            .all(|r| r.country == "SL" && r.flow == "export")
    );
    // The export shipped on 1 October counts in the year, in the same half.
    let year_report = kp_trade(&slips, Period::Year(2026), None);
    let total = year_report.rows.last().unwrap();
    assert_eq!(
        (total.hs_code.as_str(), total.centicarats),
        ("ALL", Centicarats(585))
    );
    assert_eq!(total.partner_countries, ["AE", "BE"]);
}

#[test]
fn kp_trade_totals_equal_the_export_slips_of_each_quarter_to_the_centicarat_and_cent() {
    let opts = DemoOptions {
        seed: 5,
        regions: vec!["SL-KONO".into(), "GH-AKWATIA".into()],
        diggers: 200,
        days: 300,
        end: d(2026, 11, 30),
    };
    let data = demo::generate(&opts).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    demo::load(&mut store, &data, opts.end).unwrap();
    let chain = store.check_data(&FactFilter::default()).unwrap();
    // Demo chains balance: no custody flag at all.
    let flags = run_checks(
        &chain,
        &CheckConfig {
            parcel_min_stones: usize::MAX,
            ..CheckConfig::default()
        },
        &PriceModel::standard(),
    );
    let custody: Vec<_> = flags.iter().filter(|f| CUSTODY.contains(&f.kind)).collect();
    let unlicensed: Vec<_> = custody
        .iter()
        .filter(|f| f.kind != FlagKind::UnlicensedBuyer)
        .collect();
    assert!(unlicensed.is_empty(), "{unlicensed:?}");
    let exports: Vec<Sale> = store
        .sales()
        .unwrap()
        .into_iter()
        .filter(|s| s.kind == SaleKind::Export)
        .collect();
    assert!(exports.len() >= 6, "{} exports", exports.len());
    let mut quarters_seen = 0;
    let slips = TradeSlip::of_check_data(&chain);
    for q in 1..=4 {
        let period = Period::Quarter(2026, q);
        let report = kp_trade(&slips, period, None);
        // By HS code, by hand: (slips, certificates, carats, cents).
        let mut expect: BTreeMap<&str, (u64, BTreeSet<String>, i64, i64)> = BTreeMap::new();
        for x in exports.iter().filter(|x| period.contains(x.day)) {
            assert!(
                !x.hs_code.is_empty(),
                "the demo declares every export's HS code"
            );
            let e = expect.entry(x.hs_code.as_str()).or_default();
            e.0 += 1;
            e.1.insert(x.certificate_number.clone());
            e.2 += x.weight.0;
            e.3 += x.price.0;
        }
        let totals: Vec<_> = report
            .rows
            .iter()
            .filter(|r| r.partner_country == "ALL" && r.hs_code != "ALL")
            .collect();
        // Each country's lines apart; added up here (certificate numbers carry the country).
        let mut got: BTreeMap<&str, (u64, u64, i64, i64)> = BTreeMap::new();
        for r in &totals {
            let g = got.entry(r.hs_code.as_str()).or_default();
            g.0 += r.slips;
            g.1 += r.certificates;
            g.2 += r.centicarats.0;
            g.3 += r.usd_cents.0;
        }
        let expect: BTreeMap<&str, (u64, u64, i64, i64)> = expect
            .into_iter()
            .map(|(k, v)| (k, (v.0, v.1.len() as u64, v.2, v.3)))
            .collect();
        assert_eq!(got, expect, "{period}");
        // The destination rows add up to the totals.
        let sum: i64 = report
            .rows
            .iter()
            .filter(|r| r.partner_country != "ALL")
            .map(|r| r.centicarats.0)
            .sum();
        assert_eq!(sum, totals.iter().map(|r| r.centicarats.0).sum::<i64>());
        if !totals.is_empty() {
            quarters_seen += 1;
        }
    }
    assert!(quarters_seen >= 2);

    // Origin check: honest exports fit the mix of their regions' footprints; an export whose
    // declared stones are three times as many for the same carats (small foreign goods mixed
    // in) is flagged, on the slip.
    let config = CheckConfig {
        simulations: 1000,
        ..CheckConfig::default()
    };
    let export_flags = |data: &alluvium::analytics::CheckData| -> BTreeSet<Uuid> {
        run_checks(data, &config, &PriceModel::standard())
            .into_iter()
            .filter(|f| {
                f.kind == FlagKind::FootprintMismatch
                    && f.target_entity() == alluvium::domain::RecordKind::Sale
            })
            .map(|f| f.record_id)
            .collect()
    };
    assert_eq!(export_flags(&chain), BTreeSet::new());
    let mut doctored = chain.clone();
    let x = doctored
        .sales
        .iter_mut()
        .filter(|s| s.kind == SaleKind::Export && s.stone_count >= 100)
        .last()
        .unwrap();
    x.stone_count *= 3;
    let target = x.id.0;
    assert_eq!(export_flags(&doctored), BTreeSet::from([target]));
    // Most production is sold within 30 days of the find.
    let days: HashMap<ProductionId, NaiveDate> = store
        .production_entries()
        .unwrap()
        .into_iter()
        .map(|p| (p.id, p.day))
        .collect();
    let firsts: Vec<Sale> = store
        .sales()
        .unwrap()
        .into_iter()
        .filter(|s| s.kind == SaleKind::FirstSale)
        .collect();
    let lags: Vec<i64> = firsts
        .iter()
        .flat_map(|s| {
            s.production_ids
                .iter()
                .map(|p| (s.day - days[p]).num_days())
        })
        .collect();
    let within = lags.iter().filter(|&&l| (0..=30).contains(&l)).count();
    assert!(within * 10 >= lags.len() * 8, "{within} of {}", lags.len());
    assert!(lags.iter().all(|&l| l >= 0));
    let _ = (Duration::days(1), d(2026, 1, 1).year());
}

#[test]
fn sales_round_trip_through_csv_in_any_order_and_report_kp_shows_trade() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    ok(
        &a,
        &[
            "demo-data",
            "--seed",
            "2",
            "--regions",
            "SL-KENEMA",
            "--diggers",
            "100",
            "--days",
            "120",
            "--end",
            "2026-10-31",
        ],
    );
    for e in ["diggers", "licences", "sites", "production", "stones"] {
        let f = dir.path().join(format!("{e}.csv"));
        ok(
            &a,
            &["export", e, "--format", "csv", "--out", f.to_str().unwrap()],
        );
        ok(&b, &["import", e, "--csv", f.to_str().unwrap()]);
    }
    let sales = ok(&a, &["export", "sales", "--format", "csv"]);
    let mut lines: Vec<&str> = sales.lines().collect();
    assert!(
        lines[0]
            .ends_with("destination_country,source_sale_ids,hs_code,importer,origin_country,seals"),
        "{}",
        lines[0]
    );
    assert!(
        lines.iter().any(|l| l.contains(",resale,"))
            && lines.iter().any(|l| l.contains(",export,"))
    );
    // Newest first: every slip before the slips it draws on.
    lines[1..].reverse();
    let f = dir.path().join("sales.csv");
    std::fs::write(&f, lines.join("\n") + "\n").unwrap();
    ok(&b, &["import", "sales", "--csv", f.to_str().unwrap()]);
    assert_eq!(ok(&b, &["export", "sales", "--format", "csv"]), sales);
    // A repeated import changes nothing; a slip drawing on an unknown slip is refused by line.
    let again = ok(&b, &["import", "sales", "--csv", f.to_str().unwrap()]);
    assert!(again.contains("imported 0 sales"), "{again}");
    let mut bad: Vec<String> = vec![lines[0].to_string()];
    let resale = lines.iter().find(|l| l.contains(",resale,")).unwrap();
    let cols: Vec<&str> = resale.split(',').collect();
    let mut row: Vec<String> = cols.iter().map(|s| s.to_string()).collect();
    row[0] = String::new();
    let sources = lines[0]
        .split(',')
        .position(|c| c == "source_sale_ids")
        .unwrap();
    row[sources] = Uuid::now_v7().to_string();
    bad.push(row.join(","));
    let badf = dir.path().join("bad.csv");
    std::fs::write(&badf, bad.join("\n") + "\n").unwrap();
    let err = fails(&b, &["import", "sales", "--csv", badf.to_str().unwrap()]);
    assert!(err.contains("bad.csv:2"), "{err}");

    // report kp: the JSON keeps the production half and gains the trade; CSV --trade.
    let json: serde_json::Value = serde_json::from_str(&ok(
        &a,
        &["report", "kp", "--period", "2026", "--format", "json"],
    ))
    .unwrap();
    assert!(json["countries"][0]["centicarats"].as_i64().unwrap() > 0);
    let rows = json["trade"]["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    let csv_out = ok(&a, &["report", "kp", "--period", "2026", "--trade"]);
    assert!(csv_out.starts_with(
        "half_year,country,flow,hs_code,partner_country,certificates,carats,usd_value,partner_countries"
    ));
    assert!(
        csv_out
            .lines()
            .any(|l| l.starts_with("2026-H2,SL,export,ALL,ALL,"))
    );
    // check on the demo: no mass-balance flag.
    let flags: serde_json::Value =
        serde_json::from_str(&ok(&a, &["check", "--format", "json"])).unwrap();
    for f in flags.as_array().unwrap() {
        let k = f["kind"].as_str().unwrap();
        assert!(
            !k.contains("exceeds") && k != "sale_without_production",
            "{f}"
        );
    }
}

#[test]
fn the_sales_page_api_lists_searches_prefills_and_prints() {
    use alluvium::store::{SaleFilter, prefill_from_production, prefill_from_purchases};
    let mut w = World::new();
    let year = (d(2026, 1, 1), d(2026, 12, 31));
    let dealer = w.trader(LicenceKind::Dealer, year.0, year.1);
    let exporter = w.trader(LicenceKind::Exporter, year.0, year.1);
    let (miner, pit) = w.miner();
    let p1 = w.dig(pit, d(2026, 6, 1), &[(100, G), (20, I)]);
    let p2 = w.dig(pit, d(2026, 6, 2), &[(30, G)]);
    // A day without finds is nothing to sell.
    w.dig(pit, d(2026, 6, 3), &[]);
    let offers = w.store.production_offers(miner, d(2026, 5, 1)).unwrap();
    assert_eq!(
        offers.iter().map(|o| o.entry.id).collect::<Vec<_>>(),
        [p2, p1]
    );
    let chosen: Vec<_> = offers.iter().collect();
    assert_eq!(prefill_from_production(&chosen), (Centicarats(150), 3));
    let s1 = first(d(2026, 6, 4), miner, dealer, 150, &[p1, p2]);
    w.write(|wr| wr.add_sale(&s1));
    let offers = w.store.production_offers(miner, d(2026, 5, 1)).unwrap();
    assert!(offers.iter().all(|o| o.sold_on == [s1.id]));
    let bought = w.store.purchase_offers(dealer, d(2026, 6, 30)).unwrap();
    assert_eq!(bought.len(), 1);
    assert!(bought[0].drawn_on_by.is_empty());
    let picked: Vec<_> = bought.iter().collect();
    assert_eq!(prefill_from_purchases(&picked), (Centicarats(150), 3));
    let r1 = onward(
        SaleKind::Resale,
        d(2026, 6, 5),
        dealer,
        Some(exporter),
        150,
        &[&s1],
    );
    w.write(|wr| wr.add_sale(&r1));
    assert_eq!(
        w.store.purchase_offers(dealer, d(2026, 6, 30)).unwrap()[0].drawn_on_by,
        [r1.id]
    );

    // Lists and search: newest first, by slip number, licence number or holder name.
    let all = w.store.search_sales(&SaleFilter::default(), 0, 10).unwrap();
    assert_eq!(
        all.iter().map(|r| r.sale.id).collect::<Vec<_>>(),
        [r1.id, s1.id]
    );
    assert_eq!(all[1].seller_holder, "Holder 3");
    assert_eq!(all[1].buyer_holder.as_deref(), Some("Trader 1"));
    let by_holder = SaleFilter {
        query: "holder 3".into(),
        ..SaleFilter::default()
    };
    assert_eq!(w.store.search_sales(&by_holder, 0, 10).unwrap().len(), 1);
    let resales = SaleFilter {
        kind: Some(SaleKind::Resale),
        ..SaleFilter::default()
    };
    assert_eq!(w.store.count_sales_matching(&resales).unwrap(), 1);
    let slip_no = SaleFilter {
        query: r1.slip_number[2..10].to_string(),
        ..SaleFilter::default()
    };
    assert_eq!(
        w.store.search_sales(&slip_no, 0, 10).unwrap()[0].sale.id,
        r1.id
    );

    // The printed slip names the parties, what it draws on and the origin.
    let text = alluvium::report::sale_slip_text(&w.store, s1.id, alluvium::i18n::Lang::En)
        .unwrap()
        .unwrap();
    for needle in [
        "PURCHASE SLIP (first sale)",
        "Holder 3",
        "KONO/AM/CUS/0003",
        "Pit 3: 2 stones, 1.20 ct",
        "Traced to:     SL-KONO 1.50 ct",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from\n{text}");
    }
    assert!(text.lines().all(|l| l.chars().count() <= 90), "{text}");
    // A first sale declares no HS code: only exports and imports do.
    assert!(!text.contains("HS code"), "{text}");
    assert!(
        alluvium::report::sale_slip_text(&w.store, SaleId::new(), alluvium::i18n::Lang::En)
            .unwrap()
            .is_none()
    );
}

#[test]
fn sealed_bags_are_followed_from_the_pit_to_the_slip_that_moves_them() {
    const SEALS: [FlagKind; 3] = [
        FlagKind::SealInTwoOpenBags,
        FlagKind::SealNeverSealed,
        FlagKind::SealWithoutItsCarats,
    ];
    let mut w = World::new();
    let (miner, site) = w.miner();
    let dealer = w.trader(LicenceKind::Dealer, d(2026, 1, 1), d(2026, 12, 31));
    // Bag K-1 sealed on 2 March with 5.00 ct, moved whole on 10 March.
    let a = w.dig_sealed(site, d(2026, 3, 2), &[(300, G), (200, I)], "K-1");
    let whole = {
        let mut s = first(d(2026, 3, 10), miner, dealer, 500, &[a]);
        s.seals = vec!["K-1".into()];
        s
    };
    w.write(|x| x.add_sale(&whole));
    // The same number on a bag of 20 March, after K-1 was moved: not two open bags.
    let after = w.dig_sealed(site, d(2026, 3, 20), &[(100, G)], "K-1");
    // Bag K-2 of 4 April, and a second K-2 on 6 April while the first is still open.
    let b = w.dig_sealed(site, d(2026, 4, 4), &[(250, G), (250, G)], "K-2");
    let copy = w.dig_sealed(site, d(2026, 4, 6), &[(80, I)], "K-2");
    // K-2 (the bag of 6 April, the latest sealed by the slip's day) moved short of its carats,
    // and a seal never sealed at any pit.
    let short = {
        let mut s = first(d(2026, 4, 12), miner, dealer, 60, &[copy]);
        s.seals = vec!["K-2".into()];
        s
    };
    let stranger = {
        let mut s = first(d(2026, 4, 12), miner, dealer, 500, &[b]);
        s.seals = vec!["Z-9".into()];
        s
    };
    // A bag listed before it was sealed is not yet a bag.
    let early = {
        let mut s = first(d(2026, 3, 15), miner, dealer, 100, &[after]);
        s.seals = vec!["K-3".into()];
        s
    };
    w.dig_sealed(site, d(2026, 3, 16), &[(100, G)], "K-3");
    for s in [&short, &stranger, &early] {
        w.write(|x| x.add_sale(s));
    }

    let data = w.store.check_data(&FactFilter::default()).unwrap();
    let flags = run_checks(&data, &CheckConfig::default(), &PriceModel::standard());
    let got: BTreeSet<(FlagKind, Uuid)> = flags
        .iter()
        .filter(|f| SEALS.contains(&f.kind))
        .map(|f| (f.kind, f.record_id))
        .collect();
    let want: BTreeSet<(FlagKind, Uuid)> = [
        (FlagKind::SealInTwoOpenBags, copy.0),
        (FlagKind::SealNeverSealed, stranger.id.0),
        (FlagKind::SealNeverSealed, early.id.0),
        (FlagKind::SealWithoutItsCarats, short.id.0),
    ]
    .into();
    assert_eq!(got, want);
    let short_flag = flags
        .iter()
        .find(|f| f.kind == FlagKind::SealWithoutItsCarats)
        .unwrap();
    assert_eq!(short_flag.evidence["sealed_carats"], "0.80");
    assert_eq!(short_flag.evidence["carats"], "0.60");
    assert_eq!(
        short_flag.target_entity(),
        alluvium::domain::RecordKind::Sale
    );
    assert_eq!(
        FlagKind::SealInTwoOpenBags.as_str(),
        "seal_in_two_open_bags"
    );
}

#[test]
fn seals_round_trip_through_csv_and_bad_seals_are_refused_in_words() {
    let mut w = World::new();
    let (miner, site) = w.miner();
    let dealer = w.trader(LicenceKind::Dealer, d(2026, 1, 1), d(2026, 12, 31));
    let a = w.dig_sealed(site, d(2026, 3, 2), &[(300, G)], "KONO/B-000042");
    let mut s = first(d(2026, 3, 10), miner, dealer, 300, &[a]);
    s.seals = vec!["KONO/B-000042".into()];
    w.write(|x| x.add_sale(&s));
    let mut out = Vec::new();
    alluvium::interchange::export_csv(&w.store, alluvium::domain::RecordKind::Production, &mut out)
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.lines().next().unwrap().ends_with(",replaces,seal"),
        "{text}"
    );
    assert!(text.contains(",KONO/B-000042"), "{text}");
    assert_eq!(w.store.sale(s.id).unwrap().unwrap().seals, s.seals);

    let bad_entry = |seal: &str| {
        let mut w2 = World::new();
        let (_, site) = w2.miner();
        let e = ProductionEntry {
            seal: seal.into(),
            id: ProductionId::new(),
            site_id: site,
            day: d(2026, 3, 2),
            officer: "fo.kono".into(),
            fix: None,
            crew_size: 10,
            digger_ids: vec![],
            gravel: Litres(10_000),
            notes: String::new(),
            replaces: None,
        };
        w2.try_write(|x| x.add_production(&e))
            .unwrap_err()
            .to_string()
    };
    assert!(
        bad_entry("K 1").contains("seal \"K 1\" may hold only"),
        "{}",
        bad_entry("K 1")
    );
    assert!(bad_entry(&"9".repeat(41)).contains("1 to 40 characters"));
    let mut twice = first(d(2026, 3, 11), miner, dealer, 300, &[a]);
    twice.seals = vec!["A1".into(), "A1".into()];
    let e = w.try_write(|x| x.add_sale(&twice)).unwrap_err().to_string();
    assert!(e.contains("names a seal twice"), "{e}");
}
