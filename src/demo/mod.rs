//! Realistic synthetic data (DOMAIN.md §7): regions, officers, diggers, licences with
//! polygons around the real fields, sites inside them, crews, and daily production with
//! washing seasons, zero-find days, lognormal stone weights and a rare tail of large stones;
//! then the chain of custody: each licence holder sells its finds to one of the region's few
//! dealers (mostly the same one) 0–10 days after the last find of a batch, dealers resell their
//! purchases every one to three weeks to the region's exporter (now and then to another dealer),
//! and the exporter ships every three to six weeks under a KP certificate. Every slip lists
//! what it draws on, so the chain balances exactly.
//!
//! Everything is drawn from one seeded ChaCha generator per region, and ids are UUIDv7 built
//! from the simulated time and seeded random bytes, so the same seed and options give
//! byte-identical exports.

mod load;
mod profile;

pub use load::{DemoError, load, make_demo};

use crate::domain::{
    Area, Centicarats, Cents, Crew, Digger, DiggerStatus, FixSource, Licence, LicenceId,
    LicenceKind, LicenceStatus, Litres, Officer, PositionFix, ProductionEntry, Region, Role, Sale,
    SaleId, SaleKind, Sex, Site, SiteKind, SiteStatus, Stone, StoneClass, new_v7_at,
};
use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use profile::{Profile, profile};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, LogNormal, Poisson};

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
    pub sites: Vec<Site>,
    pub crews: Vec<Crew>,
    pub production: Vec<DayRecord>,
    /// Sale slips in the order they are written (every slip after those it draws on).
    pub sales: Vec<Sale>,
}

/// Share of the tail of exceptional stones (20–1 000 ct) among all stones.
const LARGE_STONE_P: f64 = 1e-4;
/// Overdispersion of daily finds (negative binomial shape): most days find little, a few a lot.
const FINDS_SHAPE: f64 = 0.6;

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
            p: profile(&region.code),
            rng: &mut rng,
            data: &mut data,
        }
        .run(per_region);
        data.regions.push(region);
    }
    Ok(data)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

struct RegionGen<'a> {
    opts: &'a DemoOptions,
    region: &'a Region,
    p: Profile,
    rng: &'a mut ChaCha8Rng,
    data: &'a mut DemoData,
}

impl RegionGen<'_> {
    fn id<T: From<uuid::Uuid>>(&mut self, day: NaiveDate, seq: u64) -> T {
        let ms = day
            .and_hms_opt(12, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp_millis()) as u64
            + seq;
        let mut bytes = [0u8; 10];
        self.rng.fill_bytes(&mut bytes);
        T::from(new_v7_at(ms, bytes))
    }

    fn pick<'s>(&mut self, list: &[&'s str]) -> &'s str {
        list[self.rng.random_range(0..list.len())]
    }

    fn start(&self) -> NaiveDate {
        self.opts.end - Duration::days(i64::from(self.opts.days) - 1)
    }

    fn run(&mut self, diggers: usize) {
        let short = self.p.licence_prefix.to_ascii_lowercase();
        let officer = Officer {
            id: self.id(self.start() - Duration::days(800), 0),
            username: format!("fo.{short}"),
            full_name: format!(
                "{} {}",
                self.pick(self.p.first_names_female),
                self.pick(self.p.surnames)
            ),
            role: Role::FieldOfficer,
            regions: vec![self.region.code.clone()],
        };
        let clerk = Officer {
            id: self.id(self.start() - Duration::days(800), 1),
            username: format!("lo.{short}"),
            full_name: format!(
                "{} {}",
                self.pick(self.p.first_names_male),
                self.pick(self.p.surnames)
            ),
            role: Role::LicensingOfficer,
            regions: vec![self.region.code.clone()],
        };
        let officer_name = officer.username.clone();
        self.data.officers.push(officer);
        self.data.officers.push(clerk);

        let first_digger = self.data.diggers.len();
        for i in 0..diggers {
            let d = self.digger(i);
            self.data.diggers.push(d);
        }
        let region_diggers: Vec<usize> = (first_digger..self.data.diggers.len()).collect();

        // Drainage lines: the fields follow a few rivers out of town.
        let rivers: Vec<f64> = (0..3)
            .map(|_| self.rng.random_range(0.0..std::f64::consts::TAU))
            .collect();
        let first_licence = self.data.licences.len();
        let first_production = self.data.production.len();
        let mut next = 0;
        let mut seq = 0;
        while next + 10 <= region_diggers.len() || (seq == 0 && !region_diggers.is_empty()) {
            let crew_len = self
                .rng
                .random_range(10..=25)
                .min(region_diggers.len() - next);
            let crew: Vec<usize> = region_diggers[next..next + crew_len].to_vec();
            next += crew_len;
            seq += 1;
            let bearing = rivers[self.rng.random_range(0..rivers.len())];
            self.licence_with_sites(seq, bearing, &crew, &officer_name);
        }
        self.custody(first_licence, first_production);
    }

    fn digger(&mut self, i: usize) -> Digger {
        let male = self.rng.random_bool(0.85);
        let first = if male {
            self.pick(self.p.first_names_male)
        } else {
            self.pick(self.p.first_names_female)
        };
        let age_days = self.rng.random_range(18 * 366..60 * 365);
        let registered = self.start() - Duration::days(self.rng.random_range(400..1500));
        let country = &self.region.country;
        let phone = if self.rng.random_bool(0.7) {
            format!(
                "{} {:06}",
                self.p.phone_prefix,
                self.rng.random_range(0..1_000_000)
            )
        } else {
            String::new()
        };
        Digger {
            id: self.id(registered, i as u64),
            national_id: format!(
                "{country}-{}{:07}",
                self.p.licence_prefix,
                // 7919 is prime, so i → i·7919 mod 10⁷ never repeats below ten million diggers.
                (i as u64 * 7919 + 1234) % 10_000_000
            ),
            full_name: format!("{first} {}", self.pick(self.p.surnames)),
            sex: if male { Sex::Male } else { Sex::Female },
            birth_date: self.opts.end - Duration::days(age_days),
            village: self.pick(self.p.villages).into(),
            chiefdom: self.pick(self.p.chiefdoms).into(),
            phone,
            region: self.region.code.clone(),
            status: if self.rng.random_bool(0.97) {
                DiggerStatus::Active
            } else {
                DiggerStatus::Inactive
            },
        }
    }

    fn licence_with_sites(&mut self, seq: usize, bearing: f64, crew: &[usize], officer: &str) {
        let (lat0, lon0) = self.region.centre;
        let along = self.rng.random_range(5_000.0..40_000.0);
        let across = self.rng.random_range(-400.0..400.0);
        let north = along * bearing.cos() - across * bearing.sin();
        let east = along * bearing.sin() + across * bearing.cos();
        let (clat, clon) = offset(lat0, lon0, north, east);
        // A plot of 0.5–1 ha, oriented along the river.
        let side = self.rng.random_range(70.0..100.0);
        let corners: Vec<(f64, f64)> = [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)]
            .iter()
            .map(|(a, b)| {
                let (n, e) = (
                    a * side + self.rng.random_range(-3.0..3.0),
                    b * side + self.rng.random_range(-3.0..3.0),
                );
                let (n, e) = (
                    n * bearing.cos() - e * bearing.sin(),
                    n * bearing.sin() + e * bearing.cos(),
                );
                let (lat, lon) = offset(clat, clon, n, e);
                (round6(lat), round6(lon))
            })
            .collect();
        let area = Area::from_corners(&corners).ok();
        let issued = self.start() - Duration::days(self.rng.random_range(0..330));
        let mut expires = issued + Duration::days(364);
        if expires < self.opts.end && self.rng.random_bool(0.85) {
            expires += Duration::days(365); // renewed
        }
        let holder = self.data.diggers[crew[0]].id;
        let licence = Licence {
            id: self.id(issued, seq as u64),
            number: format!("{}/AM/{}/{seq:04}", self.p.licence_prefix, issued.year()),
            kind: LicenceKind::ArtisanalMining,
            holder_digger_id: Some(holder),
            holder_name: String::new(),
            region: self.region.code.clone(),
            issued_on: issued,
            expires_on: expires,
            status: if self.rng.random_bool(0.03) {
                LicenceStatus::Suspended
            } else {
                LicenceStatus::Active
            },
            area,
            fee_receipt: format!(
                "OTP-{}-{:06}",
                issued.year(),
                self.rng.random_range(0..1_000_000)
            ),
        };
        let grade = LogNormal::new(self.p.grade_ct_per_m3.ln(), 0.8)
            .map_or(self.p.grade_ct_per_m3, |d| d.sample(self.rng));
        let n_sites = if self.rng.random_bool(0.4) { 2 } else { 1 };
        let mut sites = Vec::new();
        for k in 0..n_sites {
            let opened = (issued + Duration::days(self.rng.random_range(0..30))).min(self.opts.end);
            let (n, e) = (
                self.rng.random_range(-0.2..0.2) * side,
                self.rng.random_range(-0.2..0.2) * side,
            );
            let (n, e) = (
                n * bearing.cos() - e * bearing.sin(),
                n * bearing.sin() + e * bearing.cos(),
            );
            let (lat, lon) = offset(clat, clon, n, e);
            let kind =
                [SiteKind::Pit, SiteKind::Riverbed, SiteKind::Terrace][self.rng.random_range(0..3)];
            let village = self.pick(self.p.villages);
            sites.push(Site {
                id: self.id(opened, 100 + k),
                licence_id: licence.id,
                name: format!("{village} {} {}", kind, seq * 10 + k as usize + 1),
                kind,
                status: SiteStatus::Active,
                position: crate::domain::Position {
                    lat: round6(lat),
                    lon: round6(lon),
                    accuracy_m: round1(self.rng.random_range(2.5..8.0)),
                },
                opened_on: opened,
            });
        }
        for (i, &d) in crew.iter().enumerate() {
            let site = &sites[i % sites.len()];
            let crew = Crew {
                id: self.id(issued, 200 + i as u64),
                licence_id: licence.id,
                site_id: Some(site.id),
                digger_id: self.data.diggers[d].id,
                from: issued,
                to: None,
            };
            self.data.crews.push(crew);
        }
        let crew_ids: Vec<_> = crew.iter().map(|&d| self.data.diggers[d].id).collect();
        for (k, site) in sites.iter().enumerate() {
            let members: Vec<_> = crew_ids
                .iter()
                .skip(k)
                .step_by(sites.len())
                .copied()
                .collect();
            self.production(site, &licence, &members, grade, officer);
        }
        self.data.licences.push(licence);
        self.data.sites.extend(sites);
    }

    fn production(
        &mut self,
        site: &Site,
        licence: &Licence,
        crew: &[crate::domain::DiggerId],
        grade: f64,
        officer: &str,
    ) {
        let jitter = self.rng.random_range(-10..=10);
        let mean_ct = self.p.median_ct * (self.p.sigma * self.p.sigma / 2.0).exp();
        let weights = LogNormal::new(self.p.median_ct.ln(), self.p.sigma).ok();
        let mut day = self.start().max(site.opened_on);
        let mut seq = 0u64;
        while day <= self.opts.end {
            let season_day = day + Duration::days(jitter);
            let washing = self.p.washing_months.contains(&season_day.month());
            let works = day.weekday() != Weekday::Sun && self.rng.random_bool(0.9);
            // Work under a lapsed licence happens, rarely: the review checks are there for it.
            let allowed = licence.standing_on(day).permits_work() || self.rng.random_bool(0.02);
            if washing && works && allowed {
                seq += 1;
                let present: Vec<_> = crew
                    .iter()
                    .copied()
                    .filter(|_| self.rng.random_bool(0.85))
                    .collect();
                let crew_size = present.len() as u32 + self.rng.random_range(0..3);
                let gravel_m3 = f64::from(crew_size.max(1)) * self.rng.random_range(0.5..2.0);
                let gravel = Litres((gravel_m3 * 10.0).round() as i64 * 100);
                let lambda = gravel.0 as f64 / 1000.0 * grade / mean_ct;
                let rate = Gamma::new(FINDS_SHAPE, lambda.max(1e-6) / FINDS_SHAPE)
                    .map_or(0.0, |g| g.sample(self.rng));
                let count = Poisson::new(rate.max(1e-9))
                    .map_or(0.0, |p| p.sample(self.rng))
                    .min(400.0) as usize;
                let id = self.id(day, seq * 1000);
                let local = day.and_time(NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default())
                    + Duration::minutes(self.rng.random_range(0..480))
                    - Duration::minutes(i64::from(self.region.utc_offset_minutes));
                let accuracy = round1(self.rng.random_range(2.5..9.0));
                let (n, e) = (
                    self.rng.random_range(-1.0..1.0) * accuracy,
                    self.rng.random_range(-1.0..1.0) * accuracy,
                );
                let (lat, lon) = offset(site.position.lat, site.position.lon, n, e);
                let notes = match self.rng.random_range(0..100) {
                    0..=2 => "washing stopped early: heavy rain",
                    3 => "pump broken, washed by hand",
                    4 => "supporter present at the washing",
                    _ => "",
                };
                let entry = ProductionEntry {
                    id,
                    site_id: site.id,
                    day,
                    officer: officer.to_string(),
                    fix: Some(PositionFix {
                        lat: round6(lat),
                        lon: round6(lon),
                        accuracy_m: accuracy,
                        source: FixSource::Nmea,
                        time: Some(Utc.from_utc_datetime(&local)),
                    }),
                    crew_size,
                    digger_ids: present,
                    gravel,
                    notes: notes.into(),
                    replaces: None,
                };
                let mut stones = Vec::with_capacity(count);
                for k in 0..count {
                    let ct = if self.rng.random_bool(LARGE_STONE_P) {
                        (20.0 * self.rng.random_range(0.0001f64..1.0).powf(-1.0 / 1.5)).min(1000.0)
                    } else {
                        weights
                            .as_ref()
                            .map_or(self.p.median_ct, |w| w.sample(self.rng))
                    };
                    let roll: f64 = self.rng.random();
                    let class = if roll < self.p.gem {
                        StoneClass::Gem
                    } else if roll < self.p.gem + self.p.near_gem {
                        StoneClass::NearGem
                    } else {
                        StoneClass::Industrial
                    };
                    let colour = match class {
                        StoneClass::Gem => {
                            self.pick(&["white", "white", "off-white", "light yellow", "yellow"])
                        }
                        StoneClass::NearGem => self.pick(&["yellow", "light brown", "grey"]),
                        StoneClass::Industrial => self.pick(&["brown", "grey", "black", "green"]),
                    };
                    let sid = self.id(day, seq * 1000 + 1 + k as u64);
                    stones.push(Stone {
                        id: sid,
                        production_id: entry.id,
                        weight: Centicarats(((ct * 100.0).round() as i64).max(1)),
                        class,
                        colour: colour.into(),
                    });
                }
                self.data.production.push((entry, stones));
            }
            day += Duration::days(1);
        }
    }
}

/// Stock of a trader: the slips bought and not yet sold on.
#[derive(Default)]
struct Stock {
    unsold: Vec<usize>,
    next_sale: Option<NaiveDate>,
}

impl RegionGen<'_> {
    fn trader(&mut self, kind: LicenceKind, seq: usize) -> Licence {
        let issued = self.start() - Duration::days(self.rng.random_range(30..300));
        let mut expires = issued + Duration::days(364);
        if expires < self.opts.end {
            expires += Duration::days(365); // renewed
        }
        let surname = self.pick(self.p.surnames);
        let first = self.pick(self.p.first_names_male);
        let (code, holder) = match kind {
            LicenceKind::Exporter => ("EX", format!("{surname} Diamond Export Ltd")),
            _ => (
                "DL",
                format!(
                    "{first} {surname} {}",
                    self.pick(&["Diamonds", "Trading", "& Sons", "Mining Supplies"])
                ),
            ),
        };
        Licence {
            // Registered on the device when the demo span starts, after every mining licence,
            // so lists in id order still begin with a mining licence as they always have.
            id: self.id(self.start(), 900 + seq as u64),
            number: format!(
                "{}/{code}/{}/{seq:04}",
                self.p.licence_prefix,
                issued.year()
            ),
            kind,
            holder_digger_id: None,
            holder_name: holder,
            region: self.region.code.clone(),
            issued_on: issued,
            expires_on: expires,
            status: LicenceStatus::Active,
            area: None,
            fee_receipt: format!(
                "OTP-{}-{:06}",
                issued.year(),
                self.rng.random_range(0..1_000_000)
            ),
        }
    }

    /// A slip with the next id and number of its kind.
    #[allow(clippy::too_many_arguments)]
    fn slip(
        &mut self,
        kind: SaleKind,
        n: usize,
        day: NaiveDate,
        seller: LicenceId,
        buyer: Option<LicenceId>,
        parts: (i64, u32, i64),
    ) -> Sale {
        let code = match kind {
            SaleKind::FirstSale => "BA",
            SaleKind::Resale => "BV",
            SaleKind::Export => "EX",
        };
        Sale {
            id: self.id::<SaleId>(day, 50_000 + n as u64),
            slip_number: format!("{}/{code}/{n:06}", self.p.licence_prefix),
            day,
            seller_licence_id: seller,
            buyer_licence_id: buyer,
            weight: Centicarats(parts.0),
            stone_count: parts.1,
            price: Cents(parts.2),
            production_ids: vec![],
            source_sale_ids: vec![],
            kind,
            certificate_number: String::new(),
            destination_country: String::new(),
        }
    }

    /// Dealers, an exporter and the slips from pit to export (see the module documentation).
    fn custody(&mut self, first_licence: usize, first_production: usize) {
        let dealers: Vec<Licence> = (1..=3)
            .map(|k| self.trader(LicenceKind::Dealer, k))
            .collect();
        let exporter = self.trader(LicenceKind::Exporter, 1);
        let prices = crate::analytics::PriceModel::standard();
        let base = prices
            .base(&self.region.code)
            .map_or(10_000.0, |c| c.0 as f64);
        let site_licence: std::collections::HashMap<_, _> = self
            .data
            .sites
            .iter()
            .map(|s| (s.id, s.licence_id))
            .collect();
        let end = self.opts.end;
        let mut sales: Vec<Sale> = Vec::new();
        let mut n = 0;

        // First sales: each holder sells batches of finds, mostly to a regular dealer.
        let licences: Vec<LicenceId> = self.data.licences[first_licence..]
            .iter()
            .map(|l| l.id)
            .collect();
        let mut finds: std::collections::HashMap<LicenceId, Vec<usize>> = Default::default();
        for (i, (p, stones)) in self
            .data
            .production
            .iter()
            .enumerate()
            .skip(first_production)
        {
            if let Some(l) = site_licence.get(&p.site_id)
                && !stones.is_empty()
            {
                finds.entry(*l).or_default().push(i);
            }
        }
        for licence in licences {
            let mut list = finds.remove(&licence).unwrap_or_default();
            list.sort_by_key(|&i| (self.data.production[i].0.day, self.data.production[i].0.id));
            let regular = self.rng.random_range(0..dealers.len());
            let mut batch: Vec<usize> = Vec::new();
            for i in list {
                batch.push(i);
                if batch.len() < 6 && !self.rng.random_bool(0.35) {
                    continue;
                }
                let day =
                    self.data.production[i].0.day + Duration::days(self.rng.random_range(0..=10));
                if day > end {
                    break; // still in the holder's hands
                }
                let dealer = if self.rng.random_bool(0.85) {
                    regular
                } else {
                    self.rng.random_range(0..dealers.len())
                };
                let (mut cc, mut count, mut value) = (0i64, 0u32, 0.0f64);
                for &k in &batch {
                    for st in &self.data.production[k].1 {
                        cc += st.weight.0;
                        count += 1;
                        value += base
                            * st.weight.carats_f64().powf(crate::analytics::SIZE_EXPONENT)
                            * crate::analytics::quality_factor(st.class)
                            * st.weight.carats_f64();
                    }
                }
                let price = (value * self.rng.random_range(0.55..0.75)).round() as i64;
                n += 1;
                let mut s = self.slip(
                    SaleKind::FirstSale,
                    n,
                    day,
                    licence,
                    Some(dealers[dealer].id),
                    (cc, count, price),
                );
                s.production_ids = batch
                    .iter()
                    .map(|&k| self.data.production[k].0.id)
                    .collect();
                sales.push(s);
                batch.clear();
            }
        }

        // Dealers resell their stock every one to three weeks; the exporter ships every three
        // to six weeks. Walk the days in order so every slip comes after what it draws on.
        sales.sort_by_key(|s| (s.day, s.id));
        let mut stock: Vec<Stock> = (0..=dealers.len()).map(|_| Stock::default()).collect();
        let trader_index = |id: LicenceId| {
            dealers
                .iter()
                .position(|d| d.id == id)
                .or((id == exporter.id).then_some(dealers.len()))
        };
        let firsts = std::mem::take(&mut sales);
        let mut out: Vec<Sale> = Vec::with_capacity(firsts.len() * 2);
        let mut cursor = 0;
        let mut day = self.start();
        for (k, s) in stock.iter_mut().enumerate() {
            let gap = if k < dealers.len() { 7..=21 } else { 21..=42 };
            s.next_sale = Some(day + Duration::days(self.rng.random_range(gap)));
        }
        while day <= end {
            while cursor < firsts.len() && firsts[cursor].day <= day {
                let s = firsts[cursor].clone();
                if let Some(k) = s.buyer_licence_id.and_then(trader_index) {
                    stock[k].unsold.push(out.len());
                }
                out.push(s);
                cursor += 1;
            }
            for k in 0..stock.len() {
                if stock[k].next_sale != Some(day) {
                    continue;
                }
                let is_exporter = k == dealers.len();
                let gap = if is_exporter { 21..=42 } else { 7..=21 };
                stock[k].next_sale = Some(day + Duration::days(self.rng.random_range(gap)));
                let sources = std::mem::take(&mut stock[k].unsold);
                if sources.is_empty() {
                    continue;
                }
                let (cc, count, price): (i64, u32, i64) =
                    sources.iter().fold((0, 0, 0), |a, &i| {
                        (
                            a.0 + out[i].weight.0,
                            a.1 + out[i].stone_count,
                            a.2 + out[i].price.0,
                        )
                    });
                let markup = self.rng.random_range(1.05..1.15);
                let price = (price as f64 * markup).round() as i64;
                n += 1;
                let mut s = if is_exporter {
                    let mut s = self.slip(
                        SaleKind::Export,
                        n,
                        day,
                        exporter.id,
                        None,
                        (cc, count, price),
                    );
                    s.destination_country = self
                        .pick(&["BE", "BE", "BE", "AE", "AE", "IN", "IL"])
                        .to_string();
                    s.certificate_number = format!("{}-{}-{n:05}", self.region.country, day.year());
                    s
                } else {
                    // Now and then a dealer sells to a bigger dealer rather than the exporter.
                    let to = if self.rng.random_bool(0.1) {
                        (k + 1) % dealers.len()
                    } else {
                        dealers.len()
                    };
                    let buyer = if to == dealers.len() {
                        exporter.id
                    } else {
                        dealers[to].id
                    };
                    let s = self.slip(
                        SaleKind::Resale,
                        n,
                        day,
                        dealers[k].id,
                        Some(buyer),
                        (cc, count, price),
                    );
                    stock[to].unsold.push(out.len());
                    s
                };
                s.source_sale_ids = sources.iter().map(|&i| out[i].id).collect();
                out.push(s);
            }
            day += Duration::days(1);
        }
        self.data.licences.extend(dealers);
        self.data.licences.push(exporter);
        self.data.sales.extend(out);
    }
}

/// Moves a point by metres north and east (flat-earth; exact enough over tens of km).
fn offset(lat: f64, lon: f64, north_m: f64, east_m: f64) -> (f64, f64) {
    const M_PER_DEG: f64 = 111_320.0;
    (
        lat + north_m / M_PER_DEG,
        lon + east_m / (M_PER_DEG * lat.to_radians().cos()),
    )
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}
