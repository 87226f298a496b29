//! All-or-nothing CSV import: every row is read and written inside one transaction; if any row
//! is bad, nothing is written and every bad row is reported as `FILE:LINE: reason`.

use super::columns::{Record, Row, header, required_columns};
use crate::domain::RecordKind;
use crate::store::{Store, StoreError, Writer};
use std::collections::HashMap;
use std::path::Path;

/// What an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportSummary {
    /// Records added or updated.
    pub written: usize,
    /// Append-only records already present with identical content (a repeated import).
    pub unchanged: usize,
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read at all.
    #[error("{path}: {reason}")]
    Unreadable { path: String, reason: String },
    /// Some rows are bad; each line is `FILE:LINE: reason`.
    #[error("{} bad row(s), nothing imported:\n{}", .0.len(), .0.join("\n"))]
    Rows(Vec<String>),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Imports `path` as `entity` records into `store`.
pub fn import_csv(
    store: &mut Store,
    entity: RecordKind,
    path: &Path,
) -> Result<ImportSummary, ImportError> {
    let shown = path.display().to_string();
    if header(entity).is_empty() {
        return Err(ImportError::Rows(vec![format!(
            "{shown}: {entity} records are not imported from CSV"
        )]));
    }
    let unreadable = |reason: String| ImportError::Unreadable {
        path: shown.clone(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
    // The csv crate miscounts lines in CRLF files (a record may start on the "\n" of the
    // previous CRLF), so lines are counted from byte offsets.
    let newlines: Vec<u64> = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i as u64)
        .collect();
    let line_at = |byte: u64| newlines.partition_point(|&nl| nl <= byte) as u64 + 1;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::Headers)
        .from_reader(&bytes[..]);
    let headers = reader
        .headers()
        .map_err(|e| unreadable(format!("cannot read the header row: {e}")))?
        .clone();
    let index: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            (
                h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase(),
                i,
            )
        })
        .collect();
    let missing: Vec<&str> = required_columns(entity)
        .filter(|c| !index.contains_key(*c))
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::Rows(vec![format!(
            "{shown}:1: missing column(s) {} (a {} file has {})",
            missing.join(", "),
            super::file_name(entity),
            header(entity).join(", ")
        )]));
    }

    let mut errors: Vec<(u64, String)> = Vec::new();
    let mut records: Vec<(u64, Record)> = Vec::new();
    for result in reader.records() {
        let fields = match result {
            Ok(f) => f,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(p.byte()));
                errors.push((line, format!("{shown}:{line}: unreadable row: {e}")));
                continue;
            }
        };
        let line = fields.position().map_or(0, |p| line_at(p.byte()));
        if fields.len() != headers.len() {
            let why = format!(
                "has {} fields, the header has {}",
                fields.len(),
                headers.len()
            );
            errors.push((line, format!("{shown}:{line}: {why}")));
            continue;
        }
        match Record::from_row(
            entity,
            &Row {
                index: &index,
                fields: &fields,
            },
        ) {
            Ok(r) => records.push((line, r)),
            Err(e) => errors.push((line, format!("{shown}:{line}: {e}"))),
        }
    }
    if records.is_empty() && errors.is_empty() {
        return Err(unreadable("has no rows to import".into()));
    }

    // Append-only records already stored: identical is a harmless repeat, different is a clash.
    let mut summary = ImportSummary::default();
    let mut to_write = Vec::with_capacity(records.len());
    for (line, rec) in records {
        match stored_twin(store, &rec)? {
            Twin::None => to_write.push((line, rec)),
            Twin::Same => summary.unchanged += 1,
            Twin::Different => errors.push((
                line,
                format!("{shown}:{line}: id {} is already stored with different content; a correction is a new record", rec.id()),
            )),
        }
    }

    order_sources_first(&mut to_write);
    let mut seen_ids = HashMap::new();
    let outcome = store.write(|w| {
        for (line, rec) in &to_write {
            if let Some(first) = seen_ids.insert(rec.id(), *line) {
                let why = format!("id {} already appears on line {first}", rec.id());
                errors.push((*line, format!("{shown}:{line}: {why}")));
                continue;
            }
            if let Err(e) = write_record(w, rec) {
                errors.push((*line, format!("{shown}:{line}: {e}")));
            }
        }
        if errors.is_empty() {
            Ok(to_write.len())
        } else {
            Err(StoreError::Conflict("rolled back".into()))
        }
    });
    match outcome {
        Ok(n) => {
            summary.written = n;
            Ok(summary)
        }
        Err(_) if !errors.is_empty() => {
            // Reading and writing find different faults; report them in file order.
            errors.sort_by_key(|(line, _)| *line);
            Err(ImportError::Rows(
                errors.into_iter().map(|(_, e)| e).collect(),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// Puts every slip after the slips of the same file it draws on, so a file need not be sorted
/// by hand; otherwise file order is kept. Rows in a cycle keep their place and then fail with
/// "not known", which is the truth about them.
fn order_sources_first(rows: &mut Vec<(u64, Record)>) {
    let source_ids = |r: &Record| match r {
        Record::Sale(s) => s.source_sale_ids.iter().map(|x| x.to_string()).collect(),
        _ => Vec::new(),
    };
    if rows.iter().all(|(_, r)| source_ids(r).is_empty()) {
        return;
    }
    let mut pending: std::collections::HashSet<String> = rows.iter().map(|(_, r)| r.id()).collect();
    let mut left: Vec<(u64, Record)> = std::mem::take(rows);
    while !left.is_empty() {
        let (ready, wait): (Vec<_>, Vec<_>) = left.into_iter().partition(|(_, r)| {
            source_ids(r)
                .iter()
                .all(|s| !pending.contains(s) || *s == r.id())
        });
        if ready.is_empty() {
            rows.extend(wait);
            return;
        }
        for (_, r) in &ready {
            pending.remove(&r.id());
        }
        rows.extend(ready);
        left = wait;
    }
}

enum Twin {
    None,
    Same,
    Different,
}

fn stored_twin(store: &Store, rec: &Record) -> Result<Twin, StoreError> {
    let same = |found: bool, equal: bool| {
        if !found {
            Twin::None
        } else if equal {
            Twin::Same
        } else {
            Twin::Different
        }
    };
    Ok(match rec {
        Record::Production(p) => {
            let stored = store.production(p.id)?;
            same(stored.is_some(), stored.as_ref() == Some(p))
        }
        Record::Stone(s) => {
            let stored = store.stone(s.id)?;
            same(stored.is_some(), stored.as_ref() == Some(s))
        }
        Record::Sale(s) => {
            let stored = store.sale(s.id)?;
            same(stored.is_some(), stored.as_ref() == Some(s))
        }
        Record::LicenceEvent(e) => {
            let stored = store.licence_event(e.id)?;
            same(stored.is_some(), stored.as_ref() == Some(e))
        }
        // Registries are mutable: an existing id is an update.
        Record::Digger(_) | Record::Licence(_) | Record::Supporter(_) | Record::Site(_) => {
            Twin::None
        }
    })
}

fn write_record(w: &mut Writer<'_>, rec: &Record) -> Result<(), StoreError> {
    match rec {
        Record::Digger(d) => {
            w.ensure_known_region(&d.region)?;
            w.put_digger(d)
        }
        Record::Licence(l) => {
            w.ensure_known_region(&l.region)?;
            w.put_licence(l)
        }
        Record::LicenceEvent(e) => w.add_licence_event(e),
        Record::Supporter(s) => w.put_supporter(s),
        Record::Site(s) => w.put_site(s),
        Record::Production(p) => w.add_production(p),
        Record::Stone(s) => w.add_stone(s),
        Record::Sale(s) => w.add_sale(s),
    }
}
