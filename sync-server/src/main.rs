//! `alluvium-sync`: the central sync server. This is the skeleton the sync issue fills: its
//! commands are declared so that deployment scripts can be written against them, and each
//! says plainly that it is not available yet.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

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
        #[arg(long, env = "ALLUVIUM_SYNC_DB")]
        db: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Administration: regions, officers, enrolment codes.
    Admin {
        #[arg(long, env = "ALLUVIUM_SYNC_DB")]
        db: PathBuf,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let what = match cli.command {
        Command::Serve { .. } => "serve",
        Command::Admin { .. } => "admin",
    };
    eprintln!(
        "alluvium-sync: `{what}` is not available in this version (the sync server is not built yet; \
         the device keeps every change in its outbox until it is)"
    );
    ExitCode::from(2)
}
