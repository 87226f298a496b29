//! The printable licence card: one ID-1 page (85.6 × 54 mm, the size of a bank card) with the
//! holder's photo or a framed "no photo" box, the licence's particulars, the licensed area's
//! corners, the supporters, and a QR code holding the signed card statement
//! ([`crate::domain::card_statement`]).
//!
//! The PDF embeds a subset of DejaVu Sans Condensed compiled into the binary, so a card prints
//! the same on any machine, with no system fonts and no external process. Text is laid out
//! glyph by glyph from the font's character map: card text is short Latin script, which needs
//! no shaping engine.

use chrono::NaiveDate;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::{Data, Document};
use qrcode::{EcLevel, QrCode};
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size as FontSize};

const REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansCondensed.ttf");
const BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansCondensed-Bold.ttf");

/// Card width and height in millimetres (ISO/IEC 7810 ID-1).
pub const CARD_MM: (f32, f32) = (85.6, 54.0);

/// Corners printed on the card; a larger area prints this many less one and a count of the rest.
pub const MAX_PRINTED_CORNERS: usize = 9;

/// Language of the printed labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CardLanguage {
    #[default]
    En,
    Fr,
}

/// Everything a card shows.
#[derive(Debug, Clone)]
pub struct CardContent<'a> {
    pub language: CardLanguage,
    pub number: &'a str,
    /// Licence kind as the registry names it (`artisanal_mining`, `dealer`, `exporter`).
    pub kind: crate::domain::LicenceKind,
    pub region: &'a str,
    pub holder_name: &'a str,
    pub holder_id: &'a str,
    pub valid_until: NaiveDate,
    /// The licensed area's corners as (lat, lon), ring order, without the closing repeat.
    pub corners: &'a [(f64, f64)],
    /// Names of the licence's financial supporters.
    pub supporters: &'a [String],
    /// The holder's photo, JPEG or PNG bytes.
    pub photo: Option<&'a [u8]>,
    /// The signed statement's text, printed as the QR code.
    pub statement: &'a str,
}

/// Why a card could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    #[error("the holder's photo is neither a JPEG nor a PNG image")]
    PhotoFormat,
    #[error("the holder's photo cannot be read: {0}")]
    Photo(String),
    #[error("the card code does not fit in a QR code: {0}")]
    Qr(String),
    #[error("the card PDF could not be written: {0}")]
    Pdf(String),
}

struct Labels {
    title: &'static str,
    number: &'static str,
    holder: &'static str,
    national_id: &'static str,
    kind: &'static str,
    region: &'static str,
    valid_until: &'static str,
    corners: &'static str,
    supporters: &'static str,
    none: &'static str,
    no_photo: &'static str,
    more_corners: &'static str,
    scan: &'static str,
}

/// A card label in the card's language, from the app's catalogue.
fn t(lang: CardLanguage, english: &'static str) -> &'static str {
    match lang {
        CardLanguage::En => english,
        CardLanguage::Fr => crate::i18n::translate(crate::i18n::Lang::Fr, english),
    }
}

fn labels(lang: CardLanguage) -> Labels {
    Labels {
        title: t(lang, "Artisanal mining licence"),
        number: t(lang, "Licence no."),
        holder: t(lang, "Holder"),
        national_id: t(lang, "National id"),
        kind: t(lang, "Kind"),
        region: t(lang, "Region"),
        valid_until: t(lang, "Valid until"),
        corners: t(lang, "Licensed area corners (WGS84, lat, lon)"),
        supporters: t(lang, "Supporters"),
        none: t(lang, "none"),
        no_photo: t(lang, "no photo"),
        more_corners: t(lang, "more corners: see the registry"),
        scan: t(lang, "Scan to verify"),
    }
}

fn title(kind: crate::domain::LicenceKind, lang: CardLanguage) -> &'static str {
    use crate::domain::LicenceKind::*;
    match kind {
        ArtisanalMining => labels(lang).title,
        Dealer => t(lang, "Diamond dealer licence"),
        Exporter => t(lang, "Diamond exporter licence"),
    }
}

fn kind_label(kind: crate::domain::LicenceKind, lang: CardLanguage) -> &'static str {
    use crate::domain::LicenceKind::*;
    t(
        lang,
        match kind {
            ArtisanalMining => "artisanal mining",
            Dealer => "dealer",
            Exporter => "exporter",
        },
    )
}

/// A date as the card's language writes it.
fn date_text(day: NaiveDate, lang: CardLanguage) -> String {
    match lang {
        CardLanguage::En => day.format("%-d %b %Y").to_string(),
        CardLanguage::Fr => day.format("%d/%m/%Y").to_string(),
    }
}

/// One corner as printed: five decimals, the same text the area hash is made of.
fn corner_text(lat: f64, lon: f64) -> String {
    format!("{lat:.5}, {lon:.5}")
}

/// A font with what laying out text needs: krilla's handle, the character map and advances.
struct Face {
    font: Font,
    outline: skrifa::FontRef<'static>,
    units_per_em: f32,
}

impl Face {
    fn new(data: &'static [u8]) -> Face {
        // Both fonts are compiled in and parsed by the tests below: these cannot fail.
        let font = Font::new(Data::from(data), 0).expect("embedded font parses");
        let outline = skrifa::FontRef::new(data).expect("embedded font parses");
        let units_per_em = font.units_per_em();
        Face {
            font,
            outline,
            units_per_em,
        }
    }

    /// Glyph id and advance (in em) of `c`; the font's missing-glyph box for unmapped characters.
    fn glyph(&self, c: char) -> (u32, f32) {
        let id = self.outline.charmap().map(c).unwrap_or_default();
        let adv = self
            .outline
            .glyph_metrics(FontSize::unscaled(), LocationRef::default())
            .advance_width(id)
            .unwrap_or(0.0)
            / self.units_per_em;
        (id.to_u32(), adv)
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyph(c).1).sum::<f32>() * size
    }
}

/// Draws text with millimetre coordinates.
struct Pen<'s, 'p> {
    s: &'s mut Surface<'p>,
    regular: Face,
    bold: Face,
}

const MM: f32 = 72.0 / 25.4;
const INK: (u8, u8, u8) = (0x1b, 0x1f, 0x24);
const MUTED: (u8, u8, u8) = (0x5b, 0x63, 0x6e);
const BAND: (u8, u8, u8) = (0x1f, 0x5c, 0x3d);
const PAPER: (u8, u8, u8) = (0xff, 0xff, 0xff);

fn fill(c: (u8, u8, u8)) -> Fill {
    Fill {
        paint: rgb::Color::new(c.0, c.1, c.2).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

impl Pen<'_, '_> {
    /// Text with its baseline at (x, y) mm, `size` in points; cut with "…" to fit `max_w` mm.
    fn text(
        &mut self,
        (x, y): (f32, f32),
        size: f32,
        bold: bool,
        colour: (u8, u8, u8),
        text: &str,
        max_w: f32,
    ) {
        let face = if bold { &self.bold } else { &self.regular };
        let mut shown: String = text.to_string();
        if face.width(&shown, size) > max_w * MM {
            while !shown.is_empty() && face.width(&format!("{shown}…"), size) > max_w * MM {
                shown.pop();
            }
            shown.push('…');
        }
        let mut glyphs = Vec::with_capacity(shown.len());
        for (i, c) in shown.char_indices() {
            let (id, adv) = face.glyph(c);
            glyphs.push(KrillaGlyph::new(
                GlyphId::new(id),
                adv,
                0.0,
                0.0,
                0.0,
                i..i + c.len_utf8(),
                None,
            ));
        }
        let font = face.font.clone();
        self.s.set_fill(Some(fill(colour)));
        self.s.set_stroke(None);
        self.s.draw_glyphs(
            Point::from_xy(x * MM, y * MM),
            &glyphs,
            font,
            &shown,
            size,
            false,
        );
    }

    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        let face = if bold { &self.bold } else { &self.regular };
        face.width(text, size) / MM
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, colour: (u8, u8, u8)) {
        let mut pb = PathBuilder::new();
        if let Some(r) = Rect::from_xywh(x * MM, y * MM, w * MM, h * MM) {
            pb.push_rect(r);
        }
        if let Some(path) = pb.finish() {
            self.s.set_fill(Some(fill(colour)));
            self.s.set_stroke(None);
            self.s.draw_path(&path);
        }
    }

    fn frame(&mut self, x: f32, y: f32, w: f32, h: f32, colour: (u8, u8, u8), width_mm: f32) {
        let mut pb = PathBuilder::new();
        if let Some(r) = Rect::from_xywh(x * MM, y * MM, w * MM, h * MM) {
            pb.push_rect(r);
        }
        if let Some(path) = pb.finish() {
            self.s.set_fill(None);
            self.s.set_stroke(Some(Stroke {
                paint: rgb::Color::new(colour.0, colour.1, colour.2).into(),
                width: width_mm * MM,
                ..Default::default()
            }));
            self.s.draw_path(&path);
            self.s.set_stroke(None);
        }
    }
}

/// The card as a one-page PDF.
pub fn licence_card_pdf(card: &CardContent<'_>) -> Result<Vec<u8>, CardError> {
    let qr = QrCode::with_error_correction_level(card.statement.as_bytes(), EcLevel::M)
        .map_err(|e| CardError::Qr(e.to_string()))?;
    let photo = card.photo.map(photo_image).transpose()?;
    let (w, h) = CARD_MM;
    let mut document = Document::new();
    let settings = PageSettings::from_wh(w * MM, h * MM)
        .ok_or_else(|| CardError::Pdf("bad page size".into()))?;
    let mut page = document.start_page_with(settings);
    let mut surface = page.surface();
    {
        let mut pen = Pen {
            s: &mut surface,
            regular: Face::new(REGULAR),
            bold: Face::new(BOLD),
        };
        draw(&mut pen, card, &qr, photo)?;
    }
    surface.finish();
    page.finish();
    document
        .finish()
        .map_err(|e| CardError::Pdf(format!("{e:?}")))
}

fn photo_image(bytes: &[u8]) -> Result<Image, CardError> {
    let data = Data::from(bytes.to_vec());
    if bytes.starts_with(&[0xff, 0xd8]) {
        Image::from_jpeg(data, true).map_err(CardError::Photo)
    } else if bytes.starts_with(b"\x89PNG") {
        Image::from_png(data, true).map_err(CardError::Photo)
    } else {
        Err(CardError::PhotoFormat)
    }
}

fn draw(
    pen: &mut Pen<'_, '_>,
    card: &CardContent<'_>,
    qr: &QrCode,
    photo: Option<Image>,
) -> Result<(), CardError> {
    let l = labels(card.language);
    let (w, h) = CARD_MM;
    let margin = 3.0;
    pen.rect(0.0, 0.0, w, h, PAPER);
    pen.frame(0.15, 0.15, w - 0.3, h - 0.3, MUTED, 0.3);

    // Header band: what the card is, and where it holds.
    pen.rect(0.0, 0.0, w, 7.5, BAND);
    let region_w = pen.width(card.region, 6.5, true);
    pen.text(
        (margin, 5.0),
        7.0,
        true,
        PAPER,
        title(card.kind, card.language),
        w - 2.0 * margin - region_w - 2.0,
    );
    pen.text(
        (w - margin - region_w, 5.0),
        6.5,
        true,
        PAPER,
        card.region,
        region_w + 0.5,
    );

    // Photo, or a framed box that says there is none.
    let (px, py, pw, ph) = (margin, 10.0, 17.0, 21.0);
    match photo {
        Some(image) => draw_photo(pen, image, px, py, pw, ph),
        None => {
            pen.rect(px, py, pw, ph, (0xee, 0xf0, 0xf2));
            let tw = pen.width(l.no_photo, 5.5, false);
            pen.text(
                (px + (pw - tw) / 2.0, py + ph / 2.0 + 0.8),
                5.5,
                false,
                MUTED,
                l.no_photo,
                pw,
            );
        }
    }
    pen.frame(px, py, pw, ph, MUTED, 0.25);

    // Particulars: label column, value column.
    let lx = px + pw + 3.0;
    let vx = lx + 16.0;
    let vw = w - margin - vx;
    let mut y = 12.6;
    let rows: [(&str, String, bool, f32); 6] = [
        (l.number, card.number.to_string(), true, 7.5),
        (l.holder, card.holder_name.to_string(), true, 7.0),
        (l.national_id, card.holder_id.to_string(), false, 6.5),
        (
            l.kind,
            kind_label(card.kind, card.language).to_string(),
            false,
            6.5,
        ),
        (l.region, card.region.to_string(), false, 6.5),
        (
            l.valid_until,
            date_text(card.valid_until, card.language),
            true,
            7.0,
        ),
    ];
    // Rows that reach down beside the QR code stop short of it.
    let qr_top = h - 1.5 - 25.0;
    for (label, value, bold, size) in rows {
        let room = if y > qr_top {
            w - 1.5 - 25.0 - vx - 1.0
        } else {
            vw
        };
        pen.text((lx, y), 5.0, false, MUTED, label, 15.5);
        pen.text((vx, y), size, bold, INK, &value, room);
        y += 3.55;
    }

    // QR code, bottom right; the white card around it is its quiet zone.
    let qr_mm = 25.0;
    let (qx, qy) = (w - 1.5 - qr_mm, h - 1.5 - qr_mm);
    draw_qr(pen, qr, qx, qy, qr_mm);
    let scan_w = pen.width(l.scan, 4.5, false);
    pen.text(
        (qx + (qr_mm - scan_w) / 2.0, qy - 0.4),
        4.5,
        false,
        MUTED,
        l.scan,
        qr_mm,
    );

    // Area corners and supporters, bottom left.
    let text_w = qx - margin - 2.0;
    let mut y = 35.2;
    pen.text((margin, y), 5.0, false, MUTED, l.corners, text_w);
    y += 2.9;
    let corners: Vec<String> = if card.corners.len() > MAX_PRINTED_CORNERS {
        let mut shown: Vec<String> = card.corners[..MAX_PRINTED_CORNERS - 1]
            .iter()
            .map(|&(a, b)| corner_text(a, b))
            .collect();
        shown.push(format!(
            "+{} {}",
            card.corners.len() - (MAX_PRINTED_CORNERS - 1),
            l.more_corners
        ));
        shown
    } else if card.corners.is_empty() {
        vec![l.none.to_string()]
    } else {
        card.corners
            .iter()
            .map(|&(a, b)| corner_text(a, b))
            .collect()
    };
    let col_w = text_w / 3.0;
    for (i, c) in corners.iter().enumerate() {
        let (col, row) = (i % 3, i / 3);
        let last_wide = i == corners.len() - 1 && c.starts_with('+');
        let cw = if last_wide {
            text_w - col as f32 * col_w
        } else {
            col_w - 0.8
        };
        pen.text(
            (margin + col as f32 * col_w, y + row as f32 * 2.7),
            5.2,
            false,
            INK,
            c,
            cw,
        );
    }
    let rows = corners.len().div_ceil(3) as f32;
    y += rows * 2.7 + 1.2;
    let supporters = if card.supporters.is_empty() {
        l.none.to_string()
    } else {
        card.supporters.join(", ")
    };
    // French sets a space before the colon.
    let label = match card.language {
        CardLanguage::En => format!("{}:", l.supporters),
        CardLanguage::Fr => format!("{}\u{a0}:", l.supporters),
    };
    let lw = pen.width(&label, 5.0, false) + 1.0;
    pen.text((margin, y), 5.0, false, MUTED, &label, text_w);
    pen.text((margin + lw, y), 5.2, false, INK, &supporters, text_w - lw);
    Ok(())
}

fn draw_photo(pen: &mut Pen<'_, '_>, image: Image, x: f32, y: f32, w: f32, h: f32) {
    // Fit the whole photo inside the box, centred, keeping its proportions.
    let (iw, ih) = image.size();
    let scale = (w / iw.max(1) as f32).min(h / ih.max(1) as f32);
    let (dw, dh) = (iw as f32 * scale, ih as f32 * scale);
    let (dx, dy) = (x + (w - dw) / 2.0, y + (h - dh) / 2.0);
    if let Some(size) = Size::from_wh(dw * MM, dh * MM) {
        pen.s
            .push_transform(&Transform::from_translate(dx * MM, dy * MM));
        pen.s.draw_image(image, size);
        pen.s.pop();
    }
}

/// Dark modules as filled rectangles, one per horizontal run, so no hairline seams print.
fn draw_qr(pen: &mut Pen<'_, '_>, qr: &QrCode, x: f32, y: f32, side: f32) {
    let n = qr.width();
    let quiet = 3;
    let module = side / (n + 2 * quiet) as f32;
    let colours = qr.to_colors();
    let mut pb = PathBuilder::new();
    for row in 0..n {
        let mut col = 0;
        while col < n {
            if colours[row * n + col] == qrcode::Color::Dark {
                let start = col;
                while col < n && colours[row * n + col] == qrcode::Color::Dark {
                    col += 1;
                }
                let rx = x + (start + quiet) as f32 * module;
                let ry = y + (row + quiet) as f32 * module;
                if let Some(r) = Rect::from_xywh(
                    rx * MM,
                    ry * MM,
                    (col - start) as f32 * module * MM,
                    module * MM,
                ) {
                    pb.push_rect(r);
                }
            } else {
                col += 1;
            }
        }
    }
    if let Some(path) = pb.finish() {
        pen.s.set_fill(Some(fill((0, 0, 0))));
        pen.s.set_stroke(None);
        pen.s.draw_path(&path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_fonts_cover_french_labels() {
        for data in [REGULAR, BOLD] {
            let face = Face::new(data);
            for c in "Coordonnées du périmètre Région N° d'identité … ÉÈÀÇ".chars() {
                assert_ne!(face.glyph(c).0, 0, "{c:?} has no glyph");
            }
        }
    }

    #[test]
    fn dates_follow_the_language() {
        let d = NaiveDate::from_ymd_opt(2027, 1, 9).unwrap();
        assert_eq!(date_text(d, CardLanguage::En), "9 Jan 2027");
        assert_eq!(date_text(d, CardLanguage::Fr), "09/01/2027");
    }
}
