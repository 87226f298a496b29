//! Exports for GIS and documents. CSV lives in [`crate::interchange`] because import reads it
//! back; this module holds the formats that only go out.

mod card_issue;
mod footprint_svg;
mod geojson;
mod gpkg;
pub mod licence_card;
mod slip;

pub use card_issue::{
    CardCheckError, CardIssueError, CardOptions, CardVerdict, IssuedCard, issue_card,
    supporter_names, verify_card,
};
pub use footprint_svg::footprint_svg;
pub use geojson::export_geojson;
pub use gpkg::{GpkgError, GpkgSummary, export_gpkg};
pub use slip::sale_slip_text;
