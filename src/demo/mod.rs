//! Realistic synthetic data (DOMAIN.md §7): regions, officers, diggers, licences with
//! polygons around the real fields, sites inside them, crews, and daily production with
//! washing seasons, zero-find days, lognormal stone weights and a rare tail of large stones;
//! then the chain of custody from pit to export. The demo owns this so that offices, tests,
//! screenshots and benchmarks all work on the same believable data.
//!
//! Everything is drawn from one seeded ChaCha generator per region, and ids are UUIDv7 built
//! from the simulated time and seeded random bytes, so the same seed and options give
//! byte-identical exports.
//!
//! - `region.rs`: officers, diggers, licences, sites and crews of one region;
//! - `history.rs`: a licence's dated events (fees, renewals, suspensions) and supporter;
//! - `production.rs`: a site's daily production and stones;
//! - `custody.rs`: dealers, the exporter and the sale slips between them;
//! - `draw.rs`: the single-record draws other simulations reuse ([`StoneDraw`], [`turnout`],
//!   [`fix_at`], [`day_notes`]);
//! - `load.rs`: writing it all into a store;
//! - `logins.rs`: local accounts for trying each role without a server;
//! - `profile.rs`: each region's parameters.

mod custody;
mod draw;
mod history;
mod load;
mod logins;
mod production;
mod profile;
mod region;

pub use draw::{DrawnStone, StoneDraw, Turnout, day_notes, fix_at, turnout};
pub use load::{DemoError, load, make_demo};
pub use logins::{DEMO_LOGINS_SETTING, DEMO_PASSWORD, make_demo_logins};

use crate::domain::{
    Crew, Digger, Licence, LicenceEvent, Officer, ProductionEntry, Region, Sale, Site, Stone,
    Supporter,
};
use chrono::{NaiveDate, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use region::RegionGen;

/// Regions made when none are asked for.
pub const DEFAULT_REGIONS: &[&str] = &["SL-KONO", "SL-KENEMA", "GH-AKWATIA"];

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub seed: u64,
    pub regions: Vec<String>,
    /// Diggers in all, shared between the regions.
    pub diggers: usize,
    /// Days of production, ending on `end`.
    pub days: u32,
    pub end: NaiveDate,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            seed: 1,
            regions: DEFAULT_REGIONS.iter().map(|s| s.to_string()).collect(),
            diggers: 600,
            days: 180,
            end: Utc::now().date_naive(),
        }
    }
}

/// A day's entry with its stones.
pub type DayRecord = (ProductionEntry, Vec<Stone>);

/// The generated records, in the order they are written.
#[derive(Debug, Default)]
pub struct DemoData {
    pub regions: Vec<Region>,
    pub officers: Vec<Officer>,
    pub diggers: Vec<Digger>,
    pub licences: Vec<Licence>,
    /// The dated events of those licences: issues with their fees, renewals, suspensions.
    pub licence_events: Vec<LicenceEvent>,
    /// Supporters named on artisanal licences.
    pub supporters: Vec<Supporter>,
    pub sites: Vec<Site>,
    pub crews: Vec<Crew>,
    pub production: Vec<DayRecord>,
    /// Sale slips in the order they are written (every slip after those it draws on).
    pub sales: Vec<Sale>,
}

/// Generates the data for `opts`; fails only for unknown region codes or empty options.
pub fn generate(opts: &DemoOptions) -> Result<DemoData, String> {
    if opts.regions.is_empty() {
        return Err("at least one region is needed".into());
    }
    if opts.days == 0 || opts.days > 3660 {
        return Err(format!("--days {} is not between 1 and 3660", opts.days));
    }
    let mut data = DemoData::default();
    let per_region = (opts.diggers / opts.regions.len()).max(1);
    for code in &opts.regions {
        let region = Region::known(code).ok_or_else(|| {
            format!(
                "unknown region {code:?} (known: {})",
                Region::catalogue()
                    .iter()
                    .map(|r| r.code.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed ^ fnv1a(region.code.as_bytes()));
        RegionGen {
            opts,
            region: &region,
            p: profile::profile(&region.code),
            rng: &mut rng,
            data: &mut data,
        }
        .run(per_region);
        data.regions.push(region);
    }
    Ok(data)
}

/// FNV-1a: a stable hash of the region code (std's hasher may change between releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
