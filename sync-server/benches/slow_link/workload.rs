//! What the devices record: one busy site in Kono with a crew of ten, the office's weekly
//! reviews and newcomers, and the field officer's week of production. The production is drawn
//! with the demo's own draws (turnout, GPS fix, notes, stones), so the benchmark's records look
//! like the demo data and follow it when the demo changes; only the number of stones a day is
//! the benchmark's own (20–40: a busy site; the demo's Kono profile finds far fewer on most
//! days). Afterwards `verify_server` checks that the server holds every record exactly once.

use super::common::{digger, licence, site, today};
use super::endpoints::Device;
use super::{CREW, REGION};
use alluvium::demo::{self, DayRecord, StoneDraw};
use alluvium::domain::{
    Crew, CrewId, DiggerId, Licence, ProductionEntry, ProductionId, Region, Review, ReviewDecision,
    ReviewId, Site, StoneId,
};
use chrono::{Days, NaiveDate};
use rand::Rng;
use rand::distr::Distribution;
use std::ops::RangeInclusive;
use std::path::Path;

/// Stones found a day at the benchmark's busy site.
const STONES_PER_DAY: RangeInclusive<usize> = 20..=40;

/// The site under test: its licence, the site and the crew's diggers.
pub struct BusySite {
    pub licence: Licence,
    pub site: Site,
    pub crew: Vec<DiggerId>,
}

/// Registers the site on the licensing officer's device (diggers, licence, site, crew) and
/// syncs it to the server.
pub fn register_site(lic: &Device) -> BusySite {
    let diggers: Vec<_> = (0..CREW)
        .map(|i| {
            digger(
                REGION,
                &format!("SL-SLOW-{i:03}"),
                &format!("Crew Member {i}"),
            )
        })
        .collect();
    let mut li = licence(REGION, "KONO/SLOW/1", &diggers[0]);
    li.issued_on = today() - Days::new(400);
    let mut si = site(&li, "Slow link pit");
    si.opened_on = today() - Days::new(400);
    let crews: Vec<Crew> = diggers
        .iter()
        .map(|d| Crew {
            id: CrewId::new(),
            licence_id: li.id,
            site_id: Some(si.id),
            digger_id: d.id,
            from: si.opened_on,
            to: None,
        })
        .collect();
    lic.with_store(|s| {
        s.write(|w| {
            diggers.iter().try_for_each(|d| w.put_digger(d))?;
            w.put_licence(&li)?;
            w.put_site(&si)?;
            crews.iter().try_for_each(|c| w.put_crew(c))
        })
        .unwrap()
    });
    assert_eq!(lic.sync().rejected, 0);
    BusySite {
        licence: li,
        site: si,
        crew: diggers.iter().map(|d| d.id).collect(),
    }
}

/// The office's week `w`: the coordinator reviews `previous` (last week's entries; the fourth
/// is queried), and the licensing officer registers a newcomer who joins the crew on `joins_on`.
/// Returns the newcomer and how many changes the field device should pull.
pub fn office_week(
    coord: &Device,
    lic: &Device,
    at: &BusySite,
    previous: &[ProductionEntry],
    w: usize,
    joins_on: NaiveDate,
) -> (DiggerId, usize) {
    coord.sync();
    let reviewer = coord.with_store(|s| s.session().unwrap().unwrap().officer_id);
    let reviews: Vec<Review> = previous
        .iter()
        .enumerate()
        .map(|(i, p)| Review {
            id: ReviewId::new(),
            target_entity: alluvium::domain::RecordKind::Production,
            target_id: p.id.0,
            decision: if i == 3 {
                ReviewDecision::Queried
            } else {
                ReviewDecision::Approved
            },
            comment: if i == 3 {
                "Weigh the largest stone again".into()
            } else {
                String::new()
            },
            reviewer,
            at: chrono::Utc::now(),
        })
        .collect();
    coord.with_store(|s| {
        s.write(|w| reviews.iter().try_for_each(|r| w.add_review(r)))
            .unwrap()
    });
    assert_eq!(coord.sync().pushed, reviews.len());
    let newcomer = digger(REGION, &format!("SL-SLOW-N{w:02}"), "New Crew Member");
    let joins = Crew {
        id: CrewId::new(),
        licence_id: at.licence.id,
        site_id: Some(at.site.id),
        digger_id: newcomer.id,
        from: joins_on,
        to: None,
    };
    lic.with_store(|s| {
        s.write(|w| {
            w.put_digger(&newcomer)?;
            w.put_crew(&joins)
        })
        .unwrap()
    });
    assert_eq!(lic.sync().pushed, 2);
    (newcomer.id, reviews.len() + 2)
}

/// The field officer's draws: a seeded generator, so every run records the same weeks.
pub struct FieldWeeks<R> {
    rng: R,
    stones: StoneDraw,
    utc_offset_minutes: i32,
}

impl<R: Rng> FieldWeeks<R> {
    /// Weeks drawn from `rng` with the stones of the benchmark's region.
    pub fn new(rng: R) -> Self {
        FieldWeeks {
            rng,
            stones: StoneDraw::for_region(REGION),
            utc_offset_minutes: Region::known(REGION).map_or(0, |r| r.utc_offset_minutes),
        }
    }

    /// Seven days from `first_day` at `site` worked by `crew`: one entry a day with its
    /// stones, as the field officer records them.
    pub fn week(&mut self, site: &Site, crew: &[DiggerId], first_day: NaiveDate) -> Vec<DayRecord> {
        (0..7)
            .map(|d| {
                let day = first_day + Days::new(d);
                let rng = &mut self.rng;
                let turnout = demo::turnout(rng, crew);
                let fix = demo::fix_at(rng, &site.position, day, self.utc_offset_minutes);
                let entry = ProductionEntry {
                    seal: String::new(),
                    id: ProductionId::new(),
                    site_id: site.id,
                    day,
                    officer: "field_a".into(),
                    fix: Some(fix),
                    crew_size: turnout.crew_size,
                    digger_ids: turnout.digger_ids,
                    gravel: turnout.gravel,
                    notes: demo::day_notes(rng).into(),
                    replaces: None,
                };
                let stones = (0..rng.random_range(STONES_PER_DAY))
                    .map(|_| self.stones.sample(rng).into_stone(StoneId::new(), entry.id))
                    .collect();
                (entry, stones)
            })
            .collect()
    }
}

/// Checks the server's database: every record of `week` was accepted exactly once, and the
/// server holds exactly `total` production and stone changes (nothing lost, nothing doubled).
pub fn verify_server(db: &Path, week: &[DayRecord], total: usize) {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut once = conn
        .prepare(
            "SELECT (SELECT count(*) FROM changes WHERE entity = ?1 AND record_id = ?2),
                    (SELECT count(*) FROM records WHERE entity = ?1 AND record_id = ?2)",
        )
        .unwrap();
    let mut check = |entity: &str, id: String| {
        let (changes, records): (i64, i64) = once
            .query_row([entity, id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!(
            (changes, records),
            (1, 1),
            "{entity} {id} is on the server {changes} times"
        );
    };
    for (p, stones) in week {
        check("production", p.id.to_string());
        for s in stones {
            check("stone", s.id.to_string());
        }
    }
    let on_server: i64 = conn
        .query_row(
            "SELECT count(*) FROM changes WHERE entity IN ('production', 'stone')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        on_server, total as i64,
        "production and stone changes on the server"
    );
}
