//! Push: each change of a batch applied exactly once, in one transaction.
//!
//! A change is judged in the order of cost: who sent it (device and officer), whether the role
//! may write its kind at all, then its content through the domain's record rules (the same the
//! device ran), then whether its region — and, for an edit, the region of the version it edits
//! — is one of the officer's. Accepted changes enter the log; refused ones are kept with their
//! reason, so a resent change gets the same answer.

use super::chain::{self, Checked, Verified};
use super::facts::{licence_facts, sale_facts};
use super::now;
use crate::db::sql::{Sql, vals};
use crate::db::{DbError, Session};
use alluvium::domain::merge::{self, Outcome, Version};
use alluvium::domain::rules::{
    self, Placed, ProductionFacts, Record, RecordLookup, RuleError, SiteFacts,
};
use alluvium::domain::{Hlc, ProductionId, RecordKind, Role, SiteId};
use alluvium::sync::limits::MAX_CLOCK_SKEW_MS;
use alluvium::sync::scope;
use alluvium::sync::wire::{Change, ChangeResult, Op, Verdict};
use chrono::NaiveDate;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

/// One push: its transaction, the day its records are judged on, and the production entries
/// it has accepted so far, so that the stones sent right after an entry find it without a
/// query (a push is mostly stones).
pub(super) struct Batch<'t> {
    pub(super) tx: &'t dyn Sql,
    pub(super) today: NaiveDate,
    pub(super) entries: RefCell<HashMap<ProductionId, ProductionFacts>>,
    /// Where the pushing device's chain stands in this transaction (see `chain::Tip`).
    pub(super) tip: RefCell<Option<chain::Tip>>,
    /// The registry lookups made so far (a push's entries mostly name the same site and
    /// diggers); emptied whenever the push itself writes a registry record.
    pub(super) registry: RefCell<RegistryAnswers>,
}

/// Answers about registry records kept for the rest of a push.
#[derive(Default)]
pub(super) struct RegistryAnswers {
    pub(super) sites: HashMap<SiteId, Option<SiteFacts>>,
    /// Registry records known to exist (registry records are never removed).
    pub(super) known: HashSet<(RecordKind, String)>,
}

/// A change judged on its own, before the database is touched: who sent it, whether the role
/// may write its kind, its clocks, and its content read and checked against its own rules.
pub(super) type Prepared = Result<Record, String>;

/// The checks that need no other record, run outside the database lock so that an expensive
/// payload (a large polygon, a long list) never makes other requests wait.
pub(super) fn prepare(s: &Session, c: &Change, now_ms: u64) -> Prepared {
    if c.origin != s.device.id {
        return Err(format!(
            "the change was made on device {}, not on this one",
            c.origin
        ));
    }
    if c.author != Some(s.officer.id.0) {
        return Err(
            "the change was not made by the officer logged in; only its author can push it".into(),
        );
    }
    if c.op != Op::of(c.entity) {
        return Err(format!("op {:?} is wrong for {} records", c.op, c.entity));
    }
    if c.hlc.unix_ms() > now_ms + MAX_CLOCK_SKEW_MS {
        return Err(format!(
            "the change's clock is {} s ahead of the server's; set the device's date and time",
            (c.hlc.unix_ms() - now_ms) / 1000
        ));
    }
    if c.base_hlc > c.hlc {
        return Err("the change's base clock is later than its own clock".into());
    }
    let role = s.role();
    // Before the content is even read: a role that may not write this kind is refused cheaply.
    // Regions are the exception: devices send the built-in catalogue, acknowledged below.
    if c.entity != RecordKind::Region && !scope::may_push(role, c.entity) {
        return Err(format!("a {role} may not push {} records", c.entity));
    }
    let record = Record::from_json(c.entity, &c.payload)?;
    if record.id() != c.record_id {
        return Err(format!(
            "record_id {} does not match the payload's id {}",
            c.record_id,
            record.id()
        ));
    }
    if let Record::Review(r) = &record {
        if r.reviewer != s.officer.id {
            return Err("a review is signed by the officer who pushes it".into());
        }
        let at_ms = u64::try_from(r.at.timestamp_millis()).unwrap_or(0);
        if at_ms > now_ms + MAX_CLOCK_SKEW_MS {
            return Err(
                "the review's time is in the future; set the device's date and time".into(),
            );
        }
    }
    if let Record::Photo(p) = &record {
        if p.added_by != s.officer.id {
            return Err("a photo is signed by the officer who pushes it".into());
        }
        if !scope::may_photograph(role, p.target_entity) {
            return Err(format!(
                "a {role} may not put photos on {} records",
                p.target_entity
            ));
        }
    }
    Ok(record)
}

/// A change's texts, its own checks ([`prepare`]) and its signature's
/// ([`chain::check_signatures_in_pieces`]).
pub(super) type Judged = (Text, Prepared, Checked);

/// Applies a batch; one verdict per change, in order. `judged` gives each change's
/// [`Judged`], in order; it may still be being computed.
pub(super) fn push(
    tx: &dyn Sql,
    s: &Session,
    changes: &[Change],
    judged: impl Iterator<Item = Judged>,
    today: NaiveDate,
) -> Result<Vec<ChangeResult>, DbError> {
    let batch = Batch {
        tx,
        today,
        entries: RefCell::new(HashMap::new()),
        tip: RefCell::new(None),
        registry: RefCell::default(),
    };
    let mut out = Vec::with_capacity(changes.len());
    for (c, judged) in changes.iter().zip(judged) {
        let verdict = apply_change(&batch, s, c, judged)?;
        let change_id = matches!(verdict, Verdict::Rejected { .. }).then_some(c.change_id);
        out.push(ChangeResult { change_id, verdict });
    }
    if out.len() != changes.len() {
        // The checking thread stopped early (it panicked): nothing of the push is kept.
        return Err(DbError::Database(
            "the push's changes could not all be checked".into(),
        ));
    }
    Ok(out)
}

/// The record-index row of a registry record's winning version.
const UPSERT_RECORD: &str =
    "INSERT INTO records(entity, record_id, region, parent, replaces, hlc, origin, facts)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
     ON CONFLICT(entity, record_id) DO UPDATE SET region = excluded.region,
       parent = excluded.parent, hlc = excluded.hlc, origin = excluded.origin,
       facts = excluded.facts";

/// A change's row in the log. An insert-only record's row is its only row, with its parent,
/// correction and facts; the log's unique index on the kind and id of inserts keeps its row
/// out when the record's id is taken, as its unique change id does when that is (0 rows
/// written either way).
const INSERT_CHANGE: &str =
    "INSERT INTO changes(change_id, entity, record_id, region, hlc, base_hlc, origin, author, op,
                         payload, chain_seq, prev, sig, link, form, parent, replaces, facts)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
     ON CONFLICT DO NOTHING";

/// The facts the sale-chain rules will read of this record later.
fn facts_of(record: &Record) -> Option<String> {
    match record {
        Record::Licence(l) => Some(licence_facts(l)),
        Record::Sale(s) => Some(sale_facts(s)),
        Record::Region(_)
        | Record::Officer(_)
        | Record::Digger(_)
        | Record::Site(_)
        | Record::Crew(_)
        | Record::Photo(_)
        | Record::Supporter(_)
        | Record::LicenceEvent(_)
        | Record::Production(_)
        | Record::Stone(_)
        | Record::Review(_) => None,
    }
}

/// Writes the record-index row of an accepted registry change.
fn write_record(
    tx: &dyn Sql,
    c: &Change,
    text: &Text,
    placed: &Placed,
    facts: Option<&str>,
) -> Result<u64, DbError> {
    tx.exec(
        UPSERT_RECORD,
        vals![
            c.entity.as_str(),
            &c.record_id,
            &placed.region,
            placed.parent.as_ref(),
            placed.replaces.as_ref(),
            c.hlc.as_i64(),
            &text.origin,
            facts
        ],
    )
}

/// Writes an accepted change's row in the log; for an insert, with what the record rules
/// read of it later. Returns the number of rows written: 0 for an insert whose id is taken.
fn write_change(
    tx: &dyn Sql,
    c: &Change,
    text: &Text,
    placed: &Placed,
    facts: Option<&str>,
    verified: Option<&Verified>,
) -> Result<u64, DbError> {
    let insert = c.op == Op::Insert;
    tx.exec(
        INSERT_CHANGE,
        vals![
            &text.id,
            c.entity.as_str(),
            &c.record_id,
            &placed.region,
            c.hlc.as_i64(),
            c.base_hlc.as_i64(),
            &text.origin,
            text.author.as_ref(),
            if insert { "insert" } else { "upsert" },
            &text.payload,
            verified.map(|v| v.chain_seq as i64),
            verified.map(|v| &v.prev[..]),
            verified.and_then(|v| v.sig.as_ref()).map(|s| &s[..]),
            verified.map(|v| &v.link[..]),
            verified.map_or(1, |v| v.form.number()),
            placed.parent.as_ref().filter(|_| insert),
            placed.replaces.as_ref().filter(|_| insert),
            facts.filter(|_| insert),
        ],
    )
}

/// A change's id, payload and origin as stored: made once per change (with its checks, before
/// the database is touched), written several times.
pub(super) struct Text {
    id: String,
    payload: String,
    origin: String,
    author: Option<String>,
}

impl Text {
    pub(super) fn of(c: &Change) -> Text {
        Text {
            id: c.change_id.to_string(),
            // Straight into a byte buffer: `Display` goes through a formatter, slower per byte.
            // A `Value` always serialises (its keys are strings).
            payload: serde_json::to_string(&c.payload).unwrap_or_default(),
            origin: c.origin.to_string(),
            author: c.author.map(|a| a.to_string()),
        }
    }
}

/// What a change comes to once judged in the transaction.
enum Decision {
    Applied,
    Refused(String),
    /// The change was sent before: the answer it got then.
    Seen(Verdict),
}

/// The answer a change id already on file gets — but only for the device that sent it and
/// for the same content, so a change id can neither tell one device about another's changes
/// nor smuggle other content in under an old id. One statement asks the three logs: a row
/// with a NULL reason was applied, a reason refused.
fn seen(tx: &dyn Sql, s: &Session, text: &Text) -> Result<Option<Verdict>, DbError> {
    let row: Option<(Option<String>, String, String)> = tx.one(
        "SELECT NULL, origin, payload FROM changes WHERE change_id = ?1
         UNION ALL SELECT reason, origin, payload FROM rejected WHERE change_id = ?1
         UNION ALL SELECT NULL, origin, payload FROM acknowledged WHERE change_id = ?1 LIMIT 1",
        vals![&text.id],
        |r| Ok((r.text(0)?, r.text_(1)?, r.text_(2)?)),
    )?;
    let Some((reason, origin, stored)) = row else {
        return Ok(None);
    };
    Ok(Some(if origin != s.device.id.to_string() {
        Verdict::Rejected {
            reason: "this change id was used by another device; a change needs an id of its own"
                .into(),
        }
    } else if stored != text.payload {
        Verdict::Rejected {
            reason:
                "this change id was already used for other content; a change needs an id of its own"
                    .into(),
        }
    } else {
        match reason {
            None => Verdict::Accepted,
            Some(reason) => Verdict::Rejected { reason },
        }
    }))
}

/// Applies one change inside the batch's transaction.
fn apply_change(
    b: &Batch<'_>,
    s: &Session,
    c: &Change,
    (text, prepared, checked): Judged,
) -> Result<Verdict, DbError> {
    let (id, payload) = (&text.id, &text.payload);
    // Exactly once: a change sent before gets the same answer again. A signed insert above
    // everything its device's chain holds on file cannot have been sent before, unless under
    // an id taken by another change: its row's write then finds the id taken and asks.
    let fresh = c.op == Op::Insert
        && match &checked {
            Ok(Some(v)) => chain::above_tip(b.tx, &b.tip, &text.origin, v.chain_seq)?,
            _ => false,
        };
    if !fresh && let Some(verdict) = seen(b.tx, s, &text)? {
        return Ok(verdict);
    }
    // Who signed it and where it sits in the device's chain come before what it says: a
    // change refused here has no place in the chain.
    let (verified, decided) = match checked {
        Err(reason) => (None, Decision::Refused(reason)),
        Ok(verified) => {
            let placed = match &verified {
                Some(v) => chain::check_place(b.tx, &b.tip, &text.origin, v)?,
                None => Ok(()),
            };
            match placed {
                Err(reason) => (None, Decision::Refused(reason)),
                Ok(()) => {
                    let decided = match prepared {
                        Ok(record) => decide(b, s, c, &text, &record, verified.as_ref())?,
                        Err(reason) => Decision::Refused(reason),
                    };
                    (verified, decided)
                }
            }
        }
    };
    match decided {
        Decision::Applied => Ok(Verdict::Accepted),
        Decision::Seen(verdict) => Ok(verdict),
        Decision::Refused(reason) => {
            // A change the record rules refused keeps its place in the chain (its chain
            // fields), so the device's later changes still link up.
            let v = verified.as_ref();
            b.tx.exec(
                "INSERT INTO rejected(change_id, entity, record_id, origin, author, reason, payload, at,
                                      hlc, base_hlc, chain_seq, prev, sig, link, form)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                vals![
                    id,
                    c.entity.as_str(),
                    &c.record_id,
                    &text.origin,
                    text.author.as_ref(),
                    &reason,
                    payload,
                    now(),
                    c.hlc.as_i64(),
                    c.base_hlc.as_i64(),
                    v.map(|v| v.chain_seq as i64),
                    v.map(|v| &v.prev[..]),
                    v.and_then(|v| v.sig.as_ref()).map(|s| &s[..]),
                    v.map(|v| &v.link[..]),
                    v.map_or(1, |v| v.form.number()),
                ],
            )?;
            Ok(Verdict::Rejected { reason })
        }
    }
}

/// The stored version of a registry record: its clock, origin, region and parent.
type Stored = (i64, String, String, Option<String>);

/// Judges a prepared change against the records on file and, when accepted, applies it;
/// `Ok(Err(reason))` is a refusal.
fn decide(
    b: &Batch<'_>,
    s: &Session,
    c: &Change,
    text: &Text,
    record: &Record,
    verified: Option<&Verified>,
) -> Result<Decision, DbError> {
    let role = s.role();
    let tx = b.tx;
    if c.entity == RecordKind::Region && role != Role::Admin {
        // Devices carry the built-in region catalogue; a region the server already has is
        // acknowledged without effect, anything else is an admin's job.
        let known = tx.exists("SELECT 1 FROM regions WHERE code = ?1", vals![&c.record_id])?;
        return Ok(if known {
            // Not logged (devices pull regions from the admin's changes), but kept where
            // the device's chain needs it.
            tx.exec(
                "INSERT INTO acknowledged(change_id, entity, record_id, origin, author, payload, at,
                                          hlc, base_hlc, chain_seq, prev, sig, link, form)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                vals![
                    &text.id,
                    c.entity.as_str(),
                    &c.record_id,
                    &text.origin,
                    text.author.as_ref(),
                    &text.payload,
                    now(),
                    c.hlc.as_i64(),
                    c.base_hlc.as_i64(),
                    verified.map(|v| v.chain_seq as i64),
                    verified.map(|v| &v.prev[..]),
                    verified.and_then(|v| v.sig.as_ref()).map(|s| &s[..]),
                    verified.map(|v| &v.link[..]),
                    verified.map_or(1, |v| v.form.number()),
                ],
            )?;
            Decision::Applied
        } else {
            Decision::Refused(format!(
                "region {} is not registered on the server; an admin adds regions",
                c.record_id
            ))
        });
    }
    let placed = match rules::check(record, b.today, b) {
        Ok(p) => p,
        Err(RuleError::Refused(r)) => return Ok(Decision::Refused(r.to_string())),
        Err(RuleError::Lookup(e)) => return Err(e),
    };
    let yours = |region: &str| scope::in_region(role, &s.officer.regions, region);
    if !yours(&placed.region) {
        return Ok(Decision::Refused(format!(
            "region {} is not one of yours ({})",
            placed.region,
            s.officer.regions.join(", ")
        )));
    }
    let facts = facts_of(record);
    if c.op == Op::Insert {
        // Insert-only records are never replaced: a taken id refuses the change before
        // anything else is written — unless it is this change's own id, sent before.
        if write_change(tx, c, text, &placed, facts.as_deref(), verified)? == 0 {
            if let Some(verdict) = seen(tx, s, text)? {
                return Ok(Decision::Seen(verdict));
            }
            return Ok(Decision::Refused(format!(
                "{} {} already exists; a correction is a new record",
                c.entity, c.record_id
            )));
        }
        if let Record::Photo(p) = record {
            super::photos::name(tx, p, &placed.region)?;
        }
        if let Record::Production(p) = record
            && let Some(site) = b.site(p.site_id)?
        {
            b.entries.borrow_mut().insert(
                p.id,
                ProductionFacts {
                    region: placed.region.clone(),
                    site_id: p.site_id,
                    licence_id: site.licence_id,
                },
            );
        }
        return Ok(Decision::Applied);
    }
    let existing: Option<Stored> = tx.one(
        "SELECT hlc, origin, region, parent FROM records WHERE entity = ?1 AND record_id = ?2",
        vals![c.entity.as_str(), &c.record_id],
        |r| Ok((r.int_(0)?, r.text_(1)?, r.text_(2)?, r.text(3)?)),
    )?;
    if let Some((_, _, region, parent)) = &existing {
        // An edit is judged in the region of the version it edits as well as the new one,
        // or an officer could take a record out of another region by editing it.
        if !yours(region) {
            return Ok(Decision::Refused(format!(
                "{} {} belongs to region {region}, not one of yours",
                c.entity, c.record_id
            )));
        }
        if role != Role::Admin && (*region != placed.region || *parent != placed.parent) {
            return Ok(Decision::Refused(format!(
                "moving {} {} to another region or licence is an administrator's act",
                c.entity, c.record_id
            )));
        }
    }
    let outcome = merge::merge(
        existing.as_ref().map(|(h, o, _, _)| Version {
            hlc: Hlc::from_i64(*h),
            origin: o,
        }),
        Version {
            hlc: c.hlc,
            origin: &text.origin,
        },
        c.base_hlc,
    );
    if matches!(outcome, Outcome::Insert | Outcome::Replace { .. }) {
        write_record(tx, c, text, &placed, facts.as_deref())?;
        *b.registry.borrow_mut() = RegistryAnswers::default();
    }
    // The log keeps every accepted version (losers included, so devices can keep them for
    // review); `records` follows the winner. Its id was looked for before: nothing is taken.
    if write_change(tx, c, text, &placed, None, verified)? == 0 {
        return Err(DbError::Database(format!(
            "change {} of {} {} found its place in the log taken",
            text.id, c.entity, c.record_id
        )));
    }
    Ok(Decision::Applied)
}
