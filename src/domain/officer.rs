//! Officers, crews and review decisions.

use super::{CrewId, DiggerId, LicenceId, OfficerId, ReviewDecision, ReviewId, Role, SiteId};
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
    /// The reviewed record's entity name (`production`, `sale`, …).
    pub target_entity: String,
    pub target_id: uuid::Uuid,
    pub decision: ReviewDecision,
    pub comment: String,
    pub reviewer: OfficerId,
    pub at: DateTime<Utc>,
}
