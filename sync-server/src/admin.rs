//! `alluvium-sync admin …`: regions, officers, enrolment codes, revocations and statistics,
//! run directly on the database file (WAL with a busy timeout lets this work while the server
//! runs).

use crate::auth::hash_password;
use crate::db::{NewOfficer, ServerStore, SqliteStore};
use alluvium::domain::Role;
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use std::io::Read;

/// Administration commands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Regions.
    Region {
        #[command(subcommand)]
        command: RegionCommand,
    },
    /// Officer accounts.
    Officer {
        #[command(subcommand)]
        command: OfficerCommand,
    },
    /// Print a one-time device enrolment code for a region.
    EnrolCode {
        #[arg(long)]
        region: String,
        /// How long the code stays valid, in hours.
        #[arg(long, default_value_t = 24)]
        hours: i64,
        /// How long the code stays valid, in seconds (overrides --hours; for tests).
        #[arg(long, hide = true)]
        seconds: Option<i64>,
    },
    /// Devices.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// Entity counts in total and per region.
    Stats {
        #[arg(long)]
        json: bool,
    },
}

/// `admin region …`
#[derive(Debug, Subcommand)]
pub enum RegionCommand {
    /// Add a region; devices receive it at their next sync.
    Add {
        code: String,
        #[arg(long)]
        name: String,
        /// ISO 3166 country code, e.g. SL.
        #[arg(long)]
        country: String,
    },
}

/// `admin officer …`
#[derive(Debug, Subcommand)]
pub enum OfficerCommand {
    /// Add an officer; the password is read from standard input.
    Add {
        user: String,
        #[arg(long)]
        role: Role,
        /// Region codes, comma-separated.
        #[arg(long, value_delimiter = ',')]
        regions: Vec<String>,
        /// Full name (default: the user name).
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an officer: logins refused, sessions ended.
    Disable { user: String },
}

/// `admin device …`
#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Revoke a device: its token and sessions stop working.
    Revoke { id: uuid::Uuid },
}

fn read_password() -> Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read the password from standard input")?;
    let pw = text
        .strip_suffix('\n')
        .map(|p| p.strip_suffix('\r').unwrap_or(p))
        .unwrap_or(&text)
        .to_string();
    if pw.chars().count() < 8 {
        bail!("the password must have at least 8 characters");
    }
    Ok(pw)
}

/// Runs one admin command against the database at `db`.
pub fn run(db: &std::path::Path, cmd: AdminCommand) -> Result<()> {
    let store = SqliteStore::open(db).with_context(|| format!("cannot open {}", db.display()))?;
    match cmd {
        AdminCommand::Region {
            command:
                RegionCommand::Add {
                    code,
                    name,
                    country,
                },
        } => {
            store.add_region(&code, &name, &country)?;
            println!("region {code} added");
        }
        AdminCommand::Officer {
            command:
                OfficerCommand::Add {
                    user,
                    role,
                    regions,
                    name,
                    password_stdin,
                },
        } => {
            if !password_stdin {
                bail!("give the password on standard input with --password-stdin");
            }
            let password = read_password()?;
            let hash = hash_password(&password).map_err(|e| anyhow::anyhow!(e))?;
            let o = store.add_officer(&NewOfficer {
                full_name: name.unwrap_or_else(|| user.clone()),
                username: user,
                role,
                regions,
                password_hash: hash,
            })?;
            println!("officer {} added ({}, id {})", o.username, o.role, o.id);
        }
        AdminCommand::Officer {
            command: OfficerCommand::Disable { user },
        } => {
            store.disable_officer(&user)?;
            println!("officer {user} disabled");
        }
        AdminCommand::EnrolCode {
            region,
            hours,
            seconds,
        } => {
            let ttl = match seconds {
                Some(s) => s,
                None => hours.checked_mul(3600).with_context(|| {
                    format!("--hours {hours} is too large; a code is meant to be used within days")
                })?,
            };
            if ttl <= 0 {
                bail!("the code must stay valid for some time (--hours 1 or more)");
            }
            println!("{}", store.make_enrol_code(&region, ttl)?);
        }
        AdminCommand::Device {
            command: DeviceCommand::Revoke { id },
        } => {
            store.revoke_device(id)?;
            println!("device {id} revoked");
        }
        AdminCommand::Stats { json } => {
            let s = store.stats()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                println!(
                    "{:<14} {:>8} {:>8} {:>6} {:>10} {:>8} {:>6} {:>7}",
                    "region",
                    "diggers",
                    "licences",
                    "sites",
                    "production",
                    "stones",
                    "sales",
                    "reviews"
                );
                for (code, c) in s.regions.iter().chain([(&"total".to_string(), &s.total)]) {
                    println!(
                        "{code:<14} {:>8} {:>8} {:>6} {:>10} {:>8} {:>6} {:>7}",
                        c.diggers, c.licences, c.sites, c.production, c.stones, c.sales, c.reviews
                    );
                }
            }
        }
    }
    Ok(())
}
