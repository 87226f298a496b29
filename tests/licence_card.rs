//! Licence cards end to end on a real store: issued and signed, printed to PDF, rendered to PNG
//! with poppler's `pdftoppm` (as a printer driver would), the QR code read back from the pixels
//! with `rqrr`, and the code verified offline. With `ALLUVIUM_SCREENSHOTS=DIR` the rendered
//! cards are kept there (`docs/screenshots/` in the README).

use alluvium::domain::LicenceStatus;
use alluvium::domain::card_statement::CardKeys;
use alluvium::report::licence_card::CardLanguage;
use alluvium::report::{CardIssueError, CardOptions, issue_card, verify_card};
use alluvium::store::Store;
use ed25519_dalek::{SigningKey, VerifyingKey};
use std::collections::HashMap;
use std::convert::Infallible;
use std::path::Path;
use std::process::Command;
use test_kit::fixtures::{digger, licence, today};
use uuid::Uuid;

/// Keys held in memory: this device's own, and the public keys of the devices it knows.
struct TestKeys {
    me: Option<(Uuid, SigningKey)>,
    known: HashMap<Uuid, VerifyingKey>,
}

impl TestKeys {
    fn with_own(seed: u8) -> TestKeys {
        let key = SigningKey::from_bytes(&[seed; 32]);
        let me = Uuid::now_v7();
        TestKeys {
            known: HashMap::from([(me, key.verifying_key())]),
            me: Some((me, key)),
        }
    }
}

impl CardKeys for TestKeys {
    type Error = Infallible;
    fn signer(&self) -> Result<Option<(Uuid, SigningKey)>, Infallible> {
        Ok(self.me.clone())
    }
    fn verifying_key(&self, device: Uuid) -> Result<Option<VerifyingKey>, Infallible> {
        Ok(self.known.get(&device).copied())
    }
}

const NUMBER: &str = "KONO/AM/2026/0042";

fn store_with_licence() -> Store {
    let mut store = Store::open_in_memory().unwrap();
    let holder = digger("SL-KONO", "SL-0042-KN", "Fatmata Kamara-Sésay");
    let l = licence("SL-KONO", NUMBER, &holder);
    store
        .write(|w| {
            w.ensure_known_region("SL-KONO")?;
            w.put_digger(&holder)?;
            w.put_licence(&l)
        })
        .unwrap();
    store
}

fn supporters() -> Vec<String> {
    vec!["Koidu Mining Cooperative".into(), "Ibrahim Conteh".into()]
}

/// Renders page 1 of `pdf` at `dpi` with pdftoppm; returns the PNG's path.
fn render(pdf: &[u8], dir: &Path, name: &str, dpi: u32) -> std::path::PathBuf {
    let pdf_path = dir.join(format!("{name}.pdf"));
    std::fs::write(&pdf_path, pdf).unwrap();
    let stem = dir.join(name);
    let out = Command::new("pdftoppm")
        .args(["-png", "-singlefile", "-r", &dpi.to_string()])
        .arg(&pdf_path)
        .arg(&stem)
        .output()
        .expect("pdftoppm runs (Debian package poppler-utils; `cargo xtask test` installs it)");
    assert!(
        out.status.success(),
        "pdftoppm: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stem.with_extension("png")
}

/// Every QR code rqrr finds in the PNG, decoded.
fn read_qr(png_path: &Path) -> Vec<String> {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        let p = &buf[(y * w + x) * channels..];
        if channels >= 3 {
            ((u16::from(p[0]) + u16::from(p[1]) + u16::from(p[2])) / 3) as u8
        } else {
            p[0]
        }
    });
    img.detect_grids()
        .iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect()
}

#[test]
fn a_printed_card_scans_back_to_a_code_that_verifies_and_any_altered_character_fails() {
    let store = store_with_licence();
    let keys = TestKeys::with_own(7);
    let dir = tempfile::tempdir().unwrap();
    let keep = std::env::var_os("ALLUVIUM_SCREENSHOTS").map(std::path::PathBuf::from);
    for (language, name) in [
        (CardLanguage::En, "licence-card-en"),
        (CardLanguage::Fr, "licence-card-fr"),
    ] {
        let sup = supporters();
        let card = issue_card(
            &store,
            &keys,
            NUMBER,
            CardOptions {
                language,
                supporters: &sup,
                photo: None,
            },
        )
        .unwrap();
        assert!(card.pdf.starts_with(b"%PDF-"));
        // 300 dpi: what an office printer gives, and what a phone camera sees at best.
        let png = render(&card.pdf, dir.path(), name, 300);
        let codes = read_qr(&png);
        assert_eq!(codes, vec![card.statement.clone()], "{name}: QR read back");
        if let Some(keep) = &keep {
            std::fs::create_dir_all(keep).unwrap();
            let shot = render(&card.pdf, keep, name, 200);
            std::fs::remove_file(keep.join(format!("{name}.pdf"))).unwrap();
            assert!(shot.exists());
        }

        let verdict = verify_card(&store, &keys, &codes[0], today()).unwrap();
        assert!(verdict.valid, "{verdict:?}");
        assert_eq!(verdict.number, NUMBER);
        assert_eq!(verdict.holder, "Fatmata Kamara-Sésay");
        assert_eq!(verdict.holder_id, "SL-0042-KN");
        assert_eq!(verdict.standing_today.as_deref(), Some("active"));
        assert_eq!(verdict.area_matches, Some(true));
        assert_eq!(verdict.signed_by, keys.me.as_ref().unwrap().0);

        // One altered character: either not a card code at all, or not valid.
        let mut altered = codes[0].clone();
        let i = altered.len() / 2;
        let c = if &altered[i..=i] == "A" { "B" } else { "A" };
        altered.replace_range(i..=i, c);
        match verify_card(&store, &keys, &altered, today()) {
            Ok(v) => assert!(!v.valid, "altered code verified: {v:?}"),
            Err(e) => assert!(e.to_string().contains("card code"), "{e}"),
        }
    }
}

#[test]
fn a_card_whose_licence_was_suspended_since_is_authentic_but_shows_it() {
    let mut store = store_with_licence();
    let keys = TestKeys::with_own(3);
    let card = issue_card(&store, &keys, NUMBER, CardOptions::default()).unwrap();
    let mut l = store.licence_by_number(NUMBER).unwrap().unwrap();
    l.status = LicenceStatus::Suspended;
    store.write(|w| w.put_licence(&l)).unwrap();
    let verdict = verify_card(&store, &keys, &card.statement, today()).unwrap();
    assert!(verdict.valid);
    assert_eq!(verdict.standing_today.as_deref(), Some("suspended"));
    // Another device that does not know the key cannot vouch for the card.
    let stranger = TestKeys::with_own(4);
    let verdict = verify_card(&store, &stranger, &card.statement, today()).unwrap();
    assert!(!verdict.valid);
    assert!(verdict.reason.unwrap().contains("does not know"));
    // A device that knows another key under the signer's id: a forgery.
    let mut liar = TestKeys::with_own(5);
    liar.known.insert(
        keys.me.as_ref().unwrap().0,
        SigningKey::from_bytes(&[9; 32]).verifying_key(),
    );
    let verdict = verify_card(&store, &liar, &card.statement, today()).unwrap();
    assert!(!verdict.valid);
    assert!(verdict.reason.unwrap().contains("altered"));
}

#[test]
fn a_card_for_an_unknown_licence_or_without_a_key_is_refused_with_a_reason() {
    let store = store_with_licence();
    let err = issue_card(
        &store,
        &TestKeys::with_own(1),
        "NO/SUCH/1",
        CardOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, CardIssueError::UnknownLicence(_)), "{err}");
    let keyless = TestKeys {
        me: None,
        known: HashMap::new(),
    };
    let err = issue_card(&store, &keyless, NUMBER, CardOptions::default()).unwrap_err();
    assert!(matches!(err, CardIssueError::NoSigningKey), "{err}");
    assert!(!err.to_string().contains('\n'));
}

#[test]
fn a_photo_is_placed_and_a_non_image_is_refused() {
    let store = store_with_licence();
    let keys = TestKeys::with_own(2);
    // A 2×3 PNG, made here so the test needs no file.
    let mut png_bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png_bytes, 2, 3);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header()
            .unwrap()
            .write_image_data(&[200u8; 2 * 3 * 3])
            .unwrap();
    }
    let with_photo = issue_card(
        &store,
        &keys,
        NUMBER,
        CardOptions {
            photo: Some(&png_bytes),
            ..CardOptions::default()
        },
    )
    .unwrap();
    let without = issue_card(&store, &keys, NUMBER, CardOptions::default()).unwrap();
    let has_image = |pdf: &[u8]| pdf.windows(14).any(|w| w == b"/Subtype/Image");
    assert!(has_image(&with_photo.pdf));
    assert!(!has_image(&without.pdf));
    let err = issue_card(
        &store,
        &keys,
        NUMBER,
        CardOptions {
            photo: Some(b"GIF89a not a photo"),
            ..CardOptions::default()
        },
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("neither a JPEG nor a PNG"),
        "{err}"
    );
}
