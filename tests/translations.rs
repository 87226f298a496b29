//! The French catalogue is complete: every string the `.slint` files mark with `@tr("…")` and
//! every literal the Rust side looks up (`tr!`, `i18n::tr`, the documents' `t`, the checks'
//! `note!`) has a French translation, and each translation keeps the placeholders (`{}`,
//! `{name}`) of its English text.

use alluvium::i18n::{self, Lang};
use std::path::{Path, PathBuf};

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// The string literals that directly follow `opener` in `text` (escapes undone); `opener` must
/// start a word (`include_str!(` is not `tr!(`).
fn literals_after(text: &str, opener: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(opener) {
        let starts_word = !rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        rest = &rest[at + opener.len()..];
        if !starts_word {
            continue;
        }
        let body = rest.trim_start();
        let Some(body) = body.strip_prefix('"') else {
            continue;
        };
        let mut s = String::new();
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => s.push('\n'),
                    Some(other) => s.push(other),
                    None => break,
                },
                c => s.push(c),
            }
        }
        found.push(s);
    }
    found
}

fn keys(dir: &str, ext: &str, opener: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    files(&root.join(dir), ext, &mut paths);
    paths.sort();
    let mut keys = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        let name = p.strip_prefix(root).unwrap().display().to_string();
        for k in literals_after(&text, opener) {
            keys.push((name.clone(), k));
        }
    }
    keys
}

#[test]
fn the_extractor_reads_literals_with_escapes() {
    let src = r#"a @tr("One") b @tr( "Two \"quoted\"") tr!(x) tr!("{} ct", n) include_str!("f")"#;
    assert_eq!(literals_after(src, "@tr("), vec!["One", "Two \"quoted\""]);
    assert_eq!(literals_after(src, "tr!("), vec!["{} ct"]);
}

#[test]
fn every_marked_string_has_a_french_translation_with_its_placeholders() {
    let slint = keys("ui", "slint", "@tr(");
    // `tr!` and `i18n::tr` in the app; `t(…)` is how the printed documents (slip, card) look up
    // their labels in the document's language.
    // `note!` builds the anomaly checks' messages, shown on the Review page in the language.
    let rust: Vec<(String, String)> = ["tr!(", "i18n::tr(", "t(", "t(lang, ", "note!("]
        .iter()
        .flat_map(|opener| keys("src", "rs", opener))
        .collect();
    assert!(slint.len() > 250, "only {} @tr strings found", slint.len());
    assert!(rust.len() > 10, "only {} tr! strings found", rust.len());
    let mut missing = Vec::new();
    for (file, english) in slint.iter().chain(&rust) {
        match i18n::french(english) {
            None => missing.push(format!("{file}: no French for {english:?}")),
            Some(fr) if i18n::placeholders(fr) != i18n::placeholders(english) => missing.push(
                format!("{file}: {fr:?} does not keep the placeholders of {english:?}"),
            ),
            Some(_) => {}
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn the_catalogue_keeps_placeholders_and_has_no_empty_entry() {
    let mut wrong = Vec::new();
    for (en, fr) in i18n::catalogue() {
        if fr.trim().is_empty() || i18n::placeholders(en) != i18n::placeholders(fr) {
            wrong.push(format!("{en:?} → {fr:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(i18n::translate(Lang::Fr, "Sales"), "Ventes");
}
