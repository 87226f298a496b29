//! The `alluvium` binary against the command-line contract, on real database files.

use test_kit::cli::{alluvium, ok, stderr_line};

#[test]
fn demo_data_then_stats_json_has_non_zero_counts_per_region() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    ok(
        &db,
        &[
            "demo-data",
            "--seed",
            "1",
            "--diggers",
            "90",
            "--days",
            "40",
            "--end",
            "2026-08-31",
        ],
    );
    let stats: serde_json::Value = serde_json::from_str(&ok(&db, &["stats", "--json"])).unwrap();
    for key in ["diggers", "licences", "sites", "production", "stones"] {
        assert!(stats[key].as_i64().unwrap() > 0, "{key} = {}", stats[key]);
    }
    for key in ["sales", "reviews", "pending_changes"] {
        assert!(stats[key].is_i64(), "{key} missing");
    }
    let regions = stats["regions"].as_object().unwrap();
    assert_eq!(
        regions.keys().collect::<Vec<_>>(),
        ["GH-AKWATIA", "SL-KENEMA", "SL-KONO"]
    );
    assert!(regions["SL-KONO"]["stones"].as_i64().unwrap() > 0);
}

#[test]
fn same_seed_on_a_new_database_gives_byte_identical_csv_exports() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "demo-data",
        "--seed",
        "11",
        "--regions",
        "CF-BERBERATI,CD-TSHIKAPA",
        "--diggers",
        "60",
        "--days",
        "30",
        "--end",
        "2026-10-31",
    ];
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    ok(&a, &args);
    ok(&b, &args);
    for e in [
        "diggers",
        "licences",
        "sites",
        "production",
        "stones",
        "sales",
    ] {
        let ea = ok(&a, &["export", e, "--format", "csv"]);
        let eb = ok(&b, &["export", e, "--format", "csv"]);
        assert_eq!(ea, eb, "{e} exports differ");
        assert!(ea.lines().count() >= 1);
    }
}

#[test]
fn a_bad_diggers_file_writes_nothing_and_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let csv = dir.path().join("diggers.csv");
    std::fs::write(
        &csv,
        "id,national_id,full_name,sex,birth_date,village,chiefdom,phone,region,status\r\n\
         ,SL-1,Aiah Sesay,male,1990-01-01,Motema,Gbense,,SL-KONO,active\r\n\
         ,SL-2,Finda Kamara,female,2026-02-30,Motema,Gbense,,SL-KONO,active\r\n",
    )
    .unwrap();
    let out = alluvium(&db, &["import", "diggers", "--csv", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_line(&out).contains("diggers.csv:3: birth_date \"2026-02-30\""),
        "{}",
        stderr_line(&out)
    );
    let stats: serde_json::Value = serde_json::from_str(&ok(&db, &["stats", "--json"])).unwrap();
    assert_eq!(stats["diggers"], 0);
}

#[test]
fn a_legacy_register_spells_sex_as_it_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let csv = dir.path().join("diggers.csv");
    std::fs::write(
        &csv,
        "id,national_id,full_name,sex,birth_date,village,chiefdom,phone,region,status\r\n\
         ,SL-1,Aiah Sesay,M,1990-01-01,Motema,Gbense,,SL-KONO,active\r\n\
         ,SL-2,Finda Kamara,F,1991-01-01,Motema,Gbense,,SL-KONO,active\r\n\
         ,SL-3,Jean Mbaya,H,1992-01-01,Motema,Gbense,,SL-KONO,active\r\n\
         ,SL-4,Marie Ngalula,femme,1993-01-01,Motema,Gbense,,SL-KONO,active\r\n",
    )
    .unwrap();
    ok(&db, &["import", "diggers", "--csv", csv.to_str().unwrap()]);
    let exported = ok(&db, &["export", "diggers", "--format", "csv"]);
    let sex_of = |id: &str| {
        exported
            .lines()
            .find(|l| l.contains(id))
            .and_then(|l| l.split(',').nth(3))
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(sex_of("SL-1"), "male");
    assert_eq!(sex_of("SL-2"), "female");
    assert_eq!(sex_of("SL-3"), "male");
    assert_eq!(sex_of("SL-4"), "female");

    // A spelling that says neither is refused with its line, and nothing is written.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "id,national_id,full_name,sex,birth_date,village,chiefdom,phone,region,status\r\n\
         ,SL-9,Sia Kamara,X,1990-01-01,Motema,Gbense,,SL-KONO,active\r\n",
    )
    .unwrap();
    let out = alluvium(&db, &["import", "diggers", "--csv", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_line(&out).contains("bad.csv:2: sex \"X\""),
        "{}",
        stderr_line(&out)
    );
}

#[test]
fn failures_are_one_line_with_a_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["import", "sites", "--csv", "/nonexistent/sites.csv"],
            "No such file",
        ),
        (vec!["export", "all", "--format", "csv"], "GeoPackage"),
        (
            vec!["demo-data", "--regions", "XX-NOWHERE"],
            "unknown region",
        ),
        (
            vec!["gps", "--gpsd", "127.0.0.1:1", "--once"],
            "cannot connect to gpsd",
        ),
    ];
    for (args, why) in cases {
        let out = alluvium(&db, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr_line(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(why), "{args:?}: {err}");
    }
    // Demo data into a database that already holds records is refused.
    ok(&db, &["demo-data", "--diggers", "30", "--days", "5"]);
    let out = alluvium(&db, &["demo-data"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_line(&out).contains("already holds records"));
}

#[test]
fn geojson_export_has_geometry_for_licences_sites_and_production() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    ok(
        &db,
        &[
            "demo-data",
            "--diggers",
            "40",
            "--days",
            "20",
            "--end",
            "2026-07-31",
        ],
    );
    for (e, kind) in [
        ("licences", "Polygon"),
        ("sites", "Point"),
        ("production", "Point"),
    ] {
        let out = dir.path().join(format!("{e}.geojson"));
        ok(
            &db,
            &[
                "export",
                e,
                "--format",
                "geojson",
                "--out",
                out.to_str().unwrap(),
            ],
        );
        let g: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(g["type"], "FeatureCollection");
        let f = &g["features"][0];
        assert_eq!(f["geometry"]["type"], kind, "{e}");
        let lon = f["geometry"]["coordinates"].as_array().unwrap();
        assert!(!lon.is_empty());
        assert!(f["properties"]["id"].is_string());
    }
}
