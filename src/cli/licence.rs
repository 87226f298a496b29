//! `alluvium licence …`: the dated events of a licence (renew, suspend, reinstate, revoke), its
//! history, and its supporters; and `report fees`, the fees collected per period and region.
//! Every event goes through the same writer and record rules as the Licences page and sync.

use crate::analytics::{FeeReport, Period, fee_report};
use crate::domain::{
    Cents, DiggerId, Licence, LicenceEvent, LicenceEventId, LicenceEventKind, Supporter,
    SupporterId,
};
use crate::store::Store;
use anyhow::{Result, bail};
use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use std::io::Write;

/// Output formats of `licence history` and `licence supporters`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

/// `alluvium licence …`
#[derive(Debug, Subcommand)]
pub enum LicenceCommand {
    /// Record a renewal: a new term from --on (default today) until --until, with its fee.
    Renew {
        number: String,
        /// Last valid day of the new term (YYYY-MM-DD).
        #[arg(long)]
        until: NaiveDate,
        /// Day the renewal takes effect (default today).
        #[arg(long)]
        on: Option<NaiveDate>,
        /// Fee paid, in US dollars (e.g. 50.00).
        #[arg(long, value_name = "X.XX")]
        fee_usd: Option<String>,
        /// Receipt number of the fee.
        #[arg(long, value_name = "R")]
        receipt: Option<String>,
    },
    /// Suspend a licence from a day, with the reason.
    Suspend {
        number: String,
        #[arg(long)]
        on: NaiveDate,
        #[arg(long, value_name = "T")]
        reason: String,
    },
    /// End a suspension from a day.
    Reinstate {
        number: String,
        #[arg(long)]
        on: NaiveDate,
        #[arg(long, value_name = "T", default_value = "")]
        reason: String,
    },
    /// Revoke a licence for good from a day, with the reason.
    Revoke {
        number: String,
        #[arg(long)]
        on: NaiveDate,
        #[arg(long, value_name = "T")]
        reason: String,
    },
    /// The licence's events, oldest first.
    History {
        number: String,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Name a supporter (financier) on an artisanal licence: a registered digger, or a person
    /// by name and national id.
    #[command(group(clap::ArgGroup::new("who").required(true).args(["digger", "name"])))]
    Support {
        number: String,
        /// The supporter's digger id, when a registered digger.
        #[arg(long, value_name = "ID")]
        digger: Option<DiggerId>,
        /// The supporter's full name, when not a registered digger.
        #[arg(long, value_name = "NAME", requires = "national_id")]
        name: Option<String>,
        /// The supporter's national id or voter card number.
        #[arg(long, value_name = "ID")]
        national_id: Option<String>,
    },
    /// The supporters named on a licence.
    Supporters {
        number: String,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Licence cards: `card` prints one, `verify` checks one's QR text.
    #[command(flatten)]
    Card(super::licence_card::CardCommand),
}

fn licence_by_number(store: &Store, number: &str) -> Result<Licence> {
    match store.licence_by_number(number)? {
        Some(l) => Ok(l),
        None => bail!("no licence numbered {number:?} in this database"),
    }
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Runs `alluvium licence …`.
pub fn licence(store: &mut Store, cmd: LicenceCommand) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let event = |l: &Licence, kind, on, reason: String| LicenceEvent {
        id: LicenceEventId::new(),
        licence_id: l.id,
        kind,
        on,
        until: None,
        fee_cents: None,
        receipt: String::new(),
        reason,
    };
    let (l, e) = match cmd {
        LicenceCommand::Renew {
            number,
            until,
            on,
            fee_usd,
            receipt,
        } => {
            let l = licence_by_number(store, &number)?;
            let fee = match fee_usd.as_deref() {
                Some(text) => Some(
                    text.parse::<Cents>()
                        .map_err(|e| anyhow::anyhow!("--fee-usd {e}"))?,
                ),
                None => None,
            };
            let e = LicenceEvent {
                until: Some(until),
                fee_cents: fee,
                receipt: receipt.unwrap_or_default(),
                ..event(
                    &l,
                    LicenceEventKind::Renewed,
                    on.unwrap_or_else(today),
                    String::new(),
                )
            };
            (l, e)
        }
        LicenceCommand::Suspend { number, on, reason } => {
            let l = licence_by_number(store, &number)?;
            let e = event(&l, LicenceEventKind::Suspended, on, reason);
            (l, e)
        }
        LicenceCommand::Reinstate { number, on, reason } => {
            let l = licence_by_number(store, &number)?;
            let e = event(&l, LicenceEventKind::Reinstated, on, reason);
            (l, e)
        }
        LicenceCommand::Revoke { number, on, reason } => {
            let l = licence_by_number(store, &number)?;
            let e = event(&l, LicenceEventKind::Revoked, on, reason);
            (l, e)
        }
        LicenceCommand::History { number, format } => {
            let l = licence_by_number(store, &number)?;
            let history = store.history_of(&l)?;
            match format {
                ListFormat::Json => {
                    writeln!(out, "{}", serde_json::to_string_pretty(&history.lines())?)?
                }
                ListFormat::Text => {
                    for h in history.events() {
                        let e = &h.event;
                        let mut line = format!("{}  {:<10}", e.on, e.kind.as_str());
                        if let Some(u) = e.until {
                            line += &format!("  until {u}");
                        }
                        if let Some(f) = e.fee_cents {
                            line += &format!("  fee {f} USD");
                        }
                        if !e.receipt.is_empty() {
                            line += &format!("  receipt {}", e.receipt);
                        }
                        if !e.reason.is_empty() {
                            line += &format!("  ({})", e.reason);
                        }
                        writeln!(out, "{}", line.trim_end())?;
                    }
                    writeln!(out, "today: {}", history.standing_on(today()).label())?;
                }
            }
            return Ok(());
        }
        LicenceCommand::Support {
            number,
            digger,
            name,
            national_id,
        } => {
            let l = licence_by_number(store, &number)?;
            let s = Supporter {
                id: SupporterId::new(),
                licence_id: l.id,
                digger_id: digger,
                full_name: name.unwrap_or_default(),
                national_id: national_id.unwrap_or_default(),
            };
            store.write(|w| w.put_supporter(&s))?;
            writeln!(out, "supporter {} named on licence {}", s.id, l.number)?;
            return Ok(());
        }
        LicenceCommand::Card(card) => return super::licence_card::run(store, card, today()),
        LicenceCommand::Supporters { number, format } => {
            let l = licence_by_number(store, &number)?;
            let list = store.licence_supporters(l.id)?;
            match format {
                ListFormat::Json => {
                    let items: Vec<_> = list
                        .iter()
                        .map(|s| {
                            serde_json::json!({
                                "id": s.supporter.id,
                                "digger_id": s.supporter.digger_id,
                                "full_name": s.full_name,
                                "national_id": s.national_id,
                            })
                        })
                        .collect();
                    writeln!(out, "{}", serde_json::to_string_pretty(&items)?)?
                }
                ListFormat::Text => {
                    for s in &list {
                        writeln!(out, "{}  {}", s.national_id, s.full_name)?;
                    }
                }
            }
            return Ok(());
        }
    };
    store.write(|w| w.add_licence_event(&e))?;
    let mut line = format!("licence {} {} on {}", l.number, e.kind, e.on);
    if let Some(u) = e.until {
        line += &format!(" until {u}");
    }
    if let Some(f) = e.fee_cents {
        line += &format!(" (fee {f} USD, receipt {})", e.receipt);
    }
    writeln!(out, "{line}")?;
    Ok(())
}

/// Output formats of `report fees`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FeeFormat {
    Csv,
    Json,
}

/// `alluvium report fees`: the fees collected in a period, per region.
pub fn fees(
    store: &Store,
    period: &str,
    region: Option<&str>,
    format: FeeFormat,
    mut out: impl Write,
) -> Result<()> {
    let period: Period = period.parse()?;
    let paid = store.fees_paid(period.first_day(), period.last_day(), region)?;
    let report = fee_report(period, &paid);
    match format {
        FeeFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
        FeeFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(FeeReport::CSV_HEADER)?;
            for r in report.regions.iter().chain([&report.total]) {
                w.write_record(report.csv_cells(r))?;
            }
            w.flush()?;
        }
    }
    Ok(())
}
