//! The kinds of finding, how much each matters, and the [`Flag`] record that carries one from
//! a check to the CLI, the Review page and the sync protocol.

use crate::domain::RecordKind;
use serde::{Deserialize, Serialize};

/// What a flag is about. The spelling is DESIGN.md's contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    NoLicence,
    LicenceExpired,
    LicenceSuspended,
    OutsideLicenceArea,
    DiggerDoubleBooked,
    AboveCapacity,
    SpecialStone,
    RepeatedValues,
    FootprintMismatch,
    SaleExceedsProduction,
    SaleWithoutProduction,
    ResaleExceedsPurchases,
    ExportExceedsPurchases,
    UnlicensedBuyer,
    SealInTwoOpenBags,
    SealNeverSealed,
    SealWithoutItsCarats,
}

impl FlagKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [FlagKind; 17] = [
        FlagKind::NoLicence,
        FlagKind::LicenceExpired,
        FlagKind::LicenceSuspended,
        FlagKind::OutsideLicenceArea,
        FlagKind::DiggerDoubleBooked,
        FlagKind::AboveCapacity,
        FlagKind::SpecialStone,
        FlagKind::RepeatedValues,
        FlagKind::FootprintMismatch,
        FlagKind::SaleExceedsProduction,
        FlagKind::SaleWithoutProduction,
        FlagKind::ResaleExceedsPurchases,
        FlagKind::ExportExceedsPurchases,
        FlagKind::UnlicensedBuyer,
        FlagKind::SealInTwoOpenBags,
        FlagKind::SealNeverSealed,
        FlagKind::SealWithoutItsCarats,
    ];

    /// The contract's spelling, e.g. `no_licence`.
    pub fn as_str(self) -> &'static str {
        match self {
            FlagKind::NoLicence => "no_licence",
            FlagKind::LicenceExpired => "licence_expired",
            FlagKind::LicenceSuspended => "licence_suspended",
            FlagKind::OutsideLicenceArea => "outside_licence_area",
            FlagKind::DiggerDoubleBooked => "digger_double_booked",
            FlagKind::AboveCapacity => "above_capacity",
            FlagKind::SpecialStone => "special_stone",
            FlagKind::RepeatedValues => "repeated_values",
            FlagKind::FootprintMismatch => "footprint_mismatch",
            FlagKind::SaleExceedsProduction => "sale_exceeds_production",
            FlagKind::SaleWithoutProduction => "sale_without_production",
            FlagKind::ResaleExceedsPurchases => "resale_exceeds_purchases",
            FlagKind::ExportExceedsPurchases => "export_exceeds_purchases",
            FlagKind::UnlicensedBuyer => "unlicensed_buyer",
            FlagKind::SealInTwoOpenBags => "seal_in_two_open_bags",
            FlagKind::SealNeverSealed => "seal_never_sealed",
            FlagKind::SealWithoutItsCarats => "seal_without_its_carats",
        }
    }

    /// The entity whose record `record_id` names, so the Review page can open it.
    pub fn target(self) -> RecordKind {
        match self {
            FlagKind::SpecialStone => RecordKind::Stone,
            FlagKind::FootprintMismatch => RecordKind::Site,
            FlagKind::SaleExceedsProduction
            | FlagKind::SaleWithoutProduction
            | FlagKind::ResaleExceedsPurchases
            | FlagKind::ExportExceedsPurchases
            | FlagKind::UnlicensedBuyer
            | FlagKind::SealNeverSealed
            | FlagKind::SealWithoutItsCarats => RecordKind::Sale,
            _ => RecordKind::Production,
        }
    }
}

impl std::fmt::Display for FlagKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much a flag matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing; nothing is wrong (a special stone).
    Info,
    /// Needs a look: may be an error or a breach.
    Warning,
    /// A rule is broken.
    Breach,
}

impl Severity {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Breach => "breach",
        }
    }
}

/// One finding. Field names are protocol (`check --format json`, sync); do not rename.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    pub kind: FlagKind,
    /// The flagged record; its entity is `kind.target()`.
    pub record_id: uuid::Uuid,
    pub severity: Severity,
    /// Why, as a JSON object; always has a human-readable `message`.
    pub evidence: serde_json::Value,
}

impl Flag {
    pub(in crate::analytics) fn new(
        kind: FlagKind,
        record_id: uuid::Uuid,
        severity: Severity,
        evidence: serde_json::Value,
    ) -> Flag {
        Flag {
            kind,
            record_id,
            severity,
            evidence,
        }
    }

    /// The evidence's human-readable message.
    pub fn message(&self) -> &str {
        self.evidence["message"].as_str().unwrap_or("")
    }

    /// The entity of the flagged record: the kind's, unless the evidence names another (a
    /// `footprint_mismatch` on an export slip names `"entity": "sales"`).
    pub fn target_entity(&self) -> RecordKind {
        match self.evidence["entity"].as_str() {
            Some("sales") => RecordKind::Sale,
            _ => self.kind.target(),
        }
    }

    /// One line for text output: `kind severity record_id: message`.
    pub fn line(&self) -> String {
        format!(
            "{} {} {}: {}",
            self.kind,
            self.severity.as_str(),
            self.record_id,
            self.message()
        )
    }
}
