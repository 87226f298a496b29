//! The Slint GUI. Rust talks to the window only through the adapter globals declared in
//! `ui/`: one `*_adapter.rs` per page maps between the page's properties and the library,
//! where every rule lives. Nothing here decides what is valid.

slint::include_modules!();

mod context;
mod digger_list;
mod diggers_adapter;
mod forms;
mod gps_feed;
mod licences_adapter;
mod map_sketch;
mod production_adapter;
mod shell_adapter;
mod sites_adapter;
mod sync_adapter;

pub use map_sketch::{Sketch, sketch};

use crate::store::Store;
use anyhow::{Context as _, Result};
use chrono::NaiveDate;
use context::Ctx;
use slint::{ComponentHandle, Timer};
use std::cell::RefCell;
use std::rc::Rc;

/// The running application: the window wired to a store.
pub struct App {
    window: AppWindow,
    ctx: Rc<Ctx>,
    refresh: Rc<Vec<Box<dyn Fn()>>>,
    _timers: (Option<Timer>, Rc<RefCell<Option<Timer>>>),
}

impl App {
    /// Builds the window on `store` and wires every page.
    pub fn new(store: Store) -> Result<App, slint::PlatformError> {
        let window = AppWindow::new()?;
        let ctx = Rc::new(Ctx::new(store));
        let refresh: Rc<Vec<Box<dyn Fn()>>> = Rc::new(vec![
            diggers_adapter::connect(&window, ctx.clone()),
            licences_adapter::connect(&window, ctx.clone()),
            sites_adapter::connect(&window, ctx.clone()),
            production_adapter::connect(&window, ctx.clone()),
            sync_adapter::connect(&window, ctx.clone()),
        ]);
        let gps = gps_feed::start(&window, ctx.clone());
        let demo = shell_adapter::connect(&window, ctx.clone(), refresh.clone());
        Ok(App {
            window,
            ctx,
            refresh,
            _timers: (gps, demo),
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
            .set_day(day.to_string().into());
        self.show_page(self.window.global::<AppAdapter>().get_page());
    }

    /// Shows and refreshes a page (0 diggers, 1 licences, 2 sites, 3 production, 4 sync).
    pub fn show_page(&self, page: i32) {
        shell_adapter::show_page(&self.window, &self.ctx, &self.refresh, page);
    }

    /// Reads the store for a check after UI actions (tests).
    pub fn with_store<T>(&self, f: impl FnOnce(&Store) -> T) -> T {
        f(&self.ctx.store.borrow())
    }
}

/// Opens the window on `store` and runs until it is closed.
pub fn run(store: Store) -> Result<()> {
    let app = App::new(store).map_err(|e| {
        anyhow::anyhow!("cannot open a window ({e}); run under a display, or use the headless commands (alluvium --help)")
    })?;
    app.window.run().context("the window closed with an error")
}
