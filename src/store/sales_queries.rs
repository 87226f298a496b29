//! The reads behind the Sales page: slips listed and searched with their parties, and what a
//! seller can put on a new slip — a licence holder's production not yet sold, a trader's
//! purchases not yet sold on — with the carats and stone count a slip is pre-filled from.

use super::rows;
use super::{Store, StoreError};
use crate::domain::{Centicarats, LicenceId, ProductionEntry, Sale, SaleId, SaleKind};
use chrono::NaiveDate;

/// Which slips a list shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SaleFilter {
    /// Words matched against the slip and certificate numbers, both licence numbers and the
    /// holders' names (case-insensitive substring).
    pub query: String,
    pub kind: Option<SaleKind>,
    /// Region of the seller's licence.
    pub region: Option<String>,
    /// First and last slip day (inclusive).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// A slip with what the list shows beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct SaleRow {
    pub sale: Sale,
    /// Region of the seller's licence.
    pub region: String,
    pub seller_number: String,
    /// The seller's holder: the registered digger's name or the trader's name.
    pub seller_holder: String,
    pub buyer_number: Option<String>,
    pub buyer_holder: Option<String>,
}

/// A production entry a licence holder may sell, with its stones added up.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductionOffer {
    pub entry: ProductionEntry,
    pub site_name: String,
    pub stones: u32,
    pub weight: Centicarats,
    /// First sales that already list this entry (empty when unsold).
    pub sold_on: Vec<SaleId>,
}

/// A slip a trader bought, which a resale or export may draw on.
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseOffer {
    pub sale: Sale,
    pub seller_number: String,
    /// Later slips of the trader that already list this purchase (empty when unsold).
    pub drawn_on_by: Vec<SaleId>,
}

/// Carats and stone count of a new slip drawing on the chosen production entries.
pub fn prefill_from_production(chosen: &[&ProductionOffer]) -> (Centicarats, u32) {
    chosen.iter().fold((Centicarats(0), 0), |(w, n), o| {
        (Centicarats(w.0 + o.weight.0), n + o.stones)
    })
}

/// Carats and stone count of a new resale or export drawing on the chosen purchases.
pub fn prefill_from_purchases(chosen: &[&PurchaseOffer]) -> (Centicarats, u32) {
    chosen.iter().fold((Centicarats(0), 0), |(w, n), o| {
        (Centicarats(w.0 + o.sale.weight.0), n + o.sale.stone_count)
    })
}

fn split_ids<T: std::str::FromStr<Err = String>>(text: Option<String>) -> Vec<T> {
    text.unwrap_or_default()
        .split(';')
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// Where a query's own columns start, after the slip's.
const N: usize = rows::SALE_COL_COUNT;
const P: usize = rows::PRODUCTION_COL_COUNT;

const HOLDER: &str = "coalesce(nullif({l}.holder_name, ''), (SELECT full_name FROM diggers WHERE id = {l}.holder_digger_id), '')";

fn holder(alias: &str) -> String {
    HOLDER.replace("{l}", alias)
}

impl Store {
    /// Slips matching `filter`, newest day first; `offset`/`limit` page through for lazy lists.
    pub fn search_sales(
        &self,
        filter: &SaleFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<SaleRow>, StoreError> {
        let sql = format!(
            "SELECT {}, ls.region, ls.number, {}, lb.number, CASE WHEN lb.id IS NULL THEN NULL ELSE {} END
             FROM sales sa JOIN licences ls ON ls.id = sa.seller_licence_id
             LEFT JOIN licences lb ON lb.id = sa.buyer_licence_id
             WHERE {} ORDER BY sa.day DESC, sa.id DESC LIMIT ?6 OFFSET ?7",
            rows::SALE_COLS,
            holder("ls"),
            holder("lb"),
            SALE_FILTER
        );
        let (q, kind, region, from, to) = filter_params(filter);
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map(
            rusqlite::params![q, kind, region, from, to, limit as i64, offset as i64],
            |r| {
                Ok(SaleRow {
                    sale: rows::sale(r)?,
                    region: r.get(N)?,
                    seller_number: r.get(N + 1)?,
                    seller_holder: r.get(N + 2)?,
                    buyer_number: r.get(N + 3)?,
                    buyer_holder: r.get(N + 4)?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many slips [`Store::search_sales`] would list.
    pub fn count_sales_matching(&self, filter: &SaleFilter) -> Result<usize, StoreError> {
        let sql = format!(
            "SELECT count(*) FROM sales sa JOIN licences ls ON ls.id = sa.seller_licence_id
             LEFT JOIN licences lb ON lb.id = sa.buyer_licence_id WHERE {SALE_FILTER}"
        );
        let (q, kind, region, from, to) = filter_params(filter);
        let n: i64 = self
            .conn()
            .prepare_cached(&sql)?
            .query_row(rusqlite::params![q, kind, region, from, to], |r| r.get(0))?;
        Ok(n as usize)
    }

    /// The current production entries of a licence's sites from `since` on that found stones,
    /// newest first, each with its stones added up and the first sales already listing it.
    pub fn production_offers(
        &self,
        seller: LicenceId,
        since: NaiveDate,
    ) -> Result<Vec<ProductionOffer>, StoreError> {
        let sql = format!(
            "SELECT {}, s.name, coalesce(sum(st.stone_count), 0), coalesce(sum(st.centicarats), 0),
               (SELECT group_concat(sale_id, ';') FROM sale_production sp WHERE sp.production_id = p.id)
             FROM production p JOIN sites s ON s.id = p.site_id JOIN stones st ON st.production_id = p.id
             WHERE s.licence_id = ?1 AND p.day >= ?2
               AND NOT EXISTS (SELECT 1 FROM production n WHERE n.replaces = p.id)
             GROUP BY p.id ORDER BY p.day DESC, p.id DESC",
            rows::PRODUCTION_COLS
        );
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map(
            rusqlite::params![seller.to_string(), since.to_string()],
            |r| {
                Ok(ProductionOffer {
                    entry: rows::production(r)?,
                    site_name: r.get(P)?,
                    stones: r.get(P + 1)?,
                    weight: Centicarats(r.get(P + 2)?),
                    sold_on: split_ids(r.get(P + 3)?),
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The slips a trader bought up to `until`, newest first, each with the trader's later
    /// slips already drawing on it.
    pub fn purchase_offers(
        &self,
        buyer: LicenceId,
        until: NaiveDate,
    ) -> Result<Vec<PurchaseOffer>, StoreError> {
        let sql = format!(
            "SELECT {}, ls.number,
               (SELECT group_concat(sale_id, ';') FROM sale_sources ss WHERE ss.source_sale_id = sa.id)
             FROM sales sa JOIN licences ls ON ls.id = sa.seller_licence_id
             WHERE (sa.buyer_licence_id = ?1 OR (sa.kind = 'import' AND sa.seller_licence_id = ?1))
               AND sa.day <= ?2 ORDER BY sa.day DESC, sa.id DESC",
            rows::SALE_COLS
        );
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map(
            rusqlite::params![buyer.to_string(), until.to_string()],
            |r| {
                Ok(PurchaseOffer {
                    sale: rows::sale(r)?,
                    seller_number: r.get(N)?,
                    drawn_on_by: split_ids(r.get(N + 1)?),
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// `?1` words, `?2` kind, `?3` region, `?4` from, `?5` to.
const SALE_FILTER: &str = "(?1 IS NULL OR sa.slip_number LIKE ?1 ESCAPE '\\' OR sa.certificate_number LIKE ?1 ESCAPE '\\'
       OR ls.number LIKE ?1 ESCAPE '\\' OR lb.number LIKE ?1 ESCAPE '\\' OR ls.holder_name LIKE ?1 ESCAPE '\\'
       OR lb.holder_name LIKE ?1 ESCAPE '\\'
       OR EXISTS (SELECT 1 FROM diggers dg WHERE dg.id = ls.holder_digger_id AND dg.full_name LIKE ?1 ESCAPE '\\'))
     AND (?2 IS NULL OR sa.kind = ?2) AND (?3 IS NULL OR ls.region = ?3)
     AND (?4 IS NULL OR sa.day >= ?4) AND (?5 IS NULL OR sa.day <= ?5)";

type FilterParams = (
    Option<String>,
    Option<&'static str>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn filter_params(f: &SaleFilter) -> FilterParams {
    let q = f.query.trim();
    let like = (!q.is_empty()).then(|| {
        format!(
            "%{}%",
            q.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )
    });
    (
        like,
        f.kind.map(|k| k.as_str()),
        f.region.clone(),
        f.from.map(|d| d.to_string()),
        f.to.map(|d| d.to_string()),
    )
}
