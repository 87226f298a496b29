//! The CSV interchange of the command-line contract: the columns of each entity, export, and
//! all-or-nothing import. What `export --format csv` writes, `import` reads back unchanged.

mod columns;
mod export;
mod import;
mod parser;

pub use columns::{Record, file_name, header};
pub use export::{export_csv, properties_of, records_of};
pub use import::{ImportError, ImportSummary, import_csv};
