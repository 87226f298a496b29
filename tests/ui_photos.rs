//! Photos in the real Slint UI, driven headless by accessible labels: a digger's photo added
//! through the in-app file chooser on the Diggers page (and a file that is no picture refused
//! beside the button, with nothing written), and an entry's photos beside its flags on the
//! Review page. With `ALLUVIUM_SCREENSHOTS=DIR` the two pages are saved there as PNGs.

use alluvium::app::{App, DiggersAdapter, FileChooserAdapter, ReviewAdapter};
use alluvium::demo::{self, DemoOptions};
use alluvium::store::Store;
use chrono::NaiveDate;
use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use slint::{ComponentHandle, Model};
use std::path::Path;

mod ui_kit;
use ui_kit::{find, log_in, tap, type_into};

const END: (i32, u32, u32) = (2026, 11, 27);

fn end() -> NaiveDate {
    NaiveDate::from_ymd_opt(END.0, END.1, END.2).unwrap()
}

/// A database file (photos live in a folder beside it) with a little demo data and the demo's
/// logins.
fn file_store(dir: &Path) -> Store {
    let mut store = Store::open(&dir.join("alluvium.db")).unwrap();
    let opts = DemoOptions {
        seed: 5,
        diggers: 40,
        days: 12,
        end: end(),
        regions: vec!["SL-KONO".into()],
    };
    demo::load(&mut store, &demo::generate(&opts).unwrap(), end()).unwrap();
    demo::make_demo_logins(&mut store).unwrap();
    store
}

/// A 400×300 colour gradient saved as a JPEG at `path`.
fn write_jpeg(path: &Path, tint: u8) {
    let img = image::RgbImage::from_fn(400, 300, |x, y| {
        image::Rgb([(x * 255 / 400) as u8, (y * 255 / 300) as u8, tint])
    });
    img.save_with_format(path, image::ImageFormat::Jpeg)
        .unwrap();
}

fn save_png(path: &Path, buf: &slint::SharedPixelBuffer<slint::Rgba8Pixel>) {
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), buf.width(), buf.height());
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header()
        .unwrap()
        .write_image_data(buf.as_bytes())
        .unwrap();
}

/// Saves the window as `name` when `ALLUVIUM_SCREENSHOTS` says where.
fn shoot(app: &App, name: &str) {
    // Mock time stands still: let the style's colour transitions (a button just enabled) end.
    i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_millis(500));
    let shot = app.window().window().take_snapshot().unwrap();
    assert_eq!((shot.width(), shot.height()), (1024, 600));
    if let Some(dir) = std::env::var_os("ALLUVIUM_SCREENSHOTS") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        save_png(&dir.join(format!("{name}-1024x600.png")), &shot);
    }
}

fn tap_item(app: &App, label: &str) {
    find(app, label, &[AccessibleRole::ListItem]).invoke_accessible_default_action();
}

fn app_on(store: Store) -> App {
    let app = ui_kit::window(store);
    app.set_today(end());
    log_in(&app, "admin", demo::DEMO_PASSWORD);
    app
}

#[test]
fn a_photo_chosen_in_the_file_chooser_goes_on_the_digger_and_a_non_picture_is_refused() {
    let db = tempfile::tempdir().unwrap();
    let store = file_store(db.path());
    let digger = store.search_diggers("", 0, 1).unwrap().remove(0).digger;
    let app = app_on(store);
    // The officer's pictures: a photo, and a text file that merely ends in .jpg.
    let home = tempfile::tempdir().unwrap();
    let pictures = home.path().join("Pictures");
    std::fs::create_dir(&pictures).unwrap();
    write_jpeg(&pictures.join("face.jpg"), 160);
    std::fs::write(pictures.join("notes.jpg"), b"not a picture at all").unwrap();
    std::fs::write(pictures.join("list.txt"), b"left out").unwrap();
    app.start_file_chooser_in(home.path());

    app.show_page(0);
    tap_item(&app, &digger.full_name);
    let d = app.window().global::<DiggersAdapter>();
    assert!(d.get_shows_photo() && !d.get_has_photo());
    assert_eq!(d.get_photo_frame_text(), "No photo");
    find(&app, "No photo", &[AccessibleRole::Text]);

    tap(&app, "Add photo");
    let fc = app.window().global::<FileChooserAdapter>();
    assert!(fc.get_shown());
    assert_eq!(fc.get_folder(), home.path().display().to_string());
    // Into the folder, up again, and back in: folders open, the parent is one tap away.
    tap_item(&app, "Pictures");
    assert_eq!(fc.get_folder(), pictures.display().to_string());
    let names: Vec<String> = fc.get_entries().iter().map(|e| e.name.into()).collect();
    assert_eq!(names, ["face.jpg", "notes.jpg"], "pictures only, by name");
    tap_item(&app, "Up");
    assert_eq!(fc.get_folder(), home.path().display().to_string());
    tap_item(&app, "Pictures");
    let choose =
        |app: &App| find(app, "Choose file", &[AccessibleRole::Button]).accessible_enabled();
    assert_eq!(choose(&app), Some(false), "nothing chosen yet");
    tap_item(&app, "face.jpg");
    assert_eq!(fc.get_selected(), 0);
    assert_eq!(choose(&app), Some(true));
    type_into(&app, "Caption", "Face, at enrolment");
    shoot(&app, "file-chooser");
    tap(&app, "Choose file");

    assert!(!fc.get_shown());
    let photos = app.with_store(|s| s.photos_of(digger.id.0).unwrap());
    assert_eq!(photos.len(), 1);
    assert_eq!(photos[0].caption, "Face, at enrolment");
    assert_eq!((photos[0].width, photos[0].height), (400, 300));
    assert!(d.get_has_photo(), "{}", d.get_photo_error());
    assert_eq!(d.get_photo_error(), "");
    assert_eq!(d.get_status(), "Photo added");
    find(&app, "Digger's photo", &[AccessibleRole::Image]);
    find(&app, "Face, at enrolment", &[AccessibleRole::Text]);

    // A file that is no picture: refused beside the button, in red; nothing written.
    tap(&app, "Add photo");
    assert_eq!(fc.get_folder(), home.path().display().to_string());
    tap_item(&app, "Pictures");
    tap_item(&app, "notes.jpg");
    tap(&app, "Choose file");
    assert_eq!(
        d.get_photo_error(),
        "The file is not a JPEG or PNG picture; choose a photo"
    );
    find(
        &app,
        "Photo: The file is not a JPEG or PNG picture; choose a photo",
        &[AccessibleRole::Text],
    );
    assert_eq!(
        app.with_store(|s| s.photos_of(digger.id.0).unwrap().len()),
        1
    );
    assert!(d.get_has_photo(), "the photo added before is still shown");
    shoot(&app, "diggers-photo");

    // Cancel closes the chooser and changes nothing.
    tap(&app, "Add photo");
    tap(&app, "Cancel file choice");
    assert!(!fc.get_shown());
    assert_eq!(
        app.with_store(|s| s.photos_of(digger.id.0).unwrap().len()),
        1
    );
}

#[test]
fn the_review_page_shows_the_flagged_entrys_photos_as_thumbnails() {
    let db = tempfile::tempdir().unwrap();
    let mut store = file_store(db.path());
    // A special stone (≥ 10.8 ct) is always flagged, so its day's entry is on the queue.
    let entry = store.production_entries().unwrap().remove(0);
    let stone = alluvium::domain::Stone {
        id: alluvium::domain::StoneId::new(),
        production_id: entry.id,
        weight: alluvium::domain::Centicarats(1250),
        class: alluvium::domain::StoneClass::Gem,
        colour: "white".into(),
        count: 1,
        sieve: None,
    };
    store.write(|w| w.add_stone(&stone)).unwrap();
    let officer = store.officers().unwrap().remove(0).id;
    let pics = tempfile::tempdir().unwrap();
    for (i, caption) in ["Parcel on the scale", "Washing pit"].iter().enumerate() {
        let path = pics.path().join(format!("{i}.jpg"));
        write_jpeg(&path, 40 + 120 * i as u8);
        let raw = std::fs::read(&path).unwrap();
        alluvium::photo::add_to_record(&mut store, entry.id.0, &raw, caption, officer).unwrap();
    }
    let app = app_on(store);
    app.show_page(5);
    tap(&app, "Run checks");
    let r = app.window().global::<ReviewAdapter>();
    ui_kit::wait_for(&app, "the checks", |_| !r.get_busy());
    let rows = r.get_rows().row_count();
    assert!(rows > 0, "{}", r.get_status());
    let with_photos = (0..rows as i32).find(|&i| {
        r.invoke_open(i);
        r.get_photos().row_count() > 0
    });
    let Some(row) = with_photos else {
        panic!("no flag of the entry shows its photos");
    };
    let photos = r.get_photos();
    assert_eq!(photos.row_count(), 2);
    // Newest first, each with its thumbnail and caption.
    let captions: Vec<String> = photos.iter().map(|p| p.caption.into()).collect();
    assert_eq!(captions, ["Washing pit", "Parcel on the scale"]);
    assert!(photos.iter().all(|p| p.here));
    assert_eq!(r.get_photos_text(), "Photos (2)");
    ui_kit::settle(&app);
    let thumbs = ElementHandle::find_by_accessible_label(app.window(), "Photo: Washing pit")
        .filter(|e| e.accessible_role() == Some(AccessibleRole::Image))
        .count();
    assert_eq!(thumbs, 1);
    // Shown scrolled to the flag, as the coordinator would have tapped it.
    assert_eq!(r.get_selected(), row);
    shoot(&app, "review-photos");
}

#[test]
fn the_licence_card_printed_from_the_app_carries_the_holders_photo() {
    let db = tempfile::tempdir().unwrap();
    let store = file_store(db.path());
    let licence = store
        .licences()
        .unwrap()
        .into_iter()
        .find(|l| l.holder_digger_id.is_some())
        .expect("a digger's licence");
    let app = app_on(store);
    let a = app.window().global::<alluvium::app::LicenceCardAdapter>();
    let cards = tempfile::tempdir().unwrap();
    a.set_cards_dir(cards.path().display().to_string().into());
    let print = || {
        a.invoke_print_card(licence.number.clone().into());
        assert!(!a.get_print_is_error(), "{}", a.get_print_status());
        let pdf = std::fs::read_dir(cards.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "pdf"))
            .unwrap();
        let bytes = std::fs::read(&pdf).unwrap();
        std::fs::remove_file(pdf).unwrap();
        let images = bytes.windows(6).filter(|w| w == b"/Image").count();
        (images, bytes.len())
    };
    // No photo yet: the card has its framed box.
    let (images_before, len_before) = print();
    let pics = tempfile::tempdir().unwrap();
    let path = pics.path().join("face.jpg");
    write_jpeg(&path, 90);
    let officer = app.with_store(|s| s.officers().unwrap().remove(0).id);
    let raw = std::fs::read(&path).unwrap();
    let holder = licence.holder_digger_id.unwrap();
    app.with_store_mut(|s| {
        alluvium::photo::add_to_record(s, holder.0, &raw, "Face", officer).unwrap();
    });
    // The holder's photo is on the card: one more image, and its pixels.
    let (images_after, len_after) = print();
    assert!(
        images_after > images_before && len_after > len_before + 2000,
        "{images_before} images in {len_before} bytes, then {images_after} in {len_after}"
    );
}

#[test]
fn a_coordinator_sees_a_synced_photo_not_yet_here_and_no_add_photo_button() {
    let db = tempfile::tempdir().unwrap();
    let mut store = file_store(db.path());
    let digger = store.search_diggers("", 0, 1).unwrap().remove(0).digger;
    // A photo synced from another device, whose picture has not been fetched yet.
    let photo = alluvium::domain::Photo {
        id: alluvium::domain::PhotoId::new(),
        target_entity: alluvium::domain::RecordKind::Digger,
        target_id: digger.id.0,
        sha256: "ab".repeat(32),
        bytes: 120_000,
        width: 400,
        height: 300,
        caption: "Taken at the licensing office".into(),
        taken_at: None,
        lat: None,
        lon: None,
        added_by: store.officers().unwrap().remove(0).id,
        at: chrono::Utc::now(),
    };
    store.write(|w| w.add_photo(&photo)).unwrap();
    let app = ui_kit::window(store);
    app.set_today(end());
    log_in(&app, "coordinator", demo::DEMO_PASSWORD);
    app.show_page(0);
    tap_item(&app, &digger.full_name);
    let d = app.window().global::<DiggersAdapter>();
    assert!(d.get_shows_photo());
    assert!(!d.get_can_add_photo());
    assert!(!d.get_has_photo());
    assert_eq!(
        d.get_photo_frame_text(),
        "photo not on this device yet — sync"
    );
    find(
        &app,
        "Taken at the licensing office",
        &[AccessibleRole::Text],
    );
    ui_kit::settle(&app);
    assert!(
        ElementHandle::find_by_accessible_label(app.window(), "Add photo")
            .next()
            .is_none()
    );
}
