//! `alluvium photo add|list|get`: photos of diggers, licences, sites, production entries and
//! sales, named by the SHA-256 of their bytes.

use crate::domain::OfficerId;
use crate::photo::{PhotoFiles, add_to_record};
use crate::store::Store;
use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum PhotoCommand {
    /// Put a photo (JPEG or PNG) on a digger, licence, site, production entry or sale.
    Add {
        /// The record's id.
        #[arg(long, value_name = "ID")]
        record: uuid::Uuid,
        #[arg(long, value_name = "FILE.jpg")]
        file: PathBuf,
        #[arg(long, value_name = "TEXT", default_value = "")]
        caption: String,
    },
    /// The photos on a record.
    List {
        #[arg(long, value_name = "ID")]
        record: uuid::Uuid,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Write a photo's picture to a file.
    Get {
        /// The picture's SHA-256 (64 hex digits), as `photo list` shows it.
        sha256: String,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

/// One item of `photo list --format json`. Field names are output contract.
#[derive(serde::Serialize)]
struct Listed<'a> {
    sha256: &'a str,
    bytes: u64,
    record_id: String,
    caption: &'a str,
    /// Whether the picture itself is on this device (a synced photo's picture comes later).
    here: bool,
}

pub fn run(db: &Path, what: PhotoCommand) -> Result<()> {
    let mut store = Store::open(db)?;
    match what {
        PhotoCommand::Add {
            record,
            file,
            caption,
        } => {
            let raw = read_picture(&file)?;
            // The officer of the open session takes it; an office without a session (set up
            // without a server) records it under the nil officer id.
            let by = store.author().unwrap_or(OfficerId(uuid::Uuid::nil()));
            let photo = add_to_record(&mut store, record, &raw, &caption, by)?;
            println!(
                "added photo {} ({} bytes, {}x{}) to {} {}",
                photo.sha256,
                photo.bytes,
                photo.width,
                photo.height,
                photo.target_entity,
                photo.target_id
            );
        }
        PhotoCommand::List { record, format } => {
            let files = PhotoFiles::of(&store);
            let photos = store.photos_of(record)?;
            let here = |sha: &str| files.as_ref().is_some_and(|f| f.has(sha));
            match format {
                ListFormat::Json => {
                    let items: Vec<Listed<'_>> = photos
                        .iter()
                        .map(|p| Listed {
                            sha256: &p.sha256,
                            bytes: p.bytes,
                            record_id: p.target_id.to_string(),
                            caption: &p.caption,
                            here: here(&p.sha256),
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&items)?);
                }
                ListFormat::Text => {
                    for p in &photos {
                        println!(
                            "{}  {:>9} bytes  {}x{}  {}{}",
                            p.sha256,
                            p.bytes,
                            p.width,
                            p.height,
                            p.caption,
                            if here(&p.sha256) {
                                ""
                            } else {
                                "  (picture not on this device yet)"
                            }
                        );
                    }
                }
            }
        }
        PhotoCommand::Get { sha256, out } => {
            let sha = sha256.trim().to_ascii_lowercase();
            let files = PhotoFiles::of(&store).context("this database has no photo folder")?;
            if !crate::domain::is_sha256_hex(&sha) {
                bail!("{sha256:?} is not a photo's SHA-256 (64 hex digits)");
            }
            if !files.has(&sha) {
                bail!(
                    "the picture {sha} is not on this device{}",
                    if store.photos()?.iter().any(|p| p.sha256 == sha) {
                        " yet: sync to fetch it"
                    } else {
                        ""
                    }
                );
            }
            let bytes = files.read(&sha)?;
            std::fs::write(&out, &bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!("wrote {} bytes to {}", bytes.len(), out.display());
        }
    }
    Ok(())
}

/// A picture file's bytes, refusing one too large to read before reading it.
fn read_picture(file: &Path) -> Result<Vec<u8>> {
    let meta =
        std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?;
    if meta.len() > crate::photo::MAX_PHOTO_INPUT_BYTES as u64 {
        bail!(
            "{} is {:.1} MB; pictures of up to {} MB are read",
            file.display(),
            meta.len() as f64 / (1024.0 * 1024.0),
            crate::photo::MAX_PHOTO_INPUT_BYTES / (1024 * 1024)
        );
    }
    std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
}
