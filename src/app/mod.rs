//! The Slint GUI. Rust talks to the window only through the adapter globals declared in
//! `ui/`: one `*_adapter.rs` per page maps between the page's properties and the library,
//! where every rule lives. Nothing here decides what is valid.

slint::include_modules!();

mod background;
mod context;
mod digger_list;
mod diggers_adapter;
mod enrol_form;
mod file_chooser;
mod forms;
mod gps_discovery;
mod gps_feed;
mod language;
mod licence_area;
mod licence_card_adapter;
mod licence_history_panel;
mod licences_adapter;
mod map_sketch;
mod photo_view;
mod production_adapter;
mod reports_adapter;
mod review_adapter;
mod sales_adapter;
mod session_adapter;
mod settings_adapter;
mod shell_adapter;
mod sites_adapter;
mod sync_adapter;

pub use map_sketch::{Sketch, sketch};

use crate::store::Store;
use anyhow::{Context as _, Result};
use chrono::NaiveDate;
use context::Ctx;
use slint::{ComponentHandle, Timer};
use std::rc::Rc;

/// The running application: the window wired to a store.
pub struct App {
    window: AppWindow,
    ctx: Rc<Ctx>,
    refresh: Rc<Vec<Box<dyn Fn()>>>,
    chooser: Rc<file_chooser::FileChooser>,
    _timers: (Timer, Timer, Rc<Timer>),
}

impl App {
    /// Builds the window on `store` and wires every page.
    pub fn new(store: Store) -> Result<App, slint::PlatformError> {
        let window = AppWindow::new()?;
        let ctx = Rc::new(Ctx::new(store));
        // Before any page is filled, so every text built in Rust is in the device's language.
        crate::i18n::set_current(language::chosen(&ctx));
        let (sync_refresh, sync_timer) = sync_adapter::connect(&window, ctx.clone());
        let (idle_timer, restart_idle) = session_adapter::idle_lock(&window, ctx.clone());
        let chooser = file_chooser::FileChooser::connect(&window);
        let refresh: Rc<Vec<Box<dyn Fn()>>> = Rc::new(vec![
            diggers_adapter::connect(&window, ctx.clone(), chooser.clone()),
            licences_adapter::connect(&window, ctx.clone()),
            sites_adapter::connect(&window, ctx.clone()),
            production_adapter::connect(&window, ctx.clone()),
            sync_refresh,
            review_adapter::connect(&window, ctx.clone()),
            reports_adapter::connect(&window, ctx.clone()),
            sales_adapter::connect(&window, ctx.clone()),
            settings_adapter::connect(&window, ctx.clone(), restart_idle),
        ]);
        licence_card_adapter::connect(&window, ctx.clone());
        let gps = gps_feed::start(&window, ctx.clone());
        shell_adapter::connect(&window, ctx.clone(), refresh.clone());
        session_adapter::connect(&window, ctx.clone(), refresh.clone());
        let redraw: Rc<dyn Fn()> = {
            let (weak, c, r) = (window.as_weak(), ctx.clone(), refresh.clone());
            Rc::new(move || {
                if let Some(w) = weak.upgrade() {
                    let page = w.global::<AppAdapter>().get_page();
                    shell_adapter::apply_role(&w, &c);
                    shell_adapter::show_page(&w, &c, &r, page);
                }
            })
        };
        language::connect(&window, ctx.clone(), redraw);
        Ok(App {
            window,
            ctx,
            refresh,
            chooser,
            _timers: (gps, sync_timer, idle_timer),
        })
    }

    /// The window, for showing it or driving it in tests.
    pub fn window(&self) -> &AppWindow {
        &self.window
    }

    /// Judges dates against `day` instead of the device's date (tests, demonstrations).
    pub fn set_today(&self, day: NaiveDate) {
        self.ctx.today.set(day);
        self.window
            .global::<ProductionAdapter>()
            .set_day(crate::i18n::dates::show(crate::i18n::current(), day).into());
        self.show_page(self.window.global::<AppAdapter>().get_page());
    }

    /// Shows and refreshes a page (0 diggers, 1 licences, 2 sites, 3 production, 4 sync,
    /// 5 review, 6 reports, 7 sales, 8 settings).
    pub fn show_page(&self, page: i32) {
        shell_adapter::show_page(&self.window, &self.ctx, &self.refresh, page);
    }

    /// Shows the app in `lang` for this session, as the Settings page's choice does without
    /// storing it (tests, screenshots).
    pub fn set_language(&self, lang: crate::i18n::Lang) {
        language::apply(&self.window, lang);
        self.show_page(self.window.global::<AppAdapter>().get_page());
    }

    /// Where the Settings page looks for GPS receivers: gpsd at `gpsd` (`HOST:PORT`, usually
    /// 127.0.0.1:2947) and serial devices in `dev_dir` (usually /dev). For tests.
    pub fn set_gps_discovery(&self, gpsd: &str, dev_dir: &std::path::Path) {
        *self.ctx.gps_discovery.borrow_mut() = gps_discovery::Discovery {
            gpsd: gpsd.to_string(),
            dev_dir: dev_dir.to_path_buf(),
        };
    }

    /// Makes the in-app file chooser open in `dir` instead of the pictures folder (tests).
    pub fn start_file_chooser_in(&self, dir: &std::path::Path) {
        self.chooser.start_in(dir);
    }

    /// Reads the store for a check after UI actions (tests).
    pub fn with_store<T>(&self, f: impl FnOnce(&Store) -> T) -> T {
        f(&self.ctx.store.borrow())
    }

    /// Changes the store behind the window, as a sync would (tests).
    pub fn with_store_mut<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        f(&mut self.ctx.store.borrow_mut())
    }
}

/// Opens the window on `store` and runs until it is closed.
///
/// With `ALLUVIUM_STARTUP_REPORT=1` the app measures itself instead: it prints one JSON line
/// with the time from process start to the first drawn frame and the resident memory after
/// three idle seconds, then quits (the GUI benchmark, see docs/BENCHMARKS.md).
pub fn run(store: Store, started: std::time::Instant) -> Result<()> {
    without_a_font_says_so(|| {
        let app = App::new(store).map_err(|e| {
            anyhow::anyhow!("cannot open a window ({e}); run under a display, or use the headless commands (alluvium --help)")
        })?;
        if std::env::var_os("ALLUVIUM_STARTUP_REPORT").is_some() {
            startup_report(&app, started);
        }
        app.window.run().context("the window closed with an error")
    })
}

/// Whether a display is there to open a window on (X11 or Wayland).
pub fn display_available() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()))
}

/// Runs the window; a machine without any font makes the text stack panic deep inside Slint
/// (fontconfig finds no match), which becomes one line saying what to install. Any other
/// panic goes on as a panic.
fn without_a_font_says_so(f: impl FnOnce() -> Result<()>) -> Result<()> {
    let quiet = std::panic::take_hook();
    let message = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let seen = message.clone();
    std::panic::set_hook(Box::new(move |info| {
        if let Ok(mut m) = seen.lock() {
            *m = info.to_string();
        }
    }));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(quiet);
    match outcome {
        Ok(result) => result,
        Err(panic) => {
            let text = message.lock().map(|m| m.clone()).unwrap_or_default();
            if text.contains("fontconfig") || text.contains("NoMatch") {
                anyhow::bail!(
                    "no font found on this machine: install one (e.g. `apt-get install fonts-dejavu-core`)"
                )
            }
            eprintln!("{text}");
            std::panic::resume_unwind(panic)
        }
    }
}

fn startup_report(app: &App, started: std::time::Instant) {
    use std::cell::Cell;
    let first_frame: Rc<Cell<Option<std::time::Duration>>> = Rc::new(Cell::new(None));
    let f = first_frame.clone();
    let notifier = app.window.window().set_rendering_notifier(move |state, _| {
        if matches!(state, slint::RenderingState::AfterRendering) && f.get().is_none() {
            f.set(Some(started.elapsed()));
        }
    });
    // The software renderer has no rendering notifier: the first idle turn of the event loop,
    // which comes after the first frame is presented, stands in for it.
    if notifier.is_err() {
        let f = first_frame.clone();
        slint::Timer::single_shot(std::time::Duration::ZERO, move || {
            if f.get().is_none() {
                f.set(Some(started.elapsed()));
            }
        });
    }
    slint::Timer::single_shot(std::time::Duration::from_secs(3), move || {
        let rss_kb = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            })
            .unwrap_or(0);
        let ms = first_frame.get().map_or(-1.0, |d| d.as_secs_f64() * 1000.0);
        println!(
            "{{\"first_frame_ms\": {ms:.1}, \"idle_rss_mb\": {:.1}}}",
            rss_kb as f64 / 1024.0
        );
        let _ = slint::quit_event_loop();
    });
}
