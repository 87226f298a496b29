//! Test pictures: JPEGs of a chosen size (noise does not compress, so the size is the pixel
//! count's), and the same with camera EXIF data (orientation, time, GPS) spliced in, as a
//! phone writes it.

use image::{DynamicImage, RgbImage};
use std::io::Cursor;

/// A `w`×`h` JPEG of seeded noise at quality 90: about 1.9 bytes a pixel; another seed, another
/// picture.
pub fn noise_jpeg(w: u32, h: u32, seed: u64) -> Vec<u8> {
    // Odd and different for every seed (xorshift needs a state that is not 0).
    let mut state = (seed << 1) | 1;
    let img = RgbImage::from_fn(w, h, |_, _| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let b = state.to_le_bytes();
        image::Rgb([b[0], b[1], b[2]])
    });
    encode(&DynamicImage::ImageRgb8(img))
}

/// A `w`×`h` JPEG of a smooth gradient: small, and easy to tell upright from turned.
pub fn gradient_jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, 128])
    });
    encode(&DynamicImage::ImageRgb8(img))
}

fn encode(img: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(img)
        .expect("a JPEG encodes");
    out
}

/// What a camera says about a picture.
pub struct Exif {
    /// EXIF orientation (1 upright, 6 turned 90° clockwise to view).
    pub orientation: u16,
    /// `YYYY:MM:DD HH:MM:SS`.
    pub taken: &'static str,
    /// Degrees, minutes, seconds; north and east positive.
    pub lat: (u32, u32, u32, bool),
    pub lon: (u32, u32, u32, bool),
}

/// `jpeg` with an APP1 EXIF segment holding `exif`, right after the start-of-image marker.
pub fn with_exif(jpeg: &[u8], exif: &Exif) -> Vec<u8> {
    let tiff = tiff(exif);
    let mut out = Vec::with_capacity(jpeg.len() + tiff.len() + 10);
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A little-endian TIFF block: IFD0 (orientation, pointers to the EXIF and GPS IFDs), the
/// EXIF IFD (DateTimeOriginal) and the GPS IFD (latitude and longitude with their refs).
fn tiff(e: &Exif) -> Vec<u8> {
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const ASCII: u16 = 2;
    const RATIONAL: u16 = 5;
    let entry = |out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&value);
    };
    let ifd_len = |n: u32| 2 + 12 * n + 4;
    let ifd0 = 8u32;
    let exif_ifd = ifd0 + ifd_len(3);
    let gps_ifd = exif_ifd + ifd_len(1);
    let date = gps_ifd + ifd_len(4);
    let lat = date + 20;
    let lon = lat + 24;
    let mut t = Vec::new();
    t.extend_from_slice(b"II*\0");
    t.extend_from_slice(&ifd0.to_le_bytes());
    t.extend_from_slice(&3u16.to_le_bytes());
    let mut o = [0u8; 4];
    o[..2].copy_from_slice(&e.orientation.to_le_bytes());
    entry(&mut t, 0x0112, SHORT, 1, o);
    entry(&mut t, 0x8769, LONG, 1, exif_ifd.to_le_bytes());
    entry(&mut t, 0x8825, LONG, 1, gps_ifd.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(&1u16.to_le_bytes());
    entry(&mut t, 0x9003, ASCII, 20, date.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(&4u16.to_le_bytes());
    entry(
        &mut t,
        0x0001,
        ASCII,
        2,
        [if e.lat.3 { b'N' } else { b'S' }, 0, 0, 0],
    );
    entry(&mut t, 0x0002, RATIONAL, 3, lat.to_le_bytes());
    entry(
        &mut t,
        0x0003,
        ASCII,
        2,
        [if e.lon.3 { b'E' } else { b'W' }, 0, 0, 0],
    );
    entry(&mut t, 0x0004, RATIONAL, 3, lon.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(t.len() as u32, date);
    t.extend_from_slice(e.taken.as_bytes());
    t.push(0);
    for (d, m, s, _) in [e.lat, e.lon] {
        for v in [d, m, s] {
            t.extend_from_slice(&v.to_le_bytes());
            t.extend_from_slice(&1u32.to_le_bytes());
        }
    }
    t
}

/// `bytes` in a PNG/JPEG decoder's eyes: width and height.
pub fn dimensions(bytes: &[u8]) -> (u32, u32) {
    let img = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .expect("a picture")
        .decode()
        .expect("a picture that decodes");
    (img.width(), img.height())
}
