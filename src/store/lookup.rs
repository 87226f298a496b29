//! The device's answers to the record rules' questions ([`RecordLookup`]), read inside the
//! writing transaction so a rule sees the records written just before in the same batch.

use super::StoreError;
use super::rows::{parsed, parsed_opt};
use crate::domain::rules::{LicenceFacts, ProductionFacts, RecordLookup, SaleFacts, SiteFacts};
use crate::domain::{LicenceId, ProductionId, RecordKind, SaleId, SiteId};
use rusqlite::{Connection, OptionalExtension, Params, Row};

/// Record lookups over one connection (or transaction).
pub(crate) struct TxLookup<'c> {
    conn: &'c Connection,
}

impl<'c> TxLookup<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Self {
        TxLookup { conn }
    }

    fn one<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(sql)?
            .query_row(params, f)
            .optional()?)
    }
}

/// The SQL that finds a record's region on the device, by kind.
fn region_sql(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Region => "SELECT code FROM regions WHERE code = ?1",
        // An officer's profile is placed in the first region it serves.
        RecordKind::Officer => {
            "SELECT CASE WHEN instr(regions, ',') > 0 THEN substr(regions, 1, instr(regions, ',') - 1)
                    ELSE regions END FROM officers WHERE id = ?1"
        }
        RecordKind::Digger => "SELECT region FROM diggers WHERE id = ?1",
        RecordKind::Licence => "SELECT region FROM licences WHERE id = ?1",
        RecordKind::Site => {
            "SELECT l.region FROM sites s JOIN licences l ON l.id = s.licence_id WHERE s.id = ?1"
        }
        RecordKind::Crew => {
            "SELECT l.region FROM crews c JOIN licences l ON l.id = c.licence_id WHERE c.id = ?1"
        }
        RecordKind::Production => {
            "SELECT l.region FROM production p JOIN sites s ON s.id = p.site_id
             JOIN licences l ON l.id = s.licence_id WHERE p.id = ?1"
        }
        RecordKind::Stone => {
            "SELECT l.region FROM stones t JOIN production p ON p.id = t.production_id
             JOIN sites s ON s.id = p.site_id JOIN licences l ON l.id = s.licence_id WHERE t.id = ?1"
        }
        RecordKind::Sale => {
            "SELECT l.region FROM sales s JOIN licences l ON l.id = s.seller_licence_id WHERE s.id = ?1"
        }
        RecordKind::Supporter => {
            "SELECT l.region FROM supporters s JOIN licences l ON l.id = s.licence_id WHERE s.id = ?1"
        }
        RecordKind::LicenceEvent => {
            "SELECT l.region FROM licence_events e JOIN licences l ON l.id = e.licence_id WHERE e.id = ?1"
        }
        // A review of a review is not a thing; its region is its target's, found by the caller.
        RecordKind::Review => "SELECT NULL FROM reviews WHERE id = ?1",
        // Likewise a photo: its region is the region of the record it shows.
        RecordKind::Photo => "SELECT NULL FROM photos WHERE id = ?1",
    }
}

impl RecordLookup for TxLookup<'_> {
    type Error = StoreError;

    fn region_exists(&self, code: &str) -> Result<bool, StoreError> {
        self.exists(RecordKind::Region, code)
    }

    fn exists(&self, kind: RecordKind, id: &str) -> Result<bool, StoreError> {
        let sql = format!(
            "SELECT 1 FROM {} WHERE {} = ?1",
            kind.table(),
            kind.key_column()
        );
        Ok(self.one(&sql, [id], |_| Ok(()))?.is_some())
    }

    fn region_of(&self, kind: RecordKind, id: &str) -> Result<Option<String>, StoreError> {
        if matches!(kind, RecordKind::Review | RecordKind::Photo) {
            let sql = format!(
                "SELECT target_entity, target_id FROM {} WHERE id = ?1",
                kind.table()
            );
            let target: Option<(RecordKind, String)> =
                self.one(&sql, [id], |r| Ok((parsed(r, 0)?, r.get(1)?)))?;
            return match target {
                Some((RecordKind::Review | RecordKind::Photo, _)) | None => Ok(None),
                Some((k, t)) => self.region_of(k, &t),
            };
        }
        Ok(self
            .one(region_sql(kind), [id], |r| r.get::<_, Option<String>>(0))?
            .flatten())
    }

    fn licence(&self, id: LicenceId) -> Result<Option<LicenceFacts>, StoreError> {
        self.one(
            "SELECT region, kind, number, issued_on FROM licences WHERE id = ?1",
            [id.to_string()],
            |r| {
                Ok(LicenceFacts {
                    region: r.get(0)?,
                    kind: parsed(r, 1)?,
                    number: r.get(2)?,
                    issued_on: Some(parsed_day(r, 3)?),
                })
            },
        )
    }

    fn site(&self, id: SiteId) -> Result<Option<SiteFacts>, StoreError> {
        self.one(
            "SELECT l.region, s.licence_id FROM sites s JOIN licences l ON l.id = s.licence_id
             WHERE s.id = ?1",
            [id.to_string()],
            |r| {
                Ok(SiteFacts {
                    region: r.get(0)?,
                    licence_id: parsed(r, 1)?,
                })
            },
        )
    }

    fn production(&self, id: ProductionId) -> Result<Option<ProductionFacts>, StoreError> {
        self.one(
            "SELECT l.region, p.site_id, s.licence_id FROM production p
             JOIN sites s ON s.id = p.site_id JOIN licences l ON l.id = s.licence_id
             WHERE p.id = ?1",
            [id.to_string()],
            |r| {
                Ok(ProductionFacts {
                    region: r.get(0)?,
                    site_id: parsed(r, 1)?,
                    licence_id: parsed(r, 2)?,
                })
            },
        )
    }

    fn sale(&self, id: SaleId) -> Result<Option<SaleFacts>, StoreError> {
        self.one(
            "SELECT l.region, s.kind,
               CASE WHEN s.kind = 'import' THEN s.seller_licence_id ELSE s.buyer_licence_id END,
               s.day FROM sales s
             JOIN licences l ON l.id = s.seller_licence_id WHERE s.id = ?1",
            [id.to_string()],
            |r| {
                Ok(SaleFacts {
                    region: r.get(0)?,
                    kind: parsed(r, 1)?,
                    buyer_licence_id: parsed_opt(r, 2)?,
                    day: parsed_day(r, 3)?,
                })
            },
        )
    }

    fn correction_of(&self, id: ProductionId) -> Result<Option<ProductionId>, StoreError> {
        self.one(
            "SELECT id FROM production WHERE replaces = ?1",
            [id.to_string()],
            |r| parsed(r, 0),
        )
    }

    fn photos_of(&self, target_id: &str) -> Result<usize, StoreError> {
        let n: Option<i64> = self.one(
            "SELECT count(*) FROM photos WHERE target_id = ?1",
            [target_id],
            |r| r.get(0),
        )?;
        Ok(n.unwrap_or(0) as usize)
    }
}

fn parsed_day(r: &Row<'_>, i: usize) -> rusqlite::Result<chrono::NaiveDate> {
    let text: String = r.get(i)?;
    text.parse().map_err(|e: chrono::ParseError| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
    })
}
