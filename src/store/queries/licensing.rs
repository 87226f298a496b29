//! Reads of licensing beyond the licence record: its dated events, the history and standing
//! replayed from them, its supporters, and the fees paid.

use crate::analytics::FeePaid;
use crate::domain::{
    Licence, LicenceBook, LicenceEvent, LicenceEventId, LicenceHistory, LicenceId, LicenceStanding,
    Supporter,
};
use crate::store::rows;
use crate::store::{Store, StoreError};
use chrono::NaiveDate;

/// A supporter as the Licences page and the licence card show it: the supporter record and,
/// for a registered digger, the digger's name and national id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupporterView {
    pub supporter: Supporter,
    /// The supporter's name (the digger's, for a registered digger).
    pub full_name: String,
    /// The supporter's national id (the digger's, for a registered digger).
    pub national_id: String,
}

impl Store {
    /// A licence event by id.
    pub fn licence_event(&self, id: LicenceEventId) -> Result<Option<LicenceEvent>, StoreError> {
        self.one(
            &format!(
                "SELECT {} FROM licence_events e WHERE e.id = ?1",
                rows::LICENCE_EVENT_COLS
            ),
            [id.to_string()],
            rows::licence_event,
        )
    }

    /// Every stored licence event, in id order (the CSV export).
    pub fn all_licence_events(&self) -> Result<Vec<LicenceEvent>, StoreError> {
        self.all(
            &format!(
                "SELECT {} FROM licence_events e ORDER BY e.id",
                rows::LICENCE_EVENT_COLS
            ),
            [],
            rows::licence_event,
        )
    }

    /// Every supporter on record, in id order (the CSV export).
    pub fn all_supporters(&self) -> Result<Vec<Supporter>, StoreError> {
        self.all(
            &format!(
                "SELECT {} FROM supporters s ORDER BY s.id",
                rows::SUPPORTER_COLS
            ),
            [],
            rows::supporter,
        )
    }

    /// The stored events of one licence, oldest first.
    pub fn licence_events(&self, licence: LicenceId) -> Result<Vec<LicenceEvent>, StoreError> {
        self.all(
            &format!(
                "SELECT {} FROM licence_events e WHERE e.licence_id = ?1 ORDER BY e.on_day, e.id",
                rows::LICENCE_EVENT_COLS
            ),
            [licence.to_string()],
            rows::licence_event,
        )
    }

    /// The history of a licence: its stored events, or what its record stands for when it has
    /// no stored issue (see [`LicenceHistory`]). `None` when the licence is not on record.
    pub fn licence_history(
        &self,
        licence: LicenceId,
    ) -> Result<Option<LicenceHistory>, StoreError> {
        let Some(l) = self.licence(licence)? else {
            return Ok(None);
        };
        Ok(Some(self.history_of(&l)?))
    }

    /// The history of a licence record already read.
    pub fn history_of(&self, licence: &Licence) -> Result<LicenceHistory, StoreError> {
        Ok(LicenceHistory::new(
            licence,
            &self.licence_events(licence.id)?,
        ))
    }

    /// How a licence stands on `day`, from its history (`None`: not on record).
    pub fn licence_standing_on(
        &self,
        licence: LicenceId,
        day: NaiveDate,
    ) -> Result<Option<LicenceStanding>, StoreError> {
        Ok(self.licence_history(licence)?.map(|h| h.standing_on(day)))
    }

    /// The history of every licence on record.
    pub fn licence_book(&self) -> Result<LicenceBook, StoreError> {
        Ok(LicenceBook::new(
            &self.licences()?,
            &self.all_licence_events()?,
        ))
    }

    /// The supporters named on a licence, in the order they were named.
    pub fn licence_supporters(&self, licence: LicenceId) -> Result<Vec<SupporterView>, StoreError> {
        self.all(
            &format!(
                "SELECT {}, coalesce(d.full_name, s.full_name), coalesce(d.national_id, s.national_id)
                 FROM supporters s LEFT JOIN diggers d ON d.id = s.digger_id
                 WHERE s.licence_id = ?1 ORDER BY s.id",
                rows::SUPPORTER_COLS
            ),
            [licence.to_string()],
            |r| {
                Ok(SupporterView {
                    supporter: rows::supporter(r)?,
                    full_name: r.get(5)?,
                    national_id: r.get(6)?,
                })
            },
        )
    }

    /// The fees paid from `from` to `to` (inclusive), by day, in one region or all.
    pub fn fees_paid(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        region: Option<&str>,
    ) -> Result<Vec<FeePaid>, StoreError> {
        self.all(
            &format!(
                "SELECT {}, l.number, l.region FROM licence_events e JOIN licences l ON l.id = e.licence_id
                 WHERE e.fee_cents IS NOT NULL AND e.on_day BETWEEN ?1 AND ?2
                   AND (?3 IS NULL OR l.region = ?3)
                 ORDER BY e.on_day, e.id",
                rows::LICENCE_EVENT_COLS
            ),
            rusqlite::params![from.to_string(), to.to_string(), region],
            |r| {
                Ok(FeePaid {
                    event: rows::licence_event(r)?,
                    licence_number: r.get(8)?,
                    region: r.get(9)?,
                })
            },
        )
    }
}
