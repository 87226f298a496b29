//! Compiles the Slint UI when the `gui` feature is on, with the translations of
//! `ui/translations/` bundled in; and turns the French catalogue into a table that the Rust side
//! (`crate::i18n`) reads, so one `.po` file holds every string, with or without the GUI.

use std::fmt::Write as _;
use std::path::Path;

const FRENCH: &str = "ui/translations/fr/LC_MESSAGES/alluvium.po";

fn main() {
    println!("cargo:rerun-if-changed={FRENCH}");
    if let Err(e) = write_catalogue(Path::new(FRENCH)) {
        panic!("cannot read the French catalogue {FRENCH}: {e}");
    }
    #[cfg(feature = "gui")]
    {
        let config = slint_build::CompilerConfiguration::new()
            .with_style("fluent".into())
            // One catalogue for the `.slint` files and the Rust side: strings have no context.
            .with_default_translation_context(slint_build::DefaultTranslationContext::None)
            .with_bundled_translations("ui/translations")
            // Element queries in the UI tests need debug info.
            .with_debug_info(true);
        if let Err(e) = slint_build::compile_with_config("ui/app.slint", config) {
            panic!("cannot compile the UI: {e}");
        }
    }
}

/// Writes `$OUT_DIR/catalogue_fr.rs`: a slice of (English, French) pairs sorted by the English
/// text, for a binary search. Fuzzy, obsolete and empty translations are left out, so they
/// show in English rather than wrong.
fn write_catalogue(po: &Path) -> Result<(), String> {
    let file = rspolib::pofile(po).map_err(|e| e.to_string())?;
    let mut pairs: Vec<(String, String)> = file
        .entries
        .iter()
        .filter(|e| !e.obsolete && !e.fuzzy() && e.msgid_plural.is_none())
        .filter_map(|e| {
            let fr = e.msgstr.as_deref().filter(|s| !s.is_empty())?;
            Some((e.msgid.clone(), fr.to_string()))
        })
        .collect();
    pairs.sort();
    pairs.dedup_by(|a, b| a.0 == b.0);
    let mut out = String::from("/// (English, French), sorted by the English text.\n");
    out.push_str("pub static FRENCH: &[(&str, &str)] = &[\n");
    for (en, fr) in &pairs {
        let _ = writeln!(out, "    ({en:?}, {fr:?}),");
    }
    out.push_str("];\n");
    let dir = std::env::var("OUT_DIR").map_err(|e| e.to_string())?;
    std::fs::write(Path::new(&dir).join("catalogue_fr.rs"), out).map_err(|e| e.to_string())
}
