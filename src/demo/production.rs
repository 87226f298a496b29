//! A site's daily production: washing seasons, Sundays off, zero-find days, and the stones of
//! each washing. The number of stones follows the gravel washed and the site's grade, with the
//! overdispersion of real diggings (most days find little, a few a lot); each stone is drawn by
//! [`StoneDraw`].

use super::draw::{StoneDraw, day_notes, fix_at, turnout, washing_records};
use super::region::RegionGen;
use crate::domain::{DiggerId, LicenceHistory, ProductionEntry, Site};
use chrono::{Datelike, Duration, Weekday};
use rand::Rng;
use rand_distr::{Distribution, Gamma, Poisson};

/// Overdispersion of daily finds (negative binomial shape): most days find little, a few a lot.
const FINDS_SHAPE: f64 = 0.6;

impl RegionGen<'_> {
    /// Every washing day of `site` from the later of the demo's start and the site's opening,
    /// worked by `crew` at `grade` ct/m³ and recorded by `officer`.
    pub(super) fn production(
        &mut self,
        site: &Site,
        licence: &LicenceHistory,
        crew: &[DiggerId],
        grade: f64,
        officer: &str,
    ) {
        // Seasons start and end on slightly different days at each site.
        let jitter = self.rng.random_range(-10..=10);
        let mean_ct = self.p.median_ct * (self.p.sigma * self.p.sigma / 2.0).exp();
        let stones_of = StoneDraw::new(&self.p);
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
                let turnout = turnout(self.rng, crew);
                let lambda = turnout.gravel.0 as f64 / 1000.0 * grade / mean_ct;
                let rate = Gamma::new(FINDS_SHAPE, lambda.max(1e-6) / FINDS_SHAPE)
                    .map_or(0.0, |g| g.sample(self.rng));
                let count = Poisson::new(rate.max(1e-9))
                    .map_or(0.0, |p| p.sample(self.rng))
                    .min(400.0) as usize;
                let id = self.id(day, seq * 1000);
                let fix = fix_at(
                    self.rng,
                    &site.position,
                    day,
                    self.region.utc_offset_minutes,
                );
                let notes = day_notes(self.rng);
                let entry = ProductionEntry {
                    id,
                    site_id: site.id,
                    day,
                    officer: officer.to_string(),
                    fix: Some(fix),
                    crew_size: turnout.crew_size,
                    digger_ids: turnout.digger_ids,
                    gravel: turnout.gravel,
                    notes: notes.into(),
                    replaces: None,
                    seal: String::new(),
                };
                // Each stone and its id drawn in turn, as always, so a seed draws the same
                // stones whether or not smalls are grouped into lots.
                let mut drawn = Vec::with_capacity(count);
                for k in 0..count {
                    let stone = stones_of.sample(self.rng);
                    drawn.push((stone, self.id(day, seq * 1000 + 1 + k as u64)));
                }
                let stones = washing_records(drawn, entry.id);
                // A day that found stones seals them in a numbered bag at the pit.
                let mut entry = entry;
                if !stones.is_empty() {
                    entry.seal = format!(
                        "{}-{:07}",
                        self.p.licence_prefix,
                        self.data.production.len() + 1
                    );
                }
                self.data.production.push((entry, stones));
            }
            day += Duration::days(1);
        }
    }
}
