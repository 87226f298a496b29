//! `alluvium-sync admin …`: regions, officers, enrolment codes, devices (revocation, which
//! still sign nothing), statistics, backups and `audit verify` of the devices' change chains,
//! run directly on the database file (WAL with a busy timeout lets this work while the server
//! runs).

use crate::auth::hash_password;
use crate::db::{Location, NewOfficer, ServerStore, SqliteStore};
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
    /// Write one enrolment file: the server's address, a one-time code for a region and the
    /// server's CA certificate, from which a device enrols (`alluvium enrol --file FILE`, or
    /// the app's first start), e.g. carried on a USB stick.
    EnrolmentFile {
        #[arg(long)]
        region: String,
        /// The address devices reach the server at, e.g. https://sync.example.org.
        #[arg(long, value_name = "URL")]
        server: String,
        /// The CA certificate (PEM) the server's TLS certificate chains to.
        #[arg(long, value_name = "PEM")]
        ca_cert: Option<std::path::PathBuf>,
        /// Where to write the file (readable by its owner only).
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
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
    /// Write a consistent copy of the database (safe while the server runs) to a new file.
    Backup {
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Tamper evidence: every device's chain of signed changes.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

/// `admin audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk every device's chain of signed changes; list each change altered, removed or
    /// inserted since its device signed it, and exit 1 if there is any.
    Verify {
        /// `text` (default) or `json` (a list of `{device, change_id, problem}`).
        #[arg(long, default_value = "text")]
        format: OutputFormat,
    },
}

/// How a listing is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
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
    /// Revoke a device: its token and sessions stop working, and its key signs nothing new
    /// (what it signed before stays verifiable).
    Revoke { id: uuid::Uuid },
    /// List enrolled devices, with whether each signs its changes (`unsigned`: enrolled by an
    /// older version and not registered a key yet).
    List {
        #[arg(long, default_value = "text")]
        format: OutputFormat,
    },
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

/// How long a new code stays valid, in seconds.
fn code_lifetime(hours: i64, seconds: Option<i64>) -> Result<i64> {
    let ttl = match seconds {
        Some(s) => s,
        None => hours.checked_mul(3600).with_context(|| {
            format!("--hours {hours} is too large; a code is meant to be used within days")
        })?,
    };
    if ttl <= 0 {
        bail!("the code must stay valid for some time (--hours 1 or more)");
    }
    Ok(ttl)
}

/// A new code for `region` with the server's address and CA certificate, checked first so
/// that a file the device cannot use is never written.
fn enrolment_file(
    store: &dyn ServerStore,
    region: &str,
    server: &str,
    ca_cert: Option<&std::path::Path>,
    ttl: i64,
) -> Result<alluvium::sync::EnrolmentFile> {
    if !(server.starts_with("https://") || server.starts_with("http://")) {
        bail!("--server {server} is not an address devices can reach: https://HOST[:PORT]");
    }
    let ca_pem = ca_cert
        .map(|p| std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display())))
        .transpose()?;
    if let (Some(pem), Some(path)) = (&ca_pem, ca_cert) {
        if !pem.contains("-----BEGIN CERTIFICATE-----") {
            bail!("{} is not a PEM certificate", path.display());
        }
        alluvium::sync::SyncClient::new(server, Some(pem.as_bytes()))
            .with_context(|| format!("{} cannot be used", path.display()))?;
    }
    let expires = chrono::TimeDelta::try_seconds(ttl)
        .and_then(|d| chrono::Utc::now().checked_add_signed(d))
        .context("the code's validity is too long; give fewer hours")?;
    let code = store.make_enrol_code(region, ttl)?;
    Ok(alluvium::sync::EnrolmentFile {
        format: alluvium::sync::enrolment_file::FORMAT.into(),
        server_url: server.trim_end_matches('/').to_string(),
        code,
        region: region.to_string(),
        expires_at: expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ca_cert: ca_pem,
    })
}

/// Runs one admin command against the database at `db`; the exit code is 1 when an audit
/// finds problems.
pub fn run(db: &Location, cmd: AdminCommand) -> Result<std::process::ExitCode> {
    if let AdminCommand::Backup { out } = &cmd {
        return backup(db, out);
    }
    let store = db
        .open()
        .with_context(|| format!("cannot open {}", db.shown()))?;
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
            let ttl = code_lifetime(hours, seconds)?;
            println!("{}", store.make_enrol_code(&region, ttl)?);
        }
        AdminCommand::EnrolmentFile {
            region,
            server,
            ca_cert,
            out,
            hours,
            seconds,
        } => {
            let ttl = code_lifetime(hours, seconds)?;
            let file = enrolment_file(store.as_ref(), &region, &server, ca_cert.as_deref(), ttl)?;
            alluvium::sync::enrolment_file::write_enrolment_file(&out, &file)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "enrolment file {} written: region {region}, server {server}, code valid until {}",
                out.display(),
                file.expires_at
            );
        }
        AdminCommand::Device {
            command: DeviceCommand::Revoke { id },
        } => {
            store.revoke_device(id)?;
            println!("device {id} revoked");
        }
        AdminCommand::Device {
            command: DeviceCommand::List { format },
        } => {
            let devices = store.devices()?;
            if format == OutputFormat::Json {
                println!("{}", serde_json::to_string_pretty(&devices)?);
            } else {
                println!(
                    "{:<36} {:<12} {:<8} {:<8} {:>9} {:>9}",
                    "device", "region", "signs", "revoked", "changes", "unsigned"
                );
                for d in &devices {
                    println!(
                        "{:<36} {:<12} {:<8} {:<8} {:>9} {:>9}",
                        d.id,
                        d.region,
                        if d.signed { "yes" } else { "unsigned" },
                        if d.revoked_at.is_some() { "yes" } else { "no" },
                        d.changes,
                        d.unsigned_changes
                    );
                }
            }
        }
        AdminCommand::Audit {
            command: AuditCommand::Verify { format },
        } => {
            let report = store.audit()?;
            if format == OutputFormat::Json {
                println!("{}", serde_json::to_string_pretty(&report.problems)?);
            } else {
                for p in &report.problems {
                    println!("{} {} {}", p.device, p.change_id, p.problem);
                }
            }
            if !report.problems.is_empty() {
                eprintln!(
                    "alluvium-sync: audit verify: {} problem(s) in the chains of {} device(s) ({} signed changes checked)",
                    report.problems.len(),
                    report.devices,
                    report.changes
                );
                return Ok(std::process::ExitCode::FAILURE);
            }
            eprintln!(
                "audit verify: {} signed changes of {} device(s) intact",
                report.changes, report.devices
            );
        }
        AdminCommand::Backup { .. } => unreachable!("handled before the store is opened"),
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
                println!("photos held: {} ({} bytes)", s.photos, s.photo_bytes);
            }
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// `admin backup`: a consistent copy of a SQLite database while it serves. PostgreSQL has its
/// own tools for that (README, "Backups").
fn backup(db: &Location, out: &std::path::Path) -> Result<std::process::ExitCode> {
    let Location::Sqlite(path) = db else {
        bail!(
            "admin backup copies a SQLite server database; back up PostgreSQL with pg_dump \
             or point-in-time recovery (README, \"Backups\")"
        );
    };
    let store =
        SqliteStore::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let copied = store.backup_to(out)?;
    println!(
        "backup written to {} ({} changes, {} pages; {} photos, {} bytes, in {}.photos)",
        out.display(),
        copied.changes,
        copied.pages,
        copied.photos,
        copied.photo_bytes,
        out.display()
    );
    Ok(std::process::ExitCode::SUCCESS)
}
