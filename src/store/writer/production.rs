//! Append-only field records: production entries, their stones, and coordinators' reviews.
//! A correction is a new entry naming the one it replaces.

use super::{StoreError, Writer, unique_to_conflict};
use crate::domain::rules::{self, Placed};
use crate::domain::{ProductionEntry, RecordKind, Review, Stone};
use rusqlite::params;

impl Writer<'_> {
    /// Records a production entry (or a correction of one, when `replaces` is set).
    pub fn add_production(&mut self, p: &ProductionEntry) -> Result<(), StoreError> {
        let placed = rules::production(p, self.today, &self.lookup())?;
        let id = p.id.to_string();
        let hlc = self.stamp();
        let f = p.fix.as_ref();
        self.tx
            .prepare_cached(
                "INSERT INTO production(id, site_id, day, officer, lat, lon, accuracy_m, fix_source, fix_time,
                   crew_size, gravel_litres, notes, replaces, hlc, origin, author, seal)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )?
            .execute(params![
                id,
                p.site_id.to_string(),
                p.day.to_string(),
                p.officer,
                f.map(|f| f.lat),
                f.map(|f| f.lon),
                f.map(|f| f.accuracy_m),
                f.map(|f| f.source.as_str()),
                f.and_then(|f| f.time).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                p.crew_size,
                p.gravel.0,
                p.notes,
                p.replaces.map(|r| r.to_string()),
                hlc.as_i64(),
                self.origin(),
                self.author(),
                p.seal.trim()
            ])?;
        let mut link = self
            .tx
            .prepare_cached("INSERT INTO production_diggers(production_id, digger_id, position) VALUES (?1, ?2, ?3)")?;
        for (i, d) in p.digger_ids.iter().enumerate() {
            link.execute(params![id, d.to_string(), i as i64])?;
        }
        self.log(RecordKind::Production, &id, &placed, hlc, 0, p)
    }

    /// Records a stone found on a production day, or a lot of small stones.
    pub fn add_stone(&mut self, s: &Stone) -> Result<(), StoreError> {
        let placed = rules::stone(s, &self.lookup())?;
        let id = s.id.to_string();
        let hlc = self.stamp();
        self.tx
            .prepare_cached(
                "INSERT INTO stones(id, production_id, centicarats, class, colour, stone_count, sieve,
                   hlc, origin, author)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                id,
                s.production_id.to_string(),
                s.weight.0,
                s.class.as_str(),
                s.colour,
                s.count,
                s.sieve.map_or("", |v| v.as_str()),
                hlc.as_i64(),
                self.origin(),
                self.author()
            ])?;
        self.log(RecordKind::Stone, &id, &placed, hlc, 0, s)
    }

    /// Records a coordinator's decision.
    ///
    /// A review pulled from the server may judge a record this device does not hold (a field
    /// officer receives the queries on their entries, not the entries of others): only its
    /// own rules are checked then; the server has checked the rest.
    pub fn add_review(&mut self, r: &Review) -> Result<(), StoreError> {
        let placed = if self.remote.is_some() {
            r.validate()?;
            Placed {
                region: String::new(),
                parent: Some(r.target_id.to_string()),
                replaces: None,
            }
        } else {
            rules::review(r, &self.lookup())?
        };
        let hlc = self.stamp();
        let id = r.id.to_string();
        self.tx
            .prepare_cached(
                "INSERT INTO reviews(id, target_entity, target_id, decision, comment, reviewer, at, hlc, origin, author)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                id,
                r.target_entity.as_str(),
                r.target_id.to_string(),
                r.decision.as_str(),
                r.comment,
                r.reviewer.to_string(),
                r.at.to_rfc3339(),
                hlc.as_i64(),
                self.origin(),
                self.author()
            ])
            .map_err(|e| unique_to_conflict(e, || format!("review {id} already exists")))?;
        self.log(RecordKind::Review, &id, &placed, hlc, 0, r)
    }
}
