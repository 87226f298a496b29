//! A photo on a record: a digger's face, a licence document, a site, a day's parcel, a sale's
//! bags. The picture is named by the SHA-256 of its bytes and travels apart from the records
//! (see `sync::photos`); this record is what names it, in its own synced content, so a picture
//! taken once and shown on three records is stored and sent once.

use super::{Invalid, OfficerId, PhotoId, RecordKind, check_text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Largest photo, in bytes, as stored and sent: a photo larger than this after the device has
/// re-encoded it to [`MAX_PHOTO_SIDE`] pixels is refused on the device and on the server.
pub const MAX_PHOTO_BYTES: u64 = 5 * 1024 * 1024;
/// Longest side of a stored photo, in pixels: a larger picture is scaled down to it.
pub const MAX_PHOTO_SIDE: u32 = 2048;
/// Longest caption, in characters.
pub const MAX_PHOTO_CAPTION: usize = 200;
/// Most photos one record may carry.
pub const MAX_PHOTOS_PER_RECORD: usize = 20;

/// The kinds of record a photo may be put on.
pub const PHOTO_TARGETS: [RecordKind; 5] = [
    RecordKind::Digger,
    RecordKind::Licence,
    RecordKind::Site,
    RecordKind::Production,
    RecordKind::Sale,
];

/// A photo put on a record. Append-only: a wrong photo is answered by a review, not erased.
/// Field names are protocol; do not rename.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Photo {
    pub id: PhotoId,
    /// The kind of the record shown (`digger`, `production`, …).
    pub target_entity: RecordKind,
    pub target_id: uuid::Uuid,
    /// SHA-256 of the stored picture, 64 lowercase hex digits.
    pub sha256: String,
    /// Size of the stored picture in bytes.
    pub bytes: u64,
    /// Pixels of the stored picture.
    pub width: u32,
    pub height: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub caption: String,
    /// When the camera took it (from the picture's EXIF data, when it says), UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<DateTime<Utc>>,
    /// Where the camera was (EXIF GPS, WGS84 decimal degrees), when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    pub added_by: OfficerId,
    pub at: DateTime<Utc>,
}

/// Whether `text` is a SHA-256 as photos are named: 64 lowercase hex digits.
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Checks a photo's size against [`MAX_PHOTO_BYTES`], in the words both ends use.
pub fn check_photo_size(bytes: u64) -> Result<(), String> {
    if bytes == 0 {
        Err("the photo is empty".into())
    } else if bytes > MAX_PHOTO_BYTES {
        Err(format!(
            "the photo is {:.1} MB; a photo may be at most {} MB",
            bytes as f64 / (1024.0 * 1024.0),
            MAX_PHOTO_BYTES / (1024 * 1024)
        ))
    } else {
        Ok(())
    }
}

impl Photo {
    /// Checks the record's own rules: a kind of record that takes photos, a well-formed hash,
    /// a size within the limit, a short caption, a position on the globe.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        if !PHOTO_TARGETS.contains(&self.target_entity) {
            e.push(
                "target_entity",
                format!(
                    "a {} does not take photos (diggers, licences, sites, production entries and sales do)",
                    self.target_entity
                ),
            );
        }
        if !is_sha256_hex(&self.sha256) {
            e.push(
                "sha256",
                "sha256 must be the photo's SHA-256 as 64 lowercase hex digits".to_string(),
            );
        }
        if let Err(m) = check_photo_size(self.bytes) {
            e.push("bytes", m);
        }
        if self.width == 0
            || self.height == 0
            || self.width > MAX_PHOTO_SIDE
            || self.height > MAX_PHOTO_SIDE
        {
            e.push(
                "width",
                format!(
                    "a photo is 1 to {MAX_PHOTO_SIDE} pixels a side; this one says {}×{}",
                    self.width, self.height
                ),
            );
        }
        check_text(&mut e, "caption", &self.caption, false, MAX_PHOTO_CAPTION);
        match (self.lat, self.lon) {
            (None, None) => {}
            (Some(lat), Some(lon))
                if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) => {}
            _ => e.push(
                "lat",
                "a photo's position needs a latitude (−90..90) and a longitude (−180..180)"
                    .to_string(),
            ),
        }
        e.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo() -> Photo {
        Photo {
            id: PhotoId::new(),
            target_entity: RecordKind::Digger,
            target_id: uuid::Uuid::now_v7(),
            sha256: "ab".repeat(32),
            bytes: 120_000,
            width: 1200,
            height: 900,
            caption: "Identity photo".into(),
            taken_at: None,
            lat: None,
            lon: None,
            added_by: OfficerId::new(),
            at: Utc::now(),
        }
    }

    #[test]
    fn a_good_photo_passes_and_each_bad_field_is_named() {
        assert!(photo().validate().is_ok());
        // (the field named in the refusal, how the photo is spoiled)
        type Case = (&'static str, fn(&mut Photo));
        let cases: [Case; 6] = [
            ("target_entity", |p| p.target_entity = RecordKind::Stone),
            ("sha256", |p| p.sha256 = "AB".repeat(32)),
            ("bytes", |p| p.bytes = MAX_PHOTO_BYTES + 1),
            ("bytes", |p| p.bytes = 0),
            ("width", |p| p.width = MAX_PHOTO_SIDE + 1),
            ("lat", |p| p.lat = Some(8.0)),
        ];
        for (field, spoil) in cases {
            let mut p = photo();
            spoil(&mut p);
            let err = p.validate().unwrap_err();
            assert!(err.0.iter().any(|f| f.field == field), "{field}: {err:?}");
        }
    }

    #[test]
    fn the_size_limit_says_the_size_and_the_limit() {
        let m = check_photo_size(6 * 1024 * 1024).unwrap_err();
        assert_eq!(m, "the photo is 6.0 MB; a photo may be at most 5 MB");
        assert!(check_photo_size(MAX_PHOTO_BYTES).is_ok());
    }
}
