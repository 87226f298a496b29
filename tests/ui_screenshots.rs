//! Every page rendered headless with the software renderer, at 1024×600 and 1280×800, on demo
//! data: each must draw real content (not a blank or single-colour window). With
//! `ALLUVIUM_SCREENSHOTS=DIR` the PNGs are kept there (`docs/screenshots/` in the README).

use alluvium::app::{App, AppAdapter, SessionAdapter};
use alluvium::demo::{self, DemoOptions};
use alluvium::store::Store;
use chrono::NaiveDate;
use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use slint::ComponentHandle;
use std::collections::HashMap;
use std::path::Path;

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

/// In the page area (right of the navigation rail): the share of pixels that differ from the
/// most common colour, and how many colours there are.
fn content(buf: &slint::SharedPixelBuffer<slint::Rgba8Pixel>) -> (f64, usize) {
    let mut counts: HashMap<[u8; 4], usize> = HashMap::new();
    let width = buf.width() as usize;
    for (i, p) in buf.as_slice().iter().enumerate() {
        if i % width >= 180 {
            *counts.entry([p.r, p.g, p.b, p.a]).or_default() += 1;
        }
    }
    let top = counts.values().max().copied().unwrap_or(0);
    let total: usize = counts.values().sum();
    ((total - top) as f64 / total as f64, counts.len())
}

fn tap_first(app: &App, label: &str, role: AccessibleRole) {
    app.window().window().take_snapshot().unwrap();
    if let Some(e) = ElementHandle::find_by_accessible_label(app.window(), label)
        .find(|e| e.accessible_role() == Some(role))
    {
        e.invoke_accessible_default_action();
    }
}

#[test]
fn every_page_renders_real_content_at_both_sizes() {
    slint::platform::set_platform(Box::new(i_slint_backend_testing::TestingBackend::new(
        i_slint_backend_testing::TestingBackendOptions {
            mock_time: true,
            threading: false,
            renderer_name: Some("software".into()),
        },
    )))
    .unwrap();
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
    // The demo's accounts, as `alluvium --demo` makes them; the administrator sees every page.
    alluvium::demo::make_demo_logins(&mut store).unwrap();
    let app = App::new(store).unwrap();
    app.set_today(end);
    app.window()
        .window()
        .set_size(slint::PhysicalSize::new(1024, 600));
    let out_dir = std::env::var_os("ALLUVIUM_SCREENSHOTS").map(std::path::PathBuf::from);
    if let Some(dir) = &out_dir {
        std::fs::create_dir_all(dir).unwrap();
    }
    // The login screen of demo mode, then the administrator logs in.
    shoot(&app, out_dir.as_deref(), "login");
    let session = app.window().global::<SessionAdapter>();
    session.set_username("admin".into());
    session.set_password(alluvium::demo::DEMO_PASSWORD.into());
    session.invoke_log_in();
    assert_eq!(session.get_gate(), 0, "{}", session.get_e_login());
    let out = out_dir.clone();
    let pages = [
        "diggers",
        "licences",
        "sites",
        "production",
        "sync",
        "review",
        "reports",
        "sales",
        "settings",
    ];
    for (w, h) in [(1024u32, 600u32), (1280, 800)] {
        app.window()
            .window()
            .set_size(slint::PhysicalSize::new(w, h));
        for (i, name) in pages.iter().enumerate() {
            app.show_page(i as i32);
            // Open the first record so the form is on screen too.
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
                    app.window()
                        .global::<alluvium::app::ReviewAdapter>()
                        .invoke_run_checks();
                    app.window()
                        .global::<alluvium::app::ReviewAdapter>()
                        .invoke_open(0);
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
            assert_eq!(app.window().global::<AppAdapter>().get_page(), i as i32);
            let shot = app.window().window().take_snapshot().unwrap();
            assert_eq!((shot.width(), shot.height()), (w, h));
            let (share, colours) = content(&shot);
            assert!(
                share > 0.02 && colours > 40,
                "{name} at {w}×{h} looks blank: {share:.2} non-background, {colours} colours"
            );
            if let Some(dir) = &out {
                save_png(&dir.join(format!("{name}-{w}x{h}.png")), &shot);
            }
        }
    }
    // The lock screen after the idle time.
    app.window()
        .window()
        .set_size(slint::PhysicalSize::new(1024, 600));
    i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_secs(16 * 60));
    assert_eq!(session.get_gate(), 3, "locked");
    shoot(&app, out_dir.as_deref(), "locked");

    // The first-start screen of a device nobody has set up.
    let fresh = App::new(Store::open_in_memory().unwrap()).unwrap();
    fresh
        .window()
        .window()
        .set_size(slint::PhysicalSize::new(1024, 600));
    assert_eq!(fresh.window().global::<SessionAdapter>().get_gate(), 1);
    shoot(&fresh, out_dir.as_deref(), "first-start");
}

/// Takes a 1024×600 picture of `app`, checks it is not blank and saves it as `NAME-1024x600.png`
/// when screenshots are asked for.
fn shoot(app: &App, dir: Option<&Path>, name: &str) {
    let shot = app.window().window().take_snapshot().unwrap();
    assert_eq!((shot.width(), shot.height()), (1024, 600));
    let (share, colours) = content(&shot);
    assert!(
        share > 0.02 && colours > 40,
        "{name} looks blank: {share:.3}, {colours} colours"
    );
    if let Some(dir) = dir {
        save_png(&dir.join(format!("{name}-1024x600.png")), &shot);
    }
}
