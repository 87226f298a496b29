//! The Slint GUI: glue between the window and the library, through adapter globals.

slint::include_modules!();

use crate::store::Store;
use anyhow::{Context, Result};

/// Opens the window on `store` and runs until it is closed.
pub fn run(store: Store) -> Result<()> {
    let ui = AppWindow::new().map_err(|e| anyhow::anyhow!(
        "cannot open a window ({e}); run under a display, or use the headless commands (alluvium --help)"
    ))?;
    let stats = store.stats()?.total;
    let overview = ui.global::<OverviewAdapter>();
    overview.set_database(
        store
            .path()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
            .into(),
    );
    overview.set_summary(
        format!(
            "{} diggers · {} licences · {} sites · {} production entries · {} stones · {} changes waiting to sync",
            stats.diggers, stats.licences, stats.sites, stats.production, stats.stones, stats.pending_changes
        )
        .into(),
    );
    ui.run().context("the window closed with an error")
}
