//! Turning a picture file into the photo that is stored and sent: JPEG or PNG only; turned
//! upright as the camera's EXIF orientation says; scaled down to [`MAX_PHOTO_SIDE`] pixels a
//! side when larger; kept byte for byte when it needs neither (the camera's file is the best
//! evidence), else re-encoded as JPEG. The camera's time and GPS position are read from EXIF
//! before any re-encoding, so they survive it in the photo's record.

use super::PhotoError;
use crate::domain::{MAX_PHOTO_SIDE, check_photo_size};
use chrono::{DateTime, NaiveDateTime, Utc};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, metadata::Orientation};
use sha2::{Digest, Sha256};
use std::io::Cursor;

/// Largest picture file read, in bytes: a camera's full-size JPEG fits; anything larger is
/// refused before it is decoded.
pub const MAX_PHOTO_INPUT_BYTES: usize = 25 * 1024 * 1024;
/// JPEG quality of a re-encoded photo.
const JPEG_QUALITY: u8 = 85;

/// A photo ready to store.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub bytes: Vec<u8>,
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    /// The camera's time (EXIF `DateTimeOriginal`), read as UTC: cameras rarely say their
    /// zone, and field devices keep UTC.
    pub taken_at: Option<DateTime<Utc>>,
    /// The camera's position (EXIF GPS), WGS84 decimal degrees.
    pub position: Option<(f64, f64)>,
    /// Whether the stored bytes are the file's own (false: re-encoded).
    pub original: bool,
}

/// The SHA-256 of `bytes` as 64 lowercase hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Prepares the picture in `raw` (the bytes of a file).
pub fn prepare(raw: &[u8]) -> Result<Prepared, PhotoError> {
    if raw.len() > MAX_PHOTO_INPUT_BYTES {
        return Err(PhotoError::Refused(format!(
            "the file is {:.1} MB; pictures of up to {} MB are read",
            raw.len() as f64 / (1024.0 * 1024.0),
            MAX_PHOTO_INPUT_BYTES / (1024 * 1024)
        )));
    }
    let not_a_picture =
        || PhotoError::Refused("the file is not a JPEG or PNG picture; choose a photo".to_string());
    let reader = ImageReader::new(Cursor::new(raw))
        .with_guessed_format()
        .map_err(|_| not_a_picture())?;
    let format = match reader.format() {
        Some(f @ (ImageFormat::Jpeg | ImageFormat::Png)) => f,
        _ => return Err(not_a_picture()),
    };
    let mut decoder = reader.into_decoder().map_err(|_| not_a_picture())?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let exif = decoder.exif_metadata().ok().flatten();
    let (taken_at, position) = exif.as_deref().map(read_exif).unwrap_or_default();
    let (w, h) = decoder.dimensions();
    let fits = w <= MAX_PHOTO_SIDE && h <= MAX_PHOTO_SIDE;
    if orientation == Orientation::NoTransforms
        && fits
        && check_photo_size(raw.len() as u64).is_ok()
    {
        return Ok(Prepared {
            bytes: raw.to_vec(),
            sha256: sha256_hex(raw),
            width: w,
            height: h,
            taken_at,
            position,
            original: true,
        });
    }
    let _ = format;
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| {
        PhotoError::Refused(format!("the picture cannot be read ({e}); choose another"))
    })?;
    img.apply_orientation(orientation);
    if img.width() > MAX_PHOTO_SIDE || img.height() > MAX_PHOTO_SIDE {
        img = img.resize(
            MAX_PHOTO_SIDE,
            MAX_PHOTO_SIDE,
            image::imageops::FilterType::Triangle,
        );
    }
    let bytes = encode_jpeg(&img, JPEG_QUALITY)?;
    check_photo_size(bytes.len() as u64).map_err(PhotoError::Refused)?;
    Ok(Prepared {
        sha256: sha256_hex(&bytes),
        width: img.width(),
        height: img.height(),
        bytes,
        taken_at,
        position,
        original: false,
    })
}

/// `img` as a JPEG of `quality`.
pub(super) fn encode_jpeg(img: &DynamicImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    let rgb = img.to_rgb8();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&rgb)
        .map_err(|e| PhotoError::Refused(format!("the picture cannot be re-encoded: {e}")))?;
    Ok(out)
}

/// The camera's time and position from raw EXIF data; what is missing or malformed is `None`.
fn read_exif(raw: &[u8]) -> (Option<DateTime<Utc>>, Option<(f64, f64)>) {
    let Ok(exif) = exif::Reader::new().read_raw(raw.to_vec()) else {
        return (None, None);
    };
    let text = |tag| {
        exif.get_field(tag, exif::In::PRIMARY)
            .map(|f| f.display_value().to_string())
    };
    let taken_at = text(exif::Tag::DateTimeOriginal)
        .or_else(|| text(exif::Tag::DateTime))
        .and_then(|t| NaiveDateTime::parse_from_str(t.trim(), "%Y-%m-%d %H:%M:%S").ok())
        .map(|t| t.and_utc());
    let degrees = |tag, reference, negative: &str| -> Option<f64> {
        let field = exif.get_field(tag, exif::In::PRIMARY)?;
        let exif::Value::Rational(parts) = &field.value else {
            return None;
        };
        let [d, m, s] = parts.as_slice() else {
            return None;
        };
        let value = d.to_f64() + m.to_f64() / 60.0 + s.to_f64() / 3600.0;
        let sign = if text(reference).is_some_and(|r| r.trim().eq_ignore_ascii_case(negative)) {
            -1.0
        } else {
            1.0
        };
        value.is_finite().then_some(sign * value)
    };
    let position = match (
        degrees(exif::Tag::GPSLatitude, exif::Tag::GPSLatitudeRef, "S"),
        degrees(exif::Tag::GPSLongitude, exif::Tag::GPSLongitudeRef, "W"),
    ) {
        (Some(lat), Some(lon)) if lat.abs() <= 90.0 && lon.abs() <= 180.0 => Some((lat, lon)),
        _ => None,
    };
    (taken_at, position)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(w: u32, h: u32, format: ImageFormat) -> Vec<u8> {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 256) as u8])
        }));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_small_jpeg_is_kept_byte_for_byte() {
        let raw = picture(640, 480, ImageFormat::Jpeg);
        let p = prepare(&raw).unwrap();
        assert!(p.original);
        assert_eq!(p.bytes, raw);
        assert_eq!((p.width, p.height), (640, 480));
        assert_eq!(p.sha256, sha256_hex(&raw));
        assert_eq!(p.sha256.len(), 64);
    }

    #[test]
    fn a_large_picture_is_scaled_to_the_stated_side() {
        let raw = picture(3000, 1500, ImageFormat::Png);
        let p = prepare(&raw).unwrap();
        assert!(!p.original);
        assert_eq!((p.width, p.height), (MAX_PHOTO_SIDE, MAX_PHOTO_SIDE / 2));
        let back = image::load_from_memory(&p.bytes).unwrap();
        assert_eq!(back.width(), MAX_PHOTO_SIDE);
    }

    #[test]
    fn what_is_not_a_picture_is_refused_with_a_reason() {
        let err = prepare(b"%PDF-1.7 not a photo").unwrap_err().to_string();
        assert_eq!(err, "the file is not a JPEG or PNG picture; choose a photo");
        let big = vec![0u8; MAX_PHOTO_INPUT_BYTES + 1];
        let err = prepare(&big).unwrap_err().to_string();
        assert!(
            err.starts_with("the file is 25.0 MB; pictures of up to 25 MB"),
            "{err}"
        );
    }
}
