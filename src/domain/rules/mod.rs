//! Every rule a record must pass before it is stored, on the device and on the server alike.
//!
//! A record's own rules (field sizes, dates, weights) are its type's `validate`. The rules
//! that need other records — a site's licence, a sale's seller and sources, a correction's
//! target, a crew's digger — are here, asked through [`RecordLookup`], which the device store
//! and the server store both implement. The device writer and the server's push call the same
//! functions, so a record the server accepts is one every device accepts on pull, and each
//! refusal reads the same on both ends.
//!
//! What the rules decide besides yes or no is where a record belongs ([`Placed`]): its region
//! (which decides who may see and write it), the record it hangs off, and what it corrects.

mod chain;

pub use chain::sale;

use super::{
    Crew, Digger, DiggerId, Invalid, Licence, LicenceEvent, LicenceEventKind, LicenceId,
    LicenceKind, MAX_PHOTOS_PER_RECORD, Officer, Photo, ProductionEntry, ProductionId, RecordKind,
    Region, Review, Sale, SaleId, SaleKind, Site, SiteId, Stone, Supporter,
};
use chrono::NaiveDate;

/// Why a record is refused. The text is what the officer reads, on the device's form and in
/// the server's per-change verdict alike.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The record breaks a rule of its own or of the records it names (field by field).
    #[error(transparent)]
    Invalid(Invalid),
    /// It names a record that is not on record here.
    #[error("{0}")]
    Missing(String),
    /// It clashes with a record on record (same id, a version already corrected).
    #[error("{0}")]
    Conflict(String),
}

impl From<Invalid> for Refusal {
    fn from(e: Invalid) -> Self {
        Refusal::Invalid(e)
    }
}

/// A rule could not be decided (`Lookup`: the store failed) or refused the record.
#[derive(Debug)]
pub enum RuleError<E> {
    Refused(Refusal),
    Lookup(E),
}

impl<E> From<Refusal> for RuleError<E> {
    fn from(r: Refusal) -> Self {
        RuleError::Refused(r)
    }
}

impl<E> From<Invalid> for RuleError<E> {
    fn from(e: Invalid) -> Self {
        RuleError::Refused(Refusal::Invalid(e))
    }
}

/// What the rules need to know of a licence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenceFacts {
    pub region: String,
    pub kind: LicenceKind,
    pub number: String,
    /// The licence's issue date (`None` where a store kept no date for it).
    pub issued_on: Option<NaiveDate>,
}

/// What the rules need to know of a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFacts {
    pub region: String,
    pub licence_id: LicenceId,
}

/// What the rules need to know of a production entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductionFacts {
    pub region: String,
    pub site_id: SiteId,
    pub licence_id: LicenceId,
}

/// What the rules need to know of a sale slip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleFacts {
    pub region: String,
    pub kind: SaleKind,
    /// The licence holding the goods after the slip ([`Sale::holder`]): the buyer, or the
    /// importing licence of an import.
    pub buyer_licence_id: Option<LicenceId>,
    pub day: NaiveDate,
}

/// The records a rule may ask about, as the store answering holds them. `Ok(None)` means
/// "not on record here"; `Err` is a failure of the store itself.
pub trait RecordLookup {
    type Error;
    /// Whether the region is registered.
    fn region_exists(&self, code: &str) -> Result<bool, Self::Error>;
    /// Whether a record of `kind` with this id is on record.
    fn exists(&self, kind: RecordKind, id: &str) -> Result<bool, Self::Error>;
    /// The region of a record of `kind` (for review targets).
    fn region_of(&self, kind: RecordKind, id: &str) -> Result<Option<String>, Self::Error>;
    fn licence(&self, id: LicenceId) -> Result<Option<LicenceFacts>, Self::Error>;
    fn site(&self, id: SiteId) -> Result<Option<SiteFacts>, Self::Error>;
    fn production(&self, id: ProductionId) -> Result<Option<ProductionFacts>, Self::Error>;
    fn sale(&self, id: SaleId) -> Result<Option<SaleFacts>, Self::Error>;
    /// The entry that corrects `id`, if one does.
    fn correction_of(&self, id: ProductionId) -> Result<Option<ProductionId>, Self::Error>;
    /// How many photos show the record with this id.
    fn photos_of(&self, target_id: &str) -> Result<usize, Self::Error>;
    /// Whether writing a new insert-only record refuses an id already taken by itself, so
    /// the rules need not ask [`RecordLookup::exists`] first (the server's unique index does;
    /// one query less per record of a push).
    fn write_refuses_taken_ids(&self) -> bool {
        false
    }
}

/// Where an accepted record belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The region whose officers see and write it.
    pub region: String,
    /// The record it hangs off (a site's licence, a stone's entry, a review's target).
    pub parent: Option<String>,
    /// The production entry it corrects.
    pub replaces: Option<String>,
}

impl Placed {
    fn own(region: &str) -> Placed {
        Placed {
            region: region.to_string(),
            parent: None,
            replaces: None,
        }
    }

    fn under(region: String, parent: impl ToString) -> Placed {
        Placed {
            region,
            parent: Some(parent.to_string()),
            replaces: None,
        }
    }
}

/// A record of any kind, for stores that handle records without knowing their type.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Region(Region),
    Officer(Officer),
    Digger(Digger),
    Licence(Licence),
    Site(Site),
    Crew(Crew),
    Supporter(Supporter),
    LicenceEvent(LicenceEvent),
    Production(ProductionEntry),
    Stone(Stone),
    Sale(Sale),
    Review(Review),
    Photo(Photo),
}

impl Record {
    /// The record's kind.
    pub fn kind(&self) -> RecordKind {
        match self {
            Record::Region(_) => RecordKind::Region,
            Record::Officer(_) => RecordKind::Officer,
            Record::Digger(_) => RecordKind::Digger,
            Record::Licence(_) => RecordKind::Licence,
            Record::Site(_) => RecordKind::Site,
            Record::Crew(_) => RecordKind::Crew,
            Record::Supporter(_) => RecordKind::Supporter,
            Record::LicenceEvent(_) => RecordKind::LicenceEvent,
            Record::Production(_) => RecordKind::Production,
            Record::Stone(_) => RecordKind::Stone,
            Record::Sale(_) => RecordKind::Sale,
            Record::Review(_) => RecordKind::Review,
            Record::Photo(_) => RecordKind::Photo,
        }
    }

    /// The record's id as the change log names it (a region's code for regions).
    pub fn id(&self) -> String {
        match self {
            Record::Region(r) => r.code.clone(),
            Record::Officer(o) => o.id.to_string(),
            Record::Digger(d) => d.id.to_string(),
            Record::Licence(l) => l.id.to_string(),
            Record::Site(s) => s.id.to_string(),
            Record::Crew(c) => c.id.to_string(),
            Record::Supporter(s) => s.id.to_string(),
            Record::LicenceEvent(e) => e.id.to_string(),
            Record::Production(p) => p.id.to_string(),
            Record::Stone(s) => s.id.to_string(),
            Record::Sale(s) => s.id.to_string(),
            Record::Review(r) => r.id.to_string(),
            Record::Photo(p) => p.id.to_string(),
        }
    }

    /// Reads a record of `kind` from its JSON content. A field this build does not know is
    /// refused rather than dropped, so nothing a newer device sent is silently lost.
    pub fn from_json(kind: RecordKind, json: &serde_json::Value) -> Result<Record, String> {
        fn strict<T: serde::de::DeserializeOwned>(
            kind: RecordKind,
            json: &serde_json::Value,
        ) -> Result<T, String> {
            let mut extra = None;
            let v: T = serde_ignored::deserialize(json, |path| {
                extra.get_or_insert_with(|| path.to_string());
            })
            .map_err(|e| format!("{kind} payload: {e}"))?;
            match extra {
                Some(field) => Err(format!("{kind} payload: unknown field {field:?}")),
                None => Ok(v),
            }
        }
        Ok(match kind {
            RecordKind::Region => Record::Region(strict(kind, json)?),
            RecordKind::Officer => Record::Officer(strict(kind, json)?),
            RecordKind::Digger => Record::Digger(strict(kind, json)?),
            RecordKind::Licence => Record::Licence(strict(kind, json)?),
            RecordKind::Site => Record::Site(strict(kind, json)?),
            RecordKind::Crew => Record::Crew(strict(kind, json)?),
            RecordKind::Supporter => Record::Supporter(strict(kind, json)?),
            RecordKind::LicenceEvent => Record::LicenceEvent(strict(kind, json)?),
            RecordKind::Production => Record::Production(strict(kind, json)?),
            RecordKind::Stone => Record::Stone(strict(kind, json)?),
            RecordKind::Sale => Record::Sale(strict(kind, json)?),
            RecordKind::Review => Record::Review(strict(kind, json)?),
            RecordKind::Photo => Record::Photo(strict(kind, json)?),
        })
    }
}

/// Checks a record of any kind; see the per-kind functions below.
pub fn check<L: RecordLookup>(
    record: &Record,
    today: NaiveDate,
    lookup: &L,
) -> Result<Placed, RuleError<L::Error>> {
    match record {
        Record::Region(r) => Ok(region(r)),
        Record::Officer(o) => officer(o, lookup),
        Record::Digger(d) => digger(d, today, lookup),
        Record::Licence(l) => licence(l, lookup),
        Record::Site(s) => site(s, today, lookup),
        Record::Crew(c) => crew(c, lookup),
        Record::Supporter(s) => supporter(s, lookup),
        Record::LicenceEvent(e) => licence_event(e, lookup),
        Record::Production(p) => production(p, today, lookup),
        Record::Stone(s) => stone(s, lookup),
        Record::Sale(s) => sale(s, today, lookup),
        Record::Review(r) => review(r, lookup),
        Record::Photo(p) => photo(p, lookup),
    }
}

/// A region is its own region.
pub fn region(r: &Region) -> Placed {
    Placed::own(&r.code)
}

fn known_region<L: RecordLookup>(lookup: &L, code: &str) -> Result<(), RuleError<L::Error>> {
    if lookup.region_exists(code).map_err(RuleError::Lookup)? {
        Ok(())
    } else {
        Err(Refusal::Missing(format!("region {code:?} is not known here")).into())
    }
}

/// An officer's regions must be registered; the first one places the profile.
pub fn officer<L: RecordLookup>(o: &Officer, lookup: &L) -> Result<Placed, RuleError<L::Error>> {
    for r in &o.regions {
        known_region(lookup, r)?;
    }
    Ok(Placed::own(o.regions.first().map_or("", String::as_str)))
}

/// A digger's own rules, in a registered region.
pub fn digger<L: RecordLookup>(
    d: &Digger,
    today: NaiveDate,
    lookup: &L,
) -> Result<Placed, RuleError<L::Error>> {
    d.validate(today)?;
    known_region(lookup, &d.region)?;
    Ok(Placed::own(&d.region))
}

fn known_digger<L: RecordLookup>(
    lookup: &L,
    field: &str,
    id: DiggerId,
) -> Result<(), RuleError<L::Error>> {
    if lookup
        .exists(RecordKind::Digger, &id.to_string())
        .map_err(RuleError::Lookup)?
    {
        Ok(())
    } else {
        Err(Refusal::Missing(format!("{field} {id} is not a registered digger")).into())
    }
}

/// A licence's own rules, in a registered region, held by a registered digger when it names one.
pub fn licence<L: RecordLookup>(l: &Licence, lookup: &L) -> Result<Placed, RuleError<L::Error>> {
    l.validate()?;
    known_region(lookup, &l.region)?;
    if let Some(h) = l.holder_digger_id {
        known_digger(lookup, "holder_digger_id", h)?;
    }
    Ok(Placed::own(&l.region))
}

fn licence_facts<L: RecordLookup>(
    lookup: &L,
    field: &str,
    id: LicenceId,
) -> Result<LicenceFacts, RuleError<L::Error>> {
    lookup
        .licence(id)
        .map_err(RuleError::Lookup)?
        .ok_or_else(|| Refusal::Missing(format!("{field} {id} is not a known licence")).into())
}

/// A site's own rules, under a known licence (whose region it takes).
pub fn site<L: RecordLookup>(
    s: &Site,
    today: NaiveDate,
    lookup: &L,
) -> Result<Placed, RuleError<L::Error>> {
    s.validate(today)?;
    let licence = licence_facts(lookup, "licence_id", s.licence_id)?;
    Ok(Placed::under(licence.region, s.licence_id))
}

/// A crew's dates in order, under a known licence, with a registered digger and a known site.
pub fn crew<L: RecordLookup>(c: &Crew, lookup: &L) -> Result<Placed, RuleError<L::Error>> {
    c.validate()?;
    let licence = licence_facts(lookup, "licence_id", c.licence_id)?;
    known_digger(lookup, "digger_id", c.digger_id)?;
    if let Some(site) = c.site_id
        && lookup.site(site).map_err(RuleError::Lookup)?.is_none()
    {
        return Err(Refusal::Missing(format!("site_id {site} is not a known site")).into());
    }
    Ok(Placed::under(licence.region, c.licence_id))
}

/// A supporter of a known artisanal mining licence: a registered digger or a named person.
pub fn supporter<L: RecordLookup>(
    s: &Supporter,
    lookup: &L,
) -> Result<Placed, RuleError<L::Error>> {
    s.validate()?;
    let licence = licence_facts(lookup, "licence_id", s.licence_id)?;
    if licence.kind != LicenceKind::ArtisanalMining {
        let mut e = Invalid::default();
        e.push(
            "licence_id",
            format!(
                "licence {} is a {} licence; supporters are named on artisanal mining licences",
                licence.number, licence.kind
            ),
        );
        return Err(e.into());
    }
    if let Some(d) = s.digger_id {
        known_digger(lookup, "digger_id", d)?;
    }
    Ok(Placed::under(licence.region, s.licence_id))
}

/// A licence event's own rules, of a known licence, taking effect no earlier than its issue
/// (an issue event on the issue date itself).
pub fn licence_event<L: RecordLookup>(
    e: &LicenceEvent,
    lookup: &L,
) -> Result<Placed, RuleError<L::Error>> {
    e.validate()?;
    new_record(lookup, RecordKind::LicenceEvent, &e.id.to_string())?;
    let licence = licence_facts(lookup, "licence_id", e.licence_id)?;
    if let Some(issued) = licence.issued_on {
        let mut bad = Invalid::default();
        if e.kind == LicenceEventKind::Issued && e.on != issued {
            bad.push(
                "on",
                format!(
                    "{} is not the day licence {} was issued ({issued})",
                    e.on, licence.number
                ),
            );
        } else if e.on < issued {
            bad.push(
                "on",
                format!(
                    "{} is before licence {} was issued on {issued}",
                    e.on, licence.number
                ),
            );
        }
        bad.into_result()?;
    }
    Ok(Placed::under(licence.region, e.licence_id))
}

fn new_record<L: RecordLookup>(
    lookup: &L,
    kind: RecordKind,
    id: &str,
) -> Result<(), RuleError<L::Error>> {
    if !lookup.write_refuses_taken_ids() && lookup.exists(kind, id).map_err(RuleError::Lookup)? {
        Err(Refusal::Conflict(format!(
            "{kind} {id} already exists; a correction is a new record"
        ))
        .into())
    } else {
        Ok(())
    }
}

/// A production entry's own rules, at a known site, with registered diggers; a correction
/// names an entry of the same site that has not been corrected already.
pub fn production<L: RecordLookup>(
    p: &ProductionEntry,
    today: NaiveDate,
    lookup: &L,
) -> Result<Placed, RuleError<L::Error>> {
    p.validate(today)?;
    new_record(lookup, RecordKind::Production, &p.id.to_string())?;
    let site = lookup
        .site(p.site_id)
        .map_err(RuleError::Lookup)?
        .ok_or_else(|| Refusal::Missing(format!("site_id {} is not a known site", p.site_id)))?;
    if let Some(old) = p.replaces {
        let target = lookup
            .production(old)
            .map_err(RuleError::Lookup)?
            .ok_or_else(|| Refusal::Missing(format!("replaces {old}: no such production entry")))?;
        if target.site_id != p.site_id {
            return Err(Refusal::Conflict(format!(
                "replaces {old}: that entry is of another site; a correction keeps its site"
            ))
            .into());
        }
        if let Some(newer) = lookup.correction_of(old).map_err(RuleError::Lookup)? {
            return Err(Refusal::Conflict(format!(
                "entry {old} was already corrected by {newer}; correct the newest version"
            ))
            .into());
        }
    }
    for d in &p.digger_ids {
        known_digger(lookup, "digger_ids", *d)?;
    }
    Ok(Placed {
        region: site.region,
        parent: Some(p.site_id.to_string()),
        replaces: p.replaces.map(|r| r.to_string()),
    })
}

/// A stone's own rules, in a known production entry (whose region it takes).
pub fn stone<L: RecordLookup>(s: &Stone, lookup: &L) -> Result<Placed, RuleError<L::Error>> {
    s.validate()?;
    new_record(lookup, RecordKind::Stone, &s.id.to_string())?;
    let entry = lookup
        .production(s.production_id)
        .map_err(RuleError::Lookup)?
        .ok_or_else(|| {
            Refusal::Missing(format!(
                "production_id {} is not a known production entry",
                s.production_id
            ))
        })?;
    Ok(Placed::under(entry.region, s.production_id))
}

/// A review judges a record on record here, and takes its region.
pub fn review<L: RecordLookup>(r: &Review, lookup: &L) -> Result<Placed, RuleError<L::Error>> {
    r.validate()?;
    new_record(lookup, RecordKind::Review, &r.id.to_string())?;
    let target = r.target_id.to_string();
    let region = lookup
        .region_of(r.target_entity, &target)
        .map_err(RuleError::Lookup)?
        .ok_or_else(|| {
            Refusal::Missing(format!(
                "the reviewed {} {target} is not known here",
                r.target_entity
            ))
        })?;
    Ok(Placed::under(region, target))
}

/// A photo shows a record on record here, and takes its region; a record carries at most
/// [`MAX_PHOTOS_PER_RECORD`] photos.
pub fn photo<L: RecordLookup>(p: &Photo, lookup: &L) -> Result<Placed, RuleError<L::Error>> {
    p.validate()?;
    new_record(lookup, RecordKind::Photo, &p.id.to_string())?;
    let target = p.target_id.to_string();
    let region = lookup
        .region_of(p.target_entity, &target)
        .map_err(RuleError::Lookup)?
        .ok_or_else(|| {
            Refusal::Missing(format!(
                "the {} {target} the photo shows is not known here",
                p.target_entity
            ))
        })?;
    let already = lookup.photos_of(&target).map_err(RuleError::Lookup)?;
    if already >= MAX_PHOTOS_PER_RECORD {
        return Err(Refusal::Conflict(format!(
            "{} {target} already has {already} photos; a record carries at most {MAX_PHOTOS_PER_RECORD}",
            p.target_entity
        ))
        .into());
    }
    Ok(Placed::under(region, target))
}

#[cfg(test)]
mod tests;
