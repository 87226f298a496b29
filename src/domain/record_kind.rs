//! The kinds of record Alluvium keeps and syncs, as one closed type.
//!
//! A kind is read from text once, where it crosses a boundary (the sync wire, a CSV file name
//! on the command line, a row of the device's change log), and is a `RecordKind` everywhere
//! after that. Every property of a kind — its wire name, its table, whether it is a registry
//! merged by clock or an append-only record, how its region is found — is an exhaustive
//! `match` here, so a new kind does not compile until every one of them is decided.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A kind of record. Serialised as its wire name (`digger`, `production`, …); field names
/// and spellings are protocol, do not rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Region,
    Officer,
    Digger,
    Licence,
    Site,
    Crew,
    Supporter,
    LicenceEvent,
    Production,
    Stone,
    Sale,
    Review,
    Photo,
}

/// How a kind's versions are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keeping {
    /// A mutable registry record: the highest clock wins a merge (`op` `upsert`).
    Registry,
    /// An append-only record: inserted if absent, corrected by a new record (`op` `insert`).
    AppendOnly,
}

/// Where a record's region comes from, which decides who may see and write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The record names its own region (regions, officers, diggers, licences).
    OwnRegion,
    /// The region of the record it hangs off (a site's licence, a stone's entry, …).
    Parent(RecordKind),
    /// The region of the record it is about: the record a review judges, the record a photo
    /// shows.
    Target,
}

impl RecordKind {
    /// Every kind, registries first, in the order a device applies a fresh region.
    pub const ALL: [RecordKind; 13] = [
        RecordKind::Region,
        RecordKind::Officer,
        RecordKind::Digger,
        RecordKind::Licence,
        RecordKind::Site,
        RecordKind::Crew,
        RecordKind::Supporter,
        RecordKind::LicenceEvent,
        RecordKind::Production,
        RecordKind::Stone,
        RecordKind::Sale,
        RecordKind::Review,
        RecordKind::Photo,
    ];

    /// The name on the wire, in the change log and in review targets.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Region => "region",
            RecordKind::Officer => "officer",
            RecordKind::Digger => "digger",
            RecordKind::Licence => "licence",
            RecordKind::Site => "site",
            RecordKind::Crew => "crew",
            RecordKind::Supporter => "supporter",
            RecordKind::LicenceEvent => "licence_event",
            RecordKind::Production => "production",
            RecordKind::Stone => "stone",
            RecordKind::Sale => "sale",
            RecordKind::Review => "review",
            RecordKind::Photo => "photo",
        }
    }

    /// The device table that holds the kind's records.
    pub fn table(self) -> &'static str {
        match self {
            RecordKind::Region => "regions",
            RecordKind::Officer => "officers",
            RecordKind::Digger => "diggers",
            RecordKind::Licence => "licences",
            RecordKind::Site => "sites",
            RecordKind::Crew => "crews",
            RecordKind::Supporter => "supporters",
            RecordKind::LicenceEvent => "licence_events",
            RecordKind::Production => "production",
            RecordKind::Stone => "stones",
            RecordKind::Sale => "sales",
            RecordKind::Review => "reviews",
            RecordKind::Photo => "photos",
        }
    }

    /// The key column of [`RecordKind::table`] (regions are keyed by their code).
    pub fn key_column(self) -> &'static str {
        match self {
            RecordKind::Region => "code",
            RecordKind::Officer
            | RecordKind::Digger
            | RecordKind::Licence
            | RecordKind::Site
            | RecordKind::Crew
            | RecordKind::Supporter
            | RecordKind::LicenceEvent
            | RecordKind::Production
            | RecordKind::Stone
            | RecordKind::Sale
            | RecordKind::Review
            | RecordKind::Photo => "id",
        }
    }

    /// Whether the kind is a registry or append-only.
    pub fn keeping(self) -> Keeping {
        match self {
            RecordKind::Region
            | RecordKind::Officer
            | RecordKind::Digger
            | RecordKind::Licence
            | RecordKind::Site
            | RecordKind::Crew
            | RecordKind::Supporter => Keeping::Registry,
            RecordKind::LicenceEvent
            | RecordKind::Production
            | RecordKind::Stone
            | RecordKind::Sale
            | RecordKind::Review
            | RecordKind::Photo => Keeping::AppendOnly,
        }
    }

    /// Whether the kind is a registry merged by clock.
    pub fn is_registry(self) -> bool {
        self.keeping() == Keeping::Registry
    }

    /// Where a record of this kind takes its region from.
    pub fn placement(self) -> Placement {
        match self {
            RecordKind::Region | RecordKind::Officer | RecordKind::Digger | RecordKind::Licence => {
                Placement::OwnRegion
            }
            RecordKind::Site
            | RecordKind::Crew
            | RecordKind::Supporter
            | RecordKind::LicenceEvent
            | RecordKind::Sale => Placement::Parent(RecordKind::Licence),
            RecordKind::Production => Placement::Parent(RecordKind::Site),
            RecordKind::Stone => Placement::Parent(RecordKind::Production),
            RecordKind::Review | RecordKind::Photo => Placement::Target,
        }
    }

    /// The file name of the kind in the CSV contract (`alluvium import diggers …`), for the
    /// kinds that are imported and exported as CSV.
    pub fn csv_name(self) -> Option<&'static str> {
        match self {
            RecordKind::Digger => Some("diggers"),
            RecordKind::Licence => Some("licences"),
            RecordKind::LicenceEvent => Some("licence_events"),
            RecordKind::Site => Some("sites"),
            RecordKind::Production => Some("production"),
            RecordKind::Stone => Some("stones"),
            RecordKind::Sale => Some("sales"),
            RecordKind::Supporter => Some("supporters"),
            RecordKind::Region
            | RecordKind::Officer
            | RecordKind::Crew
            | RecordKind::Review
            | RecordKind::Photo => None,
        }
    }

    /// Whether a coordinator may record a decision on a record of this kind.
    pub fn is_reviewable(self) -> bool {
        match self {
            RecordKind::Production | RecordKind::Stone | RecordKind::Sale => true,
            RecordKind::Region
            | RecordKind::Officer
            | RecordKind::Digger
            | RecordKind::Licence
            | RecordKind::Site
            | RecordKind::Crew
            | RecordKind::Supporter
            | RecordKind::LicenceEvent
            | RecordKind::Review
            | RecordKind::Photo => false,
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RecordKind {
    type Err = String;

    /// Reads a wire name; the error lists the known ones.
    fn from_str(s: &str) -> Result<Self, String> {
        RecordKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = RecordKind::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown record kind {s:?} (known: {})", known.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip_through_text_and_serde() {
        for k in RecordKind::ALL {
            assert_eq!(k.as_str().parse::<RecordKind>(), Ok(k));
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(serde_json::from_str::<RecordKind>(&json).unwrap(), k);
        }
        let err = "widget".parse::<RecordKind>().unwrap_err();
        assert!(err.contains("unknown record kind \"widget\""), "{err}");
        assert!(serde_json::from_str::<RecordKind>("\"widget\"").is_err());
    }

    #[test]
    fn registries_are_the_kinds_with_their_own_or_a_licence_region() {
        let registries: Vec<&str> = RecordKind::ALL
            .iter()
            .filter(|k| k.is_registry())
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            registries,
            [
                "region",
                "officer",
                "digger",
                "licence",
                "site",
                "crew",
                "supporter"
            ]
        );
        assert_eq!(
            RecordKind::Stone.placement(),
            Placement::Parent(RecordKind::Production)
        );
    }
}
