//! The few facts of licences and sales that the sale-chain and licence rules read later,
//! kept beside each record in the record index (`records.facts`, JSON).

use alluvium::domain::{Licence, Sale};
use serde::{Deserialize, Serialize};

/// What the record rules read of a licence. Field names are stored; do not rename.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct LicenceFactsRow {
    pub kind: alluvium::domain::LicenceKind,
    pub number: String,
    /// Absent in files written before licence events were judged; filled on upgrade.
    #[serde(default)]
    pub issued_on: Option<chrono::NaiveDate>,
}

/// What the sale-chain rules read of a sale slip. Field names are stored; do not rename.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SaleFactsRow {
    pub kind: alluvium::domain::SaleKind,
    pub buyer: Option<alluvium::domain::LicenceId>,
    pub day: chrono::NaiveDate,
}

/// The `facts` column of a licence.
pub(crate) fn licence_facts(l: &Licence) -> String {
    // Plain structs of strings and enums always serialise.
    serde_json::to_string(&LicenceFactsRow {
        kind: l.kind,
        number: l.number.trim().to_string(),
        issued_on: Some(l.issued_on),
    })
    .unwrap_or_default()
}

/// The `facts` column of a sale slip.
pub(crate) fn sale_facts(s: &Sale) -> String {
    serde_json::to_string(&SaleFactsRow {
        kind: s.kind,
        // The licence holding the goods after the slip: an import's importer as a buyer.
        buyer: s.holder(),
        day: s.day,
    })
    .unwrap_or_default()
}
