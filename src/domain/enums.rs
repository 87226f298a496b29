//! The closed sets of values (statuses, kinds, classes). Each is spelled in snake_case in CSV,
//! JSON and SQLite alike.

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling used in CSV, JSON and the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        /// The first value; a placeholder while a form or CSV row is still being read.
        impl Default for $name {
            fn default() -> Self {
                Self::ALL[0]
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                let t = s.trim();
                $(if t.eq_ignore_ascii_case($text) { return Ok($name::$variant); })+
                let allowed: Vec<&str> = vec![$($text),+];
                Err(format!("{s:?} is not one of {}", allowed.join(", ")))
            }
        }
    };
}

text_enum!(
    /// A digger's sex as recorded on the registration form.
    Sex { Female = "female", Male = "male" }
);
text_enum!(
    /// Whether a digger is currently registered to work.
    DiggerStatus { Active = "active", Inactive = "inactive" }
);
text_enum!(
    /// What a licence allows.
    LicenceKind {
        /// Digging a licensed plot by hand.
        ArtisanalMining = "artisanal_mining",
        /// Buying rough diamonds from licence holders and other dealers.
        Dealer = "dealer",
        /// Exporting rough diamonds under a KP certificate.
        Exporter = "exporter",
    }
);
text_enum!(
    /// What a dated licence event does (see `LicenceEvent`).
    LicenceEventKind {
        /// The licence is granted, valid until the event's `until`.
        Issued = "issued",
        /// A new term: valid until the event's `until`, from the event's day.
        Renewed = "renewed",
        /// Work and trade under the licence stop until a reinstatement.
        Suspended = "suspended",
        /// A suspension ends.
        Reinstated = "reinstated",
        /// The licence ends for good.
        Revoked = "revoked",
    }
);
text_enum!(
    /// The administrative state of a licence (expiry by date is judged separately).
    LicenceStatus { Active = "active", Suspended = "suspended", Revoked = "revoked", Expired = "expired" }
);
text_enum!(
    /// The kind of working at a site.
    SiteKind { Pit = "pit", Riverbed = "riverbed", Terrace = "terrace" }
);
text_enum!(
    /// Whether a site is worked.
    SiteStatus { Active = "active", Exhausted = "exhausted", Rehabilitated = "rehabilitated" }
);
text_enum!(
    /// The quality class of a rough stone.
    StoneClass { Gem = "gem", NearGem = "near_gem", Industrial = "industrial" }
);
text_enum!(
    /// The sieve class of a lot of small stones: one of the fixed size classes below 1 ct
    /// (DOMAIN.md §5), spelled as the footprint labels them. Stones of 1 ct and more are
    /// weighed one by one.
    SieveClass {
        /// Under 0.05 ct (the class below the finest sieve kept).
        Below005 = "<0.05",
        /// 0.05 ct up to (not including) 0.1 ct.
        From005 = "0.05-0.1",
        /// 0.1 ct up to 0.25 ct.
        From010 = "0.1-0.25",
        /// 0.25 ct up to 0.5 ct.
        From025 = "0.25-0.5",
        /// 0.5 ct up to 1 ct.
        From050 = "0.5-1",
    }
);

impl SieveClass {
    /// The class's bounds in centicarats: a stone of the class weighs at least the first and
    /// less than the second.
    pub fn bounds(self) -> (i64, i64) {
        match self {
            SieveClass::Below005 => (0, 5),
            SieveClass::From005 => (5, 10),
            SieveClass::From010 => (10, 25),
            SieveClass::From025 => (25, 50),
            SieveClass::From050 => (50, 100),
        }
    }
}

text_enum!(
    /// Where a position came from.
    FixSource { Nmea = "nmea", Gpsd = "gpsd", Manual = "manual" }
);
text_enum!(
    /// A step in the chain of custody: a sale inside the country, an export, or an import
    /// (goods entering under a KP certificate).
    SaleKind { FirstSale = "first_sale", Resale = "resale", Export = "export", Import = "import" }
);
text_enum!(
    /// What an officer may do.
    Role {
        FieldOfficer = "field_officer",
        LicensingOfficer = "licensing_officer",
        Coordinator = "coordinator",
        Admin = "admin",
    }
);
text_enum!(
    /// A coordinator's decision on a record.
    ReviewDecision { Approved = "approved", Queried = "queried", Rejected = "rejected" }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_case_insensitively_and_lists_the_allowed_values_on_error() {
        assert_eq!("Near_Gem".parse::<StoneClass>(), Ok(StoneClass::NearGem));
        let err = "diamond".parse::<StoneClass>().unwrap_err();
        assert!(err.contains("gem, near_gem, industrial"), "{err}");
    }

    #[test]
    fn serde_uses_the_same_spelling() {
        assert_eq!(
            serde_json::to_string(&LicenceKind::ArtisanalMining).unwrap(),
            "\"artisanal_mining\""
        );
    }
}

impl Sex {
    /// Reads a sex as paper registers write it, in English or French: `F`, `female`, `woman`,
    /// `femme`, `féminin`; `M`, `male`, `man`, `H`, `homme`, `masculin` (any case). No
    /// spelling stands for both, so nothing is guessed; anything else is refused.
    pub fn from_register(s: &str) -> Result<Sex, String> {
        let t = s.trim().trim_end_matches('.').to_lowercase();
        match t.as_str() {
            "f" | "female" | "woman" | "femme" | "féminin" | "feminin" => Ok(Sex::Female),
            "m" | "male" | "man" | "h" | "homme" | "masculin" => Ok(Sex::Male),
            _ => Err(format!(
                "{s:?} is not a sex a register writes (female: F, female, femme; male: M, male, H, homme)"
            )),
        }
    }
}

#[cfg(test)]
mod register_spelling_tests {
    use super::Sex;

    #[test]
    fn registers_in_english_and_french_read_the_same() {
        for s in ["F", "f", "female", "Femme", "FÉMININ", " F. "] {
            assert_eq!(Sex::from_register(s), Ok(Sex::Female), "{s}");
        }
        for s in ["M", "male", "H", "homme", "Masculin", "m."] {
            assert_eq!(Sex::from_register(s), Ok(Sex::Male), "{s}");
        }
        for s in ["", "x", "fm", "mf", "1", "unknown"] {
            assert!(Sex::from_register(s).is_err(), "{s:?} was read");
        }
    }
}
