//! `alluvium licence card` and `alluvium licence verify`: print a licence's signed card as a
//! PDF, and check a card's QR text offline against the keys this device knows.

use crate::report::licence_card::CardLanguage;
use crate::report::{CardOptions, issue_card, verify_card};
use crate::store::Store;
use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use std::path::{Path, PathBuf};

/// Licence cards.
#[derive(Debug, Subcommand)]
pub enum CardCommand {
    /// Print the licence's card (ID-1 size PDF) with its signed QR code.
    Card {
        /// The licence number, e.g. KONO/AM/2026/0042.
        number: String,
        #[arg(long, value_name = "FILE.pdf")]
        out: PathBuf,
        #[arg(long, value_enum, default_value_t = LangArg::En)]
        lang: LangArg,
    },
    /// Check a card's QR text offline; prints JSON and exits 0 only when the card is valid.
    Verify {
        /// The text the card's QR code holds (ALV1.…).
        #[arg(long, value_name = "TEXT")]
        qr: String,
    },
}

/// Language of a printed document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    En,
    Fr,
}

impl From<LangArg> for crate::i18n::Lang {
    fn from(l: LangArg) -> crate::i18n::Lang {
        match l {
            LangArg::En => crate::i18n::Lang::En,
            LangArg::Fr => crate::i18n::Lang::Fr,
        }
    }
}

impl From<LangArg> for CardLanguage {
    fn from(l: LangArg) -> CardLanguage {
        match l {
            LangArg::En => CardLanguage::En,
            LangArg::Fr => CardLanguage::Fr,
        }
    }
}

/// Runs a `licence` card command.
pub fn run(store: &Store, command: CardCommand, today: chrono::NaiveDate) -> Result<()> {
    match command {
        CardCommand::Card { number, out, lang } => card(store, &number, &out, lang.into()),
        CardCommand::Verify { qr } => verify(store, &qr, today),
    }
}

fn card(store: &Store, number: &str, out: &Path, language: CardLanguage) -> Result<()> {
    let supporters = crate::report::supporter_names(store, number)?;
    let photo = crate::photo::holder_picture(store, number)?;
    let card = issue_card(
        store,
        &store.card_keys(),
        number,
        CardOptions {
            language,
            supporters: &supporters,
            photo: photo.as_deref(),
        },
    )?;
    write_file(out, &card.pdf)?;
    eprintln!("licence card for {number} written to {}", out.display());
    Ok(())
}

/// Writes beside the target and renames, so a failed write never leaves half a file.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("partial");
    let mut file =
        std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

fn verify(store: &Store, qr: &str, today: chrono::NaiveDate) -> Result<()> {
    let verdict = verify_card(store, &store.card_keys(), qr, today)?;
    println!("{}", serde_json::to_string_pretty(&verdict)?);
    if let Some(reason) = verdict.reason {
        bail!("card not valid: {reason}");
    }
    Ok(())
}
