//! The kinds of finding, how much each matters, and the [`Flag`] record that carries one from
//! a check to the CLI, the Review page and the sync protocol.

use crate::domain::{Centicarats, RecordKind};
use crate::i18n::Lang;
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
    /// The message as its English template and values, so the Review page can show it in the
    /// reader's language while `evidence.message` stays English (the CLI's and the protocol's
    /// text). Not part of the protocol: a flag read from JSON has none.
    #[serde(skip)]
    pub note: Option<Note>,
}

/// A value in a flag's message: shown as the reader's language writes it, and in English
/// exactly as the check has always written it (the CLI's output does not change).
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// Shown as is in every language: a licence number, a code, a count.
    Text(String),
    /// An English word of the catalogue (`suspended`), translated.
    Word(&'static str),
    /// A calendar day: `2026-12-02`, `02/12/2026`.
    Day(chrono::NaiveDate),
    /// A weight, without its unit: `1234.56`, `1 234,56`.
    Carats(Centicarats),
    /// A number with so many decimals: `0.35`, `0,35`.
    Dec(f64, usize),
    /// A number as Rust writes it (`1.5`), with the language's decimal mark.
    Num(f64),
}

impl Arg {
    fn show(&self, lang: Lang) -> String {
        match (self, lang) {
            (Arg::Text(t), _) => t.clone(),
            (Arg::Word(w), _) => crate::i18n::translate(lang, w).to_string(),
            (Arg::Day(d), Lang::En) => d.to_string(),
            (Arg::Day(d), Lang::Fr) => crate::i18n::dates::show(lang, *d),
            (Arg::Carats(c), Lang::En) => c.to_string(),
            (Arg::Carats(c), Lang::Fr) => crate::i18n::numbers::hundredths(lang, c.0),
            (Arg::Dec(v, places), _) => crate::i18n::numbers::decimal(lang, *v, *places),
            (Arg::Num(v), Lang::En) => v.to_string(),
            (Arg::Num(v), Lang::Fr) => v.to_string().replace('.', ","),
        }
    }
}

macro_rules! arg_from {
    ($($t:ty => $make:expr),+ $(,)?) => {
        $(impl From<$t> for Arg {
            fn from(v: $t) -> Arg {
                $make(v)
            }
        })+
    };
}
arg_from!(
    String => Arg::Text,
    &String => |v: &String| Arg::Text(v.clone()),
    &str => |v: &str| Arg::Text(v.to_string()),
    usize => |v: usize| Arg::Text(v.to_string()),
    u32 => |v: u32| Arg::Text(v.to_string()),
    u64 => |v: u64| Arg::Text(v.to_string()),
    i64 => |v: i64| Arg::Text(v.to_string()),
    uuid::Uuid => |v: uuid::Uuid| Arg::Text(v.to_string()),
    chrono::NaiveDate => Arg::Day,
    Centicarats => Arg::Carats,
);

/// A flag's message: an English template of the catalogue (`{}` for each value) and its
/// values. [`note!`](crate::note) builds one; the translations test finds its templates.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub template: &'static str,
    pub args: Vec<Arg>,
}

impl Note {
    /// The message in `lang`; in English, word for word the check's own text.
    pub fn text(&self, lang: Lang) -> String {
        let shown: Vec<String> = self.args.iter().map(|a| a.show(lang)).collect();
        let values: Vec<&dyn std::fmt::Display> =
            shown.iter().map(|s| s as &dyn std::fmt::Display).collect();
        crate::i18n::fill(crate::i18n::translate(lang, self.template), &values, &[])
    }

    /// The English message, as the evidence holds it.
    pub fn english(&self) -> String {
        self.text(Lang::En)
    }
}

/// Builds a [`Note`] from a literal template and its values (each into an [`Arg`]).
#[macro_export]
macro_rules! note {
    ($template:literal $(, $arg:expr)* $(,)?) => {
        $crate::analytics::Note {
            template: $template,
            args: vec![$($crate::analytics::Arg::from($arg)),*],
        }
    };
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
            note: None,
        }
    }

    /// The same flag, with its message's template and values kept for the Review page.
    pub(in crate::analytics) fn with_note(mut self, note: Note) -> Flag {
        self.note = Some(note);
        self
    }

    /// The message in `lang`: from the note when the flag has one, else the evidence's text.
    pub fn message_in(&self, lang: Lang) -> String {
        match &self.note {
            Some(n) => n.text(lang),
            None => self.message().to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn a_note_reads_in_english_as_the_check_wrote_it_and_in_french_from_the_catalogue() {
        let day = NaiveDate::from_ymd_opt(2026, 10, 16).unwrap();
        let n = crate::note!(
            "production on {} under licence {} expired on {}",
            day,
            "K/AM/1",
            day
        );
        assert_eq!(
            n.english(),
            format!("production on {day} under licence K/AM/1 expired on {day}")
        );
        assert_eq!(
            n.text(Lang::Fr),
            "production du 16/10/2026 sous l'autorisation K/AM/1 expirée le 16/10/2026"
        );
        let n = crate::note!(
            "fix {}, {} is {} m outside licence {} (accuracy {} m)",
            Arg::Dec(8.5, 6),
            Arg::Dec(-10.25, 6),
            Arg::Dec(41.6, 0),
            "K/AM/1",
            Arg::Dec(5.0, 0)
        );
        assert_eq!(
            n.english(),
            format!(
                "fix {:.6}, {:.6} is {:.0} m outside licence {} (accuracy {:.0} m)",
                8.5, -10.25, 41.6, "K/AM/1", 5.0
            )
        );
        assert!(
            n.text(Lang::Fr)
                .starts_with("la position 8,500000, -10,250000 est à 42 m")
        );
        let n = crate::note!(
            "large stone of {} ct (10.8 ct or more, a \"special\" in the trade)",
            Centicarats(123_477)
        );
        assert_eq!(
            n.english(),
            "large stone of 1234.77 ct (10.8 ct or more, a \"special\" in the trade)"
        );
        assert!(
            n.text(Lang::Fr).contains("1\u{a0}234,77 ct"),
            "{}",
            n.text(Lang::Fr)
        );
        // A word of the catalogue is translated; a flag read from JSON has no note and shows the
        // evidence's message.
        let n = crate::note!(
            "buyer licence {} is {} on {}",
            "K/DL/2",
            Arg::Word("suspended"),
            day
        );
        assert!(n.text(Lang::Fr).contains("est suspendue le 16/10/2026"));
        let flag = Flag::new(
            FlagKind::NoLicence,
            uuid::Uuid::nil(),
            Severity::Breach,
            serde_json::json!({"message": "as the server wrote it"}),
        );
        assert_eq!(flag.message_in(Lang::Fr), "as the server wrote it");
    }
}
