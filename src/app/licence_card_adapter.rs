//! Licence cards in the GUI: "Print card" on the Licences page writes the signed card's PDF to
//! the cards folder and says where; "Verify card" on the Diggers page checks a scanned code
//! offline and shows what it proved, including the licence's standing today.

use super::context::Ctx;
use super::{AppWindow, LicenceCardAdapter};
use crate::report::licence_card::CardLanguage;
use crate::report::{CardOptions, CardVerdict, issue_card, verify_card};
use crate::tr;
use slint::ComponentHandle;
use std::path::PathBuf;
use std::rc::Rc;

/// Where printed cards go unless the page is told otherwise: `ALLUVIUM_CARDS_DIR`, else
/// `alluvium-cards` in the home folder.
pub fn cards_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ALLUVIUM_CARDS_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::UserDirs::new()
        .map(|d| d.home_dir().join("alluvium-cards"))
        .unwrap_or_else(|| PathBuf::from("alluvium-cards"))
}

/// The card's file name: the licence number with anything but letters, digits and `-` made
/// `-`, so `KONO/AM/2026/0042` becomes `KONO-AM-2026-0042.pdf`.
pub fn card_file_name(number: &str, language: CardLanguage) -> String {
    let safe: String = number
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    match language {
        CardLanguage::En => format!("{safe}.pdf"),
        CardLanguage::Fr => format!("{safe}-fr.pdf"),
    }
}

/// A licence's standing today (as `verify_card` spells it) in the app's language.
fn standing_word(standing: &str) -> String {
    match standing {
        "active" => tr!("active"),
        "expiring" => tr!("expiring"),
        "expired" => tr!("expired"),
        "suspended" => tr!("suspended"),
        "revoked" => tr!("revoked"),
        "not yet valid" => tr!("not yet valid"),
        other => other.to_string(),
    }
}

/// What the verdict panel shows: a title, a detail line, and its kind (1 valid and in good
/// standing, 2 valid but not in good standing today, 3 not valid).
pub fn verdict_text(v: &CardVerdict) -> (String, String, i32) {
    let lang = crate::i18n::current();
    let detail = tr!(
        "{number} · {holder} ({id}) · valid until {until} · signed by device {device}",
        number = v.number,
        holder = v.holder,
        id = if v.holder_id.is_empty() {
            "—"
        } else {
            &v.holder_id
        },
        until = crate::i18n::dates::show(lang, v.valid_until),
        device = v.signed_by
    );
    if let Some(reason) = &v.reason {
        return (tr!("Not valid: {}", reason), detail, 3);
    }
    let area = match v.area_matches {
        Some(false) => format!(
            " {}",
            tr!("The licensed area has changed since the card was printed.")
        ),
        _ => String::new(),
    };
    match v.standing_today.as_deref() {
        Some(s @ ("active" | "expiring")) => (
            tr!("Authentic card; the licence is {} today.", standing_word(s)) + &area,
            detail,
            if area.is_empty() { 1 } else { 2 },
        ),
        Some(s) => (
            tr!(
                "Authentic card, but the licence is {} today.",
                standing_word(s)
            ) + &area,
            detail,
            2,
        ),
        None => (
            tr!(
                "Authentic card, but the licence is not in this device's registry: its standing today is unknown."
            ),
            detail,
            2,
        ),
    }
}

/// Wires the card's Print button and Verify field.
pub fn connect(app: &AppWindow, ctx: Rc<Ctx>) {
    let a = app.global::<LicenceCardAdapter>();
    a.set_cards_dir(cards_dir().display().to_string().into());

    let (weak, c) = (app.as_weak(), ctx.clone());
    a.on_print_card(move |number| {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<LicenceCardAdapter>();
        let language = if a.get_language_index() == 1 {
            CardLanguage::Fr
        } else {
            CardLanguage::En
        };
        let dir = PathBuf::from(a.get_cards_dir().as_str());
        let path = dir.join(card_file_name(&number, language));
        // The holder digger's newest photo, when its picture is on this device.
        let holder = c
            .store
            .borrow()
            .licence_by_number(number.trim())
            .ok()
            .flatten()
            .and_then(|l| l.holder_digger_id);
        let photo = holder.and_then(|d| super::photo_view::latest_bytes(&c, d.0));
        let store = c.store.borrow();
        let supporters = crate::report::supporter_names(&store, number.trim()).unwrap_or_default();
        let result = issue_card(
            &store,
            &store.card_keys(),
            number.trim(),
            CardOptions {
                language,
                supporters: &supporters,
                photo: photo.as_deref(),
            },
        )
        .map_err(|e| e.to_string())
        .and_then(|card| {
            std::fs::create_dir_all(&dir)
                .map_err(|e| tr!("cannot create {}: {}", dir.display(), e))?;
            let tmp = path.with_extension("partial");
            std::fs::write(&tmp, &card.pdf)
                .and_then(|()| std::fs::rename(&tmp, &path))
                .map_err(|e| tr!("cannot write {}: {}", path.display(), e))
        });
        match result {
            Ok(()) => {
                a.set_print_is_error(false);
                a.set_print_status(
                    tr!("Card saved to {}: open it to print.", path.display()).into(),
                );
            }
            Err(e) => {
                a.set_print_is_error(true);
                a.set_print_status(tr!("No card printed: {}", e).into());
            }
        }
    });

    let (weak, c) = (app.as_weak(), ctx);
    a.on_verify(move |code| {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<LicenceCardAdapter>();
        let store = c.store.borrow();
        let (title, detail, kind) =
            match verify_card(&store, &store.card_keys(), &code, c.today.get()) {
                Ok(v) => verdict_text(&v),
                Err(e) => (tr!("Not a valid card code: {}", e), String::new(), 3),
            };
        a.set_verdict_title(title.into());
        a.set_verdict_detail(detail.into());
        a.set_verdict_kind(kind);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn verdict() -> CardVerdict {
        CardVerdict {
            valid: true,
            number: "KONO/AM/2026/0042".into(),
            holder: "Fatmata Kamara".into(),
            holder_id: "SL-0042".into(),
            valid_until: NaiveDate::from_ymd_opt(2027, 1, 9).unwrap(),
            standing_today: Some("active".into()),
            area_matches: Some(true),
            signed_by: uuid::Uuid::nil(),
            reason: None,
        }
    }

    #[test]
    fn the_verdict_says_authenticity_and_standing_apart() {
        assert_eq!(verdict_text(&verdict()).2, 1);
        let mut v = verdict();
        v.standing_today = Some("suspended".into());
        let (title, _, kind) = verdict_text(&v);
        assert_eq!(kind, 2);
        assert!(
            title.contains("Authentic") && title.contains("suspended"),
            "{title}"
        );
        let mut v = verdict();
        v.area_matches = Some(false);
        assert_eq!(verdict_text(&v).2, 2);
        let mut v = verdict();
        v.valid = false;
        v.reason = Some("the signature does not match".into());
        let (title, _, kind) = verdict_text(&v);
        assert_eq!(kind, 3);
        assert!(title.starts_with("Not valid"), "{title}");
    }

    #[test]
    fn card_file_names_are_safe() {
        assert_eq!(
            card_file_name("KONO/AM/2026/0042", CardLanguage::En),
            "KONO-AM-2026-0042.pdf"
        );
        assert_eq!(card_file_name("../x y", CardLanguage::Fr), "---x-y-fr.pdf");
    }
}
