//! Registry writes: regions, officers, diggers, licences, sites and crews — mutable records
//! merged by clock, each saved whole with the clock of the version it started from.

use super::{StoreError, Writer, unique_to_conflict};
use crate::domain::rules::{self, RecordLookup};
use crate::domain::{Crew, Digger, Licence, Officer, RecordKind, Region, Site};
use rusqlite::params;

impl Writer<'_> {
    /// Adds or updates a region.
    pub fn put_region(&mut self, r: &Region) -> Result<(), StoreError> {
        let placed = rules::region(r);
        let base = self.base_hlc(RecordKind::Region, &r.code)?;
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
        self.log(RecordKind::Region, &r.code, &placed, hlc, base, r)
    }

    /// Makes sure a region of the built-in catalogue exists; errors for unknown codes.
    pub fn ensure_known_region(&mut self, code: &str) -> Result<(), StoreError> {
        if self.lookup().region_exists(code)? {
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
        let placed = rules::officer(o, &self.lookup())?;
        let base = self.base_hlc(RecordKind::Officer, &o.id.to_string())?;
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
        self.log(
            RecordKind::Officer,
            &o.id.to_string(),
            &placed,
            hlc,
            base,
            o,
        )
    }

    /// Registers a digger or saves changes to one.
    pub fn put_digger(&mut self, d: &Digger) -> Result<(), StoreError> {
        let placed = rules::digger(d, self.today, &self.lookup())?;
        let base = self.base_hlc(RecordKind::Digger, &d.id.to_string())?;
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
        self.log(RecordKind::Digger, &d.id.to_string(), &placed, hlc, base, d)
    }

    /// Issues a licence or saves a change to one (renewal, suspension, revocation).
    pub fn put_licence(&mut self, l: &Licence) -> Result<(), StoreError> {
        let placed = rules::licence(l, &self.lookup())?;
        let base = self.base_hlc(RecordKind::Licence, &l.id.to_string())?;
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
            RecordKind::Licence,
            &l.id.to_string(),
            &placed,
            hlc,
            base,
            l,
        )
    }

    /// Registers a site or saves changes to one.
    pub fn put_site(&mut self, s: &Site) -> Result<(), StoreError> {
        let placed = rules::site(s, self.today, &self.lookup())?;
        let base = self.base_hlc(RecordKind::Site, &s.id.to_string())?;
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
        self.log(RecordKind::Site, &s.id.to_string(), &placed, hlc, base, s)
    }

    /// Records that a digger works a licence (and optionally a site) over a span of days.
    pub fn put_crew(&mut self, c: &Crew) -> Result<(), StoreError> {
        let placed = rules::crew(c, &self.lookup())?;
        let base = self.base_hlc(RecordKind::Crew, &c.id.to_string())?;
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
            ])?;
        self.log(RecordKind::Crew, &c.id.to_string(), &placed, hlc, base, c)
    }
}
