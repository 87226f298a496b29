//! Putting generated data into a store: all of it in one transaction, and only into a store
//! that holds nothing else, since demo records mixed into real ones could reach a KP report.
//! The CLI's `demo-data` and `--demo` and the GUI's "Load demo data" all come through here.

use super::{DemoData, DemoOptions, generate};
use crate::store::{Store, StoreError};
use chrono::NaiveDate;

/// Why demo data was not loaded.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The store already holds records.
    #[error(
        "the database already holds records; demo data goes into a new one (use --db NEW_FILE)"
    )]
    NotEmpty,
    /// The options name an unknown region or an impossible span.
    #[error("{0}")]
    Options(String),
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the records failed; nothing was written.
    #[error("writing demo data")]
    Write(#[source] StoreError),
}

/// Writes generated data in one transaction: all of it or none.
pub fn load(store: &mut Store, data: &DemoData, today: NaiveDate) -> Result<(), StoreError> {
    store.write(|w| {
        w.set_today(today);
        for r in &data.regions {
            w.put_region(r)?;
        }
        for o in &data.officers {
            w.put_officer(o)?;
        }
        for d in &data.diggers {
            w.put_digger(d)?;
        }
        for l in &data.licences {
            w.put_licence(l)?;
        }
        for e in &data.licence_events {
            w.add_licence_event(e)?;
        }
        for s in &data.supporters {
            w.put_supporter(s)?;
        }
        for s in &data.sites {
            w.put_site(s)?;
        }
        for c in &data.crews {
            w.put_crew(c)?;
        }
        for (entry, stones) in &data.production {
            w.add_production(entry)?;
            for s in stones {
                w.add_stone(s)?;
            }
        }
        for s in &data.sales {
            w.add_sale(s)?;
        }
        Ok(())
    })
}

/// Generates demo data for `opts` and loads it into `store`, with `opts.end` as the device's
/// today; refuses a store that already holds records.
pub fn make_demo(store: &mut Store, opts: &DemoOptions) -> Result<(), DemoError> {
    if !store.is_empty()? {
        return Err(DemoError::NotEmpty);
    }
    let data = generate(opts).map_err(DemoError::Options)?;
    load(store, &data, opts.end).map_err(DemoError::Write)
}
