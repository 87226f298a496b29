//! The app's language: the device's setting when an officer chose one on the Settings page,
//! else the locale's. Choosing applies at once: Slint's bundled catalogue for the `.slint`
//! strings, `crate::i18n` for those built in Rust, then the pages are drawn again.

use super::context::Ctx;
use super::{AppWindow, LicenceCardAdapter, SettingsAdapter};
use crate::i18n::{self, Lang};
use slint::ComponentHandle;
use std::rc::Rc;

/// The device setting that holds the chosen language (`en` or `fr`).
pub const LANGUAGE: &str = "language";

/// Languages in the order of the Settings page's choice.
const CHOICES: [Lang; 2] = [Lang::En, Lang::Fr];

/// The language stored on the device, else the environment's.
pub fn chosen(ctx: &Ctx) -> Lang {
    match ctx.store.borrow().setting(LANGUAGE) {
        Ok(Some(code)) => Lang::from_code(&code).unwrap_or_else(Lang::from_env),
        _ => Lang::from_env(),
    }
}

/// Shows the window and everything built in Rust in `lang`.
pub fn apply(app: &AppWindow, lang: Lang) {
    i18n::set_current(lang);
    // English is the source text; the bundle has French only. Selecting can only fail when the
    // UI was built without the catalogue, and then English is what shows anyway.
    let _ = slint::select_bundled_translation(match lang {
        Lang::En => "",
        Lang::Fr => "fr",
    });
    let index = CHOICES.iter().position(|l| *l == lang).unwrap_or(0) as i32;
    app.global::<SettingsAdapter>().set_language_index(index);
    // A printed card follows the app's language unless the officer picks another.
    app.global::<LicenceCardAdapter>().set_language_index(index);
}

/// Wires the Settings page's language choice: stores it, applies it, redraws through
/// `redraw`.
pub fn connect(app: &AppWindow, ctx: Rc<Ctx>, redraw: Rc<dyn Fn()>) {
    apply(app, chosen(&ctx));
    let weak = app.as_weak();
    app.global::<SettingsAdapter>()
        .on_choose_language(move |index| {
            let Some(app) = weak.upgrade() else { return };
            let lang = CHOICES
                .get(index.max(0) as usize)
                .copied()
                .unwrap_or_default();
            let a = app.global::<SettingsAdapter>();
            match ctx.store.borrow_mut().set_setting(LANGUAGE, lang.code()) {
                Ok(()) => a.set_language_status("".into()),
                // Still applied for this session; the message says it will not last.
                Err(e) => a.set_language_status(
                    crate::tr!("Not saved, this language lasts until the app closes: {}", e).into(),
                ),
            }
            apply(&app, lang);
            redraw();
        });
}
