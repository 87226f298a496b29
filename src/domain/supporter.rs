//! Supporters: the financiers who back an artisanal licence beside its holder.
//!
//! In the artisanal diamond fields most diggers work for a supporter who pays for tools, food
//! and the licence fee and has first call on the stones; Sierra Leone's licences name them.
//! A supporter is a party of one licence: either a registered digger, or a named person with
//! the number of a national identity document. A registry record, merged by clock.

use super::{DiggerId, Invalid, LicenceId, SupporterId, check_text};
use serde::{Deserialize, Serialize};

/// A supporter named on a licence. Field names are protocol; do not rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supporter {
    pub id: SupporterId,
    pub licence_id: LicenceId,
    /// The supporter, when a registered digger (then the name and national id are the
    /// digger's and stay empty here).
    pub digger_id: Option<DiggerId>,
    /// The supporter's full name, when not a registered digger.
    pub full_name: String,
    /// The supporter's national id or voter card number, when not a registered digger.
    pub national_id: String,
}

impl Supporter {
    /// Checks the record's own rules (that the licence is an artisanal one and the digger is
    /// registered is the record rules' to check).
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        match self.digger_id {
            Some(_) => {
                if !self.full_name.trim().is_empty() || !self.national_id.trim().is_empty() {
                    e.push(
                        "full_name",
                        "must be empty when the supporter is a registered digger",
                    );
                }
            }
            None => {
                check_text(&mut e, "full_name", &self.full_name, true, 120);
                check_text(&mut e, "national_id", &self.national_id, true, 40);
            }
        }
        e.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_supporter_is_a_digger_or_a_named_person_with_an_id() {
        let named = Supporter {
            id: SupporterId::new(),
            licence_id: LicenceId::new(),
            digger_id: None,
            full_name: "Alhaji Kamara".into(),
            national_id: "SL-88120".into(),
        };
        assert_eq!(named.validate(), Ok(()));
        let mut no_id = named.clone();
        no_id.national_id.clear();
        assert!(
            no_id
                .validate()
                .unwrap_err()
                .for_field("national_id")
                .is_some()
        );
        let mut both = named.clone();
        both.digger_id = Some(DiggerId::new());
        assert!(
            both.validate()
                .unwrap_err()
                .for_field("full_name")
                .is_some()
        );
        both.full_name.clear();
        both.national_id.clear();
        assert_eq!(both.validate(), Ok(()));
    }
}
