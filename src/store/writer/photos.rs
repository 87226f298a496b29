//! Photos put on records. The picture's bytes are already a file beside the database (see
//! `photo::files`) when its record is written: the record, the upload it owes the server and
//! its change go in one transaction, so a photo the officer was told is saved is either whole
//! and queued, or (after a crash before the commit) an unnamed file that a retry reuses.

use super::{StoreError, Writer, unique_to_conflict};
use crate::domain::rules::{self, Placed};
use crate::domain::{Photo, RecordKind};
use rusqlite::params;

impl Writer<'_> {
    /// Records a photo on a record. A photo pulled from the server may show a record this
    /// device does not hold (a field officer receives the photos of their region's production
    /// without the entries): only its own rules are checked then; the server checked the rest.
    pub fn add_photo(&mut self, p: &Photo) -> Result<(), StoreError> {
        let placed = if self.remote.is_some() {
            p.validate()?;
            Placed {
                region: String::new(),
                parent: Some(p.target_id.to_string()),
                replaces: None,
            }
        } else {
            rules::photo(p, &self.lookup())?
        };
        let hlc = self.stamp();
        let id = p.id.to_string();
        self.tx
            .prepare_cached(
                "INSERT INTO photos(id, target_entity, target_id, sha256, bytes, width, height, caption,
                   taken_at, lat, lon, added_by, at, hlc, origin, author)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?
            .execute(params![
                id,
                p.target_entity.as_str(),
                p.target_id.to_string(),
                p.sha256,
                p.bytes as i64,
                p.width,
                p.height,
                p.caption,
                p.taken_at.map(|t| t.to_rfc3339()),
                p.lat,
                p.lon,
                p.added_by.to_string(),
                p.at.to_rfc3339(),
                hlc.as_i64(),
                self.origin(),
                self.author()
            ])
            .map_err(|e| unique_to_conflict(e, || format!("photo {id} already exists")))?;
        if self.remote.is_none() {
            // This device took it, so this device owes the server its bytes.
            self.tx
                .prepare_cached(
                    "INSERT INTO photo_uploads(sha256, bytes) VALUES (?1, ?2)
                     ON CONFLICT(sha256) DO NOTHING",
                )?
                .execute(params![p.sha256, p.bytes as i64])?;
        }
        self.log(RecordKind::Photo, &id, &placed, hlc, 0, p)
    }
}
