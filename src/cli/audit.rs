//! `alluvium audit verify`: this device's own chain of signed changes, checked in its outbox.

use crate::store::Store;
use anyhow::{Result, bail};
use clap::{Subcommand, ValueEnum};
use std::io::Write;

/// `alluvium audit …`
#[derive(Debug, Subcommand)]
pub enum AuditArg {
    /// Check this device's chain of signed changes; list each change altered, removed or
    /// inserted since it was written, and exit 1 if there is any.
    Verify {
        #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
        format: AuditFormat,
    },
}

/// How `audit verify` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    Text,
    /// A list of `{change_id, problem}`.
    Json,
}

/// Runs `audit …`.
pub fn audit(store: &Store, what: AuditArg) -> Result<()> {
    let AuditArg::Verify { format } = what;
    let problems = store.audit_chain()?;
    let mut out = std::io::stdout().lock();
    match format {
        AuditFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&problems)?)?,
        AuditFormat::Text => {
            for p in &problems {
                writeln!(out, "{} {}", p.change_id, p.problem)?;
            }
        }
    }
    out.flush()?;
    if !problems.is_empty() {
        bail!(
            "audit verify: {} change(s) of this device's chain were altered, removed or inserted",
            problems.len()
        );
    }
    Ok(())
}
