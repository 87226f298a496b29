//! KP reporting periods: a year, a half-year (the KP production statistics) or a quarter (the
//! trade statistics). A period is a span of local calendar days, because the production day is
//! a date in the site's local time: no time zone arithmetic is needed or wanted here.

use super::AnalyticsError;
use chrono::NaiveDate;
use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A reporting period, written `2026`, `2026-H1` or `2026-Q3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Year(i32),
    /// Half 1 (January–June) or 2 (July–December).
    Half(i32, u8),
    /// Quarter 1–4.
    Quarter(i32, u8),
}

impl Period {
    /// The first day of the period.
    pub fn first_day(self) -> NaiveDate {
        let (y, m) = match self {
            Period::Year(y) => (y, 1),
            Period::Half(y, h) => (y, 1 + 6 * (u32::from(h) - 1)),
            Period::Quarter(y, q) => (y, 1 + 3 * (u32::from(q) - 1)),
        };
        // Invariant: the year is range-checked by FromStr and the month is 1..=10.
        NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The last day of the period (inclusive).
    pub fn last_day(self) -> NaiveDate {
        let (y, m) = match self {
            Period::Year(y) => (y, 12),
            Period::Half(y, h) => (y, 6 * u32::from(h)),
            Period::Quarter(y, q) => (y, 3 * u32::from(q)),
        };
        let next = if m == 12 {
            NaiveDate::from_ymd_opt(y + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(y, m + 1, 1)
        };
        next.and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MAX)
    }

    /// Whether a production day falls in the period.
    pub fn contains(self, day: NaiveDate) -> bool {
        (self.first_day()..=self.last_day()).contains(&day)
    }
}

impl FromStr for Period {
    type Err = AnalyticsError;
    fn from_str(s: &str) -> Result<Self, AnalyticsError> {
        let bad = |why: &str| {
            AnalyticsError::BadPeriod(format!(
                "{s:?} is not a reporting period ({why}); write 2026, 2026-H1 or 2026-Q3"
            ))
        };
        let t = s.trim();
        let (year, part) = t.split_once('-').unwrap_or((t, ""));
        if year.len() != 4 || !year.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad("the year must have four digits"));
        }
        let y: i32 = year.parse().map_err(|_| bad("bad year"))?;
        if !(1900..=2999).contains(&y) {
            return Err(bad("the year is out of range"));
        }
        if part.is_empty() {
            if t.ends_with('-') {
                return Err(bad("nothing after the dash"));
            }
            return Ok(Period::Year(y));
        }
        let mut chars = part.chars();
        let kind = chars.next().map(|c| c.to_ascii_uppercase());
        let n: u8 = chars
            .as_str()
            .parse()
            .map_err(|_| bad("expected H1, H2 or Q1 to Q4 after the year"))?;
        match (kind, n) {
            (Some('H'), 1..=2) => Ok(Period::Half(y, n)),
            (Some('Q'), 1..=4) => Ok(Period::Quarter(y, n)),
            (Some('H'), _) => Err(bad("a year has halves H1 and H2")),
            (Some('Q'), _) => Err(bad("a year has quarters Q1 to Q4")),
            _ => Err(bad("expected H1, H2 or Q1 to Q4 after the year")),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Year(y) => write!(f, "{y}"),
            Period::Half(y, h) => write!(f, "{y}-H{h}"),
            Period::Quarter(y, q) => write!(f, "{y}-Q{q}"),
        }
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_parse_and_span_their_days() {
        let cases = [
            ("2026", d(2026, 1, 1), d(2026, 12, 31)),
            ("2026-H1", d(2026, 1, 1), d(2026, 6, 30)),
            ("2026-h2", d(2026, 7, 1), d(2026, 12, 31)),
            ("2026-Q1", d(2026, 1, 1), d(2026, 3, 31)),
            ("2024-Q1", d(2024, 1, 1), d(2024, 3, 31)),
            ("2026-Q3", d(2026, 7, 1), d(2026, 9, 30)),
            (" 2026-Q4 ", d(2026, 10, 1), d(2026, 12, 31)),
        ];
        for (text, first, last) in cases {
            let p: Period = text.parse().unwrap();
            assert_eq!((p.first_day(), p.last_day()), (first, last), "{text}");
            assert_eq!(p.to_string(), text.trim().to_uppercase().replace('h', "H"));
        }
        assert!(Period::Half(2026, 1).contains(d(2026, 6, 30)));
        assert!(!Period::Half(2026, 1).contains(d(2026, 7, 1)));
    }

    #[test]
    fn bad_periods_are_refused_with_a_reason() {
        let cases = [
            ("26-H1", "four digits"),
            ("2026-H3", "H1 and H2"),
            ("2026-Q0", "Q1 to Q4"),
            ("2026-Q5", "Q1 to Q4"),
            ("2026-M1", "expected H1"),
            ("2026-", "after the dash"),
            ("", "four digits"),
            ("2026-H", "expected H1"),
            ("0999", "out of range"),
        ];
        for (text, why) in cases {
            let err = text.parse::<Period>().unwrap_err().to_string();
            assert!(err.contains(why), "{text:?}: {err}");
            assert!(err.contains("2026-H1"), "{err}");
        }
    }
}
