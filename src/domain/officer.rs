//! Officers, crews and review decisions.

use super::{
    CrewId, DiggerId, Invalid, LicenceId, OfficerId, RecordKind, ReviewDecision, ReviewId, Role,
    SiteId, check_text,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A person who uses Alluvium.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Officer {
    pub id: OfficerId,
    /// Log-in name, unique.
    pub username: String,
    pub full_name: String,
    pub role: Role,
    /// Region codes the officer serves.
    pub regions: Vec<String>,
}

/// A digger working a licence (and optionally one site of it) over a span of days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Crew {
    pub id: CrewId,
    pub licence_id: LicenceId,
    pub site_id: Option<SiteId>,
    pub digger_id: DiggerId,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

/// A coordinator's decision on a record. Append-only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub id: ReviewId,
    /// The kind of the reviewed record (`production`, `sale`, …).
    pub target_entity: RecordKind,
    pub target_id: uuid::Uuid,
    pub decision: ReviewDecision,
    pub comment: String,
    pub reviewer: OfficerId,
    pub at: DateTime<Utc>,
}

/// Longest review comment, in characters: a note to the officer, not a report.
pub const MAX_REVIEW_COMMENT: usize = 2_000;

impl Crew {
    /// Checks the record's own rules: a crew ends on or after the day it starts.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        if let Some(to) = self.to
            && to < self.from
        {
            e.push(
                "to",
                format!("crew end {to} is before its start {}", self.from),
            );
        }
        e.into_result()
    }
}

impl Review {
    /// Checks the record's own rules.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        check_text(&mut e, "comment", &self.comment, false, MAX_REVIEW_COMMENT);
        e.into_result()
    }
}
