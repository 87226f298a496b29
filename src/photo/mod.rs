//! Photos on the device: a picture read from a file is prepared (turned upright, scaled to the
//! stated size, its camera time and place kept) and stored once, named by its SHA-256, beside
//! the database. The records that show it name it by that hash (`domain::Photo`); sync sends
//! the bytes apart from the records (`sync::photos`).

mod files;
mod prepare;

pub use files::{PhotoFiles, THUMB_SIDE};
pub use prepare::{MAX_PHOTO_INPUT_BYTES, Prepared, prepare, sha256_hex};

/// Why a photo could not be read or kept.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// The file is not a picture this app reads, or is too large; the text says which.
    #[error("{0}")]
    Refused(String),
    #[error("the photo store at {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

use crate::domain::{OfficerId, Photo, PhotoId};
use crate::store::{Store, StoreError};

impl PhotoFiles {
    /// The photo folder of a store's database (none for a database held in memory).
    pub fn of(store: &Store) -> Option<PhotoFiles> {
        store.path().map(PhotoFiles::beside)
    }
}

/// Why a photo could not be put on a record.
#[derive(Debug, thiserror::Error)]
pub enum AddPhotoError {
    #[error(transparent)]
    Photo(#[from] PhotoError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no digger, licence, site, production entry or sale has the id {0}")]
    NoSuchRecord(uuid::Uuid),
    #[error("this database is held in memory and has no photo folder")]
    NoFolder,
}

/// Puts the picture in `raw` (a file's bytes) on the record `target`: prepared, stored in
/// the photo folder, then its record written (with its change) in one transaction. Refused
/// before anything is written when the picture or the record is wrong.
pub fn add_to_record(
    store: &mut Store,
    target: uuid::Uuid,
    raw: &[u8],
    caption: &str,
    added_by: OfficerId,
) -> Result<Photo, AddPhotoError> {
    let files = PhotoFiles::of(store).ok_or(AddPhotoError::NoFolder)?;
    let target_entity = store
        .photo_target_kind(target)?
        .ok_or(AddPhotoError::NoSuchRecord(target))?;
    let p = prepare(raw)?;
    let photo = Photo {
        id: PhotoId::new(),
        target_entity,
        target_id: target,
        sha256: p.sha256.clone(),
        bytes: p.bytes.len() as u64,
        width: p.width,
        height: p.height,
        caption: caption.trim().to_string(),
        taken_at: p.taken_at,
        lat: p.position.map(|(lat, _)| lat),
        lon: p.position.map(|(_, lon)| lon),
        added_by,
        at: chrono::Utc::now(),
    };
    // The record's own rules first, so a refused photo leaves no file behind either.
    photo.validate().map_err(StoreError::from)?;
    files.put(&p.bytes)?;
    store.write(|w| w.add_photo(&photo))?;
    Ok(photo)
}

/// The picture of the newest photo on a record whose picture is on this device, if any.
pub fn latest_picture(store: &Store, record: uuid::Uuid) -> Result<Option<Vec<u8>>, AddPhotoError> {
    let Some(files) = PhotoFiles::of(store) else {
        return Ok(None);
    };
    let photos = store.photos_of(record)?;
    match photos.iter().rev().find(|p| files.has(&p.sha256)) {
        Some(p) => Ok(Some(files.read(&p.sha256)?)),
        None => Ok(None),
    }
}

/// The picture a licence card carries: the newest photo of the licence's holder.
pub fn holder_picture(
    store: &Store,
    licence_number: &str,
) -> Result<Option<Vec<u8>>, AddPhotoError> {
    let holder = store
        .licence_by_number(licence_number)?
        .and_then(|l| l.holder_digger_id);
    match holder {
        Some(d) => latest_picture(store, d.0),
        None => Ok(None),
    }
}
