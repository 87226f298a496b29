//! The server's answers to the record rules' questions ([`RecordLookup`]), read inside the
//! push transaction, so a rule sees the records accepted earlier in the same batch: registry
//! records from the record index (`records`), insert-only records from their one row in the
//! change log (see `push::INSERT_CHANGE`).

use super::facts::{LicenceFactsRow, SaleFactsRow};
use super::push::Batch;
use crate::db::DbError;
use crate::db::sql::vals;
use alluvium::domain::rules::{LicenceFacts, ProductionFacts, RecordLookup, SaleFacts, SiteFacts};
use alluvium::domain::{LicenceId, ProductionId, RecordKind, SaleId, SiteId};

/// A stored value that does not read back is a damaged database, not a bad request.
fn corrupt(what: &str, id: &str, e: impl std::fmt::Display) -> DbError {
    DbError::Invalid(format!("the stored {what} {id} cannot be read: {e}"))
}

fn parse<T: std::str::FromStr<Err = String>>(what: &str, text: &str) -> Result<T, DbError> {
    text.parse().map_err(|e| corrupt(what, text, e))
}

impl Batch<'_> {
    fn site_on_file(&self, id: SiteId) -> Result<Option<SiteFacts>, DbError> {
        let row: Option<(String, String)> = self.tx.one(
            "SELECT region, parent FROM records WHERE entity = 'site' AND record_id = ?1",
            vals![&id.to_string()],
            |r| Ok((r.text_(0)?, r.text_(1)?)),
        )?;
        row.map(|(region, licence)| {
            Ok(SiteFacts {
                region,
                licence_id: parse("licence id", &licence)?,
            })
        })
        .transpose()
    }
}

impl RecordLookup for Batch<'_> {
    type Error = DbError;

    fn region_exists(&self, code: &str) -> Result<bool, DbError> {
        self.tx
            .exists("SELECT 1 FROM regions WHERE code = ?1", vals![code])
    }

    fn exists(&self, kind: RecordKind, id: &str) -> Result<bool, DbError> {
        let key = (kind, id.to_string());
        if kind.is_registry() && self.registry.borrow().known.contains(&key) {
            return Ok(true);
        }
        let found = self.region_of(kind, id)?.is_some();
        if found && kind.is_registry() {
            self.registry.borrow_mut().known.insert(key);
        }
        Ok(found)
    }

    fn write_refuses_taken_ids(&self) -> bool {
        // `push::INSERT_CHANGE` writes nothing for a taken id, and the change is refused.
        true
    }

    fn region_of(&self, kind: RecordKind, id: &str) -> Result<Option<String>, DbError> {
        let sql = if kind.is_registry() {
            "SELECT region FROM records WHERE entity = ?1 AND record_id = ?2"
        } else {
            "SELECT region FROM changes WHERE entity = ?1 AND record_id = ?2 AND op = 'insert'"
        };
        self.tx.one(sql, vals![kind.as_str(), id], |r| r.text_(0))
    }

    fn licence(&self, id: LicenceId) -> Result<Option<LicenceFacts>, DbError> {
        let id = id.to_string();
        let row: Option<(String, Option<String>)> = self.tx.one(
            "SELECT region, facts FROM records WHERE entity = 'licence' AND record_id = ?1",
            vals![&id],
            |r| Ok((r.text_(0)?, r.text(1)?)),
        )?;
        let Some((region, facts)) = row else {
            return Ok(None);
        };
        let facts: LicenceFactsRow = serde_json::from_str(facts.as_deref().unwrap_or(""))
            .map_err(|e| corrupt("licence", &id, e))?;
        Ok(Some(LicenceFacts {
            region,
            kind: facts.kind,
            number: facts.number,
            issued_on: facts.issued_on,
        }))
    }

    fn site(&self, id: SiteId) -> Result<Option<SiteFacts>, DbError> {
        if let Some(facts) = self.registry.borrow().sites.get(&id) {
            return Ok(facts.clone());
        }
        let facts = self.site_on_file(id)?;
        self.registry.borrow_mut().sites.insert(id, facts.clone());
        Ok(facts)
    }

    fn production(&self, id: ProductionId) -> Result<Option<ProductionFacts>, DbError> {
        if let Some(facts) = self.entries.borrow().get(&id) {
            return Ok(Some(facts.clone()));
        }
        let row: Option<(String, String, String)> = self.tx.one(
            "SELECT p.region, p.parent, s.parent FROM changes p
             JOIN records s ON s.entity = 'site' AND s.record_id = p.parent
             WHERE p.entity = 'production' AND p.record_id = ?1 AND p.op = 'insert'",
            vals![&id.to_string()],
            |r| Ok((r.text_(0)?, r.text_(1)?, r.text_(2)?)),
        )?;
        row.map(|(region, site, licence)| {
            Ok(ProductionFacts {
                region,
                site_id: parse("site id", &site)?,
                licence_id: parse("licence id", &licence)?,
            })
        })
        .transpose()
    }

    fn sale(&self, id: SaleId) -> Result<Option<SaleFacts>, DbError> {
        let id = id.to_string();
        let row: Option<(String, Option<String>)> = self.tx.one(
            "SELECT region, facts FROM changes
             WHERE entity = 'sale' AND record_id = ?1 AND op = 'insert'",
            vals![&id],
            |r| Ok((r.text_(0)?, r.text(1)?)),
        )?;
        let Some((region, facts)) = row else {
            return Ok(None);
        };
        let facts: SaleFactsRow = serde_json::from_str(facts.as_deref().unwrap_or(""))
            .map_err(|e| corrupt("sale", &id, e))?;
        Ok(Some(SaleFacts {
            region,
            kind: facts.kind,
            buyer_licence_id: facts.buyer,
            day: facts.day,
        }))
    }

    fn correction_of(&self, id: ProductionId) -> Result<Option<ProductionId>, DbError> {
        let newer: Option<String> = self.tx.one(
            "SELECT record_id FROM changes WHERE entity = 'production' AND replaces = ?1",
            vals![&id.to_string()],
            |r| r.text_(0),
        )?;
        newer.map(|n| parse("production id", &n)).transpose()
    }

    fn photos_of(&self, target_id: &str) -> Result<usize, DbError> {
        let n: Option<i64> = self.tx.one(
            "SELECT count(*) FROM changes WHERE entity = 'photo' AND op = 'insert' AND parent = ?1",
            vals![target_id],
            |r| r.int_(0),
        )?;
        Ok(n.unwrap_or(0) as usize)
    }
}
