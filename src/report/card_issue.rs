//! Issuing and checking licence cards against the device's registry: gathers what a card shows
//! from the store, signs its statement with this device's key, and judges a scanned card with
//! the keys this device knows and the licence's standing today. The CLI and the GUI both call
//! these, so a card prints and verifies the same from either.

use super::licence_card::{CardContent, CardError, CardLanguage, licence_card_pdf};
use crate::domain::card_statement::{
    Authenticity, CardKeys, CardStatement, StatementError, area_hash, check,
};
use crate::store::{Store, StoreError};
use chrono::NaiveDate;
use serde::Serialize;

/// A card ready to print.
#[derive(Debug, Clone)]
pub struct IssuedCard {
    pub pdf: Vec<u8>,
    /// The signed statement the QR code holds.
    pub statement: String,
}

/// Why a card could not be issued (one line each).
#[derive(Debug, thiserror::Error)]
pub enum CardIssueError {
    #[error("no licence numbered {0} on this device")]
    UnknownLicence(String),
    #[error(
        "this device has no signing key yet, so it cannot sign cards: enrol it with the server or set it up first"
    )]
    NoSigningKey,
    #[error("the holder of licence {0} is not on this device")]
    UnknownHolder(String),
    #[error("cannot read this device's keys: {0}")]
    Keys(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Statement(#[from] StatementError),
    #[error(transparent)]
    Card(#[from] CardError),
}

/// Options of a printed card beyond the licence itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct CardOptions<'a> {
    pub language: CardLanguage,
    /// Names of the licence's financial supporters.
    pub supporters: &'a [String],
    /// The holder's photo (JPEG or PNG).
    pub photo: Option<&'a [u8]>,
}

/// Builds and signs the card of licence `number`.
pub fn issue_card<K: CardKeys>(
    store: &Store,
    keys: &K,
    number: &str,
    options: CardOptions<'_>,
) -> Result<IssuedCard, CardIssueError> {
    let licence = store
        .licence_by_number(number)?
        .ok_or_else(|| CardIssueError::UnknownLicence(number.to_string()))?;
    let (holder_name, holder_id) = match licence.holder_digger_id {
        Some(d) => {
            let digger = store
                .digger(d)?
                .ok_or_else(|| CardIssueError::UnknownHolder(number.to_string()))?;
            (digger.full_name, digger.national_id)
        }
        None => (licence.holder_name.clone(), String::new()),
    };
    let corners = licence
        .area
        .as_ref()
        .map(|a| a.corners())
        .unwrap_or_default();
    // Valid until the expiry the licence's dated history gives (a renewal extends it).
    let valid_until = store
        .history_of(&licence)?
        .latest_until()
        .unwrap_or(licence.expires_on);
    let (device, key) = keys
        .signer()
        .map_err(|e| CardIssueError::Keys(e.to_string()))?
        .ok_or(CardIssueError::NoSigningKey)?;
    let statement = CardStatement {
        number: licence.number.clone(),
        holder_id: holder_id.clone(),
        holder_name: holder_name.clone(),
        valid_until,
        area_hash: area_hash(&corners),
        device,
    }
    .sign(&key)?;
    let pdf = licence_card_pdf(&CardContent {
        language: options.language,
        number: &licence.number,
        kind: licence.kind,
        region: &licence.region,
        holder_name: &holder_name,
        holder_id: &holder_id,
        valid_until,
        corners: &corners,
        supporters: options.supporters,
        photo: options.photo,
        statement: &statement,
    })?;
    Ok(IssuedCard { pdf, statement })
}

/// The names of the supporters recorded on licence `number` (none when it is unknown: issuing
/// the card names the unknown number), in the order they were named.
pub fn supporter_names(store: &Store, number: &str) -> Result<Vec<String>, StoreError> {
    let Some(licence) = store.licence_by_number(number)? else {
        return Ok(Vec::new());
    };
    Ok(store
        .licence_supporters(licence.id)?
        .into_iter()
        .map(|s| s.full_name)
        .collect())
}

/// What checking a card found. Field names are the CLI's JSON contract; do not rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardVerdict {
    /// Signed by a device this device knows, and not altered since.
    pub valid: bool,
    pub number: String,
    /// The holder's name as printed.
    pub holder: String,
    /// The holder's national id as printed.
    pub holder_id: String,
    pub valid_until: NaiveDate,
    /// How the licence stands today in this device's registry (`active`, `expiring`,
    /// `expired`, `suspended`, `revoked`, `not yet valid`); `null` when it is not in the registry.
    pub standing_today: Option<String>,
    /// Whether the licensed area in the registry still has the corners the card was printed
    /// with; `null` when the licence is not in the registry.
    pub area_matches: Option<bool>,
    /// The device that signed the card.
    pub signed_by: uuid::Uuid,
    /// Why the card is not valid; absent when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Why a text could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum CardCheckError {
    /// The text is not a card code (one line for the officer).
    #[error("{0}")]
    Malformed(#[from] crate::domain::card_statement::MalformedStatement),
    #[error("cannot read this device's keys: {0}")]
    Keys(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks a card's QR text offline: the signature against the keys this device knows, then
/// the licence's standing on `today` in this device's registry. A suspended licence's card is
/// still authentic; `standing_today` says what it is worth today.
pub fn verify_card<K: CardKeys>(
    store: &Store,
    keys: &K,
    text: &str,
    today: NaiveDate,
) -> Result<CardVerdict, CardCheckError> {
    let (signed, authenticity) =
        check(text, keys).map_err(|e| CardCheckError::Keys(e.to_string()))??;
    let s = signed.statement;
    let reason = match authenticity {
        Authenticity::Authentic => None,
        Authenticity::BadSignature => Some(format!(
            "the signature does not match: the card was altered or not signed by device {}",
            s.device
        )),
        Authenticity::UnknownSigner => Some(format!(
            "signed by device {}, whose key this device does not know (sync to get it)",
            s.device
        )),
    };
    let licence = store.licence_by_number(&s.number)?;
    let standing_today = match &licence {
        Some(l) => store
            .licence_standing_on(l.id, today)?
            .map(|s| s.label().to_string()),
        None => None,
    };
    let area_matches = licence.as_ref().map(|l| {
        let corners = l.area.as_ref().map(|a| a.corners()).unwrap_or_default();
        area_hash(&corners) == s.area_hash
    });
    Ok(CardVerdict {
        valid: reason.is_none(),
        number: s.number,
        holder: s.holder_name,
        holder_id: s.holder_id,
        valid_until: s.valid_until,
        standing_today,
        area_matches,
        signed_by: s.device,
        reason,
    })
}
