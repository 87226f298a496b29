//! A printable sale slip (bordereau): the slip's own fields, both parties with their licences,
//! and what it draws on down to the production entries and regions of origin, as plain text of
//! at most 80 columns that any printer, PDF writer or the GUI's print dialog can take. The
//! labels, numbers and dates follow the slip's language; codes (licence numbers, HS codes,
//! country codes) print as declared.

use crate::analytics::Chain;
use crate::domain::{Centicarats, SaleId, SaleKind};
use crate::i18n::{self, Lang, dates, numbers};
use crate::store::{FactFilter, Store, StoreError};
use std::fmt::Write;

/// The printable text of slip `id` in `lang`; `None` when there is no such slip.
pub fn sale_slip_text(store: &Store, id: SaleId, lang: Lang) -> Result<Option<String>, StoreError> {
    let Some(sale) = store.sale(id)? else {
        return Ok(None);
    };
    let t = |english: &'static str| i18n::translate(lang, english);
    let fill = |english: &'static str, values: &[&dyn std::fmt::Display]| {
        i18n::fill(t(english), values, &[])
    };
    let ct = |w: Centicarats| numbers::carats(lang, w);
    let not_on_record = t("not on record");
    let party = |l: Option<crate::domain::LicenceId>| -> Result<String, StoreError> {
        let Some(l) = l else { return Ok(String::new()) };
        let Some(lic) = store.licence(l)? else {
            return Ok(fill("licence {} (not on record)", &[&l]));
        };
        let holder = match lic.holder_digger_id {
            Some(d) => store.digger(d)?.map(|d| d.full_name).unwrap_or_default(),
            None => lic.holder_name.clone(),
        };
        let kind = t(match lic.kind {
            crate::domain::LicenceKind::ArtisanalMining => "artisanal mining licence",
            crate::domain::LicenceKind::Dealer => "dealer licence",
            crate::domain::LicenceKind::Exporter => "exporter licence",
        });
        Ok(format!("{holder}, {kind} {} ({})", lic.number, lic.region))
    };
    let title = t(match sale.kind {
        SaleKind::FirstSale => "PURCHASE SLIP (first sale)",
        SaleKind::Resale => "PURCHASE SLIP (resale)",
        SaleKind::Export => "EXPORT SLIP",
        SaleKind::Import => "IMPORT SLIP",
    });
    // Labels padded so values line up; French puts a space before the colon. A value that
    // would pass 80 columns goes on after its first comma on a line of its own.
    let line = |label: &'static str, value: &str| {
        let (head, width) = match lang {
            Lang::En => (format!("{}:", t(label)), 14),
            Lang::Fr => (format!("{} :", t(label)), 20),
        };
        let text = format!("{head:<width$} {value}");
        match value.split_once(", ") {
            Some((first, rest)) if text.chars().count() > 80 => {
                format!("{head:<width$} {first},\n{:<width$} {rest}", "")
            }
            _ => text,
        }
    };
    let mut o = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(o, "{title}\n{}", "=".repeat(title.chars().count()));
    let _ = writeln!(o, "{}", line("Slip number", &sale.slip_number));
    let _ = writeln!(o, "{}", line("Date", &dates::show(lang, sale.day)));
    if sale.kind == SaleKind::Import {
        let _ = writeln!(
            o,
            "{}",
            line("Importer", &party(Some(sale.seller_licence_id))?)
        );
    } else {
        let _ = writeln!(
            o,
            "{}",
            line("Seller", &party(Some(sale.seller_licence_id))?)
        );
    }
    if sale.kind.crosses_border() {
        if sale.kind == SaleKind::Export {
            let _ = writeln!(o, "{}", line("Destination", &sale.destination_country));
        } else {
            let _ = writeln!(o, "{}", line("Origin", &sale.origin_country));
        }
        if !sale.importer.is_empty() && sale.kind == SaleKind::Export {
            let _ = writeln!(o, "{}", line("Importer", &sale.importer));
        }
        let _ = writeln!(o, "{}", line("KP certificate", &sale.certificate_number));
        // What the certificate declares, never worked out from the stones.
        let _ = writeln!(o, "{}", line("HS code", &sale.hs_code));
    } else {
        let _ = writeln!(o, "{}", line("Buyer", &party(sale.buyer_licence_id)?));
    }
    let _ = writeln!(
        o,
        "{}",
        line("Carats", &numbers::hundredths(lang, sale.weight.0))
    );
    let _ = writeln!(
        o,
        "{}",
        line("Stones", &numbers::whole(lang, i64::from(sale.stone_count)))
    );
    let _ = writeln!(
        o,
        "{}",
        line("Price (USD)", &numbers::hundredths(lang, sale.price.0))
    );
    if !sale.seals.is_empty() {
        let _ = writeln!(o, "{}", line("Sealed bags", &sale.seals.join(", ")));
    }
    if !sale.production_ids.is_empty() {
        let _ = writeln!(o, "\n{}", t("Production drawn on:"));
        for p in &sale.production_ids {
            let entry = match store.production(*p)? {
                Some(e) => {
                    let stones = store.stones_of(e.id)?;
                    let cc: i64 = stones.iter().map(|s| s.weight.0).sum();
                    let count: u64 = stones.iter().map(|s| u64::from(s.count)).sum();
                    let site = store.site(e.site_id)?.map(|s| s.name).unwrap_or_default();
                    let colon = if lang == Lang::Fr { " :" } else { ":" };
                    format!(
                        "  {}  {site}{colon} {}",
                        dates::show(lang, e.day),
                        fill("{} stones, {}", &[&count, &ct(Centicarats(cc))])
                    )
                }
                None => format!("  {p} ({not_on_record})"),
            };
            let _ = writeln!(o, "{entry}");
        }
    }
    if !sale.source_sale_ids.is_empty() {
        let _ = writeln!(o, "\n{}", t("Purchases drawn on:"));
        for s in &sale.source_sale_ids {
            let entry = match store.sale(*s)? {
                Some(src) => format!(
                    "  {}  {}",
                    dates::show(lang, src.day),
                    fill("slip {}: {}", &[&src.slip_number, &ct(src.weight)])
                ),
                None => format!("  {s} ({not_on_record})"),
            };
            let _ = writeln!(o, "{entry}");
        }
    }
    let data = store.check_data(&FactFilter::default())?;
    let origin = Chain::new(&data).origin(&sale);
    if !origin.regions.is_empty() {
        let regions: Vec<String> = origin
            .region_list()
            .into_iter()
            .map(|r| format!("{r} {}", ct(origin.regions[&r])))
            .collect();
        let _ = writeln!(o, "\n{}", line("Traced to", &regions.join(", ")));
    }
    let _ = writeln!(
        o,
        "\n{}",
        t("Seller's signature: ____________________   Buyer's signature: ____________________")
    );
    Ok(Some(o))
}
