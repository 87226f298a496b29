//! Writes inside one transaction. Every write validates the record with the domain rules,
//! checks what it refers to, stores it and appends its change to the outbox — all in the
//! caller's transaction, so a record never exists without its change or the reverse.

use super::StoreError;
use super::outbox;
use crate::domain::{
    Crew, DeviceId, Digger, Hlc, HlcClock, Licence, Officer, OfficerId, ProductionEntry, Region,
    Review, Sale, Site, Stone,
};
use chrono::{NaiveDate, Utc};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

/// The write half of a transaction; see [`super::Store::write`].
pub struct Writer<'t> {
    tx: &'t Transaction<'t>,
    clock: &'t mut HlcClock,
    device: DeviceId,
    author: Option<OfficerId>,
    today: NaiveDate,
    remote: Option<RemoteStamp>,
}

/// The stamp of a change made elsewhere and applied here by sync: the record keeps its own
/// clock, origin and author, and the write does not enter this device's outbox (it is not a
/// local change and must not be pushed back).
#[derive(Debug, Clone)]
pub(crate) struct RemoteStamp {
    pub hlc: Hlc,
    pub origin: String,
    pub author: Option<String>,
}

impl<'t> Writer<'t> {
    pub(super) fn new(
        tx: &'t Transaction<'t>,
        clock: &'t mut HlcClock,
        device: DeviceId,
        author: Option<OfficerId>,
    ) -> Self {
        Writer {
            tx,
            clock,
            device,
            author,
            today: Utc::now().date_naive(),
            remote: None,
        }
    }

    /// Makes the following writes carry a remote change's stamp and skip the outbox.
    pub(crate) fn set_remote(&mut self, stamp: Option<RemoteStamp>) {
        self.remote = stamp;
    }

    /// The transaction, for the sync applier's own bookkeeping.
    pub(crate) fn tx(&self) -> &Transaction<'t> {
        self.tx
    }

    fn origin(&self) -> String {
        match &self.remote {
            Some(r) => r.origin.clone(),
            None => self.device.to_string(),
        }
    }

    /// The clock of the version a registry edit starts from (0 for a new record).
    fn base_hlc(&self, table: &str, key: &str, id: &str) -> Result<i64, StoreError> {
        Ok(self
            .tx
            .prepare_cached(&format!("SELECT hlc FROM {table} WHERE {key} = ?1"))?
            .query_row([id], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }

    /// Judges dates against `today` instead of the system date (demo data and tests).
    pub fn set_today(&mut self, today: NaiveDate) {
        self.today = today;
    }

    fn stamp(&mut self) -> Hlc {
        if let Some(r) = &self.remote {
            return r.hlc;
        }
        self.clock.tick(Utc::now().timestamp_millis().max(0) as u64)
    }

    #[allow(clippy::too_many_arguments)]
    fn log<T: Serialize>(
        &mut self,
        entity: &str,
        record_id: &str,
        region: Option<&str>,
        hlc: Hlc,
        base: i64,
        op: &str,
        record: &T,
    ) -> Result<(), StoreError> {
        if self.remote.is_some() {
            return Ok(());
        }
        let author = self.author();
        outbox::append(
            self.tx,
            outbox::NewChange {
                entity,
                record_id,
                region,
                hlc,
                base_hlc: base,
                op,
                author: author.as_deref(),
            },
            record,
        )
    }

    fn author(&self) -> Option<String> {
        match &self.remote {
            Some(r) => r.author.clone(),
            None => self.author.map(|a| a.to_string()),
        }
    }

    fn exists(&self, sql: &str, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached(sql)?
            .query_row([id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn region_of(&self, sql: &str, id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(sql)?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }

    fn require_region(&self, code: &str) -> Result<(), StoreError> {
        if self.exists("SELECT 1 FROM regions WHERE code = ?1", code)? {
            Ok(())
        } else {
            Err(StoreError::NotFound(format!(
                "region {code:?} is not known on this device"
            )))
        }
    }

    /// Adds or updates a region.
    pub fn put_region(&mut self, r: &Region) -> Result<(), StoreError> {
        let base = self.base_hlc("regions", "code", &r.code)?;
        let hlc = self.stamp();
        self.tx.prepare_cached(
            "INSERT INTO regions(code, name, country, utc_offset_minutes, centre_lat, centre_lon, hlc, origin, author)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT(code) DO UPDATE SET name = excluded.name, country = excluded.country,
               utc_offset_minutes = excluded.utc_offset_minutes, centre_lat = excluded.centre_lat,
               centre_lon = excluded.centre_lon, hlc = excluded.hlc, origin = excluded.origin, author = excluded.author",
        )?
        .execute(params![
            r.code,
            r.name,
            r.country,
            r.utc_offset_minutes,
            r.centre.0,
            r.centre.1,
            hlc.as_i64(),
            self.origin(),
            self.author()
        ])?;
        self.log("region", &r.code, Some(&r.code), hlc, base, "upsert", r)
    }

    /// Makes sure a region of the built-in catalogue exists; errors for unknown codes.
    pub fn ensure_known_region(&mut self, code: &str) -> Result<(), StoreError> {
        if self.exists("SELECT 1 FROM regions WHERE code = ?1", code)? {
            return Ok(());
        }
        match Region::known(code) {
            Some(r) if r.code == code => self.put_region(&r),
            _ => Err(StoreError::NotFound(format!(
                "region {code:?} is not known (known: {})",
                Region::catalogue()
                    .iter()
                    .map(|r| r.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Adds or updates an officer profile.
    pub fn put_officer(&mut self, o: &Officer) -> Result<(), StoreError> {
        for r in &o.regions {
            self.require_region(r)?;
        }
        let base = self.base_hlc("officers", "id", &o.id.to_string())?;
        let hlc = self.stamp();
        self.tx
            .prepare_cached(
                "INSERT INTO officers(id, username, full_name, role, regions, hlc, origin, author)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(id) DO UPDATE SET username = excluded.username, full_name = excluded.full_name,
                   role = excluded.role, regions = excluded.regions, hlc = excluded.hlc,
                   origin = excluded.origin, author = excluded.author",
            )?
            .execute(params![
                o.id.to_string(),
                o.username,
                o.full_name,
                o.role.as_str(),
                o.regions.join(","),
                hlc.as_i64(),
                self.origin(),
                self.author()
            ])
            .map_err(|e| unique_to_conflict(e, || format!("user name {:?} is already taken", o.username)))?;
        let region = o.regions.first().cloned();
        self.log(
            "officer",
            &o.id.to_string(),
            region.as_deref(),
            hlc,
            base,
            "upsert",
            o,
        )
    }

    /// Registers a digger or saves changes to one.
    pub fn put_digger(&mut self, d: &Digger) -> Result<(), StoreError> {
        d.validate(self.today)?;
        self.require_region(&d.region)?;
        let base = self.base_hlc("diggers", "id", &d.id.to_string())?;
        let hlc = self.stamp();
        self.tx
            .prepare_cached(
                "INSERT INTO diggers(id, national_id, full_name, sex, birth_date, village, chiefdom, phone, region,
                   status, hlc, origin, author)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                 ON CONFLICT(id) DO UPDATE SET national_id = excluded.national_id, full_name = excluded.full_name,
                   sex = excluded.sex, birth_date = excluded.birth_date, village = excluded.village,
                   chiefdom = excluded.chiefdom, phone = excluded.phone, region = excluded.region,
                   status = excluded.status, hlc = excluded.hlc, origin = excluded.origin, author = excluded.author",
            )?
            .execute(params![
                d.id.to_string(),
                d.national_id.trim(),
                d.full_name.trim(),
                d.sex.as_str(),
                d.birth_date.to_string(),
                d.village,
                d.chiefdom,
                d.phone,
                d.region,
                d.status.as_str(),
                hlc.as_i64(),
                self.origin(),
                self.author()
            ])
            .map_err(|e| {
                unique_to_conflict(e, || format!("national id {:?} is already registered", d.national_id))
            })?;
        self.log(
            "digger",
            &d.id.to_string(),
            Some(&d.region),
            hlc,
            base,
            "upsert",
            d,
        )
    }

    /// Issues a licence or saves a change to one (renewal, suspension, revocation).
    pub fn put_licence(&mut self, l: &Licence) -> Result<(), StoreError> {
        l.validate()?;
        self.require_region(&l.region)?;
        if let Some(h) = l.holder_digger_id
            && !self.exists("SELECT 1 FROM diggers WHERE id = ?1", &h.to_string())?
        {
            return Err(StoreError::NotFound(format!(
                "holder_digger_id {h} is not a registered digger"
            )));
        }
        let base = self.base_hlc("licences", "id", &l.id.to_string())?;
        let hlc = self.stamp();
        self.tx
            .prepare_cached(
                "INSERT INTO licences(id, number, kind, holder_digger_id, holder_name, region, issued_on, expires_on,
                   status, area_wkt, area_ha, fee_receipt, hlc, origin, author)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                 ON CONFLICT(id) DO UPDATE SET number = excluded.number, kind = excluded.kind,
                   holder_digger_id = excluded.holder_digger_id, holder_name = excluded.holder_name,
                   region = excluded.region, issued_on = excluded.issued_on, expires_on = excluded.expires_on,
                   status = excluded.status, area_wkt = excluded.area_wkt, area_ha = excluded.area_ha,
                   fee_receipt = excluded.fee_receipt, hlc = excluded.hlc, origin = excluded.origin,
                   author = excluded.author",
            )?
            .execute(params![
                l.id.to_string(),
                l.number.trim(),
                l.kind.as_str(),
                l.holder_digger_id.map(|h| h.to_string()),
                l.holder_name,
                l.region,
                l.issued_on.to_string(),
                l.expires_on.to_string(),
                l.status.as_str(),
                l.area.as_ref().map(|a| a.to_string()),
                l.area.as_ref().map(|a| a.hectares()),
                l.fee_receipt,
                hlc.as_i64(),
                self.origin(),
                self.author()
            ])
            .map_err(|e| unique_to_conflict(e, || format!("licence number {:?} is already issued", l.number)))?;
        self.log(
            "licence",
            &l.id.to_string(),
            Some(&l.region),
            hlc,
            base,
            "upsert",
            l,
        )
    }

    /// Registers a site or saves changes to one.
    pub fn put_site(&mut self, s: &Site) -> Result<(), StoreError> {
        s.validate(self.today)?;
        let region = self
            .region_of(
                "SELECT region FROM licences WHERE id = ?1",
                &s.licence_id.to_string(),
            )?
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "licence_id {} is not a known licence",
                    s.licence_id
                ))
            })?;
        let base = self.base_hlc("sites", "id", &s.id.to_string())?;
        let hlc = self.stamp();
        self.tx
            .prepare_cached(
                "INSERT INTO sites(id, licence_id, name, kind, status, lat, lon, accuracy_m, opened_on, hlc, origin, author)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT(id) DO UPDATE SET licence_id = excluded.licence_id, name = excluded.name,
                   kind = excluded.kind, status = excluded.status, lat = excluded.lat, lon = excluded.lon,
                   accuracy_m = excluded.accuracy_m, opened_on = excluded.opened_on, hlc = excluded.hlc,
                   origin = excluded.origin, author = excluded.author",
            )?
            .execute(params![
                s.id.to_string(),
                s.licence_id.to_string(),
                s.name.trim(),
                s.kind.as_str(),
                s.status.as_str(),
                s.position.lat,
                s.position.lon,
                s.position.accuracy_m,
                s.opened_on.to_string(),
                hlc.as_i64(),
                self.origin(),
                self.author()
            ])?;
        self.log(
            "site",
            &s.id.to_string(),
            Some(&region),
            hlc,
            base,
            "upsert",
            s,
        )
    }

    /// Records that a digger works a licence (and optionally a site) over a span of days.
    pub fn put_crew(&mut self, c: &Crew) -> Result<(), StoreError> {
        if let Some(to) = c.to
            && to < c.from
        {
            return Err(StoreError::Conflict(format!(
                "crew end {to} is before its start {}",
                c.from
            )));
        }
        let region = self
            .region_of(
                "SELECT region FROM licences WHERE id = ?1",
                &c.licence_id.to_string(),
            )?
            .ok_or_else(|| {
                StoreError::NotFound(format!("licence {} is not known", c.licence_id))
            })?;
        let base = self.base_hlc("crews", "id", &c.id.to_string())?;
        let hlc = self.stamp();
        self.tx
            .prepare_cached(
                "INSERT INTO crews(id, licence_id, site_id, digger_id, from_day, to_day, hlc, origin, author)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT(id) DO UPDATE SET licence_id = excluded.licence_id, site_id = excluded.site_id,
                   digger_id = excluded.digger_id, from_day = excluded.from_day, to_day = excluded.to_day,
                   hlc = excluded.hlc, origin = excluded.origin, author = excluded.author",
            )?
            .execute(params![
                c.id.to_string(),
                c.licence_id.to_string(),
                c.site_id.map(|s| s.to_string()),
                c.digger_id.to_string(),
                c.from.to_string(),
                c.to.map(|d| d.to_string()),
                hlc.as_i64(),
                self.origin(),
                self.author()
            ])
            .map_err(|e| fk_to_not_found(e, "crew: its site or digger is not known"))?;
        self.log(
            "crew",
            &c.id.to_string(),
            Some(&region),
            hlc,
            base,
            "upsert",
            c,
        )
    }

    /// Records a production entry (or a correction of one, when `replaces` is set).
    pub fn add_production(&mut self, p: &ProductionEntry) -> Result<(), StoreError> {
        p.validate(self.today)?;
        let id = p.id.to_string();
        if self.exists("SELECT 1 FROM production WHERE id = ?1", &id)? {
            return Err(StoreError::Conflict(format!(
                "production entry {id} already exists; a correction is a new entry that replaces it"
            )));
        }
        let region = self
            .region_of(
                "SELECT l.region FROM sites s JOIN licences l ON l.id = s.licence_id WHERE s.id = ?1",
                &p.site_id.to_string(),
            )?
            .ok_or_else(|| StoreError::NotFound(format!("site_id {} is not a known site", p.site_id)))?;
        if let Some(old) = p.replaces {
            if !self.exists("SELECT 1 FROM production WHERE id = ?1", &old.to_string())? {
                return Err(StoreError::NotFound(format!(
                    "replaces {old}: no such production entry"
                )));
            }
            if let Some(newer) = self.region_of(
                "SELECT id FROM production WHERE replaces = ?1",
                &old.to_string(),
            )? {
                return Err(StoreError::Conflict(format!(
                    "entry {old} was already corrected by {newer}; correct the newest version"
                )));
            }
        }
        for d in &p.digger_ids {
            if !self.exists("SELECT 1 FROM diggers WHERE id = ?1", &d.to_string())? {
                return Err(StoreError::NotFound(format!(
                    "digger {d} is not registered"
                )));
            }
        }
        let hlc = self.stamp();
        let f = p.fix.as_ref();
        self.tx
            .prepare_cached(
                "INSERT INTO production(id, site_id, day, officer, lat, lon, accuracy_m, fix_source, fix_time,
                   crew_size, gravel_litres, notes, replaces, hlc, origin, author)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?
            .execute(params![
                id,
                p.site_id.to_string(),
                p.day.to_string(),
                p.officer,
                f.map(|f| f.lat),
                f.map(|f| f.lon),
                f.map(|f| f.accuracy_m),
                f.map(|f| f.source.as_str()),
                f.and_then(|f| f.time).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                p.crew_size,
                p.gravel.0,
                p.notes,
                p.replaces.map(|r| r.to_string()),
                hlc.as_i64(),
                self.origin(),
                self.author()
            ])?;
        let mut link = self
            .tx
            .prepare_cached("INSERT INTO production_diggers(production_id, digger_id, position) VALUES (?1, ?2, ?3)")?;
        for (i, d) in p.digger_ids.iter().enumerate() {
            link.execute(params![id, d.to_string(), i as i64])?;
        }
        self.log("production", &id, Some(&region), hlc, 0, "insert", p)
    }

    /// Records a stone found on a production day.
    pub fn add_stone(&mut self, s: &Stone) -> Result<(), StoreError> {
        s.validate()?;
        let id = s.id.to_string();
        if self.exists("SELECT 1 FROM stones WHERE id = ?1", &id)? {
            return Err(StoreError::Conflict(format!("stone {id} already exists")));
        }
        let region = self
            .region_of(
                "SELECT l.region FROM production p JOIN sites s ON s.id = p.site_id
                 JOIN licences l ON l.id = s.licence_id WHERE p.id = ?1",
                &s.production_id.to_string(),
            )?
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "production_id {} is not a known production entry",
                    s.production_id
                ))
            })?;
        let hlc = self.stamp();
        self.tx
            .prepare_cached(
                "INSERT INTO stones(id, production_id, centicarats, class, colour, hlc, origin, author)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                id,
                s.production_id.to_string(),
                s.weight.0,
                s.class.as_str(),
                s.colour,
                hlc.as_i64(),
                self.origin(),
                self.author()
            ])?;
        self.log("stone", &id, Some(&region), hlc, 0, "insert", s)
    }

    /// Records a sale slip or export.
    ///
    /// Refused (nothing written): a slip breaking its own rules; a seller, buyer, production
    /// entry or source slip that is not on record; a seller whose licence is not of the kind the
    /// slip needs (a first sale is sold by an artisanal mining licence, a resale by a dealer, an
    /// export by an exporter); a first sale drawing on another licence's production; a resale or
    /// export drawing on a slip its seller did not buy, on an export, or on a later slip.
    /// Stored but flagged by the checks: a buyer of the wrong kind or not in good standing on
    /// the day, a slip without production, and every mass-balance excess.
    pub fn add_sale(&mut self, s: &Sale) -> Result<(), StoreError> {
        s.validate(self.today)?;
        let id = s.id.to_string();
        if self.exists("SELECT 1 FROM sales WHERE id = ?1", &id)? {
            return Err(StoreError::Conflict(format!("sale {id} already exists")));
        }
        let (region, seller_kind, seller_number): (String, String, String) = self
            .tx
            .prepare_cached("SELECT region, kind, number FROM licences WHERE id = ?1")?
            .query_row([s.seller_licence_id.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "seller_licence_id {} is not a known licence",
                    s.seller_licence_id
                ))
            })?;
        let mut invalid = crate::domain::Invalid::default();
        if seller_kind != s.seller_kind().as_str() {
            invalid.push(
                "seller_licence_id",
                format!(
                    "licence {seller_number} is a {seller_kind} licence; the seller of a {} must hold a {} licence",
                    s.kind,
                    s.seller_kind()
                ),
            );
        }
        if let Some(b) = s.buyer_licence_id
            && !self.exists("SELECT 1 FROM licences WHERE id = ?1", &b.to_string())?
        {
            return Err(StoreError::NotFound(format!(
                "buyer_licence_id {b} is not a known licence"
            )));
        }
        for p in &s.production_ids {
            let licence = self
                .region_of(
                    "SELECT s.licence_id FROM production p JOIN sites s ON s.id = p.site_id WHERE p.id = ?1",
                    &p.to_string(),
                )?
                .ok_or_else(|| StoreError::NotFound(format!("production entry {p} is not known")))?;
            if s.kind == crate::domain::SaleKind::FirstSale
                && licence != s.seller_licence_id.to_string()
            {
                invalid.push(
                    "production_ids",
                    format!("production entry {p} was found under another licence than the seller's {seller_number}"),
                );
            }
        }
        for src in &s.source_sale_ids {
            let found: Option<(Option<String>, String, String)> = self
                .tx
                .prepare_cached("SELECT buyer_licence_id, kind, day FROM sales WHERE id = ?1")?
                .query_row([src.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            let Some((buyer, kind, day)) = found else {
                return Err(StoreError::NotFound(format!(
                    "source slip {src} is not known"
                )));
            };
            if kind == crate::domain::SaleKind::Export.as_str() {
                invalid.push(
                    "source_sale_ids",
                    format!("slip {src} is an export: exported goods cannot be sold again"),
                );
            } else if buyer.as_deref() != Some(s.seller_licence_id.to_string().as_str()) {
                invalid.push(
                    "source_sale_ids",
                    format!("slip {src} was not bought by the seller {seller_number}"),
                );
            } else if day > s.day.to_string() {
                invalid.push(
                    "source_sale_ids",
                    format!("slip {src} of {day} is later than this slip of {}", s.day),
                );
            }
        }
        invalid.into_result()?;
        let hlc = self.stamp();
        self.tx
            .prepare_cached(
                "INSERT INTO sales(id, slip_number, day, seller_licence_id, buyer_licence_id, centicarats, stone_count,
                   price_cents, kind, certificate_number, destination_country, hlc, origin, author)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
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
                self.author()
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
        self.log("sale", &id, Some(&region), hlc, 0, "insert", s)
    }

    /// Records a coordinator's decision.
    pub fn add_review(&mut self, r: &Review) -> Result<(), StoreError> {
        let hlc = self.stamp();
        let id = r.id.to_string();
        self.tx
            .prepare_cached(
                "INSERT INTO reviews(id, target_entity, target_id, decision, comment, reviewer, at, hlc, origin, author)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                id,
                r.target_entity,
                r.target_id.to_string(),
                r.decision.as_str(),
                r.comment,
                r.reviewer.to_string(),
                r.at.to_rfc3339(),
                hlc.as_i64(),
                self.origin(),
                self.author()
            ])
            .map_err(|e| unique_to_conflict(e, || format!("review {id} already exists")))?;
        self.log("review", &id, None, hlc, 0, "insert", r)
    }
}

fn unique_to_conflict(e: rusqlite::Error, msg: impl FnOnce() -> String) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation)
            if e.to_string().contains("UNIQUE") || e.to_string().contains("PRIMARY KEY") =>
        {
            StoreError::Conflict(msg())
        }
        _ => StoreError::Sqlite(e),
    }
}

fn fk_to_not_found(e: rusqlite::Error, msg: &str) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) if e.to_string().contains("FOREIGN KEY") => {
            StoreError::NotFound(msg.to_string())
        }
        _ => StoreError::Sqlite(e),
    }
}
