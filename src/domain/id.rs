//! Record identifiers: UUIDv7, made where the record is born so that devices never collide and
//! ids sort by creation time.

use uuid::Uuid;

/// A UUIDv7 for the given Unix time in milliseconds and 10 random bytes; the demo generator
/// uses it with a seeded generator so that the same seed gives the same ids.
pub fn new_v7_at(unix_ms: u64, random: [u8; 10]) -> Uuid {
    uuid::Builder::from_unix_timestamp_millis(unix_ms, &random).into_uuid()
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh UUIDv7 from the system clock.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| format!("{s:?} is not a UUID"))
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    };
}

id_type!(
    /// Identifies a digger.
    DiggerId
);
id_type!(
    /// Identifies a licence.
    LicenceId
);
id_type!(
    /// Identifies a dated event in a licence's history (issue, renewal, suspension, …).
    LicenceEventId
);
id_type!(
    /// Identifies a supporter (financier) named on a licence.
    SupporterId
);
id_type!(
    /// Identifies a mine site.
    SiteId
);
id_type!(
    /// Identifies one version of a day's production entry.
    ProductionId
);
id_type!(
    /// Identifies a stone.
    StoneId
);
id_type!(
    /// Identifies a sale slip.
    SaleId
);
id_type!(
    /// Identifies a review decision.
    ReviewId
);
id_type!(
    /// Identifies a photo's place on a record (the picture itself is named by its SHA-256).
    PhotoId
);
id_type!(
    /// Identifies an officer.
    OfficerId
);
id_type!(
    /// Identifies a crew assignment.
    CrewId
);
id_type!(
    /// Identifies a device (the `origin` of every record it writes).
    DeviceId
);
