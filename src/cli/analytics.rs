//! The analytics commands of the contract: `check`, `report kp`, `report footprint` and
//! `footprint compare`. Each reads the store, calls the pure functions of `crate::analytics`
//! and prints CSV, JSON, SVG or text.

use crate::analytics::{
    self, CheckConfig, DEFAULT_FALSE_ALARM, Footprint, Period, PriceModel, ReferenceFootprint,
    compare_parcel, kp_statistics, run_checks, unflagged_stones,
};
use crate::domain::{Centicarats, SiteId};
use crate::store::{FactFilter, Store};
use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
}

/// Output formats of `report kp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    Csv,
    Json,
}

/// Output formats of `report footprint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChartFormat {
    Csv,
    Json,
    Svg,
}

/// `alluvium report …`
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// KP statistics for a period: production per country and region (stones, carats, large
    /// stones, value recorded from first sales and estimated from them) and trade (exports and
    /// imports per half-year and country by declared HS code and partner country; in the JSON
    /// beside the production, in CSV with --trade).
    Kp {
        /// 2026, 2026-H1 or 2026-Q3.
        #[arg(long)]
        period: String,
        /// Only this region (production of its sites; exports and imports of its licences).
        #[arg(long)]
        region: Option<String>,
        /// CSV: print the trade table instead of the production table.
        #[arg(long)]
        trade: bool,
        #[arg(long, value_enum, default_value_t = TableFormat::Csv)]
        format: TableFormat,
    },
    /// Licence fees collected in a period (issues and renewals), per region.
    Fees {
        /// 2026, 2026-H1 or 2026-Q3.
        #[arg(long)]
        period: String,
        /// Only this region.
        #[arg(long)]
        region: Option<String>,
        #[arg(long, value_enum, default_value_t = super::licence::FeeFormat::Csv)]
        format: super::licence::FeeFormat,
    },
    /// A printable sale slip: its parties, what it draws on and its origin.
    Slip {
        /// The slip's id.
        #[arg(long)]
        sale: crate::domain::SaleId,
        /// Language of the slip (default: the locale's, from LC_ALL, LC_MESSAGES or LANG).
        #[arg(long, value_enum)]
        lang: Option<super::licence_card::LangArg>,
    },
    /// Size-frequency footprint of a region (or one site of it) over a span of days.
    Footprint {
        #[arg(long)]
        region: String,
        #[arg(long)]
        site: Option<SiteId>,
        /// First production day (YYYY-MM-DD).
        #[arg(long)]
        from: Option<NaiveDate>,
        /// Last production day (YYYY-MM-DD).
        #[arg(long)]
        to: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t = ChartFormat::Csv)]
        format: ChartFormat,
    },
}

/// `alluvium footprint …`
#[derive(Debug, Subcommand)]
pub enum FootprintCommand {
    /// Compare a parcel's stones (CSV with a `carats` column) with the region's reference.
    Compare {
        #[arg(long)]
        region: String,
        #[arg(long, value_name = "FILE.csv")]
        stones: PathBuf,
        /// False-alarm rate the thresholds are calibrated to.
        #[arg(long, default_value_t = DEFAULT_FALSE_ALARM)]
        false_alarm: f64,
    },
}

/// `alluvium check`: every anomaly flag over the whole database (or one region).
pub fn check(store: &Store, region: Option<&str>, format: CheckFormat) -> Result<()> {
    let data = store.check_data(&FactFilter::default().in_region(region))?;
    let flags = run_checks(&data, &CheckConfig::default(), &PriceModel::standard());
    let mut out = std::io::stdout().lock();
    match format {
        CheckFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&flags)?)?,
        CheckFormat::Text => {
            for f in &flags {
                writeln!(out, "{}", f.line())?;
            }
        }
    }
    Ok(())
}

/// `alluvium report …`
pub fn report(store: &Store, cmd: ReportCommand) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match cmd {
        ReportCommand::Kp {
            period,
            region,
            trade,
            format,
        } => {
            let period: Period = period.parse()?;
            let filter = FactFilter::days(period.first_day(), period.last_day())
                .in_region(region.as_deref());
            // The trade statistics read the exports and imports of the period alone: what
            // their certificates declare needs no tracing.
            let trade_report = || -> Result<analytics::TradeReport> {
                let slips =
                    store.trade_slips(period.first_day(), period.last_day(), region.as_deref())?;
                Ok(analytics::kp_trade(&slips, period, region.as_deref()))
            };
            match format {
                TableFormat::Json => {
                    let report = kp_statistics(period, &store.kp_inputs(&filter)?);
                    let mut json = report.to_json();
                    json["trade"] = trade_report()?.to_json();
                    writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?
                }
                TableFormat::Csv if trade => {
                    let trade_report = trade_report()?;
                    let mut w = csv::Writer::from_writer(out);
                    w.write_record(analytics::TradeReport::CSV_HEADER)?;
                    for r in &trade_report.rows {
                        w.write_record(analytics::TradeReport::csv_cells(r))?;
                    }
                    w.flush()?;
                }
                TableFormat::Csv => {
                    let report = kp_statistics(period, &store.kp_inputs(&filter)?);
                    let mut w = csv::Writer::from_writer(out);
                    w.write_record(analytics::KpReport::CSV_HEADER)?;
                    for r in report.csv_rows() {
                        w.write_record(r.csv_cells(period))?;
                    }
                    w.flush()?;
                }
            }
        }
        ReportCommand::Fees {
            period,
            region,
            format,
        } => super::licence::fees(store, &period, region.as_deref(), format, out)?,
        ReportCommand::Slip { sale, lang } => match crate::report::sale_slip_text(
            store,
            sale,
            lang.map_or_else(crate::i18n::Lang::from_env, Into::into),
        )? {
            Some(text) => write!(out, "{text}")?,
            None => bail!("no sale slip {sale} in this database"),
        },
        ReportCommand::Footprint {
            region,
            site,
            from,
            to,
            format,
        } => {
            if let (Some(f), Some(t)) = (from, to)
                && f > t
            {
                bail!("--from {f} is after --to {t}");
            }
            let filter = FactFilter {
                region: Some(region.clone()),
                site,
                from,
                to,
            };
            // No price list reaches an official output: the footprint carries no USD/ct.
            let fp = Footprint::from_tallies(&store.stone_tallies(&filter)?, &PriceModel::empty());
            let title = match site {
                Some(s) => format!("{region}, site {s}"),
                None => region.clone(),
            };
            match format {
                ChartFormat::Json => writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "region": region,
                        "site": site,
                        "from": from,
                        "to": to,
                        "footprint": fp,
                    }))?
                )?,
                ChartFormat::Csv => {
                    let mut w = csv::Writer::from_writer(out);
                    w.write_record(Footprint::CSV_HEADER)?;
                    for row in fp.csv_rows() {
                        w.write_record(row)?;
                    }
                    w.flush()?;
                }
                ChartFormat::Svg => write!(out, "{}", crate::report::footprint_svg(&fp, &title))?,
            }
        }
    }
    Ok(())
}

/// `alluvium footprint compare`: the parcel against the region's reference, built from the
/// region's stones that no check flags, less the parcel's own recorded stones.
pub fn footprint(store: &Store, cmd: FootprintCommand) -> Result<()> {
    let FootprintCommand::Compare {
        region,
        stones,
        false_alarm,
    } = cmd;
    if false_alarm.is_nan() || false_alarm <= 0.0 || false_alarm >= 0.5 {
        bail!("--false-alarm {false_alarm} must be between 0 and 0.5");
    }
    let parcel = read_parcel(&stones)?;
    let reference = reference_of(store, &region, &parcel.recorded)?;
    let c = compare_parcel(&reference, &parcel.weights, false_alarm)?;
    writeln!(
        std::io::stdout().lock(),
        "{}",
        serde_json::to_string_pretty(&c)?
    )?;
    Ok(())
}

/// The records a parcel CSV names (`id` of stones, `production_id` of entries): stones on
/// record here that are the parcel itself, and so never part of its reference.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ParcelRecords {
    pub stones: HashSet<uuid::Uuid>,
    pub entries: HashSet<uuid::Uuid>,
}

impl ParcelRecords {
    fn names(&self, f: &crate::analytics::StoneFact) -> bool {
        self.stones.contains(&f.stone_id.0) || self.entries.contains(&f.production_id.0)
    }
}

/// A parcel read from CSV: every stone's weight (a lot's stones at its mean weight) and the
/// records it names.
struct Parcel {
    weights: Vec<Centicarats>,
    recorded: ParcelRecords,
}

/// The reference footprint of a region: its current production, less what the checks doubt
/// and less the stones of the parcel being judged (`parcel`), so that a parcel is never
/// compared with a reference made of itself.
pub fn reference_of(
    store: &Store,
    region: &str,
    parcel: &ParcelRecords,
) -> Result<ReferenceFootprint> {
    let data = store.check_data(&FactFilter::default().in_region(Some(region)))?;
    if data.stones.is_empty() {
        bail!(
            "no stones recorded in region {region:?}: there is no reference footprint to compare with"
        );
    }
    // Footprint flags are not needed to pick the reference: skip that (slow) check here.
    let config = CheckConfig {
        parcel_min_stones: usize::MAX,
        ..CheckConfig::default()
    };
    let prices = PriceModel::standard();
    let flags = run_checks(&data, &config, &prices);
    let clean = unflagged_stones(&data.stones, &flags)
        .into_iter()
        .filter(|f| !parcel.names(f));
    Ok(ReferenceFootprint::from_facts(region, clean, &prices)?)
}

/// Reads a parcel CSV: the `carats` column, and the optional `count` (a lot of that many
/// stones weighing `carats` together), `id` and `production_id` (the parcel's recorded stones
/// or entries, left out of the reference). Each bad row is reported as `FILE:LINE: reason`.
fn read_parcel(path: &Path) -> Result<Parcel> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(file);
    let headers = r
        .headers()
        .with_context(|| format!("{}: no header row", path.display()))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let col = column("carats")
        .with_context(|| format!("{}: no `carats` column in the header", path.display()))?;
    let (count_col, id_col, entry_col) = (column("count"), column("id"), column("production_id"));
    let mut out = Vec::new();
    let mut recorded = ParcelRecords::default();
    let mut errors = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Err(e) => {
                errors.push(format!("{}:{line}: {e}", path.display()));
                continue;
            }
            Ok(rec) => rec,
        };
        let cell = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("");
        let count = match cell(count_col) {
            "" => 1,
            t => match t.parse::<u32>() {
                Ok(n) if (1..=crate::domain::MAX_LOT_STONES).contains(&n) => n,
                _ => {
                    errors.push(format!(
                        "{}:{line}: count {t:?} is not a number of stones from 1 to {}",
                        path.display(),
                        crate::domain::MAX_LOT_STONES
                    ));
                    continue;
                }
            },
        };
        // An id that is not a UUID is the parcel's own label for a stone: it names no record.
        for (c, set) in [
            (id_col, &mut recorded.stones),
            (entry_col, &mut recorded.entries),
        ] {
            if let Ok(u) = cell(c).parse::<uuid::Uuid>() {
                set.insert(u);
            }
        }
        match rec.get(col).unwrap_or("").parse::<Centicarats>() {
            Ok(c) if c.0 > 0 => {
                for (w, n) in crate::domain::spread_lot(c, count) {
                    out.extend(std::iter::repeat_n(w, n as usize));
                }
            }
            Ok(_) => errors.push(format!(
                "{}:{line}: a stone must weigh more than 0",
                path.display()
            )),
            Err(e) => errors.push(format!("{}:{line}: {e}", path.display())),
        }
    }
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }
    if out.is_empty() {
        bail!("{}: the parcel has no stones", path.display());
    }
    Ok(Parcel {
        weights: out,
        recorded,
    })
}
