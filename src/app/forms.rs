//! Reading form text into domain values, with messages meant to sit beside the field.

use crate::domain::{Centicarats, Cents, Invalid};
use crate::i18n;
use crate::tr;
use chrono::NaiveDate;
use slint::SharedString;

/// Parses a calendar date typed in the app's language (ISO 8601 always; DD/MM/YYYY in French).
pub fn date(text: &str) -> Result<NaiveDate, String> {
    i18n::dates::parse(i18n::current(), text)
}

/// Parses a weight in carats typed in the app's language (`0.35`, or `0,35` in French).
pub fn carats(text: &str) -> Result<Centicarats, String> {
    i18n::numbers::parse_carats(i18n::current(), text)
}

/// Parses an amount in US dollars typed in the app's language.
pub fn usd(text: &str) -> Result<Cents, String> {
    i18n::numbers::parse_usd(i18n::current(), text)
}

/// Parses a decimal number such as a latitude or an accuracy in metres, typed in the app's
/// language; one that could be read two ways (`1,250`) is refused, as carats are. `what` is
/// what the field holds, already in the app's language ("the latitude").
pub fn number(text: &str, what: &str) -> Result<f64, String> {
    if text.trim().is_empty() {
        return Err(tr!("Enter {}", what));
    }
    i18n::numbers::parse_decimal(i18n::current(), text)
}

/// Parses a whole number of people; `what` as for [`number`].
pub fn count(text: &str, what: &str) -> Result<u32, String> {
    let t = text.trim();
    t.parse::<u32>().map_err(|_| {
        if t.is_empty() {
            tr!("Enter {}", what)
        } else {
            tr!("“{}” is not a whole number", t)
        }
    })
}

/// The message for `field` in a validation result, or empty.
pub fn message(invalid: &Invalid, field: &str) -> SharedString {
    invalid
        .for_field(field)
        .map(capitalise)
        .unwrap_or_default()
        .into()
}

/// A rule's message as a sentence for display beside its field.
pub fn capitalise(msg: &str) -> String {
    let mut c = msg.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The first of several results' error, or empty.
pub fn first_error<T>(r: &Result<T, String>) -> SharedString {
    r.as_ref().err().cloned().unwrap_or_default().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_numbers_explain_what_is_wrong() {
        assert!(date("2026-02-30").unwrap_err().contains("not a date"));
        assert!(date(" ").unwrap_err().contains("Enter a date"));
        assert_eq!(number("8,64", "the latitude").unwrap(), 8.64);
        assert!(
            number("north", "the latitude")
                .unwrap_err()
                .contains("not a number")
        );
        assert!(count("-3", "the number of workers").is_err());
    }
}
