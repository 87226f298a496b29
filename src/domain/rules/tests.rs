//! The rules as a table over a lookup held in memory.

use super::*;
use crate::domain::{Centicarats, Cents, LicenceEventId, StoneClass, StoneId};
use std::collections::HashMap;

#[derive(Default)]
struct Mem {
    licences: HashMap<LicenceId, LicenceFacts>,
    production: HashMap<ProductionId, ProductionFacts>,
    sales: HashMap<SaleId, SaleFacts>,
    corrected: HashMap<ProductionId, ProductionId>,
}

impl RecordLookup for Mem {
    type Error = ();
    fn region_exists(&self, code: &str) -> Result<bool, ()> {
        Ok(code == "SL-KONO")
    }
    fn exists(&self, kind: RecordKind, id: &str) -> Result<bool, ()> {
        Ok(match kind {
            RecordKind::Production => self.production.keys().any(|p| p.to_string() == id),
            _ => false,
        })
    }
    fn region_of(&self, _: RecordKind, _: &str) -> Result<Option<String>, ()> {
        Ok(None)
    }
    fn licence(&self, id: LicenceId) -> Result<Option<LicenceFacts>, ()> {
        Ok(self.licences.get(&id).cloned())
    }
    fn site(&self, _: SiteId) -> Result<Option<SiteFacts>, ()> {
        Ok(None)
    }
    fn production(&self, id: ProductionId) -> Result<Option<ProductionFacts>, ()> {
        Ok(self.production.get(&id).cloned())
    }
    fn sale(&self, id: SaleId) -> Result<Option<SaleFacts>, ()> {
        Ok(self.sales.get(&id).cloned())
    }
    fn correction_of(&self, id: ProductionId) -> Result<Option<ProductionId>, ()> {
        Ok(self.corrected.get(&id).copied())
    }
    fn photos_of(&self, _: &str) -> Result<usize, ()> {
        Ok(0)
    }
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn sale_links_are_checked_against_the_records_they_name() {
    let (sl_mine, gh_mine, dealer) = (LicenceId::new(), LicenceId::new(), LicenceId::new());
    let mut mem = Mem::default();
    for (id, region, kind, number) in [
        (sl_mine, "SL-KONO", LicenceKind::ArtisanalMining, "SL-1"),
        (gh_mine, "GH-AKWATIA", LicenceKind::ArtisanalMining, "GH-1"),
        (dealer, "SL-KONO", LicenceKind::Dealer, "SL-D"),
    ] {
        let facts = LicenceFacts {
            region: region.into(),
            kind,
            number: number.into(),
            issued_on: Some(day("2026-01-01")),
        };
        mem.licences.insert(id, facts);
    }
    let gh_entry = ProductionId::new();
    mem.production.insert(
        gh_entry,
        ProductionFacts {
            region: "GH-AKWATIA".into(),
            site_id: SiteId::new(),
            licence_id: gh_mine,
        },
    );
    let export = SaleId::new();
    mem.sales.insert(
        export,
        SaleFacts {
            region: "SL-KONO".into(),
            kind: SaleKind::Export,
            buyer_licence_id: None,
            day: day("2026-03-01"),
        },
    );
    let base = Sale {
        seals: vec![],
        id: SaleId::new(),
        slip_number: "S-1".into(),
        day: day("2026-03-02"),
        seller_licence_id: sl_mine,
        buyer_licence_id: Some(dealer),
        weight: Centicarats(150),
        stone_count: 2,
        price: Cents(10_000),
        production_ids: vec![],
        source_sale_ids: vec![],
        kind: SaleKind::FirstSale,
        certificate_number: String::new(),
        destination_country: String::new(),
        hs_code: String::new(),
        importer: String::new(),
        origin_country: String::new(),
    };
    let today = day("2026-06-01");
    let placed = chain::sale(&base, today, &mem).unwrap();
    assert_eq!(placed.region, "SL-KONO");

    let cases: Vec<(&str, Sale, &str)> = vec![
        (
            "first sale drawing on another country's production",
            Sale {
                production_ids: vec![gh_entry],
                ..base.clone()
            },
            "was found under another licence than the seller's SL-1",
        ),
        (
            "unknown buyer",
            Sale {
                buyer_licence_id: Some(LicenceId::new()),
                ..base.clone()
            },
            "is not a known licence",
        ),
        (
            "dealer licence selling a first sale",
            Sale {
                seller_licence_id: dealer,
                buyer_licence_id: Some(sl_mine),
                ..base.clone()
            },
            "is a dealer licence",
        ),
        (
            "resale of an export",
            Sale {
                seller_licence_id: dealer,
                buyer_licence_id: Some(sl_mine),
                kind: SaleKind::Resale,
                source_sale_ids: vec![export],
                ..base.clone()
            },
            "exported goods cannot be sold again",
        ),
    ];
    for (what, sale, reason) in cases {
        match chain::sale(&sale, today, &mem) {
            Err(RuleError::Refused(r)) => {
                assert!(r.to_string().contains(reason), "{what}: {r}")
            }
            other => panic!("{what}: expected a refusal, got {other:?}"),
        }
    }
}

#[test]
fn a_stone_takes_the_region_of_its_entry_and_an_unknown_entry_is_missing() {
    let entry = ProductionId::new();
    let mut mem = Mem::default();
    mem.production.insert(
        entry,
        ProductionFacts {
            region: "SL-KONO".into(),
            site_id: SiteId::new(),
            licence_id: LicenceId::new(),
        },
    );
    let stone = Stone {
        id: StoneId::new(),
        production_id: entry,
        weight: Centicarats(35),
        class: StoneClass::Gem,
        colour: String::new(),
        count: 1,
        sieve: None,
    };
    let placed = super::stone(&stone, &mem).unwrap();
    assert_eq!(placed.region, "SL-KONO");
    assert_eq!(placed.parent, Some(entry.to_string()));
    let orphan = Stone {
        production_id: ProductionId::new(),
        ..stone
    };
    assert!(matches!(
        super::stone(&orphan, &mem),
        Err(RuleError::Refused(Refusal::Missing(m))) if m.contains("not a known production entry")
    ));
}

#[test]
fn licence_events_take_effect_no_earlier_than_the_issue() {
    let (mine, dealer) = (LicenceId::new(), LicenceId::new());
    let mut mem = Mem::default();
    for (id, kind, number) in [
        (mine, LicenceKind::ArtisanalMining, "SL-1"),
        (dealer, LicenceKind::Dealer, "SL-D"),
    ] {
        let facts = LicenceFacts {
            region: "SL-KONO".into(),
            kind,
            number: number.into(),
            issued_on: Some(day("2026-01-10")),
        };
        mem.licences.insert(id, facts);
    }
    let suspension = LicenceEvent {
        id: LicenceEventId::new(),
        licence_id: mine,
        kind: LicenceEventKind::Suspended,
        on: day("2026-06-01"),
        until: None,
        fee_cents: None,
        receipt: String::new(),
        reason: "unpaid royalties".into(),
    };
    let placed = licence_event(&suspension, &mem).unwrap();
    assert_eq!(
        (placed.region.as_str(), placed.parent),
        ("SL-KONO", Some(mine.to_string()))
    );
    let cases = [
        (
            LicenceEvent {
                on: day("2026-01-09"),
                ..suspension.clone()
            },
            "on 2026-01-09 is before licence SL-1 was issued on 2026-01-10",
        ),
        (
            LicenceEvent {
                licence_id: LicenceId::new(),
                ..suspension.clone()
            },
            "is not a known licence",
        ),
        (
            LicenceEvent {
                id: LicenceEvent::issue_id(mine),
                kind: LicenceEventKind::Issued,
                until: Some(day("2027-01-01")),
                ..suspension.clone()
            },
            "is not the day licence SL-1 was issued",
        ),
    ];
    for (event, why) in cases {
        match licence_event(&event, &mem) {
            Err(RuleError::Refused(r)) => assert!(r.to_string().contains(why), "{r}"),
            other => panic!("expected {why:?}, got {other:?}"),
        }
    }
    let named = Supporter {
        id: crate::domain::SupporterId::new(),
        licence_id: dealer,
        digger_id: None,
        full_name: "Alhaji Kamara".into(),
        national_id: "SL-88120".into(),
    };
    match supporter(&named, &mem) {
        Err(RuleError::Refused(r)) => assert!(r.to_string().contains("artisanal"), "{r}"),
        other => panic!("a dealer licence has no supporters: {other:?}"),
    }
    assert!(
        supporter(
            &Supporter {
                licence_id: mine,
                ..named
            },
            &mem
        )
        .is_ok()
    );
}
