//! Photos as the pages show them: a record's photos read from the store, their pictures from
//! the photo folder beside the database, decoded into Slint images. A synced photo whose
//! picture has not reached this device yet is shown by its caption and a line saying so.

use super::context::Ctx;
use crate::domain::Photo;
use crate::photo::PhotoFiles;
use std::path::Path;

/// A photo as a page shows it.
pub struct ShownPhoto {
    pub photo: Photo,
    /// The decoded picture; `None` when it is not on this device (or does not decode).
    pub image: Option<slint::Image>,
}

/// The pixels of the picture at `path`, scaled down to `max_side` pixels at most, for Slint.
pub fn load_image(path: &Path, max_side: u32) -> Option<slint::Image> {
    // Pictures are named by their hash, without an extension: the format is read from the bytes.
    let img = image::ImageReader::open(path)
        .ok()?
        .with_guessed_format()
        .ok()?
        .decode()
        .ok()?;
    let img = if img.width() > max_side || img.height() > max_side {
        img.thumbnail(max_side, max_side)
    } else {
        img
    };
    let rgba = img.to_rgba8();
    let buf = slint::SharedPixelBuffer::<slint::Rgba8Pixel>::clone_from_slice(
        rgba.as_raw(),
        rgba.width(),
        rgba.height(),
    );
    Some(slint::Image::from_rgba8(buf))
}

/// The photo folder of the app's database (none for a database held in memory).
pub fn files(ctx: &Ctx) -> Option<PhotoFiles> {
    PhotoFiles::of(&ctx.store.borrow())
}

/// The photos on the record `target`, newest first.
pub fn photos_newest_first(ctx: &Ctx, target: uuid::Uuid) -> Vec<Photo> {
    let mut photos = ctx.store.borrow().photos_of(target).unwrap_or_default();
    photos.reverse();
    photos
}

/// The newest photo on `target`, with its picture at up to `max_side` pixels when it is here.
pub fn latest(ctx: &Ctx, target: uuid::Uuid, max_side: u32) -> Option<ShownPhoto> {
    let photo = photos_newest_first(ctx, target).into_iter().next()?;
    let image = files(ctx)
        .filter(|f| f.has(&photo.sha256))
        .and_then(|f| f.path(&photo.sha256).ok())
        .and_then(|p| load_image(&p, max_side));
    Some(ShownPhoto { photo, image })
}

/// Up to `n` of the newest photos on `target` as thumbnails (made now if missing).
pub fn thumbnails(ctx: &Ctx, target: uuid::Uuid, n: usize) -> Vec<ShownPhoto> {
    let files = files(ctx);
    photos_newest_first(ctx, target)
        .into_iter()
        .take(n)
        .map(|photo| {
            let image = files
                .as_ref()
                .and_then(|f| f.thumb(&photo.sha256).ok().flatten())
                .and_then(|p| load_image(&p, crate::photo::THUMB_SIDE));
            ShownPhoto { photo, image }
        })
        .collect()
}

/// The newest photo's picture on `target`, as its bytes (for the printed licence card).
pub fn latest_bytes(ctx: &Ctx, target: uuid::Uuid) -> Option<Vec<u8>> {
    let photo = photos_newest_first(ctx, target).into_iter().next()?;
    files(ctx)
        .filter(|f| f.has(&photo.sha256))
        .and_then(|f| f.read(&photo.sha256).ok())
}

/// The line shown for a photo whose picture is not on this device.
pub fn not_here_text() -> String {
    crate::tr!("photo not on this device yet — sync")
}
