//! Reports page: KP production statistics for a period, a region's footprint as a bar chart,
//! and exports to files (the KP table as CSV, everything as a GeoPackage).

use super::context::Ctx;
use super::{AppWindow, FootprintBar, KpLine, ReportsAdapter};
use crate::analytics::{Footprint, KpReport, KpRow, Period, PriceModel, kp_statistics};
use crate::i18n::{self, numbers};
use crate::store::FactFilter;
use crate::tr;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

/// A size class as the chart labels it, with the language's decimal mark (`0.05-0.1`,
/// `0,05-0,1`); the CSV and JSON keep the contract's spelling.
fn class_label(lang: i18n::Lang, class: crate::analytics::SizeClass) -> String {
    match lang {
        i18n::Lang::En => class.label().to_string(),
        i18n::Lang::Fr => class.label().replace('.', ","),
    }
}

/// A line of the table: a region, or its country's row (bold). Whole dollars: the CSV keeps
/// the cents.
fn kp_line(r: &KpRow) -> KpLine {
    use crate::i18n::numbers::{carats, hundredths, whole};
    let lang = crate::i18n::current();
    let total = r.region.is_none();
    KpLine {
        region: match &r.region {
            Some(code) => code.clone().into(),
            None => tr!("{} (country)", r.country).into(),
        },
        stones: whole(lang, r.stones as i64).into(),
        carats: hundredths(lang, r.centicarats.0).into(),
        usd: tr!(
            "{} + {} est.",
            whole(lang, r.value_recorded.0 / 100),
            whole(lang, r.value_estimated.0 / 100)
        )
        .into(),
        specials: format!(
            "{} ({})",
            whole(lang, r.large_stones as i64),
            carats(lang, r.large_centicarats)
        )
        .into(),
        total,
    }
}

fn home_file(name: &str) -> String {
    directories::UserDirs::new()
        .map(|d| d.home_dir().join(name))
        .unwrap_or_else(|| PathBuf::from(name))
        .display()
        .to_string()
}

/// Writes `bytes` beside `path` and renames, so a failed save never leaves half a file.
fn write_whole(
    path: &std::path::Path,
    write: impl FnOnce(&std::path::Path) -> Result<(), String>,
) -> Result<(), String> {
    let tmp = path.with_extension("partial");
    write(&tmp)?;
    std::fs::rename(&tmp, path).map_err(|e| tr!("cannot write {}: {}", path.display(), e))
}

/// Wires the Reports page; returns what refreshes it when it is shown.
pub fn connect(app: &AppWindow, ctx: Rc<Ctx>) -> Box<dyn Fn()> {
    let last: Rc<RefCell<Option<KpReport>>> = Rc::new(RefCell::new(None));
    let a = app.global::<ReportsAdapter>();
    a.set_period(ctx.today.get().format("%Y").to_string().into());

    let (weak, c, l) = (app.as_weak(), ctx.clone(), last.clone());
    a.on_compute(move || {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<ReportsAdapter>();
        let period: Period = match a.get_period().parse() {
            Ok(p) => p,
            Err(e) => {
                a.set_e_period(format!("{e}").into());
                return;
            }
        };
        a.set_e_period("".into());
        let region = (a.get_region_index() > 0)
            .then(|| {
                super::diggers_adapter::region_codes(&c)
                    .get(a.get_region_index() as usize - 1)
                    .cloned()
            })
            .flatten();
        a.set_status(tr!("Computing…").into());
        a.set_status_is_error(false);
        let (weak, l2) = (weak.clone(), l.clone());
        let job_region = region.clone();
        c.jobs.run(
            &c.store,
            move |store| {
                // The counted stones, not the stones one by one: a year of a busy country
                // is a million stones, and the counts answer the same in a fraction of the time.
                let inputs = store
                    .kp_inputs(
                        &FactFilter::days(period.first_day(), period.last_day())
                            .in_region(job_region.as_deref()),
                    )
                    .map_err(|e| e.to_string())?;
                // A footprint is one region's: stones of several fields together are not one.
                // No price list reaches it.
                let fp = job_region
                    .is_some()
                    .then(|| Footprint::from_tallies(&inputs.tallies, &PriceModel::empty()));
                Ok((kp_statistics(period, &inputs), fp))
            },
            move |result| {
                let Some(app) = weak.upgrade() else { return };
                let a = app.global::<ReportsAdapter>();
                let lang = i18n::current();
                match result {
                    Ok((report, fp)) => {
                        let lines: Vec<KpLine> = report.csv_rows().map(kp_line).collect();
                        a.set_kp(ModelRc::new(VecModel::from(lines)));
                        let under_query = crate::domain::Centicarats(
                            report
                                .countries
                                .iter()
                                .map(|c| c.total.centicarats_under_query.0)
                                .sum(),
                        );
                        match (&fp, region.as_deref()) {
                            (Some(fp), Some(code)) => {
                                let bars: Vec<FootprintBar> = fp
                                    .classes
                                    .iter()
                                    .map(|c| FootprintBar {
                                        label: class_label(lang, c.class).into(),
                                        stones: c.share_stones as f32,
                                        carats: c.share_carats as f32,
                                    })
                                    .collect();
                                a.set_bars(ModelRc::new(VecModel::from(bars)));
                                a.set_footprint_title(
                                    tr!("Footprint — {} — {}", code, period).into(),
                                );
                                a.set_footprint_summary(
                                    tr!(
                                        "{} stones, {} · {} stones per carat · {} ct per stone",
                                        numbers::whole(lang, fp.stones as i64),
                                        numbers::carats(lang, fp.centicarats),
                                        numbers::decimal(lang, fp.stones_per_carat, 1),
                                        numbers::decimal(lang, fp.mean_ct_per_stone, 3),
                                    )
                                    .into(),
                                );
                            }
                            _ => {
                                a.set_bars(ModelRc::new(VecModel::from(Vec::<FootprintBar>::new())));
                                a.set_footprint_title(tr!("Footprint").into());
                                a.set_footprint_summary(
                                    tr!("Choose a region: a footprint is one field's, not several together.")
                                        .into(),
                                );
                            }
                        }
                        a.set_status(
                            tr!(
                                "KP statistics for {} · {} under query (counted, marked)",
                                period,
                                numbers::carats(lang, under_query)
                            )
                            .into(),
                        );
                        *l2.borrow_mut() = Some(report);
                    }
                    Err(e) => {
                        a.set_status(tr!("Report failed: {}", e).into());
                        a.set_status_is_error(true);
                    }
                }
            },
        );
    });

    let (weak, l) = (app.as_weak(), last.clone());
    a.on_save_csv(move || {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<ReportsAdapter>();
        let Some(report) = l.borrow().clone() else {
            a.set_status(tr!("Compute a report first").into());
            a.set_status_is_error(true);
            return;
        };
        let path = PathBuf::from(a.get_csv_path().trim());
        let result = write_whole(&path, |tmp| {
            let mut w = csv::Writer::from_path(tmp).map_err(|e| e.to_string())?;
            w.write_record(KpReport::CSV_HEADER)
                .map_err(|e| e.to_string())?;
            for r in report.csv_rows() {
                w.write_record(r.csv_cells(report.period))
                    .map_err(|e| e.to_string())?;
            }
            w.flush().map_err(|e| e.to_string())
        });
        a.set_status_is_error(result.is_err());
        match result {
            Ok(()) => a.set_status(tr!("Saved {}", path.display()).into()),
            Err(e) => a.set_status(tr!("Not saved: {}", e).into()),
        }
    });

    let (weak, c) = (app.as_weak(), ctx.clone());
    a.on_export_gpkg(move || {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<ReportsAdapter>();
        let path = PathBuf::from(a.get_gpkg_path().trim());
        a.set_status(tr!("Exporting…").into());
        let shown = path.display().to_string();
        let weak = weak.clone();
        c.jobs.run(
            &c.store,
            move |store| crate::report::export_gpkg(store, &path).map_err(|e| e.to_string()),
            move |result| {
                let Some(app) = weak.upgrade() else { return };
                let a = app.global::<ReportsAdapter>();
                match result {
                    Ok(_) => {
                        a.set_status(tr!("Exported {}", shown).into());
                        a.set_status_is_error(false);
                    }
                    Err(e) => {
                        a.set_status(tr!("Not exported: {}", e).into());
                        a.set_status_is_error(true);
                    }
                }
            },
        );
    });

    let (weak, c) = (app.as_weak(), ctx);
    Box::new(move || {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<ReportsAdapter>();
        let regions: Vec<SharedString> = std::iter::once(tr!("All regions"))
            .chain(super::diggers_adapter::region_codes(&c))
            .map(SharedString::from)
            .collect();
        a.set_regions(ModelRc::new(VecModel::from(regions)));
        if a.get_csv_path().is_empty() {
            a.set_csv_path(home_file(&format!("alluvium-kp-{}.csv", a.get_period())).into());
            a.set_gpkg_path(home_file("alluvium.gpkg").into());
        }
    })
}
