//! Entity counts in total and per region, read from the record index (current versions only:
//! a corrected production entry counts once, and so do its stones).

use crate::db::{Counts, DbError, Stats};
use alluvium::domain::RecordKind;
use rusqlite::Connection;

/// A production entry that no later entry corrects.
const CURRENT: &str = "NOT EXISTS (SELECT 1 FROM records n WHERE n.entity = 'production' AND n.replaces = r.record_id)";

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
            "SELECT region, count(*) FROM records r WHERE entity = 'production' AND {CURRENT} GROUP BY region"
        ),
        RecordKind::Stone => format!(
            "SELECT s.region, count(*) FROM records s JOIN records r ON r.entity = 'production' AND r.record_id = s.parent
             WHERE s.entity = 'stone' AND {CURRENT} GROUP BY s.region"
        ),
        other => format!(
            "SELECT region, count(*) FROM records r WHERE entity = '{}' GROUP BY region",
            other.as_str()
        ),
    }
}

pub(super) fn stats(conn: &Connection) -> Result<Stats, DbError> {
    let mut stats = Stats::default();
    let mut st = conn.prepare("SELECT code FROM regions ORDER BY code")?;
    for code in st.query_map([], |r| r.get::<_, String>(0))? {
        stats.regions.insert(code?, Counts::default());
    }
    for kind in RecordKind::ALL {
        if slot(&mut Counts::default(), kind).is_none() {
            continue;
        }
        let mut st = conn.prepare(&count_sql(kind))?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (region, n) = row?;
            for c in [&mut stats.total, stats.regions.entry(region).or_default()] {
                if let Some(count) = slot(c, kind) {
                    *count += n;
                }
            }
        }
    }
    Ok(stats)
}
