//! Carats and money as the language writes them (`1,234.56` / `1 234,56`), and read back as the
//! user types them, exactly (through the integer units, never a float). A number that could be
//! read two ways — `1,250` in English, `1.250` in French: a thousand and more, or one and a
//! quarter? — is refused with a message that says how to type it.

use super::Lang;
use crate::domain::{Centicarats, Cents};
use crate::tr;

/// The no-break space French puts between groups of digits and before a unit.
pub const NBSP: char = '\u{a0}';

/// An integer count of hundredths as the language writes it: `1,234.56` or `1 234,56`.
pub fn hundredths(lang: Lang, value: i64) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let a = value.unsigned_abs();
    let (group, decimal) = marks(lang);
    format!("{sign}{}{decimal}{:02}", grouped(a / 100, group), a % 100)
}

/// A whole number with the language's digit groups: `12,345` or `12 345`.
pub fn whole(lang: Lang, value: i64) -> String {
    let sign = if value < 0 { "-" } else { "" };
    format!("{sign}{}", grouped(value.unsigned_abs(), marks(lang).0))
}

/// A weight with its unit: `1,234.56 ct` or `1 234,56 ct`.
pub fn carats(lang: Lang, weight: Centicarats) -> String {
    let space = if lang == Lang::Fr { NBSP } else { ' ' };
    format!("{}{space}ct", hundredths(lang, weight.0))
}

/// An amount in US dollars: `1,234.56 USD` or `1 234,56 USD`.
pub fn usd(lang: Lang, amount: Cents) -> String {
    let space = if lang == Lang::Fr { NBSP } else { ' ' };
    format!("{}{space}USD", hundredths(lang, amount.0))
}

/// A number with `places` decimals and the language's decimal mark, without digit groups (a
/// latitude, a ratio): `8.123456` or `8,123456`.
pub fn decimal(lang: Lang, value: f64, places: usize) -> String {
    let s = format!("{value:.places$}");
    match lang {
        Lang::En => s,
        Lang::Fr => s.replace('.', ","),
    }
}

fn marks(lang: Lang) -> (char, char) {
    match lang {
        Lang::En => (',', '.'),
        Lang::Fr => (NBSP, ','),
    }
}

fn grouped(v: u64, group: char) -> String {
    let digits = v.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(group);
        }
        out.push(c);
    }
    out
}

/// Reads a weight typed in `lang` (`0.35`, `1,234.5` in English; `0,35`, `1 234,5` in French).
pub fn parse_carats(lang: Lang, text: &str) -> Result<Centicarats, String> {
    normalise(lang, text)?.parse::<Centicarats>().map_err(|_| {
        tr!(
            "“{text}” is not a weight in carats with at most two decimals",
            text = text.trim()
        )
    })
}

/// Reads an amount in US dollars typed in `lang`.
pub fn parse_usd(lang: Lang, text: &str) -> Result<Cents, String> {
    normalise(lang, text)?.parse::<Cents>().map_err(|_| {
        tr!(
            "“{text}” is not an amount in US dollars with at most two decimals",
            text = text.trim()
        )
    })
}

/// Reads a decimal number typed in `lang`, perhaps negative (a latitude, a longitude, an
/// accuracy): read as carats are, so `1,250` is refused rather than guessed.
pub fn parse_decimal(lang: Lang, text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (sign, rest) = match t.strip_prefix(['-', '\u{2212}']) {
        Some(r) => (-1.0, r),
        None => (1.0, t),
    };
    let plain = normalise(lang, rest)?;
    match plain.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(sign * v),
        _ => Err(not_a_number(t)),
    }
}

/// A number typed in `lang` as plain digits with a `.` for decimals (`1 234,5` → `1234.5`), for
/// a value read by its own exact parser (cubic metres); refused as [`parse_carats`] refuses.
pub fn plain(lang: Lang, text: &str) -> Result<String, String> {
    normalise(lang, text)
}

/// Rewrites a number typed in `lang` as plain digits with a `.` for decimals, or says why it
/// cannot be read for sure. Spaces (also no-break ones) may group digits by three; the
/// language's decimal mark is taken as such; the other mark is taken as decimals only where it
/// cannot be a group of thousands (`0.35` in French), and refused where it could (`1.250`).
fn normalise(lang: Lang, text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(tr!("Enter a number"));
    }
    let (own_decimal, other) = match lang {
        Lang::En => ('.', ','),
        Lang::Fr => (',', '.'),
    };
    let spaced = |c: char| c == ' ' || c == NBSP || c == '\u{202f}';
    let has_own = t.contains(own_decimal);
    let has_other = t.contains(other);
    // With both marks the last one is the decimal mark, and it must be the language's.
    let (int_part, frac_part, group_mark) = if has_own && has_other {
        let last = t.rfind([own_decimal, other]).unwrap_or(0);
        if !t[last..].starts_with(own_decimal) {
            return Err(ambiguous(lang, t));
        }
        (&t[..last], &t[last + 1..], Some(other))
    } else if has_own {
        let (i, f) = t.split_once(own_decimal).unwrap_or((t, ""));
        (i, f, None)
    } else if has_other {
        let (i, f) = t.split_once(other).unwrap_or((t, ""));
        let looks_grouped = f.len() == 3
            && i.trim_start_matches('0')
                .chars()
                .any(|c| c.is_ascii_digit());
        if looks_grouped || f.contains(other) {
            return Err(ambiguous(lang, t));
        }
        (i, f, None)
    } else {
        (t, "", None)
    };
    if frac_part.contains([own_decimal, other]) || frac_part.contains(spaced) {
        return Err(not_a_number(t));
    }
    let groups: Vec<&str> = int_part
        .split(|c: char| spaced(c) || Some(c) == group_mark)
        .collect();
    let well_grouped = groups.len() == 1
        || (!groups[0].is_empty()
            && groups[0].len() <= 3
            && groups[1..].iter().all(|g| g.len() == 3));
    if !well_grouped {
        return Err(not_a_number(t));
    }
    let int: String = groups.concat();
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !all_digits(&int) || !all_digits(frac_part) || (int.is_empty() && frac_part.is_empty()) {
        return Err(not_a_number(t));
    }
    Ok(if frac_part.is_empty() {
        int
    } else {
        format!("{int}.{frac_part}")
    })
}

fn ambiguous(lang: Lang, t: &str) -> String {
    match lang {
        Lang::En => tr!(
            "“{text}” could be read two ways: type 1250 for a thousand and more, or 1.25 with a point for decimals",
            text = t
        ),
        Lang::Fr => tr!(
            "“{text}” could be read two ways: type 1250 for a thousand and more, or 1,25 with a comma for decimals",
            text = t
        ),
    }
}

fn not_a_number(t: &str) -> String {
    tr!("“{text}” is not a number", text = t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_in_the_language() {
        let fr_space = NBSP;
        for (v, en, fr) in [
            (0, "0.00", "0,00".to_string()),
            (35, "0.35", "0,35".to_string()),
            (123_456, "1,234.56", format!("1{fr_space}234,56")),
            (-123_456, "-1,234.56", format!("-1{fr_space}234,56")),
            (
                100_000_000,
                "1,000,000.00",
                format!("1{fr_space}000{fr_space}000,00"),
            ),
        ] {
            assert_eq!(hundredths(Lang::En, v), en);
            assert_eq!(hundredths(Lang::Fr, v), fr);
        }
        assert_eq!(
            carats(Lang::Fr, Centicarats(123_456)),
            "1\u{a0}234,56\u{a0}ct"
        );
        assert_eq!(usd(Lang::En, Cents(5)), "0.05 USD");
        assert_eq!(whole(Lang::Fr, 12345), "12\u{a0}345");
        assert_eq!(whole(Lang::En, 999), "999");
    }

    #[test]
    fn typed_numbers_are_read_exactly_or_refused() {
        use Lang::{En, Fr};
        // (language, typed, hundredths or None when refused)
        let table: &[(Lang, &str, Option<i64>)] = &[
            (En, "0.35", Some(35)),
            (En, " 12 ", Some(1200)),
            (En, ".5", Some(50)),
            (En, "1,234.56", Some(123_456)),
            (En, "1 234.56", Some(123_456)),
            (En, "0,35", Some(35)),
            (En, "1,250", None),
            (En, "12,500", None),
            (En, "1,2,3", None),
            (En, "1.234,5", None),
            (En, "1.2.3", None),
            (En, "1,23,456.00", None),
            (En, "0.355", None),
            (En, "abc", None),
            (En, "", None),
            (En, "-1", None),
            (Fr, "0,35", Some(35)),
            (Fr, "1 234,56", Some(123_456)),
            (Fr, "1\u{a0}234,56", Some(123_456)),
            (Fr, "1\u{202f}234,5", Some(123_450)),
            (Fr, "1.234,56", Some(123_456)),
            (Fr, "0.35", Some(35)),
            (Fr, "0.250", None),
            (Fr, "1.250", None),
            (Fr, "12.500", None),
            (Fr, "1,234.56", None),
            (Fr, "12 34,5", None),
            (Fr, "1 2345", None),
            (Fr, "7", Some(700)),
            (Fr, ",", None),
        ];
        for (lang, typed, want) in table {
            let got = parse_carats(*lang, typed).map(|c| c.0).ok();
            assert_eq!(got, *want, "{lang:?} {typed:?}");
        }
        assert_eq!(parse_usd(Fr, "1 500,00").unwrap(), Cents(150_000));
        assert!(parse_usd(En, "1,500").is_err());
    }

    #[test]
    fn decimals_such_as_positions_are_read_as_carats_are() {
        use Lang::{En, Fr};
        let table: &[(Lang, &str, Option<f64>)] = &[
            (En, "8.123456", Some(8.123456)),
            (En, "-13.25", Some(-13.25)),
            (En, "8,64", Some(8.64)),
            (En, "1,250", None),
            (Fr, "8,123456", Some(8.123456)),
            (Fr, "-13,25", Some(-13.25)),
            (Fr, "8.123456", Some(8.123456)),
            (Fr, "1.250", None),
            (Fr, "-", None),
            (Fr, "nord", None),
        ];
        for (lang, typed, want) in table {
            assert_eq!(
                parse_decimal(*lang, typed).ok(),
                *want,
                "{lang:?} {typed:?}"
            );
        }
        assert_eq!(decimal(Fr, -13.5, 6), "-13,500000");
        assert_eq!(decimal(En, 8.25, 1), "8.2");
    }

    #[test]
    fn a_number_read_two_ways_says_how_to_type_it() {
        let e = parse_carats(Lang::En, "1,250").unwrap_err();
        assert!(e.contains("1.25") && e.contains("1250"), "{e}");
    }
}
