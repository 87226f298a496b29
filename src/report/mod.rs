//! Exports for GIS and documents. CSV lives in [`crate::interchange`] because import reads it
//! back; this module holds the formats that only go out.

mod geojson;

pub use geojson::export_geojson;
