//! Reads of the registry: regions, officer profiles, diggers, licences, their sites and crews
//! — who may dig where. Site lists get their licence number and region in the same read, so a
//! list of hundreds of sites costs one query.

use crate::domain::{Crew, Digger, DiggerId, Licence, LicenceId, Officer, Region, Site, SiteId};
use crate::store::rows::{self, parsed};
use crate::store::{Store, StoreError};

/// A site with what the site lists show beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteSummary {
    pub site: Site,
    pub licence_number: String,
    pub region: String,
}

impl Store {
    /// All regions, by code.
    pub fn regions(&self) -> Result<Vec<Region>, StoreError> {
        self.all(
            &format!("SELECT {} FROM regions ORDER BY code", rows::REGION_COLS),
            [],
            rows::region,
        )
    }

    /// All officer profiles on this device, by user name.
    pub fn officers(&self) -> Result<Vec<Officer>, StoreError> {
        self.all(
            &format!(
                "SELECT {} FROM officers ORDER BY username",
                rows::OFFICER_COLS
            ),
            [],
            rows::officer,
        )
    }

    /// An officer by user name.
    pub fn officer_by_username(&self, username: &str) -> Result<Option<Officer>, StoreError> {
        self.one(
            &format!(
                "SELECT {} FROM officers WHERE username = ?1",
                rows::OFFICER_COLS
            ),
            [username],
            rows::officer,
        )
    }

    /// Every digger, in id order.
    pub fn diggers(&self) -> Result<Vec<Digger>, StoreError> {
        self.all(
            &format!("SELECT {} FROM diggers d ORDER BY d.id", rows::DIGGER_COLS),
            [],
            rows::digger,
        )
    }

    /// A digger by id.
    pub fn digger(&self, id: DiggerId) -> Result<Option<Digger>, StoreError> {
        self.one(
            &format!(
                "SELECT {} FROM diggers d WHERE d.id = ?1",
                rows::DIGGER_COLS
            ),
            [id.to_string()],
            rows::digger,
        )
    }

    /// The licence a digger works under: the one they hold, else the one whose crew they are
    /// on; among several, the one that expires last.
    pub fn current_licence_of(&self, digger: DiggerId) -> Result<Option<Licence>, StoreError> {
        self.one(
            &format!(
                "SELECT {} FROM licences l
                 WHERE l.holder_digger_id = ?1 OR l.id IN (SELECT licence_id FROM crews WHERE digger_id = ?1)
                 ORDER BY l.holder_digger_id IS ?1 DESC, l.expires_on DESC, l.id LIMIT 1",
                rows::LICENCE_COLS
            ),
            [digger.to_string()],
            rows::licence,
        )
    }

    /// Every licence, in id order.
    pub fn licences(&self) -> Result<Vec<Licence>, StoreError> {
        self.all(
            &format!(
                "SELECT {} FROM licences l ORDER BY l.id",
                rows::LICENCE_COLS
            ),
            [],
            rows::licence,
        )
    }

    /// A licence by id.
    pub fn licence(&self, id: LicenceId) -> Result<Option<Licence>, StoreError> {
        self.one(
            &format!(
                "SELECT {} FROM licences l WHERE l.id = ?1",
                rows::LICENCE_COLS
            ),
            [id.to_string()],
            rows::licence,
        )
    }

    /// A licence by its number (case-insensitive).
    pub fn licence_by_number(&self, number: &str) -> Result<Option<Licence>, StoreError> {
        self.one(
            &format!(
                "SELECT {} FROM licences l WHERE l.number = ?1",
                rows::LICENCE_COLS
            ),
            [number.trim()],
            rows::licence,
        )
    }

    /// Every site, in id order.
    pub fn sites(&self) -> Result<Vec<Site>, StoreError> {
        self.all(
            &format!("SELECT {} FROM sites s ORDER BY s.id", rows::SITE_COLS),
            [],
            rows::site,
        )
    }

    /// A site by id.
    pub fn site(&self, id: SiteId) -> Result<Option<Site>, StoreError> {
        self.one(
            &format!("SELECT {} FROM sites s WHERE s.id = ?1", rows::SITE_COLS),
            [id.to_string()],
            rows::site,
        )
    }

    /// The sites of a licence, by name.
    pub fn sites_of_licence(&self, licence: LicenceId) -> Result<Vec<Site>, StoreError> {
        self.all(
            &format!(
                "SELECT {} FROM sites s WHERE s.licence_id = ?1 ORDER BY s.name",
                rows::SITE_COLS
            ),
            [licence.to_string()],
            rows::site,
        )
    }

    /// Every site with its licence number and region, by region then name.
    pub fn site_summaries(&self) -> Result<Vec<SiteSummary>, StoreError> {
        self.all(
            &format!(
                "SELECT {}, l.number, l.region FROM sites s JOIN licences l ON l.id = s.licence_id
                 ORDER BY l.region, s.name, s.id",
                rows::SITE_COLS
            ),
            [],
            |r| {
                Ok(SiteSummary {
                    site: rows::site(r)?,
                    licence_number: r.get(9)?,
                    region: r.get(10)?,
                })
            },
        )
    }

    /// The crew assignments of a licence.
    pub fn crews_of_licence(&self, licence: LicenceId) -> Result<Vec<Crew>, StoreError> {
        self.all(
            &format!(
                "SELECT {} FROM crews WHERE licence_id = ?1 ORDER BY from_day, id",
                rows::CREW_COLS
            ),
            [licence.to_string()],
            rows::crew,
        )
    }

    /// The stored id of a digger with this national id, if any.
    pub fn digger_id_by_national_id(
        &self,
        national_id: &str,
    ) -> Result<Option<DiggerId>, StoreError> {
        self.one(
            "SELECT id FROM diggers WHERE national_id = ?1",
            [national_id.trim()],
            |r| parsed(r, 0),
        )
    }
}
