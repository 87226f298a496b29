//! The GeoPackage export read back: with SQLite (application id, version, the gpkg_* tables,
//! every geometry blob parsed) and with GDAL's `ogrinfo`, which is what QGIS uses to open it.
//! Without `ogrinfo` on the PATH the test fails unless ALLUVIUM_SKIP_OGR=1 (install gdal-bin).

use rusqlite::Connection;
use std::process::Command;
use test_kit::cli::{fails, ok};

/// Parses a GeoPackageBinary blob: returns (WKB geometry type, srs_id, coordinates).
fn parse_blob(b: &[u8]) -> (u32, i32, Vec<(f64, f64)>) {
    assert_eq!(&b[..3], b"GP\0", "magic and version 0");
    let flags = b[3];
    assert_eq!(flags & 0b0010_0000, 0, "standard (not extended) binary");
    assert_eq!(flags & 0b0001_0000, 0, "not empty");
    let le = flags & 1 == 1;
    assert!(le, "little-endian header");
    let srs = i32::from_le_bytes(b[4..8].try_into().unwrap());
    let env_len = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        e => panic!("bad envelope code {e}"),
    };
    let envelope: Vec<f64> = (0..env_len / 8)
        .map(|i| f64::from_le_bytes(b[8 + 8 * i..16 + 8 * i].try_into().unwrap()))
        .collect();
    let w = &b[8 + env_len..];
    assert_eq!(w[0], 1, "little-endian WKB");
    let kind = u32::from_le_bytes(w[1..5].try_into().unwrap());
    let f = |at: usize| f64::from_le_bytes(w[at..at + 8].try_into().unwrap());
    let u = |at: usize| u32::from_le_bytes(w[at..at + 4].try_into().unwrap()) as usize;
    let mut pts = Vec::new();
    match kind {
        1 => {
            pts.push((f(5), f(13)));
            assert_eq!(w.len(), 21);
        }
        3 => {
            let rings = u(5);
            let mut at = 9;
            for _ in 0..rings {
                let n = u(at);
                at += 4;
                for _ in 0..n {
                    pts.push((f(at), f(at + 8)));
                    at += 16;
                }
            }
            assert_eq!(at, w.len());
            assert!(pts.len() >= 4 && pts.first() == pts.last(), "closed ring");
        }
        k => panic!("unexpected WKB type {k}"),
    }
    if !envelope.is_empty() {
        for (x, y) in &pts {
            assert!(
                envelope[0] <= *x && *x <= envelope[1] && envelope[2] <= *y && *y <= envelope[3]
            );
        }
    }
    (kind, srs, pts)
}

#[test]
fn geopackage_reads_back_with_sqlite_and_ogrinfo() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    ok(
        &db,
        &[
            "demo-data",
            "--seed",
            "4",
            "--diggers",
            "90",
            "--days",
            "40",
            "--end",
            "2026-08-31",
        ],
    );
    let stats: serde_json::Value = serde_json::from_str(&ok(&db, &["stats", "--json"])).unwrap();
    let out = dir.path().join("all.gpkg");
    ok(
        &db,
        &[
            "export",
            "all",
            "--format",
            "gpkg",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(!dir.path().join("all.gpkg.partial").exists());

    let c = Connection::open(&out).unwrap();
    let app: i32 = c
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .unwrap();
    assert_eq!(app, 0x4750_4B47);
    let version: i32 = c
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 10300);
    let srs: Vec<(i32, String)> = c
        .prepare("SELECT srs_id, organization FROM gpkg_spatial_ref_sys ORDER BY srs_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        srs,
        [
            (-1, "NONE".to_string()),
            (0, "NONE".to_string()),
            (4326, "EPSG".to_string())
        ]
    );
    let contents: Vec<(String, String, i32, Option<f64>)> = c
        .prepare(
            "SELECT table_name, data_type, srs_id, min_x FROM gpkg_contents ORDER BY table_name",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let names: Vec<&str> = contents.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(names, ["licences", "production", "sites"]);
    assert!(
        contents
            .iter()
            .all(|c| c.1 == "features" && c.2 == 4326 && c.3.is_some())
    );
    let cols: Vec<(String, String, String, i32)> = c
        .prepare("SELECT table_name, column_name, geometry_type_name, srs_id FROM gpkg_geometry_columns ORDER BY table_name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        cols,
        [
            ("licences".into(), "geom".into(), "POLYGON".into(), 4326),
            ("production".into(), "geom".into(), "POINT".into(), 4326),
            ("sites".into(), "geom".into(), "POINT".into(), 4326),
        ]
    );
    for (table, kind, stat) in [
        ("licences", 3, "licences"),
        ("sites", 1, "sites"),
        ("production", 1, "production"),
    ] {
        let blobs: Vec<Option<Vec<u8>>> = c
            .prepare(&format!("SELECT geom FROM {table}"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(blobs.len() as i64, stats[stat].as_i64().unwrap(), "{table}");
        for b in blobs.iter().flatten() {
            let (k, srs, pts) = parse_blob(b);
            assert_eq!((k, srs), (kind, 4326), "{table}");
            assert!(
                pts.iter()
                    .all(|(x, y)| (-180.0..=180.0).contains(x) && (-90.0..=90.0).contains(y))
            );
        }
        assert!(blobs.iter().flatten().count() > 0, "{table} has geometries");
    }
    let integrity: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    drop(c);

    match Command::new("ogrinfo")
        .args(["-ro", "-so", "-al"])
        .arg(&out)
        .output()
    {
        Ok(o) => {
            let text = String::from_utf8_lossy(&o.stdout);
            assert!(
                o.status.success(),
                "ogrinfo failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            for (layer, geometry, stat) in [
                ("licences", "Polygon", "licences"),
                ("sites", "Point", "sites"),
                ("production", "Point", "production"),
            ] {
                let at = text
                    .find(&format!("Layer name: {layer}"))
                    .unwrap_or_else(|| panic!("no layer {layer} in {text}"));
                let part = &text[at..];
                assert!(part.contains(&format!("Geometry: {geometry}")), "{part}");
                assert!(
                    part.contains(&format!("Feature Count: {}", stats[stat])),
                    "{layer}: {part}"
                );
            }
            assert!(text.contains("WGS 84") || text.contains("4326"), "{text}");
            let errors = String::from_utf8_lossy(&o.stderr);
            assert!(!errors.contains("ERROR"), "{errors}");
        }
        Err(_) if std::env::var("ALLUVIUM_SKIP_OGR").as_deref() == Ok("1") => {
            eprintln!("ogrinfo not found: GDAL check skipped (ALLUVIUM_SKIP_OGR=1)");
        }
        Err(e) => {
            panic!("ogrinfo not runnable ({e}): install gdal-bin, or set ALLUVIUM_SKIP_OGR=1")
        }
    }
}

#[test]
fn a_failed_export_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    ok(
        &db,
        &[
            "demo-data",
            "--seed",
            "4",
            "--diggers",
            "30",
            "--days",
            "5",
            "--end",
            "2026-08-31",
        ],
    );
    // The target is a directory: the final rename fails, and the partial file is removed.
    let target = dir.path().join("taken.gpkg");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), "x").unwrap();
    let err = fails(
        &db,
        &[
            "export",
            "all",
            "--format",
            "gpkg",
            "--out",
            target.to_str().unwrap(),
        ],
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!dir.path().join("taken.gpkg.partial").exists());
    assert!(target.join("keep").exists());
    // No --out: a clear refusal.
    let err = fails(&db, &["export", "all", "--format", "gpkg"]);
    assert!(err.contains("--out"));
}
