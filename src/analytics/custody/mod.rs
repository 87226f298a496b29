//! The chain of custody (DOMAIN.md §2, §4, §6.4–6.5): mass-balance checks over the sale slips,
//! the buyer's licence on the sale day, tracing an export back to production, and the KP trade
//! statistics of exports.
//!
//! - `chain`: the slips and production indexed for walking; where a slip's goods came from.
//! - `balance`: per-licence mass balance, first sales without production, unlicensed buyers.
//! - `export_origin`: an export's declared stones per carat against its traced origin.
//! - `trade`: the KP trade statistics of exports and imports, from what their certificates
//!   declare (no tracing: it reads the exports and imports alone).
//!
//! The checks and the slip's origin walk the same `Chain`.

mod balance;
mod chain;
mod export_origin;
mod trade;

pub(super) use balance::custody_checks;
pub use chain::{Chain, HS_GEM, HS_INDUSTRIAL, HS_UNSORTED, Origin};
pub(super) use export_origin::export_footprints;
pub use trade::{HS_UNDECLARED, TradeReport, TradeRow, TradeSlip, kp_trade};
