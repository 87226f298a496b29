//! The `alluvium` command line (DESIGN.md's contract): the GUI when no command is given, and
//! headless commands for offices, scripts and tests. Every failure is one line on stderr and a
//! non-zero exit.

mod analytics;
mod audit;
mod licence;
mod licence_card;
mod photo;
mod review;
mod sync;

use crate::demo::{self, DemoOptions};
use crate::domain::RecordKind;
use crate::store::{self, Store};
use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Alluvium: field data for artisanal alluvial diamond production.
#[derive(Debug, Parser)]
#[command(name = "alluvium", version, about)]
pub struct Cli {
    /// The device database (default: the platform data directory).
    #[arg(long, global = true, env = "ALLUVIUM_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// With no command: load demo data first if the database is empty, and make demo accounts
    /// (shown on the login screen) if the device has none and no server.
    #[arg(long)]
    pub demo: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Headless commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fill the database with realistic synthetic data (same seed and options, same data).
    DemoData {
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Region codes, comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = demo::DEFAULT_REGIONS.iter().map(|s| s.to_string()).collect::<Vec<_>>())]
        regions: Vec<String>,
        /// Diggers in all, shared between the regions.
        #[arg(long, default_value_t = 600)]
        diggers: usize,
        /// Days of production, ending today (or on --end).
        #[arg(long, default_value_t = 180)]
        days: u32,
        /// Last day of production (YYYY-MM-DD; default today).
        #[arg(long)]
        end: Option<NaiveDate>,
    },
    /// Count records per entity and per region.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Import a CSV file: all rows or none.
    Import {
        entity: EntityArg,
        #[arg(long, value_name = "FILE")]
        csv: PathBuf,
    },
    /// Export records as CSV or GeoJSON.
    Export {
        entity: ExportArg,
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
        /// Output file (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Print GPS fixes as JSON lines, from an NMEA log or serial device, or from gpsd.
    #[command(group(clap::ArgGroup::new("source").required(true).args(["nmea_file", "gpsd"])))]
    Gps {
        /// An NMEA 0183 log, or a serial device already set to the receiver's speed.
        #[arg(long, value_name = "FILE")]
        nmea_file: Option<PathBuf>,
        /// A gpsd daemon.
        #[arg(long, value_name = "HOST:PORT")]
        gpsd: Option<String>,
        /// Stop after the first fix.
        #[arg(long)]
        once: bool,
        /// Give up when gpsd sends no fix for this many seconds.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
    },
    /// Anomaly flags: licences, geofence, double booking, capacity, special stones, repeats,
    /// footprints.
    Check {
        #[arg(long, value_enum, default_value_t = analytics::CheckFormat::Text)]
        format: analytics::CheckFormat,
        /// Only this region.
        #[arg(long)]
        region: Option<String>,
    },
    /// KP statistics and footprints.
    Report {
        #[command(subcommand)]
        what: analytics::ReportCommand,
    },
    /// Parcel footprints against a region's reference.
    Footprint {
        #[command(subcommand)]
        what: analytics::FootprintCommand,
    },
    /// Enrol this device with a sync server using a one-time code from an admin.
    Enrol {
        /// The server, e.g. https://sync.example.org (plain http only to loopback).
        #[arg(long, value_name = "URL", required_unless_present = "file")]
        server: Option<String>,
        #[arg(long, required_unless_present = "file")]
        code: Option<String>,
        /// Trust only this CA certificate (PEM) for the server's TLS certificate.
        #[arg(long, value_name = "PEM")]
        ca_cert: Option<PathBuf>,
        /// The enrolment file from the office (server, code and CA certificate in one), instead
        /// of --server, --code and --ca-cert.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["server", "code", "ca_cert"])]
        file: Option<PathBuf>,
        /// Allow plain http to a non-loopback address (trusted networks only).
        #[arg(long)]
        allow_plain_http: bool,
    },
    /// Open an officer session on this device (online, or offline after an earlier online login).
    Login {
        #[arg(long, value_name = "NAME")]
        user: String,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Push local changes and pull the changes of the officer's regions, then send and fetch
    /// photos.
    Sync {
        /// Most bytes of photos to fetch in this sync (the rest waits for the next).
        #[arg(long, value_name = "BYTES")]
        photo_budget: Option<u64>,
    },
    /// Photos of diggers, licences, sites, production entries and sales.
    Photo {
        #[command(subcommand)]
        what: photo::PhotoCommand,
    },
    /// Dated licence events (renew, suspend, reinstate, revoke), history, supporters and cards.
    Licence {
        #[command(subcommand)]
        what: licence::LicenceCommand,
    },
    /// Tamper evidence: this device's chain of signed changes.
    Audit {
        #[command(subcommand)]
        what: audit::AuditArg,
    },
    /// A coordinator's decisions on production entries, stones and sales.
    Review {
        #[command(subcommand)]
        what: review::ReviewCommand,
    },
}

/// An entity of the CSV contract.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EntityArg {
    Diggers,
    Licences,
    #[value(name = "licence_events")]
    LicenceEvents,
    Supporters,
    Sites,
    Production,
    Stones,
    Sales,
}

impl From<EntityArg> for RecordKind {
    fn from(e: EntityArg) -> RecordKind {
        match e {
            EntityArg::Diggers => RecordKind::Digger,
            EntityArg::Licences => RecordKind::Licence,
            EntityArg::LicenceEvents => RecordKind::LicenceEvent,
            EntityArg::Supporters => RecordKind::Supporter,
            EntityArg::Sites => RecordKind::Site,
            EntityArg::Production => RecordKind::Production,
            EntityArg::Stones => RecordKind::Stone,
            EntityArg::Sales => RecordKind::Sale,
        }
    }
}

/// What `export` writes: one entity, or `all` (GeoPackage).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportArg {
    Diggers,
    Licences,
    #[value(name = "licence_events")]
    LicenceEvents,
    Supporters,
    Sites,
    Production,
    Stones,
    Sales,
    All,
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    Geojson,
    Gpkg,
}

/// Parses the arguments, runs the command and turns any failure into one line and exit 1.
pub fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let cli = Cli::parse();
    match run_from(cli, started) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Import errors carry one line per bad row; everything else is one line.
            let text = format!("{e:#}");
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "alluvium: {}", text.trim_end());
            ExitCode::FAILURE
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    run_from(cli, std::time::Instant::now())
}

fn run_from(cli: Cli, started: std::time::Instant) -> Result<()> {
    let db = cli.db.clone().unwrap_or_else(store::default_path);
    match cli.command {
        None => open_gui(&db, cli.demo, started),
        Some(Command::DemoData {
            seed,
            regions,
            diggers,
            days,
            end,
        }) => {
            let opts = DemoOptions {
                seed,
                regions,
                diggers,
                days,
                end: end.unwrap_or_else(today),
            };
            let mut store = open(&db)?;
            demo::make_demo(&mut store, &opts)?;
            let s = store.stats()?.total;
            println!(
                "demo data written to {}: {} diggers, {} licences, {} sites, {} production entries, {} stones, {} sales",
                db.display(),
                s.diggers,
                s.licences,
                s.sites,
                s.production,
                s.stones,
                s.sales
            );
            Ok(())
        }
        Some(Command::Stats { json }) => {
            let stats = open(&db)?.stats()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&stats)?);
            } else {
                print_stats(&stats);
            }
            Ok(())
        }
        Some(Command::Import { entity, csv }) => {
            let mut store = open(&db)?;
            let entity = RecordKind::from(entity);
            let summary = crate::interchange::import_csv(&mut store, entity, &csv)?;
            println!(
                "imported {} {} from {} ({} already present)",
                summary.written,
                crate::interchange::file_name(entity),
                csv.display(),
                summary.unchanged
            );
            Ok(())
        }
        Some(Command::Export {
            entity,
            format,
            out,
        }) => export(&db, entity, format, out.as_deref()),
        Some(Command::Gps {
            nmea_file,
            gpsd,
            once,
            timeout,
        }) => gps(nmea_file, gpsd, once, timeout),
        Some(Command::Check { format, region }) => {
            analytics::check(&open(&db)?, region.as_deref(), format)
        }
        Some(Command::Report { what }) => analytics::report(&open(&db)?, what),
        Some(Command::Footprint { what }) => analytics::footprint(&open(&db)?, what),
        Some(Command::Enrol {
            server,
            code,
            ca_cert,
            file,
            allow_plain_http,
        }) => match (file, server, code) {
            (Some(file), _, _) => sync::enrol_from_file(&db, &file, allow_plain_http),
            (None, Some(server), Some(code)) => {
                sync::enrol(&db, &server, &code, ca_cert.as_deref(), allow_plain_http)
            }
            _ => bail!("give --server URL and --code CODE, or --file FILE"),
        },
        Some(Command::Login {
            user,
            password_stdin,
        }) => sync::login(&db, &user, password_stdin),
        Some(Command::Sync { photo_budget }) => sync::sync(&db, photo_budget),
        Some(Command::Photo { what }) => photo::run(&db, what),
        Some(Command::Licence { what }) => licence::licence(&mut open(&db)?, what),
        Some(Command::Audit { what }) => audit::audit(&open(&db)?, what),
        Some(Command::Review { what }) => review::review(&mut open(&db)?, what),
    }
}

/// Prints fixes as JSON lines until the source ends (or after one with `--once`).
fn gps(nmea_file: Option<PathBuf>, gpsd: Option<String>, once: bool, timeout: u64) -> Result<()> {
    use crate::gps::PositionSource;
    let mut source: Box<dyn PositionSource> = match (nmea_file, gpsd) {
        (Some(path), _) => Box::new(crate::gps::read_nmea_file(&path)?),
        (None, Some(addr)) => Box::new(crate::gps::GpsdClient::connect(
            addr.as_str(),
            std::time::Duration::from_secs(timeout),
        )?),
        (None, None) => bail!("give --nmea-file FILE or --gpsd HOST:PORT"),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    while let Some(fix) = source.next_fix()? {
        let line = serde_json::to_string(&fix)?;
        match writeln!(out, "{line}").and_then(|()| out.flush()) {
            // The reader went away (`| head`): stop quietly, as other Unix tools do.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            other => other?,
        }
        if once {
            break;
        }
    }
    Ok(())
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn open(db: &Path) -> Result<Store> {
    Ok(Store::open(db)?)
}

fn export(db: &Path, entity: ExportArg, format: Format, out: Option<&Path>) -> Result<()> {
    let entity = match (entity, format) {
        (ExportArg::All, Format::Gpkg) => {
            let out = out.context("a GeoPackage goes to a file: give --out FILE.gpkg")?;
            let n = crate::report::export_gpkg(&open(db)?, out)?;
            eprintln!(
                "exported {} licences, {} sites and {} production entries to {}",
                n.licences,
                n.sites,
                n.production,
                out.display()
            );
            return Ok(());
        }
        (ExportArg::All, _) => {
            bail!("`export all` writes a GeoPackage: use --format gpkg --out FILE")
        }
        (_, Format::Gpkg) => {
            bail!("GeoPackage export is for `export all`; export one entity as csv or geojson")
        }
        (ExportArg::Diggers, _) => RecordKind::Digger,
        (ExportArg::Licences, _) => RecordKind::Licence,
        (ExportArg::LicenceEvents, _) => RecordKind::LicenceEvent,
        (ExportArg::Supporters, _) => RecordKind::Supporter,
        (ExportArg::Sites, _) => RecordKind::Site,
        (ExportArg::Production, _) => RecordKind::Production,
        (ExportArg::Stones, _) => RecordKind::Stone,
        (ExportArg::Sales, _) => RecordKind::Sale,
    };
    let store = open(db)?;
    let write = |w: &mut dyn Write| -> std::io::Result<usize> {
        match format {
            Format::Csv => crate::interchange::export_csv(&store, entity, w),
            _ => crate::report::export_geojson(&store, entity, w),
        }
    };
    match out {
        Some(path) => {
            // Write beside the target and rename, so a failed export never leaves half a file.
            let tmp = path.with_extension("partial");
            let file = std::fs::File::create(&tmp)
                .with_context(|| format!("cannot create {}", tmp.display()))?;
            let mut buf = std::io::BufWriter::new(file);
            let n = write(&mut buf)?;
            buf.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            std::fs::rename(&tmp, path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "exported {n} {} to {}",
                crate::interchange::file_name(entity),
                path.display()
            );
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            write(&mut lock)?;
        }
    }
    Ok(())
}

fn print_stats(stats: &store::Stats) {
    let line = |name: &str, c: &store::Counts| {
        println!(
            "{name:<14} {:>8} {:>8} {:>6} {:>10} {:>8} {:>6} {:>7} {:>8}",
            c.diggers,
            c.licences,
            c.sites,
            c.production,
            c.stones,
            c.sales,
            c.reviews,
            c.pending_changes
        )
    };
    println!(
        "{:<14} {:>8} {:>8} {:>6} {:>10} {:>8} {:>6} {:>7} {:>8}",
        "region",
        "diggers",
        "licences",
        "sites",
        "production",
        "stones",
        "sales",
        "reviews",
        "pending"
    );
    for (code, c) in &stats.regions {
        line(code, c);
    }
    line("total", &stats.total);
}

#[cfg(feature = "gui")]
fn open_gui(db: &Path, demo_if_empty: bool, started: std::time::Instant) -> Result<()> {
    // Said before anything is written: without a display the demo data would be loaded for a
    // window that cannot open.
    if !crate::app::display_available() {
        bail!(
            "cannot open a window: no display (neither DISPLAY nor WAYLAND_DISPLAY is set); run under a display, or use the headless commands (alluvium --help)"
        );
    }
    let mut store = open(db)?;
    if demo_if_empty && store.is_empty()? {
        eprintln!("loading demo data into {} …", db.display());
        demo::make_demo(&mut store, &DemoOptions::default())?;
    }
    // Demo accounts only on a device nobody uses yet: never beside a server's or an office's.
    if demo_if_empty
        && store.cached_officers()?.is_empty()
        && store.sync_setting("device_token")?.is_none()
    {
        let names = demo::make_demo_logins(&mut store)?;
        eprintln!(
            "demo accounts (password {}): {}",
            demo::DEMO_PASSWORD,
            names.join(", ")
        );
    }
    crate::app::run(store, started)
}

#[cfg(not(feature = "gui"))]
fn open_gui(_db: &Path, _demo: bool, _started: std::time::Instant) -> Result<()> {
    bail!(
        "this build has no GUI (built without the `gui` feature); run `alluvium --help` for the commands"
    )
}
