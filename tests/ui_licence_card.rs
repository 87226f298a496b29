//! Licence cards in the real Slint UI, driven headless by accessible labels: "Print card" on
//! the Licences page and "Verify card" on the Diggers page.

use alluvium::app::{App, LicenceCardAdapter};
use alluvium::domain::card_statement::{CardStatement, area_hash};
use alluvium::domain::{Officer, OfficerId, Role};
use alluvium::store::Store;
use ed25519_dalek::SigningKey;
use i_slint_backend_testing::AccessibleRole;
use slint::ComponentHandle;
use test_kit::fixtures::{digger, licence, plot, today};

mod ui_kit;
use ui_kit::find;

const NUMBER: &str = "KONO/AM/2026/0042";

fn store() -> (Store, CardStatement) {
    let mut store = Store::open_in_memory().unwrap();
    let officer = Officer {
        id: OfficerId::new(),
        username: "officer".into(),
        full_name: "Isatu Bangura".into(),
        role: Role::LicensingOfficer,
        regions: vec!["SL-KONO".into()],
    };
    let holder = digger("SL-KONO", "SL-0042-KN", "Fatmata Kamara");
    let l = licence("SL-KONO", NUMBER, &holder);
    store
        .write(|w| {
            w.ensure_known_region("SL-KONO")?;
            w.put_digger(&holder)?;
            w.put_licence(&l)
        })
        .unwrap();
    alluvium::sync::add_local_officer(&mut store, &officer, "card officer password").unwrap();
    let statement = CardStatement {
        number: NUMBER.into(),
        holder_id: holder.national_id,
        holder_name: holder.full_name,
        valid_until: l.expires_on,
        area_hash: area_hash(&plot().corners()),
        device: uuid::Uuid::now_v7(),
    };
    (store, statement)
}

fn app(store: Store) -> App {
    let app = ui_kit::window(store);
    app.set_today(today());
    // Log in through the login screen, as the officer would.
    find(&app, "User name", &[AccessibleRole::TextInput]).set_accessible_value("officer");
    find(&app, "Password", &[AccessibleRole::TextInput])
        .set_accessible_value("card officer password");
    tap(&app, "Log in");
    app
}

fn tap(app: &App, label: &str) {
    find(
        app,
        label,
        &[AccessibleRole::Button, AccessibleRole::ListItem],
    )
    .invoke_accessible_default_action();
}

#[test]
fn print_card_on_the_licences_page_says_where_the_card_went_or_why_not() {
    let (store, _) = store();
    let app = app(store);
    let dir = tempfile::tempdir().unwrap();
    let a = app.window().global::<LicenceCardAdapter>();
    assert!(
        a.get_cards_dir().ends_with("alluvium-cards")
            || std::env::var_os("ALLUVIUM_CARDS_DIR").is_some(),
        "{}",
        a.get_cards_dir()
    );
    a.set_cards_dir(dir.path().display().to_string().into());
    app.show_page(1);
    tap(&app, NUMBER);
    tap(&app, "Print licence card");
    let status = a.get_print_status().to_string();
    let card = dir.path().join("KONO-AM-2026-0042.pdf");
    if a.get_print_is_error() {
        // A device without its own signing key cannot sign cards and says so.
        assert!(status.contains("signing key"), "{status}");
        assert!(!card.exists());
    } else {
        assert!(status.contains(&card.display().to_string()), "{status}");
        assert!(std::fs::read(&card).unwrap().starts_with(b"%PDF-"));
    }
}

#[test]
fn verify_card_on_the_diggers_page_reads_a_scanned_code() {
    let (store, statement) = store();
    let app = app(store);
    app.show_page(0);
    let a = app.window().global::<LicenceCardAdapter>();
    assert_eq!(a.get_verdict_kind(), 0);

    // A scanner types the code and Enter; here the text is set and the button tapped.
    let field = find(&app, "Verify card", &[AccessibleRole::TextInput]);
    field.set_accessible_value("not a card");
    tap(&app, "Verify card code");
    assert_eq!(a.get_verdict_kind(), 3);
    assert!(
        a.get_verdict_title().starts_with("Not a valid card code"),
        "{}",
        a.get_verdict_title()
    );

    // Well formed, signed by a device this one does not know: the particulars show, not valid.
    let code = statement.sign(&SigningKey::from_bytes(&[7; 32])).unwrap();
    field.set_accessible_value(&code);
    tap(&app, "Verify card code");
    assert_eq!(a.get_verdict_kind(), 3);
    assert!(
        a.get_verdict_title().contains("does not know"),
        "{}",
        a.get_verdict_title()
    );
    assert!(
        a.get_verdict_detail().contains(NUMBER)
            && a.get_verdict_detail().contains("Fatmata Kamara"),
        "{}",
        a.get_verdict_detail()
    );
    if let Some(dir) = std::env::var_os("ALLUVIUM_SCREENSHOTS") {
        save_png(
            &std::path::Path::new(&dir).join("diggers-verify-card.png"),
            &app.window().window().take_snapshot().unwrap(),
        );
    }
}

fn save_png(path: &std::path::Path, buf: &slint::SharedPixelBuffer<slint::Rgba8Pixel>) {
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), buf.width(), buf.height());
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header()
        .unwrap()
        .write_image_data(buf.as_bytes())
        .unwrap();
}
