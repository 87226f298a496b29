//! What can go wrong in an analysis, in words that say what to do next.

/// An analysis that cannot be done on the data given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalyticsError {
    /// A reporting period that is not `YYYY`, `YYYY-H1|H2` or `YYYY-Q1..Q4`.
    #[error("{0}")]
    BadPeriod(String),
    /// Too few stones to build a reference footprint worth comparing against.
    #[error(
        "the reference footprint of {region} has only {found} stones; at least {needed} are needed (record more production or choose a wider span)"
    )]
    ReferenceTooSmall {
        region: String,
        found: usize,
        needed: usize,
    },
    /// A parcel with no stones.
    #[error("the parcel has no stones")]
    EmptyParcel,
}
