//! Alluvium: the field-data collector for artisanal alluvial diamond production.
//!
//! Everything here except `app` builds without the `gui` feature, so the sync server can use
//! the same domain rules and wire types without compiling Slint.

pub mod analytics;
#[cfg(feature = "gui")]
pub mod app;
pub mod cli;
pub mod demo;
pub mod domain;
pub mod gps;
pub mod i18n;
pub mod interchange;
pub mod photo;
pub mod report;
pub mod store;
pub mod sync;
