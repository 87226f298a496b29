//! One region's share of the demo: its officers, diggers, and the licences with their plots,
//! sites and crews laid out along the rivers out of town. Production (`production.rs`) and the
//! chain of custody (`custody.rs`) add to the same generator, so all of a region's records come
//! from its one seeded stream in a fixed order.

use super::draw::{offset, pick, round1, round6};
use super::history::history;
use super::profile::Profile;
use super::{DemoData, DemoOptions};
use crate::domain::{
    Area, Crew, Digger, DiggerStatus, LatLon, Licence, LicenceHistory, LicenceKind, LicenceStatus,
    Officer, Position, Region, Role, Sex, Site, SiteKind, SiteStatus, new_v7_at,
};
use chrono::{Datelike, Duration, NaiveDate};
use rand::{Rng, RngCore};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};

/// The generator of one region: its options, profile and random stream, writing into the
/// shared data.
pub(super) struct RegionGen<'a> {
    pub(super) opts: &'a DemoOptions,
    pub(super) region: &'a Region,
    pub(super) p: Profile,
    pub(super) rng: &'a mut ChaCha8Rng,
    pub(super) data: &'a mut DemoData,
}

impl RegionGen<'_> {
    /// A UUIDv7 of `day` (noon UTC, plus `seq` milliseconds to order a day's records), with
    /// random bits from the region's stream so that the same seed gives the same ids.
    pub(super) fn id<T: From<uuid::Uuid>>(&mut self, day: NaiveDate, seq: u64) -> T {
        let ms = day
            .and_hms_opt(12, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp_millis()) as u64
            + seq;
        let mut bytes = [0u8; 10];
        self.rng.fill_bytes(&mut bytes);
        T::from(new_v7_at(ms, bytes))
    }

    pub(super) fn pick<'s>(&mut self, list: &[&'s str]) -> &'s str {
        pick(self.rng, list)
    }

    /// The first day of production.
    pub(super) fn start(&self) -> NaiveDate {
        self.opts.end - Duration::days(i64::from(self.opts.days) - 1)
    }

    /// Generates the region with `diggers` diggers, who make up its crews.
    pub(super) fn run(&mut self, diggers: usize) {
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
        let corners: Vec<LatLon> = [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)]
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
                LatLon {
                    lat: round6(lat),
                    lon: round6(lon),
                }
            })
            .collect();
        let area = Area::from_corners(&corners).ok();
        let issued = self.start() - Duration::days(self.rng.random_range(0..330));
        // The region's own draws decide renewal and suspension; their dates, the fees and the
        // supporter come from the licence's own generator (`history.rs`).
        let renewed = issued + Duration::days(364) < self.opts.end && self.rng.random_bool(0.85);
        let holder = self.data.diggers[crew[0]].id;
        let mut licence = Licence {
            id: self.id(issued, seq as u64),
            number: format!("{}/AM/{}/{seq:04}", self.p.licence_prefix, issued.year()),
            kind: LicenceKind::ArtisanalMining,
            holder_digger_id: Some(holder),
            holder_name: String::new(),
            region: self.region.code.clone(),
            issued_on: issued,
            expires_on: issued,
            status: LicenceStatus::Active,
            area,
            fee_receipt: String::new(),
        };
        let suspended = self.rng.random_bool(0.03);
        licence.fee_receipt = format!(
            "OTP-{}-{:06}",
            issued.year(),
            self.rng.random_range(0..1_000_000)
        );
        let history = history(
            &licence,
            &self.p,
            renewed,
            suspended,
            self.start(),
            self.opts.end,
        );
        licence.expires_on = history.first_until;
        let standing = LicenceHistory::new(&licence, &history.events);
        self.data.licence_events.extend(history.events);
        self.data.supporters.extend(history.supporter);
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
                position: Position {
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
            self.production(site, &standing, &members, grade, officer);
        }
        self.data.licences.push(licence);
        self.data.sites.extend(sites);
    }
}
