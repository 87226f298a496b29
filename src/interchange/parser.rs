//! Reading the fields of one CSV row into typed values, collecting every bad field of the row
//! instead of stopping at the first.

use super::columns::Row;
use chrono::{DateTime, NaiveDate, Utc};
use std::str::FromStr;

/// Collects every bad field of a row instead of stopping at the first.
pub(super) struct Parser<'r, 'a> {
    pub(super) row: &'r Row<'a>,
    pub(super) errors: Vec<String>,
}

impl Parser<'_, '_> {
    pub(super) fn text(&mut self, col: &str) -> String {
        self.row.get(col).to_string()
    }

    pub(super) fn parse_with<T: Default>(
        &mut self,
        col: &str,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> T {
        let raw = self.row.get(col);
        match f(raw) {
            Ok(v) => v,
            Err(e) => {
                let e = if raw.is_empty() {
                    "is required".to_string()
                } else {
                    e
                };
                self.errors.push(format!("{col} {e}"));
                T::default()
            }
        }
    }

    pub(super) fn parse<T: FromStr<Err = String> + Default>(&mut self, col: &str) -> T {
        self.parse_with(col, |s| s.parse())
    }

    pub(super) fn opt<T: FromStr<Err = String>>(&mut self, col: &str) -> Option<T> {
        let raw = self.row.get(col);
        if raw.is_empty() {
            return None;
        }
        match raw.parse() {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(format!("{col} {e}"));
                None
            }
        }
    }

    pub(super) fn id<T: FromStr<Err = String> + Default>(&mut self, col: &str) -> T {
        // An empty id means "make one"; T::default() is a fresh UUIDv7.
        if self.row.get(col).is_empty() {
            T::default()
        } else {
            self.parse(col)
        }
    }

    pub(super) fn date(&mut self, col: &str) -> NaiveDate {
        self.parse_with(col, |s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| format!("{s:?} is not a calendar date (YYYY-MM-DD)"))
        })
    }

    pub(super) fn opt_date(&mut self, col: &str) -> Option<NaiveDate> {
        if self.row.get(col).is_empty() {
            None
        } else {
            Some(self.date(col))
        }
    }

    pub(super) fn number(&mut self, col: &str) -> f64 {
        self.parse_with(col, |s| match s.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(format!("{s:?} is not a number")),
        })
    }

    pub(super) fn time(&mut self, col: &str) -> Option<DateTime<Utc>> {
        let raw = self.row.get(col);
        if raw.is_empty() {
            return None;
        }
        match DateTime::parse_from_rfc3339(raw) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                self.errors
                    .push(format!("{col} {raw:?} is not an RFC 3339 UTC time"));
                None
            }
        }
    }

    pub(super) fn list<T: FromStr<Err = String>>(&mut self, col: &str) -> Vec<T> {
        let raw = self.row.get(col).to_string();
        raw.split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .filter_map(|s| match s.parse() {
                Ok(v) => Some(v),
                Err(e) => {
                    self.errors.push(format!("{col} {e}"));
                    None
                }
            })
            .collect()
    }
}
