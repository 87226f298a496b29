//! The language the user reads: English (the source text) or French, from one gettext catalogue
//! (`ui/translations/fr/LC_MESSAGES/alluvium.po`) shared with the Slint files. `build.rs` turns
//! the catalogue into a table, so this module builds without the GUI (CLI, documents).
//!
//! The language is process-wide: chosen once from the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`),
//! then by the device's setting or a command's `--lang`.

pub mod dates;
pub mod numbers;

use std::fmt::Display;
use std::sync::atomic::{AtomicU8, Ordering};

mod catalogue {
    include!(concat!(env!("OUT_DIR"), "/catalogue_fr.rs"));
}

/// A language the app speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Fr,
}

impl Lang {
    /// The language a locale name such as `fr_CF.UTF-8` asks for: French for `fr*`, English
    /// for anything else.
    pub fn from_locale(locale: &str) -> Lang {
        if locale.trim().to_ascii_lowercase().starts_with("fr") {
            Lang::Fr
        } else {
            Lang::En
        }
    }

    /// The language of the environment, read as gettext does: the first of `LC_ALL`,
    /// `LC_MESSAGES` and `LANG` that is set and not empty.
    pub fn from_env() -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.is_empty())
            .map_or(Lang::En, |v| Lang::from_locale(&v))
    }

    /// The code stored in settings and given to `--lang`: `en` or `fr`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The language of a stored code; `None` for anything but `en` and `fr`.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            _ => None,
        }
    }
}

const UNSET: u8 = 0;
static CURRENT: AtomicU8 = AtomicU8::new(UNSET);

/// The language in use: the one set last, else the environment's.
pub fn current() -> Lang {
    match CURRENT.load(Ordering::Relaxed) {
        1 => Lang::En,
        2 => Lang::Fr,
        _ => {
            let lang = Lang::from_env();
            set_current(lang);
            lang
        }
    }
}

/// Makes `lang` the language of everything shown or printed from now on.
pub fn set_current(lang: Lang) {
    let v = match lang {
        Lang::En => 1,
        Lang::Fr => 2,
    };
    CURRENT.store(v, Ordering::Relaxed);
}

/// `english` in `lang`; the English text itself when the catalogue has no translation.
pub fn translate(lang: Lang, english: &'static str) -> &'static str {
    match lang {
        Lang::En => english,
        Lang::Fr => french(english).unwrap_or(english),
    }
}

/// The catalogue's French for `english`, if it has one.
pub fn french(english: &str) -> Option<&'static str> {
    let table = catalogue::FRENCH;
    table
        .binary_search_by(|(en, _)| (*en).cmp(english))
        .ok()
        .map(|i| table[i].1)
}

/// Every (English, French) pair of the catalogue, for the completeness check.
pub fn catalogue() -> &'static [(&'static str, &'static str)] {
    catalogue::FRENCH
}

/// `english` in the current language.
pub fn tr(english: &'static str) -> &'static str {
    translate(current(), english)
}

/// Fills a translated template: `{}` takes the next of `positional`, `{name}` the value named
/// `name` in `named`. A placeholder without a value stays as written, so a faulty translation
/// shows rather than panics.
pub fn fill(template: &str, positional: &[&dyn Display], named: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut next = 0;
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let name = &after[..close];
        let value = if name.is_empty() {
            next += 1;
            positional.get(next - 1).copied()
        } else {
            named.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
        };
        match value {
            Some(v) => out.push_str(&v.to_string()),
            None => out.push_str(&rest[open..open + close + 2]),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The placeholders of a template (`{}` and `{name}`), in order: a translation must keep them.
pub fn placeholders(template: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        found.push(after[..close].to_string());
        rest = &after[close + 1..];
    }
    found
}

/// Translates a literal into the current language and fills its placeholders: a bare literal,
/// a literal with `{}` and values in order, or a literal with `{name}` and `name = value` pairs.
#[macro_export]
macro_rules! tr {
    ($msg:literal) => {
        $crate::i18n::tr($msg).to_string()
    };
    ($msg:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::fill(
            $crate::i18n::tr($msg),
            &[],
            &[$((stringify!($name), &$value as &dyn ::std::fmt::Display)),+],
        )
    };
    ($msg:literal, $($value:expr),+ $(,)?) => {
        $crate::i18n::fill(
            $crate::i18n::tr($msg),
            &[$(&$value as &dyn ::std::fmt::Display),+],
            &[],
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locale_picks_the_language() {
        for (locale, lang) in [
            ("fr_CF.UTF-8", Lang::Fr),
            ("fr", Lang::Fr),
            ("FR_fr", Lang::Fr),
            ("en_GB.UTF-8", Lang::En),
            ("C.UTF-8", Lang::En),
            ("", Lang::En),
        ] {
            assert_eq!(Lang::from_locale(locale), lang, "{locale}");
        }
        assert_eq!(Lang::from_code("fr"), Some(Lang::Fr));
        assert_eq!(Lang::from_code("de"), None);
    }

    #[test]
    fn templates_fill_by_position_and_by_name() {
        let n = 3;
        assert_eq!(fill("{} of {}", &[&1, &n], &[]), "1 of 3");
        assert_eq!(
            fill("{b} puis {a}", &[], &[("a", &"x"), ("b", &"y")]),
            "y puis x"
        );
        // A placeholder with no value shows as written; an unclosed brace is kept.
        assert_eq!(fill("{} et {}", &[&1], &[]), "1 et {}");
        assert_eq!(fill("{oops", &[], &[]), "{oops");
        assert_eq!(placeholders("{} and {name}"), vec!["", "name"]);
    }

    #[test]
    fn french_comes_from_the_catalogue_and_english_is_the_fallback() {
        assert_eq!(translate(Lang::Fr, "Diggers"), "Exploitants");
        assert_eq!(translate(Lang::En, "Diggers"), "Diggers");
        assert_eq!(
            translate(Lang::Fr, "a text nobody translated"),
            "a text nobody translated"
        );
    }
}
