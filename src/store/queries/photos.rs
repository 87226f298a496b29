//! Reads of photos: the photos of a record, the record an id names, the pictures this device
//! owes the server and those it may fetch.

use crate::domain::{PHOTO_TARGETS, Photo, RecordKind};
use crate::store::rows::parsed;
use crate::store::{Store, StoreError};
use rusqlite::params;

const PHOTO_COLS: &str = "id, target_entity, target_id, sha256, bytes, width, height, caption, \
                          taken_at, lat, lon, added_by, at";

/// A picture a sync may fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedPicture {
    pub sha256: String,
    pub bytes: u64,
    pub target_entity: RecordKind,
}

impl Store {
    /// The photos on a record, oldest first.
    pub fn photos_of(&self, target: uuid::Uuid) -> Result<Vec<Photo>, StoreError> {
        self.all(
            &format!("SELECT {PHOTO_COLS} FROM photos WHERE target_id = ?1 ORDER BY at, id"),
            [target.to_string()],
            photo_row,
        )
    }

    /// Every photo record, oldest first.
    pub fn photos(&self) -> Result<Vec<Photo>, StoreError> {
        self.all(
            &format!("SELECT {PHOTO_COLS} FROM photos ORDER BY at, id"),
            [],
            photo_row,
        )
    }

    /// The kind of the record with this id, among the kinds that take photos.
    pub fn photo_target_kind(&self, id: uuid::Uuid) -> Result<Option<RecordKind>, StoreError> {
        for kind in PHOTO_TARGETS {
            if self.contains(kind, &id.to_string())? {
                return Ok(Some(kind));
            }
        }
        Ok(None)
    }

    /// Pictures this device took and the server has not confirmed holding, oldest first.
    pub fn pictures_to_send(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.all(
            "SELECT sha256, bytes FROM photo_uploads WHERE done = 0 ORDER BY rowid",
            [],
            |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.max(0) as u64)),
        )
    }

    /// Records that the server holds the whole picture.
    pub fn picture_sent(&mut self, sha256: &str) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached("UPDATE photo_uploads SET done = 1 WHERE sha256 = ?1")?
            .execute(params![sha256])?;
        Ok(())
    }

    /// Pictures named by photo records whose record this device holds, diggers' first (an
    /// officer checks a digger's face against the photo), then the newest; each once. Those
    /// already in the photo folder are left out by the caller.
    pub fn pictures_to_fetch(&self) -> Result<Vec<WantedPicture>, StoreError> {
        let held = PHOTO_TARGETS
            .iter()
            .map(|k| {
                format!(
                    "(p.target_entity = '{}' AND EXISTS (SELECT 1 FROM {} t WHERE t.{} = p.target_id))",
                    k.as_str(),
                    k.table(),
                    k.key_column()
                )
            })
            .collect::<Vec<_>>()
            .join(" OR ");
        let sql = format!(
            "SELECT sha256, max(bytes), max(target_entity = 'digger') FROM photos p
             WHERE {held}
             GROUP BY sha256
             ORDER BY max(target_entity = 'digger') DESC, max(at) DESC"
        );
        self.all(&sql, [], |r| {
            let digger: bool = r.get(2)?;
            Ok(WantedPicture {
                sha256: r.get(0)?,
                bytes: r.get::<_, i64>(1)?.max(0) as u64,
                target_entity: if digger {
                    RecordKind::Digger
                } else {
                    RecordKind::Production
                },
            })
        })
    }
}

fn photo_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Photo> {
    let time = |i: usize, text: String| {
        chrono::DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
            })
    };
    let taken_at: Option<String> = r.get(8)?;
    Ok(Photo {
        id: parsed(r, 0)?,
        target_entity: parsed(r, 1)?,
        target_id: parsed::<crate::domain::DiggerId>(r, 2)?.0,
        sha256: r.get(3)?,
        bytes: r.get::<_, i64>(4)?.max(0) as u64,
        width: r.get(5)?,
        height: r.get(6)?,
        caption: r.get(7)?,
        taken_at: taken_at.map(|t| time(8, t)).transpose()?,
        lat: r.get(9)?,
        lon: r.get(10)?,
        added_by: parsed(r, 11)?,
        at: time(12, r.get(12)?)?,
    })
}
