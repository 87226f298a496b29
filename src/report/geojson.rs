//! GeoJSON export (RFC 7946, WGS84 lon/lat): licences as polygons, sites and production as
//! points; records without a position get a null geometry so no row is dropped.

use crate::domain::RecordKind;
use crate::interchange::{Record, properties_of};
use crate::store::{Store, StoreError};
use serde_json::{Value, json};
use std::io::Write;

fn geometry(record: &Record) -> Value {
    match record {
        Record::Licence(l) => match &l.area {
            Some(a) => {
                let ring: Vec<Value> = a.0.exterior().0.iter().map(|c| json!([c.x, c.y])).collect();
                json!({"type": "Polygon", "coordinates": [ring]})
            }
            None => Value::Null,
        },
        Record::Site(s) => {
            json!({"type": "Point", "coordinates": [s.position.lon, s.position.lat]})
        }
        Record::Production(p) => match &p.fix {
            Some(f) => json!({"type": "Point", "coordinates": [f.lon, f.lat]}),
            None => Value::Null,
        },
        Record::Digger(_)
        | Record::LicenceEvent(_)
        | Record::Supporter(_)
        | Record::Stone(_)
        | Record::Sale(_) => Value::Null,
    }
}

/// Writes every record of `entity` as a GeoJSON FeatureCollection; returns the feature count.
pub fn export_geojson(
    store: &Store,
    entity: RecordKind,
    mut out: impl Write,
) -> Result<usize, std::io::Error> {
    let records = crate::interchange::records_of(store, entity)
        .map_err(|e: StoreError| std::io::Error::other(e))?;
    let features: Vec<Value> = records
        .iter()
        .map(|r| {
            json!({
                "type": "Feature",
                "id": r.id(),
                "geometry": geometry(r),
                "properties": Value::Object(properties_of(entity, r)),
            })
        })
        .collect();
    let n = features.len();
    serde_json::to_writer(
        &mut out,
        &json!({"type": "FeatureCollection", "name": crate::interchange::file_name(entity), "features": features}),
    )?;
    out.write_all(b"\n")?;
    Ok(n)
}
