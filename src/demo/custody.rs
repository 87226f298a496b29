//! The chain of custody of a region's finds (DOMAIN.md §7): each licence holder sells its
//! finds to one of the region's three dealers (mostly the same one) 0–10 days after the last
//! find of a batch; dealers resell every one to three weeks to the region's exporter (now and
//! then to another dealer), and the exporter ships every three to six weeks under a KP
//! certificate. Every slip lists what it draws on, so the chain balances exactly.

use super::region::RegionGen;
use crate::analytics::{PriceModel, SIZE_EXPONENT, quality_factor};
use crate::domain::{
    Centicarats, Cents, Licence, LicenceId, LicenceKind, LicenceStatus, Sale, SaleId, SaleKind,
};
use crate::domain::{HS_GEM, HS_INDUSTRIAL, HS_UNSORTED};
use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;
use std::collections::HashMap;

/// Stock of a trader: the slips bought and not yet sold on.
#[derive(Default)]
struct Stock {
    unsold: Vec<usize>,
    next_sale: Option<NaiveDate>,
}

impl RegionGen<'_> {
    /// A dealer's or exporter's licence, the `seq`th of its kind in the region.
    fn trader(&mut self, kind: LicenceKind, seq: usize) -> Licence {
        let issued = self.start() - Duration::days(self.rng.random_range(30..300));
        let mut expires = issued + Duration::days(364);
        if expires < self.opts.end {
            expires += Duration::days(365); // renewed
        }
        let surname = self.pick(self.p.surnames);
        let first = self.pick(self.p.first_names_male);
        let (code, holder) = match kind {
            LicenceKind::Exporter => ("EX", format!("{surname} Diamond Export Ltd")),
            _ => (
                "DL",
                format!(
                    "{first} {surname} {}",
                    self.pick(&["Diamonds", "Trading", "& Sons", "Mining Supplies"])
                ),
            ),
        };
        Licence {
            // Registered on the device when the demo span starts, after every mining licence,
            // so lists in id order still begin with a mining licence as they always have.
            id: self.id(self.start(), 900 + seq as u64),
            number: format!(
                "{}/{code}/{}/{seq:04}",
                self.p.licence_prefix,
                issued.year()
            ),
            kind,
            holder_digger_id: None,
            holder_name: holder,
            region: self.region.code.clone(),
            issued_on: issued,
            expires_on: expires,
            status: LicenceStatus::Active,
            area: None,
            fee_receipt: format!(
                "OTP-{}-{:06}",
                issued.year(),
                self.rng.random_range(0..1_000_000)
            ),
        }
    }

    /// A slip with the next id and number of its kind.
    #[allow(clippy::too_many_arguments)]
    fn slip(
        &mut self,
        kind: SaleKind,
        n: usize,
        day: NaiveDate,
        seller: LicenceId,
        buyer: Option<LicenceId>,
        parts: (i64, u32, i64),
    ) -> Sale {
        let code = match kind {
            SaleKind::FirstSale => "BA",
            SaleKind::Resale => "BV",
            SaleKind::Export => "EX",
            SaleKind::Import => "IM",
        };
        Sale {
            id: self.id::<SaleId>(day, 50_000 + n as u64),
            slip_number: format!("{}/{code}/{n:06}", self.p.licence_prefix),
            day,
            seller_licence_id: seller,
            buyer_licence_id: buyer,
            weight: Centicarats(parts.0),
            stone_count: parts.1,
            price: Cents(parts.2),
            production_ids: vec![],
            source_sale_ids: vec![],
            kind,
            certificate_number: String::new(),
            destination_country: String::new(),
            hs_code: String::new(),
            importer: String::new(),
            origin_country: String::new(),
            seals: vec![],
        }
    }

    /// Dealers, an exporter and the slips from pit to export (see the module documentation),
    /// for the licences and production from `first_licence` and `first_production` on.
    pub(super) fn custody(&mut self, first_licence: usize, first_production: usize) {
        let dealers: Vec<Licence> = (1..=3)
            .map(|k| self.trader(LicenceKind::Dealer, k))
            .collect();
        let exporter = self.trader(LicenceKind::Exporter, 1);
        let prices = PriceModel::standard();
        let base = prices
            .base(&self.region.code)
            .map_or(10_000.0, |c| c.0 as f64);
        let site_licence: HashMap<_, _> = self
            .data
            .sites
            .iter()
            .map(|s| (s.id, s.licence_id))
            .collect();
        let end = self.opts.end;
        let mut sales: Vec<Sale> = Vec::new();
        let mut n = 0;

        // First sales: each holder sells batches of finds, mostly to a regular dealer.
        let licences: Vec<LicenceId> = self.data.licences[first_licence..]
            .iter()
            .map(|l| l.id)
            .collect();
        let mut finds: HashMap<LicenceId, Vec<usize>> = Default::default();
        for (i, (p, stones)) in self
            .data
            .production
            .iter()
            .enumerate()
            .skip(first_production)
        {
            if let Some(l) = site_licence.get(&p.site_id)
                && !stones.is_empty()
            {
                finds.entry(*l).or_default().push(i);
            }
        }
        for licence in licences {
            let mut list = finds.remove(&licence).unwrap_or_default();
            list.sort_by_key(|&i| (self.data.production[i].0.day, self.data.production[i].0.id));
            let regular = self.rng.random_range(0..dealers.len());
            let mut batch: Vec<usize> = Vec::new();
            for i in list {
                batch.push(i);
                if batch.len() < 6 && !self.rng.random_bool(0.35) {
                    continue;
                }
                let day =
                    self.data.production[i].0.day + Duration::days(self.rng.random_range(0..=10));
                if day > end {
                    break; // still in the holder's hands
                }
                let dealer = if self.rng.random_bool(0.85) {
                    regular
                } else {
                    self.rng.random_range(0..dealers.len())
                };
                let (mut cc, mut count, mut value) = (0i64, 0u32, 0.0f64);
                for &k in &batch {
                    for st in &self.data.production[k].1 {
                        // A lot sells as its stones, each priced at the lot's mean weight.
                        let n = st.count.max(1);
                        let mean = st.weight.carats_f64() / f64::from(n);
                        cc += st.weight.0;
                        count += n;
                        value += base
                            * mean.powf(SIZE_EXPONENT)
                            * quality_factor(st.class)
                            * mean
                            * f64::from(n);
                    }
                }
                let price = (value * self.rng.random_range(0.55..0.75)).round() as i64;
                n += 1;
                let mut s = self.slip(
                    SaleKind::FirstSale,
                    n,
                    day,
                    licence,
                    Some(dealers[dealer].id),
                    (cc, count, price),
                );
                s.production_ids = batch
                    .iter()
                    .map(|&k| self.data.production[k].0.id)
                    .collect();
                // The holder hands over the bags sealed at the pit; the dealer opens them.
                s.seals = batch
                    .iter()
                    .map(|&k| self.data.production[k].0.seal.clone())
                    .filter(|seal| !seal.is_empty())
                    .collect();
                sales.push(s);
                batch.clear();
            }
        }

        // Dealers resell their stock every one to three weeks; the exporter ships every three
        // to six weeks. Walk the days in order so every slip comes after what it draws on.
        sales.sort_by_key(|s| (s.day, s.id));
        let mut stock: Vec<Stock> = (0..=dealers.len()).map(|_| Stock::default()).collect();
        let trader_index = |id: LicenceId| {
            dealers
                .iter()
                .position(|d| d.id == id)
                .or((id == exporter.id).then_some(dealers.len()))
        };
        let firsts = std::mem::take(&mut sales);
        let mut out: Vec<Sale> = Vec::with_capacity(firsts.len() * 2);
        let mut cursor = 0;
        let mut day = self.start();
        for (k, s) in stock.iter_mut().enumerate() {
            let gap = if k < dealers.len() { 7..=21 } else { 21..=42 };
            s.next_sale = Some(day + Duration::days(self.rng.random_range(gap)));
        }
        while day <= end {
            while cursor < firsts.len() && firsts[cursor].day <= day {
                let s = firsts[cursor].clone();
                if let Some(k) = s.buyer_licence_id.and_then(trader_index) {
                    stock[k].unsold.push(out.len());
                }
                out.push(s);
                cursor += 1;
            }
            for k in 0..stock.len() {
                if stock[k].next_sale != Some(day) {
                    continue;
                }
                let is_exporter = k == dealers.len();
                let gap = if is_exporter { 21..=42 } else { 7..=21 };
                stock[k].next_sale = Some(day + Duration::days(self.rng.random_range(gap)));
                let sources = std::mem::take(&mut stock[k].unsold);
                if sources.is_empty() {
                    continue;
                }
                let (cc, count, price): (i64, u32, i64) =
                    sources.iter().fold((0, 0, 0), |a, &i| {
                        (
                            a.0 + out[i].weight.0,
                            a.1 + out[i].stone_count,
                            a.2 + out[i].price.0,
                        )
                    });
                let markup = self.rng.random_range(1.05..1.15);
                let price = (price as f64 * markup).round() as i64;
                n += 1;
                let mut s = if is_exporter {
                    let mut s = self.slip(
                        SaleKind::Export,
                        n,
                        day,
                        exporter.id,
                        None,
                        (cc, count, price),
                    );
                    s.destination_country = self
                        .pick(&["BE", "BE", "BE", "AE", "AE", "IN", "IL"])
                        .to_string();
                    s.certificate_number = format!("{}-{}-{n:05}", self.region.country, day.year());
                    // The exporter declares the parcel's HS code on the certificate: most
                    // artisanal parcels leave unsorted, some sorted. Chosen by the slip's
                    // number, so the rest of the demo draws what it drew before.
                    s.hs_code = [HS_UNSORTED, HS_UNSORTED, HS_UNSORTED, HS_GEM, HS_INDUSTRIAL]
                        [n % 5]
                        .to_string();
                    s
                } else {
                    // Now and then a dealer sells to a bigger dealer rather than the exporter.
                    let to = if self.rng.random_bool(0.1) {
                        (k + 1) % dealers.len()
                    } else {
                        dealers.len()
                    };
                    let buyer = if to == dealers.len() {
                        exporter.id
                    } else {
                        dealers[to].id
                    };
                    let s = self.slip(
                        SaleKind::Resale,
                        n,
                        day,
                        dealers[k].id,
                        Some(buyer),
                        (cc, count, price),
                    );
                    stock[to].unsold.push(out.len());
                    s
                };
                s.source_sale_ids = sources.iter().map(|&i| out[i].id).collect();
                out.push(s);
            }
            day += Duration::days(1);
        }
        self.data.licences.extend(dealers);
        self.data.licences.push(exporter);
        self.data.sales.extend(out);
    }
}
