//! CSV export of one entity, in id order so the same data always gives the same bytes.

use super::columns::{Record, header};
use crate::domain::RecordKind;
use crate::store::{Store, StoreError};
use std::io::Write;

/// Every record of `entity`, as rows.
pub fn records_of(store: &Store, entity: RecordKind) -> Result<Vec<Record>, StoreError> {
    Ok(match entity {
        RecordKind::Region
        | RecordKind::Officer
        | RecordKind::Crew
        | RecordKind::Review
        | RecordKind::Photo => {
            return Err(StoreError::NotFound(format!(
                "{entity} records are not exported as CSV"
            )));
        }
        RecordKind::Digger => store.diggers()?.into_iter().map(Record::Digger).collect(),
        RecordKind::Licence => store.licences()?.into_iter().map(Record::Licence).collect(),
        RecordKind::LicenceEvent => store
            .all_licence_events()?
            .into_iter()
            .map(Record::LicenceEvent)
            .collect(),
        RecordKind::Supporter => store
            .all_supporters()?
            .into_iter()
            .map(Record::Supporter)
            .collect(),
        RecordKind::Site => store.sites()?.into_iter().map(Record::Site).collect(),
        RecordKind::Production => store
            .production_entries()?
            .into_iter()
            .map(Record::Production)
            .collect(),
        RecordKind::Stone => store.stones()?.into_iter().map(Record::Stone).collect(),
        RecordKind::Sale => store.sales()?.into_iter().map(Record::Sale).collect(),
    })
}

/// Writes every record of `entity` as CSV with a header row; returns the number of rows.
pub fn export_csv(
    store: &Store,
    entity: RecordKind,
    out: impl Write,
) -> Result<usize, std::io::Error> {
    let records = records_of(store, entity).map_err(std::io::Error::other)?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(header(entity))?;
    for r in &records {
        w.write_record(r.to_row())?;
    }
    w.flush()?;
    Ok(records.len())
}

/// A record's columns as JSON properties (the GeoJSON export uses the CSV's names and text).
pub fn properties_of(
    entity: RecordKind,
    record: &Record,
) -> serde_json::Map<String, serde_json::Value> {
    header(entity)
        .iter()
        .zip(record.to_row())
        .map(|(k, v)| (k.to_string(), serde_json::Value::String(v)))
        .collect()
}
