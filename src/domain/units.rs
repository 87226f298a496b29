//! Integer units: weights in hundredths of a carat, money in US cents, gravel in litres.
//! Decimal text is parsed exactly (never through a float) so that "0.29" is 29, not 28.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Parses a non-negative decimal with at most `places` decimals into an integer scaled by
/// 10^places.
fn parse_fixed(s: &str, places: u32, what: &str) -> Result<i64, String> {
    let t = s.trim();
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |x: &str| x.chars().all(|c| c.is_ascii_digit());
    if t.is_empty() || (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return Err(format!(
            "{s:?} is not a {what} (expected e.g. {})",
            example(places)
        ));
    }
    if frac.len() > places as usize {
        return Err(format!("{s:?} has more than {places} decimals"));
    }
    let scale = 10i64.pow(places);
    let int: i64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| format!("{s:?} is too large"))?
    };
    let frac_scaled: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse::<i64>()
            .map_err(|_| format!("{s:?} is not a number"))?
            * 10i64.pow(places - frac.len() as u32)
    };
    int.checked_mul(scale)
        .and_then(|v| v.checked_add(frac_scaled))
        .ok_or_else(|| format!("{s:?} is too large"))
}

fn example(places: u32) -> &'static str {
    match places {
        2 => "1.25",
        _ => "1.5",
    }
}

fn write_fixed(f: &mut fmt::Formatter<'_>, v: i64, places: u32) -> fmt::Result {
    let scale = 10i64.pow(places);
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    write!(
        f,
        "{sign}{}.{:0width$}",
        a / scale as u64,
        a % scale as u64,
        width = places as usize
    )
}

/// A weight in hundredths of a carat (1 ct = 100 = 0.2 g).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Centicarats(pub i64);

impl Centicarats {
    /// Carats as a float, for statistics and display only; never stored.
    pub fn carats_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl FromStr for Centicarats {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_fixed(s, 2, "weight in carats").map(Self)
    }
}

impl fmt::Display for Centicarats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_fixed(f, self.0, 2)
    }
}

/// An amount in US cents.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Cents(pub i64);

impl FromStr for Cents {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_fixed(s, 2, "US dollar amount").map(Self)
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_fixed(f, self.0, 2)
    }
}

/// A volume of gravel in litres, written as cubic metres with up to three decimals.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Litres(pub i64);

impl Litres {
    /// Parses cubic metres such as "4.5" (at most three decimals).
    pub fn from_m3(s: &str) -> Result<Self, String> {
        parse_fixed(s, 3, "volume in m³").map(Self)
    }

    /// Cubic metres, trailing zeros trimmed: 4500 → "4.5", 4000 → "4".
    pub fn to_m3_string(self) -> String {
        let whole = self.0 / 1000;
        let frac = self.0 % 1000;
        if frac == 0 {
            whole.to_string()
        } else {
            format!("{whole}.{frac:03}")
                .trim_end_matches('0')
                .to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carats_parse_exactly() {
        let cases = [
            ("0.29", 29),
            ("1", 100),
            ("1.5", 150),
            (".05", 5),
            ("12.34", 1234),
            (" 3.10 ", 310),
        ];
        for (text, cc) in cases {
            assert_eq!(text.parse::<Centicarats>(), Ok(Centicarats(cc)), "{text}");
        }
    }

    #[test]
    fn bad_carat_text_is_refused_with_a_reason() {
        for text in ["", "abc", "1.234", "-1", "1,5", "1e3", "."] {
            assert!(
                text.parse::<Centicarats>().is_err(),
                "{text} should be refused"
            );
        }
        assert!(
            "1.234"
                .parse::<Centicarats>()
                .unwrap_err()
                .contains("more than 2 decimals")
        );
    }

    #[test]
    fn carats_format_with_two_decimals() {
        assert_eq!(Centicarats(5).to_string(), "0.05");
        assert_eq!(Centicarats(12345).to_string(), "123.45");
        assert_eq!(Cents(100_050).to_string(), "1000.50");
    }

    #[test]
    fn gravel_round_trips_through_m3_text() {
        for text in ["4.5", "4", "0.125", "12.05"] {
            assert_eq!(Litres::from_m3(text).unwrap().to_m3_string(), text);
        }
    }
}
