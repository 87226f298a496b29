//! A printable sale slip (bordereau): the slip's own fields, both parties with their licences,
//! and what it draws on down to the production entries and regions of origin, as plain text of
//! at most 80 columns that any printer, PDF writer or the GUI's print dialog can take.

use crate::analytics::Chain;
use crate::domain::{SaleId, SaleKind};
use crate::store::{FactFilter, Store, StoreError};
use std::fmt::Write;

/// The printable text of slip `id`; `None` when there is no such slip.
pub fn sale_slip_text(store: &Store, id: SaleId) -> Result<Option<String>, StoreError> {
    let Some(sale) = store.sale(id)? else {
        return Ok(None);
    };
    let party = |l: Option<crate::domain::LicenceId>| -> Result<String, StoreError> {
        let Some(l) = l else { return Ok(String::new()) };
        let Some(lic) = store.licence(l)? else {
            return Ok(format!("licence {l} (not on record)"));
        };
        let holder = match lic.holder_digger_id {
            Some(d) => store.digger(d)?.map(|d| d.full_name).unwrap_or_default(),
            None => lic.holder_name.clone(),
        };
        Ok(format!(
            "{holder}, {} licence {} ({})",
            lic.kind, lic.number, lic.region
        ))
    };
    let title = match sale.kind {
        SaleKind::FirstSale => "PURCHASE SLIP (first sale)",
        SaleKind::Resale => "PURCHASE SLIP (resale)",
        SaleKind::Export => "EXPORT SLIP",
        SaleKind::Import => "IMPORT SLIP",
    };
    let mut t = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(t, "{title}\n{}", "=".repeat(title.len()));
    let _ = writeln!(t, "Slip number:   {}", sale.slip_number);
    let _ = writeln!(t, "Date:          {}", sale.day);
    if sale.kind == SaleKind::Import {
        let _ = writeln!(t, "Importer:      {}", party(Some(sale.seller_licence_id))?);
    } else {
        let _ = writeln!(t, "Seller:        {}", party(Some(sale.seller_licence_id))?);
    }
    if sale.kind.crosses_border() {
        if sale.kind == SaleKind::Export {
            let _ = writeln!(t, "Destination:   {}", sale.destination_country);
        } else {
            let _ = writeln!(t, "Origin:        {}", sale.origin_country);
        }
        if !sale.importer.is_empty() && sale.kind == SaleKind::Export {
            let _ = writeln!(t, "Importer:      {}", sale.importer);
        }
        let _ = writeln!(t, "KP certificate: {}", sale.certificate_number);
        // What the certificate declares, never worked out from the stones.
        let _ = writeln!(t, "HS code:       {}", sale.hs_code);
    } else {
        let _ = writeln!(t, "Buyer:         {}", party(sale.buyer_licence_id)?);
    }
    let _ = writeln!(t, "Carats:        {}", sale.weight);
    let _ = writeln!(t, "Stones:        {}", sale.stone_count);
    let _ = writeln!(t, "Price (USD):   {}", sale.price);
    if !sale.production_ids.is_empty() {
        let _ = writeln!(t, "\nProduction drawn on:");
        for p in &sale.production_ids {
            let line = match store.production(*p)? {
                Some(e) => {
                    let stones = store.stones_of(e.id)?;
                    let cc: i64 = stones.iter().map(|s| s.weight.0).sum();
                    let site = store.site(e.site_id)?.map(|s| s.name).unwrap_or_default();
                    format!(
                        "  {}  {site}: {} stones, {} ct",
                        e.day,
                        stones.iter().map(|s| u64::from(s.count)).sum::<u64>(),
                        crate::domain::Centicarats(cc)
                    )
                }
                None => format!("  {p} (not on record)"),
            };
            let _ = writeln!(t, "{line}");
        }
    }
    if !sale.source_sale_ids.is_empty() {
        let _ = writeln!(t, "\nPurchases drawn on:");
        for s in &sale.source_sale_ids {
            let line = match store.sale(*s)? {
                Some(src) => format!("  {}  slip {}: {} ct", src.day, src.slip_number, src.weight),
                None => format!("  {s} (not on record)"),
            };
            let _ = writeln!(t, "{line}");
        }
    }
    let data = store.check_data(&FactFilter::default())?;
    let origin = Chain::new(&data).origin(&sale);
    if !origin.regions.is_empty() {
        let regions: Vec<String> = origin
            .region_list()
            .into_iter()
            .map(|r| format!("{r} {} ct", origin.regions[&r]))
            .collect();
        let _ = writeln!(t, "\nTraced to:     {}", regions.join(", "));
    }
    let _ = writeln!(
        t,
        "\nSeller's signature: ____________________   Buyer's signature: ____________________"
    );
    Ok(Some(t))
}
