//! Analytics for coordinators and KP focal points (DOMAIN.md §4–§7): KP production statistics,
//! size-frequency footprints, parcel-versus-reference comparison and anomaly checks.
//!
//! Everything here is a pure function over domain types and the small fact structs below, so
//! the CLI, the GUI's Review and Reports pages and the benchmarks compute the same numbers.
//! The store feeds these functions (`Store::stone_facts`, `Store::stone_tallies`,
//! `Store::check_data`); nothing in this
//! module reads a database or a file.

mod checks;
mod compare;
mod custody;
mod error;
mod facts;
mod fees;
mod footprint;
mod kp;
mod period;
mod price;

pub use checks::{Arg, CheckConfig, CheckData, Flag, FlagKind, Note, Severity, run_checks};
pub use compare::{
    Calibration, Comparison, DEFAULT_FALSE_ALARM, DEFAULT_SIMULATIONS, MIN_REFERENCE_STONES,
    ParcelStatistics, PreparedReference, compare_calibrated, compare_parcel, parcel_statistics,
};
pub use custody::{
    Chain, HS_GEM, HS_INDUSTRIAL, HS_UNDECLARED, HS_UNSORTED, Origin, TradeReport, TradeRow,
    TradeSlip, kp_trade,
};
pub use error::AnalyticsError;
pub use facts::{EntryTotal, FirstSale, StoneFact, StoneTally};
pub use fees::{FeeLine, FeePaid, FeeReport, FeeRow, fee_report};
pub use footprint::{
    ClassStats, FINEST_SIEVE, Footprint, ReferenceFootprint, SPECIAL_STONE, SizeClass, hellinger,
    unflagged_stones,
};
pub use kp::{
    EstimateBasis, KpCountry, KpInputs, KpReport, KpRow, VALUE_RULE, kp_statistics, prorate,
};
pub use period::Period;
pub use price::{PriceModel, SIZE_EXPONENT, quality_factor};
