//! Calendar dates as the language writes them (`2026-12-02` in English, `02/12/2026` in French),
//! and read back: ISO 8601 is always accepted; French also takes day/month/year. English takes
//! no slashed form, since `02/12/2026` is the 2nd of December to some and the 12th of February
//! to others.

use super::Lang;
use crate::tr;
use chrono::NaiveDate;

/// `day` as shown in `lang`.
pub fn show(lang: Lang, day: NaiveDate) -> String {
    match lang {
        Lang::En => day.format("%Y-%m-%d").to_string(),
        Lang::Fr => day.format("%d/%m/%Y").to_string(),
    }
}

/// A date typed in `lang`, or a message for beside the field.
pub fn parse(lang: Lang, text: &str) -> Result<NaiveDate, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(match lang {
            Lang::En => tr!("Enter a date as YYYY-MM-DD"),
            Lang::Fr => tr!("Enter a date as DD/MM/YYYY or YYYY-MM-DD"),
        });
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d);
    }
    let slashed = t.split('/').count() == 3;
    match lang {
        Lang::Fr if slashed => {
            let parts: Vec<&str> = t.split('/').collect();
            let year_ok = parts[2].len() == 4;
            let day = NaiveDate::parse_from_str(t, "%d/%m/%Y")
                .ok()
                .filter(|_| year_ok);
            day.ok_or_else(|| tr!("“{text}” is not a date (DD/MM/YYYY)", text = t))
        }
        Lang::En if slashed => Err(tr!(
            "“{text}” could be read two ways: type the date as YYYY-MM-DD",
            text = t
        )),
        Lang::Fr => Err(tr!("“{text}” is not a date (DD/MM/YYYY)", text = t)),
        Lang::En => Err(tr!("“{text}” is not a date (YYYY-MM-DD)", text = t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_show_and_read_in_the_language() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(show(Lang::Fr, d), "02/12/2026");
        assert_eq!(show(Lang::En, d), "2026-12-02");
        use Lang::{En, Fr};
        type Case = (Lang, &'static str, Option<(i32, u32, u32)>);
        let table: &[Case] = &[
            (En, "2026-12-02", Some((2026, 12, 2))),
            (Fr, "2026-12-02", Some((2026, 12, 2))),
            (Fr, "02/12/2026", Some((2026, 12, 2))),
            (Fr, "2/12/2026", Some((2026, 12, 2))),
            (Fr, " 31/01/2027 ", Some((2027, 1, 31))),
            (Fr, "31/02/2026", None),
            (Fr, "02/12/26", None),
            (Fr, "12/31/2026", None),
            (En, "02/12/2026", None),
            (En, "2026-02-30", None),
            (En, "", None),
            (Fr, "demain", None),
        ];
        for (lang, typed, want) in table {
            let got = parse(*lang, typed).ok();
            let want = want.map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap());
            assert_eq!(got, want, "{lang:?} {typed:?}");
        }
        assert!(parse(En, "02/12/2026").unwrap_err().contains("YYYY-MM-DD"));
    }
}
