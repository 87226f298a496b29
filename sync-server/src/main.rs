//! `alluvium-sync`: parses the command line, opens the store and serves or administers.

use alluvium_sync::admin::{self, AdminCommand};
use alluvium_sync::db::{DEFAULT_POOL_SIZE, Location};
use alluvium_sync::{AppState, Tls};
use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// A push's checks and its transaction run on two threads, which hand over the checked
/// changes: mimalloc frees a block on another thread without the system allocator's locking
/// and consolidation (about a tenth of a push's time, measured with `perf` on the `sync`
/// bench's ingest).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Alluvium's central sync server.
#[derive(Debug, Parser)]
#[command(name = "alluvium-sync", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the sync API.
    Serve {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Address to listen on (port 0: any free port, printed on start).
        #[arg(long, env = "ALLUVIUM_SYNC_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// TLS certificate chain (PEM); with --tls-key, serves HTTPS.
        #[arg(long, env = "ALLUVIUM_SYNC_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// TLS private key (PEM).
        #[arg(long, env = "ALLUVIUM_SYNC_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Serve plain HTTP on an address other machines can reach (without TLS, tokens and
        /// passwords cross the network readable). Only on a network you trust.
        #[arg(long, env = "ALLUVIUM_SYNC_ALLOW_PLAIN_HTTP")]
        allow_plain_http: bool,
        /// How long officer sessions last, in seconds.
        #[arg(long, env = "ALLUVIUM_SYNC_SESSION_TTL", default_value_t = alluvium_sync::db::DEFAULT_SESSION_TTL_SECS)]
        session_ttl_secs: i64,
    },
    /// Bring a server database to the current schema (`serve` and `admin` do it too); a
    /// database from a newer release is refused.
    Migrate {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Administration: regions, officers, enrolment codes, devices, statistics, backup.
    Admin {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(subcommand)]
        command: AdminCommand,
    },
}

/// The server database: a SQLite file, or a PostgreSQL database.
#[derive(Debug, Args)]
#[group(skip)]
struct DatabaseArgs {
    /// The SQLite database file (created if missing); pictures go in FILE.photos beside it.
    #[arg(
        long,
        env = "ALLUVIUM_SYNC_DB",
        value_name = "FILE",
        required_unless_present = "database_url",
        conflicts_with = "database_url"
    )]
    db: Option<PathBuf>,
    /// A PostgreSQL database (postgres://USER[:PASSWORD]@HOST[:PORT]/NAME), which several
    /// `serve` processes may share.
    #[arg(long, env = "ALLUVIUM_SYNC_DATABASE_URL", value_name = "URL")]
    database_url: Option<String>,
    /// With --database-url: the folder the pictures are kept in, the same for every process
    /// (shared storage when they run on several machines).
    #[arg(
        long,
        env = "ALLUVIUM_SYNC_PHOTO_DIR",
        value_name = "DIR",
        requires = "database_url"
    )]
    photo_dir: Option<PathBuf>,
    /// With --database-url: connections this process keeps open.
    #[arg(long, env = "ALLUVIUM_SYNC_POOL_SIZE", default_value_t = DEFAULT_POOL_SIZE,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pool_size: u32,
}

impl DatabaseArgs {
    fn location(self) -> Result<Location> {
        match (self.db, self.database_url) {
            (Some(path), None) => Ok(Location::Sqlite(path)),
            (None, Some(url)) => {
                let Some(photo_dir) = self.photo_dir else {
                    bail!(
                        "--database-url needs --photo-dir DIR, the folder the pictures are kept \
                         in (the same for every server process)"
                    );
                };
                Ok(Location::Postgres {
                    url,
                    photo_dir,
                    pool_size: self.pool_size,
                })
            }
            _ => bail!("give either --db FILE or --database-url URL"),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve {
            database,
            listen,
            tls_cert,
            tls_key,
            allow_plain_http,
            session_ttl_secs,
        } => database
            .location()
            .and_then(|db| {
                serve(
                    db,
                    &listen,
                    tls_cert.zip(tls_key),
                    allow_plain_http,
                    session_ttl_secs,
                )
            })
            .map(|()| ExitCode::SUCCESS),
        Command::Migrate { database } => database
            .location()
            .and_then(|db| migrate(&db))
            .map(|()| ExitCode::SUCCESS),
        Command::Admin { database, command } => {
            database.location().and_then(|db| admin::run(&db, command))
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "alluvium-sync: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn migrate(db: &Location) -> Result<()> {
    let (_, m) = db
        .open_migrated()
        .with_context(|| format!("cannot open {}", db.shown()))?;
    if m.from == m.to {
        println!("{}: schema version {}, current", db.shown(), m.to);
    } else {
        println!(
            "{}: schema version {} brought to {}",
            db.shown(),
            m.from,
            m.to
        );
    }
    Ok(())
}

fn serve(
    db: Location,
    listen: &str,
    tls: Option<(PathBuf, PathBuf)>,
    allow_plain_http: bool,
    session_ttl_secs: i64,
) -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    if session_ttl_secs <= 0 {
        bail!("--session-ttl-secs must be positive");
    }
    if chrono::Utc::now()
        .timestamp()
        .checked_add(session_ttl_secs)
        .is_none()
    {
        bail!("--session-ttl-secs {session_ttl_secs} is too large");
    }
    let store = db
        .open_with_session_ttl(session_ttl_secs)
        .with_context(|| format!("cannot open {}", db.shown()))?;
    let listener = std::net::TcpListener::bind(listen)
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    if tls.is_none() && !addr.ip().is_loopback() {
        if !allow_plain_http {
            bail!(
                "{addr} can be reached from other machines, and without TLS device tokens and \
                 passwords would cross the network readable: give --tls-cert and --tls-key, \
                 listen on 127.0.0.1 behind a TLS proxy, or add --allow-plain-http on a \
                 network you trust"
            );
        }
        tracing::warn!(%addr, "serving plain HTTP to other machines (--allow-plain-http)");
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    // The first stdout line tells scripts and tests where the server is.
    println!("listening on {scheme}://{addr}");
    std::io::stdout().flush()?;
    tracing::info!(%addr, db = %db.shown(), "alluvium-sync serving");
    let state = AppState::new(store);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(alluvium_sync::serve(
        listener,
        state,
        tls.map(|(cert, key)| Tls { cert, key }),
        shutdown_signal(),
    ))?;
    tracing::info!("alluvium-sync stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
