//! Diggers: the artisanal miners a licensing office registers.

use super::{DiggerId, DiggerStatus, Invalid, Sex, check_text};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Youngest age at which a person may be registered to dig: mining is among the worst forms of
/// child labour (ILO C182), and licensing laws in the producing countries set 18.
pub const MIN_DIGGER_AGE: i32 = 18;

/// A registered digger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Digger {
    pub id: DiggerId,
    /// National id or voter card number; unique.
    pub national_id: String,
    pub full_name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub village: String,
    pub chiefdom: String,
    /// Phone number, may be empty.
    pub phone: String,
    /// Region code.
    pub region: String,
    pub status: DiggerStatus,
}

impl Digger {
    /// Checks the record's own rules; `today` bounds the birth date.
    pub fn validate(&self, today: NaiveDate) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        check_text(&mut e, "national_id", &self.national_id, true, 40);
        check_text(&mut e, "full_name", &self.full_name, true, 120);
        check_text(&mut e, "village", &self.village, false, 80);
        check_text(&mut e, "chiefdom", &self.chiefdom, false, 80);
        check_text(&mut e, "region", &self.region, true, 40);
        if !self
            .phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()".contains(c))
            || self.phone.len() > 24
        {
            e.push("phone", format!("{:?} is not a phone number", self.phone));
        }
        let age = age_on(self.birth_date, today);
        if self.birth_date > today {
            e.push(
                "birth_date",
                format!("{} is in the future", self.birth_date),
            );
        } else if self.birth_date.year() < 1900 || age > 110 {
            e.push(
                "birth_date",
                format!("{} is not a plausible birth date", self.birth_date),
            );
        } else if age < MIN_DIGGER_AGE {
            e.push(
                "birth_date",
                format!(
                    "{} makes the digger {age}, under {MIN_DIGGER_AGE}",
                    self.birth_date
                ),
            );
        }
        e.into_result()
    }
}

/// Age in whole years on `day`.
pub fn age_on(birth: NaiveDate, day: NaiveDate) -> i32 {
    let mut age = day.year() - birth.year();
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digger() -> Digger {
        Digger {
            id: DiggerId::new(),
            national_id: "SL-123456".into(),
            full_name: "Fatmata Kamara".into(),
            sex: Sex::Female,
            birth_date: NaiveDate::from_ymd_opt(1990, 5, 1).unwrap(),
            village: "Tombodu".into(),
            chiefdom: "Kamara".into(),
            phone: "+232 76 123456".into(),
            region: "SL-KONO".into(),
            status: DiggerStatus::Active,
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    #[test]
    fn a_complete_record_is_valid() {
        assert_eq!(digger().validate(today()), Ok(()));
    }

    #[test]
    fn each_rule_names_its_field() {
        #[allow(clippy::type_complexity)]
        let cases: Vec<(fn(&mut Digger), &str)> = vec![
            (|d| d.full_name = " ".into(), "full_name"),
            (|d| d.national_id.clear(), "national_id"),
            (
                |d| d.birth_date = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
                "birth_date",
            ),
            (
                |d| d.birth_date = NaiveDate::from_ymd_opt(1850, 1, 1).unwrap(),
                "birth_date",
            ),
            (
                |d| d.birth_date = NaiveDate::from_ymd_opt(2012, 1, 1).unwrap(),
                "birth_date",
            ),
            (|d| d.phone = "call me".into(), "phone"),
        ];
        for (break_it, field) in cases {
            let mut d = digger();
            break_it(&mut d);
            let err = d.validate(today()).unwrap_err();
            assert!(
                err.for_field(field).is_some(),
                "expected an error on {field}, got {err}"
            );
        }
    }

    #[test]
    fn age_counts_whole_years() {
        let b = NaiveDate::from_ymd_opt(2000, 6, 15).unwrap();
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2018, 6, 14).unwrap()), 17);
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2018, 6, 15).unwrap()), 18);
    }
}
