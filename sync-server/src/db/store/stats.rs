//! Entity counts in total and per region, read from the record index for registries and from
//! the change log for insert-only records (current versions only: a corrected production entry
//! counts once, and so do its stones).

use crate::db::sql::{Sql, vals};
use crate::db::{Counts, DbError, Stats};
use alluvium::domain::RecordKind;

/// A production entry that no later entry corrects.
const CURRENT: &str = "NOT EXISTS (SELECT 1 FROM changes n WHERE n.entity = 'production' AND n.replaces = r.record_id)";

/// The count of `kind` in `counts`, for the kinds `stats` reports.
fn slot(counts: &mut Counts, kind: RecordKind) -> Option<&mut i64> {
    match kind {
        RecordKind::Digger => Some(&mut counts.diggers),
        RecordKind::Licence => Some(&mut counts.licences),
        RecordKind::Site => Some(&mut counts.sites),
        RecordKind::Production => Some(&mut counts.production),
        RecordKind::Stone => Some(&mut counts.stones),
        RecordKind::Sale => Some(&mut counts.sales),
        RecordKind::Review => Some(&mut counts.reviews),
        RecordKind::Region
        | RecordKind::Officer
        | RecordKind::Crew
        | RecordKind::Supporter
        | RecordKind::LicenceEvent
        | RecordKind::Photo => None,
    }
}

/// The query that counts `kind` per region.
fn count_sql(kind: RecordKind) -> String {
    match kind {
        RecordKind::Production => format!(
            "SELECT r.region, count(*) FROM changes r WHERE r.entity = 'production' AND r.op = 'insert'
               AND {CURRENT} GROUP BY r.region"
        ),
        RecordKind::Stone => format!(
            "SELECT s.region, count(*) FROM changes s
             JOIN changes r ON r.entity = 'production' AND r.record_id = s.parent AND r.op = 'insert'
             WHERE s.entity = 'stone' AND s.op = 'insert' AND {CURRENT} GROUP BY s.region"
        ),
        other if other.is_registry() => format!(
            "SELECT r.region, count(*) FROM records r WHERE r.entity = '{}' GROUP BY r.region",
            other.as_str()
        ),
        other => format!(
            "SELECT r.region, count(*) FROM changes r WHERE r.entity = '{}' AND r.op = 'insert'
             GROUP BY r.region",
            other.as_str()
        ),
    }
}

pub(super) fn stats(db: &dyn Sql) -> Result<Stats, DbError> {
    let mut stats = Stats::default();
    for code in db.all("SELECT code FROM regions ORDER BY code", vals![], |r| {
        r.text_(0)
    })? {
        stats.regions.insert(code, Counts::default());
    }
    for kind in RecordKind::ALL {
        if slot(&mut Counts::default(), kind).is_none() {
            continue;
        }
        let rows = db.all(&count_sql(kind), vals![], |r| Ok((r.text_(0)?, r.int_(1)?)))?;
        for (region, n) in rows {
            for c in [&mut stats.total, stats.regions.entry(region).or_default()] {
                if let Some(count) = slot(c, kind) {
                    *count += n;
                }
            }
        }
    }
    Ok(stats)
}
