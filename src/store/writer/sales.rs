//! Sale slips: the chain of custody from pit to export, with the production entries a first
//! sale draws on and the purchases a resale or export draws on.

use super::{StoreError, Writer};
use crate::domain::rules;
use crate::domain::{RecordKind, Sale};
use rusqlite::params;

impl Writer<'_> {
    /// Records a sale slip or export.
    ///
    /// The chain-of-custody rules are the domain's ([`crate::domain::rules`]): what is
    /// refused, and what is stored but flagged by the checks.
    pub fn add_sale(&mut self, s: &Sale) -> Result<(), StoreError> {
        let placed = rules::sale(s, self.today, &self.lookup())?;
        let id = s.id.to_string();
        let hlc = self.stamp();
        self.tx
            .prepare_cached(
                "INSERT INTO sales(id, slip_number, day, seller_licence_id, buyer_licence_id, centicarats, stone_count,
                   price_cents, kind, certificate_number, destination_country, hlc, origin, author,
                   hs_code, importer, origin_country, seals)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            )?
            .execute(params![
                id,
                s.slip_number,
                s.day.to_string(),
                s.seller_licence_id.to_string(),
                s.buyer_licence_id.map(|b| b.to_string()),
                s.weight.0,
                s.stone_count,
                s.price.0,
                s.kind.as_str(),
                s.certificate_number,
                s.destination_country,
                hlc.as_i64(),
                self.origin(),
                self.author(),
                s.hs_code,
                s.importer,
                s.origin_country,
                s.seals.join(";")
            ])?;
        let mut link = self.tx.prepare_cached(
            "INSERT INTO sale_production(sale_id, production_id, position) VALUES (?1, ?2, ?3)",
        )?;
        for (i, p) in s.production_ids.iter().enumerate() {
            link.execute(params![id, p.to_string(), i as i64])?;
        }
        let mut link = self.tx.prepare_cached(
            "INSERT INTO sale_sources(sale_id, source_sale_id, position) VALUES (?1, ?2, ?3)",
        )?;
        for (i, src) in s.source_sale_ids.iter().enumerate() {
            link.execute(params![id, src.to_string(), i as i64])?;
        }
        self.log(RecordKind::Sale, &id, &placed, hlc, 0, s)
    }
}
