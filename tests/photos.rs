//! Photos on the device, through the `alluvium photo` commands on a real database file: a
//! picture is stored once under its SHA-256 however many records show it; a camera's turned
//! picture is stored upright with its time and GPS position kept; what is not a picture, or
//! too large to read, is refused in one line with nothing written.

use alluvium::store::Store;
use std::path::Path;
use test_kit::cli::{alluvium, ok, stderr_line};
use test_kit::fixtures::*;
use test_kit::pictures::{Exif, dimensions, gradient_jpeg, noise_jpeg, with_exif};

/// A database with a digger, their licence, a site and a day's production.
fn office(db: &Path) -> (String, String, String) {
    let mut store = Store::open(db).unwrap();
    let dg = digger("SL-KONO", "SL-900", "Isatu Kamara");
    let li = licence("SL-KONO", "KONO/AM/900", &dg);
    let si = site(&li, "Pit 900");
    let p = production(&si, "field_a", &[&dg]);
    store
        .write(|w| {
            w.put_region(&alluvium::domain::Region::known("SL-KONO").unwrap())?;
            w.put_digger(&dg)?;
            w.put_licence(&li)?;
            w.put_site(&si)?;
            w.add_production(&p)
        })
        .unwrap();
    (dg.id.to_string(), si.id.to_string(), p.id.to_string())
}

/// Files in the photo folder (pictures, thumbnails, anything half-written).
fn files_in(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                walk(&e.path(), out);
            } else {
                out.push(e.path().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

#[test]
fn one_picture_on_three_records_is_stored_once_and_listed_on_each() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("alluvium.db");
    let (digger_id, site_id, entry_id) = office(&db);
    let picture = noise_jpeg(800, 600, 7);
    let file = dir.path().join("parcel.jpg");
    std::fs::write(&file, &picture).unwrap();
    for (id, caption) in [
        (&digger_id, "Identity photo"),
        (&site_id, "The pit"),
        (&entry_id, "Parcel before sealing"),
    ] {
        let out = ok(
            &db,
            &[
                "photo",
                "add",
                "--record",
                id,
                "--file",
                file.to_str().unwrap(),
                "--caption",
                caption,
            ],
        );
        assert!(out.starts_with("added photo "), "{out}");
    }
    let sha = test_sha(&picture);
    // Stored once, byte for byte (a small upright JPEG is the camera's own file).
    let photos = dir.path().join("alluvium.db.photos");
    let pictures: Vec<String> = files_in(&photos)
        .into_iter()
        .filter(|f| !f.contains("thumbs"))
        .collect();
    assert_eq!(pictures.len(), 1, "{pictures:?}");
    assert!(pictures[0].ends_with(&sha));
    let listed: serde_json::Value = serde_json::from_str(&ok(
        &db,
        &["photo", "list", "--record", &entry_id, "--format", "json"],
    ))
    .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let item = &listed[0];
    assert_eq!(item["sha256"], sha.as_str());
    assert_eq!(item["bytes"], picture.len() as u64);
    assert_eq!(item["record_id"], entry_id.as_str());
    assert_eq!(item["caption"], "Parcel before sealing");
    // The thumbnail for lists was made.
    assert!(photos.join("thumbs").join(format!("{sha}.jpg")).is_file());
    // `get` writes the picture back byte-identical.
    let back = dir.path().join("back.jpg");
    ok(
        &db,
        &["photo", "get", &sha, "--out", back.to_str().unwrap()],
    );
    assert_eq!(std::fs::read(&back).unwrap(), picture);
    // Three photo records, each a change in the outbox.
    let store = Store::open(&db).unwrap();
    assert_eq!(store.photos().unwrap().len(), 3);
    assert_eq!(store.pictures_to_send().unwrap().len(), 1);
}

fn test_sha(bytes: &[u8]) -> String {
    alluvium::photo::sha256_hex(bytes)
}

#[test]
fn a_turned_camera_picture_is_stored_upright_with_its_time_and_place() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("alluvium.db");
    let (digger_id, _, _) = office(&db);
    // A 300×200 picture that the camera says to turn 90° clockwise (EXIF orientation 6),
    // taken at 8°38'24"N 10°58'12"W.
    let raw = with_exif(
        &gradient_jpeg(300, 200),
        &Exif {
            orientation: 6,
            taken: "2026:11:30 09:15:00",
            lat: (8, 38, 24, true),
            lon: (10, 58, 12, false),
        },
    );
    let file = dir.path().join("phone.jpg");
    std::fs::write(&file, &raw).unwrap();
    ok(
        &db,
        &[
            "photo",
            "add",
            "--record",
            &digger_id,
            "--file",
            file.to_str().unwrap(),
        ],
    );
    let store = Store::open(&db).unwrap();
    let photos = store.photos_of(digger_id.parse().unwrap()).unwrap();
    let p = &photos[0];
    assert_eq!((p.width, p.height), (200, 300), "turned upright");
    assert_eq!(
        p.taken_at.map(|t| t.to_rfc3339()),
        Some("2026-11-30T09:15:00+00:00".to_string())
    );
    let (lat, lon) = (p.lat.unwrap(), p.lon.unwrap());
    assert!((lat - 8.64).abs() < 1e-9, "{lat}");
    assert!((lon + 10.97).abs() < 1e-9, "{lon}");
    // The stored picture is the re-encoded upright one, named by its own hash.
    let files = alluvium::photo::PhotoFiles::of(&store).unwrap();
    let stored = files.read(&p.sha256).unwrap();
    assert_eq!(test_sha(&stored), p.sha256);
    assert_eq!(dimensions(&stored), (200, 300));
    assert_ne!(stored, raw);
}

#[test]
fn what_is_not_a_picture_or_too_large_is_refused_in_one_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("alluvium.db");
    let (digger_id, _, _) = office(&db);
    let before = Store::open(&db).unwrap().pending_changes().unwrap();
    let cases: [(&str, Vec<u8>, &str); 2] = [
        (
            "notes.pdf",
            b"%PDF-1.7 this is a scanned form".to_vec(),
            "the file is not a JPEG or PNG picture; choose a photo",
        ),
        (
            "huge.jpg",
            vec![0xFF; 26 * 1024 * 1024],
            "is 26.0 MB; pictures of up to 25 MB are read",
        ),
    ];
    for (name, bytes, says) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, &bytes).unwrap();
        let out = alluvium(
            &db,
            &[
                "photo",
                "add",
                "--record",
                &digger_id,
                "--file",
                file.to_str().unwrap(),
            ],
        );
        assert!(!out.status.success());
        let line = stderr_line(&out);
        assert!(line.contains(says), "{line}");
        assert_eq!(line.lines().count(), 1, "{line}");
    }
    // A record that takes no photos, or none at all.
    let out = alluvium(
        &db,
        &[
            "photo",
            "add",
            "--record",
            &uuid::Uuid::now_v7().to_string(),
            "--file",
            dir.path().join("notes.pdf").to_str().unwrap(),
        ],
    );
    assert!(stderr_line(&out).contains("no digger, licence, site, production entry or sale"));
    let store = Store::open(&db).unwrap();
    assert!(store.photos().unwrap().is_empty());
    assert_eq!(store.pending_changes().unwrap(), before);
    assert!(files_in(&dir.path().join("alluvium.db.photos")).is_empty());
}

#[test]
fn the_licence_card_carries_the_holder_s_photo() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("alluvium.db");
    let (digger_id, _, _) = office(&db);
    let card = dir.path().join("card.pdf");
    ok(
        &db,
        &[
            "licence",
            "card",
            "KONO/AM/900",
            "--out",
            card.to_str().unwrap(),
        ],
    );
    let without = std::fs::read(&card).unwrap().len();
    let file = dir.path().join("face.jpg");
    std::fs::write(&file, gradient_jpeg(300, 400)).unwrap();
    ok(
        &db,
        &[
            "photo",
            "add",
            "--record",
            &digger_id,
            "--file",
            file.to_str().unwrap(),
        ],
    );
    ok(
        &db,
        &[
            "licence",
            "card",
            "KONO/AM/900",
            "--out",
            card.to_str().unwrap(),
        ],
    );
    // The card's PDF compresses its objects, so the photo shows as the picture's bytes: the
    // same card with the photo is larger by about the JPEG it embeds.
    let with = std::fs::read(&card).unwrap().len();
    eprintln!("card {without} bytes without the photo, {with} with it");
    assert!(with > without + 2_000, "{without} → {with}");
}
