//! Every page in French at 1024×600 on demo data: each label's text fits its element (no text
//! wider than the element that shows it, none past the window's right edge), and a French word
//! from the catalogue is on screen. With `ALLUVIUM_SCREENSHOTS=DIR` the pictures are kept as
//! `fr-<page>-1024x600.png` (`docs/screenshots/`).

use alluvium::app::{App, SessionAdapter, SettingsAdapter};
use alluvium::demo::{self, DemoOptions};
use alluvium::i18n::Lang;
use alluvium::store::Store;
use chrono::NaiveDate;
use i_slint_backend_testing::{AccessibleRole, ElementHandle, ElementQuery};
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};
use slint::ComponentHandle;
use std::path::Path;

/// The font the software renderer finds here for the UI's default family.
const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
/// The smallest sizes translated text is drawn at: the navigation rail's links, and
/// `Theme.font-small` on the pages. A text measured at its smallest size in the regular weight
/// is at most as wide as it is drawn, so one found too wide is too wide.
const SMALLEST_RAIL_PX: f32 = 13.0;
const SMALLEST_PAGE_PX: f32 = 14.0;
/// The navigation rail's width (`ui/app.slint`): what starts in it must end in it.
const RAIL_PX: f32 = 170.0;

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

/// The width of `text` on one line at `px`, from the font's advances.
fn text_width(font: &skrifa::FontRef, text: &str, px: f32) -> f32 {
    let charmap = font.charmap();
    let metrics = font.glyph_metrics(Size::new(px), LocationRef::default());
    text.chars()
        .map(|c| {
            let glyph = charmap.map(c).unwrap_or_default();
            metrics.advance_width(glyph).unwrap_or(px * 0.5)
        })
        .sum()
}

/// Every label (a text of the catalogue) drawn on one line that is wider than its element, and
/// every text that runs past the window or out of the navigation rail. Record data (names,
/// numbers) may be elided with "…" by design, so only its position is checked.
fn clipped_texts(app: &App, font: &skrifa::FontRef, rail: bool) -> Vec<String> {
    let labels: std::collections::HashSet<&str> = alluvium::i18n::catalogue()
        .iter()
        .map(|(_, fr)| *fr)
        .collect();
    let window_width =
        app.window().window().size().width as f32 / app.window().window().scale_factor();
    // Taller than two lines of the smallest text: wrapped text, which fits its width by wrapping.
    let wrapped = SMALLEST_PAGE_PX * 1.164 * 2.2;
    // One line of the rail's text (its officer and pending lines wrap).
    let rail_line = SMALLEST_RAIL_PX * 1.164 * 1.6;
    let mut found = Vec::new();
    let texts = ElementQuery::from_root(app.window())
        .match_accessible_role(AccessibleRole::Text)
        .find_all();
    for e in texts {
        let Some(label) = e.accessible_label() else {
            continue;
        };
        if label.trim().is_empty() || e.computed_opacity() <= 0.0 {
            continue;
        }
        let size = e.size();
        let pos = e.absolute_position();
        if size.height >= wrapped || size.width <= 0.0 {
            continue;
        }
        let in_rail = rail && pos.x < RAIL_PX;
        let px = if in_rail {
            SMALLEST_RAIL_PX
        } else {
            SMALLEST_PAGE_PX
        };
        let needed = text_width(font, &label, px);
        if labels.contains(label.as_str()) && needed > size.width * 1.03 + 2.0 {
            found.push(format!(
                "«{label}» needs {needed:.0} px, has {:.0} px",
                size.width
            ));
        } else if pos.x + size.width > window_width + 1.0 {
            found.push(format!(
                "«{label}» runs past the window: {:.0}..{:.0} px",
                pos.x,
                pos.x + size.width
            ));
        } else if in_rail && size.height < rail_line && pos.x + needed > RAIL_PX + 1.0 {
            found.push(format!(
                "«{label}» runs out of the navigation rail: {:.0}..{:.0} px",
                pos.x,
                pos.x + needed
            ));
        }
    }
    found
}

fn tap_first(app: &App, label: &str, role: AccessibleRole) {
    app.window().window().take_snapshot().unwrap();
    if let Some(e) = ElementHandle::find_by_accessible_label(app.window(), label)
        .find(|e| e.accessible_role() == Some(role))
    {
        e.invoke_accessible_default_action();
    }
}

/// A date as French writes it: `27/11/2026`.
fn is_french_date(text: &str) -> bool {
    NaiveDate::parse_from_str(text, "%d/%m/%Y").is_ok()
}

/// What the pages build in Rust — statuses, list lines, messages beside fields, the checks'
/// messages, the dates in the forms — is in French too.
fn rust_side_in_french(app: &App) {
    use alluvium::app::{LicencesAdapter, ProductionAdapter, ReviewAdapter, SitesAdapter};
    use slint::Model;

    // Licences: the history's event words, its fee line and the form's dates.
    app.show_page(1);
    let number = app.with_store(|s| s.search_licences("", 1).unwrap()[0].number.clone());
    tap_first(app, &number, AccessibleRole::ListItem);
    let l = app.window().global::<LicencesAdapter>();
    let history = l.get_history();
    let kinds: Vec<String> = history.iter().map(|r| r.kind.to_string()).collect();
    assert!(kinds.iter().any(|k| k == "délivrée"), "{kinds:?}");
    assert!(history.iter().all(|r| is_french_date(&r.day)), "{kinds:?}");
    let fees = l.get_fees_text();
    assert!(
        fees.starts_with("Aucune redevance") || fees.contains("redevance"),
        "{fees}"
    );
    assert!(is_french_date(&l.get_issued_on()), "{}", l.get_issued_on());
    assert!(
        is_french_date(&l.get_expires_on()),
        "{}",
        l.get_expires_on()
    );

    // Sites: the position in French figures, the saved status, and a latitude that could be
    // read two ways refused beside its field rather than guessed.
    app.show_page(2);
    let site = app.with_store(|s| s.site_summaries().unwrap()[0].site.name.clone());
    tap_first(app, &site, AccessibleRole::ListItem);
    let s = app.window().global::<SitesAdapter>();
    assert!(
        s.get_lat().contains(',') && !s.get_lat().contains('.'),
        "{}",
        s.get_lat()
    );
    assert!(is_french_date(&s.get_opened_on()), "{}", s.get_opened_on());
    s.invoke_save();
    assert!(s.get_status().contains("enregistré"), "{}", s.get_status());
    s.set_lat("8.500".into());
    s.invoke_save();
    assert!(
        s.get_e_lat().contains("de deux façons"),
        "{}",
        s.get_e_lat()
    );
    assert!(
        s.get_status().starts_with("Non enregistré"),
        "{}",
        s.get_status()
    );
    s.invoke_cancel();

    // Production: the day is filled in as the French label asks (JJ/MM/AAAA).
    app.show_page(3);
    let p = app.window().global::<ProductionAdapter>();
    assert_eq!(p.get_day(), "27/11/2026");

    // Review: a check's message in French, its evidence as the checks write it.
    app.show_page(5);
    let r = app.window().global::<ReviewAdapter>();
    r.invoke_open(0);
    let detail = r.get_detail_text();
    let message = detail.lines().next().unwrap_or_default();
    let dated_in_french = message.split([' ', ',', '(', ')']).any(is_french_date);
    assert!(
        dated_in_french && !message.contains(" licence "),
        "{detail}"
    );

    // Settings: the lock time's status and its refusal.
    app.show_page(8);
    let settings = app.window().global::<SettingsAdapter>();
    settings.set_lock_minutes("20".into());
    settings.invoke_save_lock();
    assert_eq!(
        settings.get_lock_status(),
        "L'écran se verrouille après 20 minutes d'inactivité"
    );
    settings.set_lock_minutes("0".into());
    settings.invoke_save_lock();
    assert_eq!(
        settings.get_e_lock_minutes(),
        "Un nombre entier de minutes, de 1 à 240"
    );
}

#[test]
fn every_page_in_french_fits_at_1024x600() {
    slint::platform::set_platform(Box::new(i_slint_backend_testing::TestingBackend::new(
        i_slint_backend_testing::TestingBackendOptions {
            mock_time: true,
            threading: false,
            renderer_name: Some("software".into()),
        },
    )))
    .unwrap();
    let font_bytes = std::fs::read(FONT).expect("DejaVu Sans is installed (fonts-dejavu-core)");
    let font = skrifa::FontRef::new(&font_bytes).unwrap();
    let end = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let opts = DemoOptions {
        seed: 3,
        diggers: 300,
        days: 60,
        end,
        ..DemoOptions::default()
    };
    demo::load(&mut store, &demo::generate(&opts).unwrap(), end).unwrap();
    demo::make_demo_logins(&mut store).unwrap();
    // French as the Settings page stores it, so the app starts in French.
    store.set_setting("language", "fr").unwrap();
    let app = App::new(store).unwrap();
    app.set_today(end);
    app.window()
        .window()
        .set_size(slint::PhysicalSize::new(1024, 600));
    let out_dir = std::env::var_os("ALLUVIUM_SCREENSHOTS").map(std::path::PathBuf::from);
    if let Some(dir) = &out_dir {
        std::fs::create_dir_all(dir).unwrap();
    }
    let mut problems = Vec::new();
    let mut shoot = |app: &App, name: &str, french_word: &str, rail: bool| {
        let shot = app.window().window().take_snapshot().unwrap();
        assert_eq!((shot.width(), shot.height()), (1024, 600));
        if let Some(dir) = &out_dir {
            save_png(&dir.join(format!("fr-{name}-1024x600.png")), &shot);
        }
        let on_screen = ElementHandle::find_by_accessible_label(app.window(), french_word)
            .next()
            .is_some();
        assert!(on_screen, "{name}: «{french_word}» is not on screen");
        for p in clipped_texts(app, &font, rail) {
            problems.push(format!("{name}: {p}"));
        }
    };
    shoot(&app, "login", "Se connecter", false);
    let session = app.window().global::<SessionAdapter>();
    session.set_username("admin".into());
    session.set_password(demo::DEMO_PASSWORD.into());
    session.invoke_log_in();
    assert_eq!(session.get_gate(), 0, "{}", session.get_e_login());
    let pages = [
        ("diggers", "Chercher un exploitant"),
        ("licences", "Chercher une autorisation"),
        ("sites", "Chercher un chantier"),
        ("production", "Gravier lavé (m³)"),
        ("sync", "Synchro"),
        ("review", "Lancer les contrôles"),
        ("reports", "Calculer le rapport"),
        ("sales", "Chercher un bordereau"),
        ("settings", "Réglages"),
    ];
    for (i, (name, word)) in pages.iter().enumerate() {
        app.show_page(i as i32);
        match *name {
            "diggers" | "licences" | "sites" => {
                let first = app.with_store(|s| match *name {
                    "diggers" => s.search_diggers("", 0, 1).unwrap()[0]
                        .digger
                        .full_name
                        .clone(),
                    "licences" => s.search_licences("", 1).unwrap()[0].number.clone(),
                    _ => s.site_summaries().unwrap()[0].site.name.clone(),
                });
                tap_first(&app, &first, AccessibleRole::ListItem);
            }
            "review" => {
                let r = app.window().global::<alluvium::app::ReviewAdapter>();
                r.invoke_run_checks();
                r.invoke_open(0);
            }
            "reports" => app
                .window()
                .global::<alluvium::app::ReportsAdapter>()
                .invoke_compute(),
            "sales" => app
                .window()
                .global::<alluvium::app::SalesAdapter>()
                .invoke_open(0),
            _ => {}
        }
        shoot(&app, name, word, true);
    }
    rust_side_in_french(&app);
    // The choice on the Settings page reads French, as the officer left it; choosing English
    // there switches the window at once and is kept on the device.
    let settings = app.window().global::<SettingsAdapter>();
    assert_eq!(settings.get_language_index(), 1);
    settings.invoke_choose_language(0);
    assert!(
        ElementHandle::find_by_accessible_label(app.window(), "Settings")
            .next()
            .is_some(),
        "the window is in English again"
    );
    assert_eq!(
        app.with_store(|s| s.setting("language").unwrap()),
        Some("en".to_string())
    );
    assert_eq!(alluvium::i18n::current(), Lang::En);
    assert!(
        problems.is_empty(),
        "texts that do not fit:\n{}",
        problems.join("\n")
    );
}
