//! OGC GeoPackage export (GeoPackage 1.3, written with rusqlite, no GDAL): the feature tables
//! `licences` (POLYGON), `sites` (POINT) and `production` (POINT), WGS84 / EPSG:4326, with
//! their attribute columns, so QGIS or ogrinfo open the file as it is.
//!
//! Geometries are GeoPackageBinary: `GP`, version 0, a flags byte (little-endian; an xy
//! envelope for polygons, none for points, as the standard recommends), the srs_id, then
//! little-endian WKB. Records without a position get a NULL geometry, so no row is dropped.
//! The file is written beside the target and renamed into place, so a failed export leaves
//! nothing half-written.

use crate::domain::{Centicarats, ProductionId};
use crate::store::{Store, StoreError};
use geo::{BoundingRect, Polygon};
use rusqlite::{Connection, params};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// `PRAGMA application_id` of a GeoPackage: "GPKG".
pub const APPLICATION_ID: i32 = 0x4750_4B47;
/// `PRAGMA user_version` of GeoPackage 1.3.0.
pub const USER_VERSION: i32 = 10300;
/// WGS84 geographic coordinates.
pub const WGS84: i32 = 4326;

const WGS84_WKT: &str = r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]"#;

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum GpkgError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the GeoPackage {path}: {reason}")]
    Write { path: String, reason: String },
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GpkgSummary {
    pub licences: usize,
    pub sites: usize,
    pub production: usize,
}

const SCHEMA: &str = "
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE licences (
  fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POLYGON,
  id TEXT NOT NULL UNIQUE, number TEXT NOT NULL, kind TEXT NOT NULL, holder_digger_id TEXT,
  holder_name TEXT, region TEXT NOT NULL, issued_on DATE NOT NULL, expires_on DATE NOT NULL,
  status TEXT NOT NULL, area_ha DOUBLE, fee_receipt TEXT);
CREATE TABLE sites (
  fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT,
  id TEXT NOT NULL UNIQUE, licence_id TEXT NOT NULL, licence_number TEXT NOT NULL,
  region TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
  accuracy_m DOUBLE NOT NULL, opened_on DATE NOT NULL);
CREATE TABLE production (
  fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT,
  id TEXT NOT NULL UNIQUE, site_id TEXT NOT NULL, day DATE NOT NULL, officer TEXT NOT NULL,
  accuracy_m DOUBLE, fix_source TEXT, fix_time DATETIME, crew_size INTEGER NOT NULL,
  digger_count INTEGER NOT NULL, gravel_m3 DOUBLE NOT NULL, stones INTEGER NOT NULL,
  centicarats INTEGER NOT NULL, carats TEXT NOT NULL, replaces TEXT, is_current INTEGER NOT NULL,
  notes TEXT);
";

/// Writes the licences, sites and production of `store` as a GeoPackage at `out`.
pub fn export_gpkg(store: &Store, out: &Path) -> Result<GpkgSummary, GpkgError> {
    let tmp = partial_path(out);
    let fail = |path: &Path, e: &dyn std::fmt::Display| GpkgError::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    // A leftover from an earlier failed run must not be appended to.
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(fail(&tmp, &e)),
        _ => {}
    }
    let result = write(store, &tmp).and_then(|summary| {
        std::fs::rename(&tmp, out).map_err(|e| fail(out, &e))?;
        Ok(summary)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    out.with_file_name(name)
}

fn write(store: &Store, path: &Path) -> Result<GpkgSummary, GpkgError> {
    let sql = |e: rusqlite::Error| GpkgError::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let mut conn = Connection::open(path).map_err(sql)?;
    conn.pragma_update(None, "application_id", APPLICATION_ID)
        .map_err(sql)?;
    conn.pragma_update(None, "user_version", USER_VERSION)
        .map_err(sql)?;
    let tx = conn.transaction().map_err(sql)?;
    tx.execute_batch(SCHEMA).map_err(sql)?;
    tx.execute(
        "INSERT INTO gpkg_spatial_ref_sys VALUES
         ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
         ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
         ('WGS 84 geodetic', 4326, 'EPSG', 4326, ?1, 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')",
        [WGS84_WKT],
    )
    .map_err(sql)?;

    let mut bbox: HashMap<&str, Envelope> = HashMap::new();
    let licences = store.licences()?;
    {
        let mut ins = tx
            .prepare(
                "INSERT INTO licences (geom, id, number, kind, holder_digger_id, holder_name, region,
                 issued_on, expires_on, status, area_ha, fee_receipt)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )
            .map_err(sql)?;
        for l in &licences {
            let geom = l.area.as_ref().map(|a| {
                let env = Envelope::of_polygon(&a.0);
                bbox.entry("licences").or_default().extend(&env);
                polygon_blob(&a.0, &env)
            });
            ins.execute(params![
                geom,
                l.id.to_string(),
                l.number,
                l.kind.as_str(),
                l.holder_digger_id.map(|d| d.to_string()),
                l.holder_name,
                l.region,
                l.issued_on.to_string(),
                l.expires_on.to_string(),
                l.status.as_str(),
                l.area.as_ref().map(|a| a.hectares()),
                l.fee_receipt,
            ])
            .map_err(sql)?;
        }
    }
    let sites = store.site_summaries()?;
    {
        let mut ins = tx
            .prepare(
                "INSERT INTO sites (geom, id, licence_id, licence_number, region, name, kind, status,
                 accuracy_m, opened_on) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .map_err(sql)?;
        for s in &sites {
            let p = &s.site.position;
            bbox.entry("sites").or_default().add(p.lon, p.lat);
            ins.execute(params![
                point_blob(p.lon, p.lat),
                s.site.id.to_string(),
                s.site.licence_id.to_string(),
                s.licence_number,
                s.region,
                s.site.name,
                s.site.kind.as_str(),
                s.site.status.as_str(),
                p.accuracy_m,
                s.site.opened_on.to_string(),
            ])
            .map_err(sql)?;
        }
    }
    let production = store.production_entries()?;
    let mut found: HashMap<ProductionId, (i64, i64)> = HashMap::new();
    for st in store.stones()? {
        let f = found.entry(st.production_id).or_default();
        f.0 += i64::from(st.count);
        f.1 += st.weight.0;
    }
    let replaced: HashSet<ProductionId> = production.iter().filter_map(|p| p.replaces).collect();
    {
        let mut ins = tx
            .prepare(
                "INSERT INTO production (geom, id, site_id, day, officer, accuracy_m, fix_source,
                 fix_time, crew_size, digger_count, gravel_m3, stones, centicarats, carats, replaces,
                 is_current, notes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )
            .map_err(sql)?;
        for p in &production {
            let geom = p.fix.as_ref().map(|f| {
                bbox.entry("production").or_default().add(f.lon, f.lat);
                point_blob(f.lon, f.lat)
            });
            let (n, cc) = found.get(&p.id).copied().unwrap_or((0, 0));
            ins.execute(params![
                geom,
                p.id.to_string(),
                p.site_id.to_string(),
                p.day.to_string(),
                p.officer,
                p.fix.as_ref().map(|f| f.accuracy_m),
                p.fix.as_ref().map(|f| f.source.as_str()),
                p.fix
                    .as_ref()
                    .and_then(|f| f.time)
                    .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
                p.crew_size,
                p.digger_ids.len() as i64,
                p.gravel.0 as f64 / 1000.0,
                n,
                cc,
                Centicarats(cc).to_string(),
                p.replaces.map(|r| r.to_string()),
                !replaced.contains(&p.id),
                p.notes,
            ])
            .map_err(sql)?;
        }
    }
    for (table, kind, what) in [
        ("licences", "POLYGON", "Licensed mining areas"),
        ("sites", "POINT", "Mine sites"),
        (
            "production",
            "POINT",
            "Daily production entries at the officer's GPS fix",
        ),
    ] {
        let e = bbox.get(table).copied();
        tx.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id)
             VALUES (?1, 'features', ?1, ?2, ?3, ?4, ?5, ?6, 4326)",
            params![
                table,
                what,
                e.map(|e| e.min_x),
                e.map(|e| e.min_y),
                e.map(|e| e.max_x),
                e.map(|e| e.max_y)
            ],
        )
        .map_err(sql)?;
        tx.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', ?2, 4326, 0, 0)",
            params![table, kind],
        )
        .map_err(sql)?;
    }
    tx.commit().map_err(sql)?;
    conn.close().map_err(|(_, e)| sql(e))?;
    // The rename must not overtake the data on a power cut.
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| GpkgError::Write {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    Ok(GpkgSummary {
        licences: licences.len(),
        sites: sites.len(),
        production: production.len(),
    })
}

/// An xy bounding box.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Envelope {
    min_x: f64,
    max_x: f64,
    min_y: f64,
    max_y: f64,
}

impl Default for Envelope {
    fn default() -> Self {
        Envelope {
            min_x: f64::INFINITY,
            max_x: f64::NEG_INFINITY,
            min_y: f64::INFINITY,
            max_y: f64::NEG_INFINITY,
        }
    }
}

impl Envelope {
    fn add(&mut self, x: f64, y: f64) {
        self.min_x = self.min_x.min(x);
        self.max_x = self.max_x.max(x);
        self.min_y = self.min_y.min(y);
        self.max_y = self.max_y.max(y);
    }

    fn extend(&mut self, o: &Envelope) {
        self.add(o.min_x, o.min_y);
        self.add(o.max_x, o.max_y);
    }

    fn of_polygon(p: &Polygon<f64>) -> Envelope {
        let mut e = Envelope::default();
        if let Some(r) = p.bounding_rect() {
            e.add(r.min().x, r.min().y);
            e.add(r.max().x, r.max().y);
        }
        e
    }
}

/// The GeoPackageBinary header: magic, version 0, flags, srs_id (little-endian throughout).
fn header(envelope: Option<&Envelope>) -> Vec<u8> {
    // Flags: bit 0 little-endian; bits 1–3 envelope kind (1 = xy); standard binary, not empty.
    let flags: u8 = if envelope.is_some() {
        0b0000_0011
    } else {
        0b0000_0001
    };
    let mut b = vec![b'G', b'P', 0, flags];
    b.extend_from_slice(&WGS84.to_le_bytes());
    if let Some(e) = envelope {
        for v in [e.min_x, e.max_x, e.min_y, e.max_y] {
            b.extend_from_slice(&v.to_le_bytes());
        }
    }
    b
}

/// A point as GeoPackageBinary (WKB type 1).
pub(crate) fn point_blob(x: f64, y: f64) -> Vec<u8> {
    let mut b = header(None);
    b.push(1); // little-endian WKB
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&x.to_le_bytes());
    b.extend_from_slice(&y.to_le_bytes());
    b
}

/// A polygon as GeoPackageBinary (WKB type 3) with its xy envelope.
fn polygon_blob(p: &Polygon<f64>, env: &Envelope) -> Vec<u8> {
    let mut b = header(Some(env));
    b.push(1);
    b.extend_from_slice(&3u32.to_le_bytes());
    let rings: Vec<_> = std::iter::once(p.exterior()).chain(p.interiors()).collect();
    b.extend_from_slice(&(rings.len() as u32).to_le_bytes());
    for r in rings {
        b.extend_from_slice(&(r.0.len() as u32).to_le_bytes());
        for c in &r.0 {
            b.extend_from_slice(&c.x.to_le_bytes());
            b.extend_from_slice(&c.y.to_le_bytes());
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_blob_has_the_standard_header_and_wkb() {
        let b = point_blob(-10.5, 8.25);
        assert_eq!(&b[..4], &[b'G', b'P', 0, 1]);
        assert_eq!(i32::from_le_bytes(b[4..8].try_into().unwrap()), 4326);
        assert_eq!(b[8], 1);
        assert_eq!(u32::from_le_bytes(b[9..13].try_into().unwrap()), 1);
        assert_eq!(f64::from_le_bytes(b[13..21].try_into().unwrap()), -10.5);
        assert_eq!(f64::from_le_bytes(b[21..29].try_into().unwrap()), 8.25);
        assert_eq!(b.len(), 29);
    }

    #[test]
    fn the_partial_file_sits_beside_the_target() {
        assert_eq!(
            partial_path(Path::new("/x/out.gpkg")),
            PathBuf::from("/x/out.gpkg.partial")
        );
    }
}
