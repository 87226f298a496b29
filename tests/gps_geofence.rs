//! Geofence and accuracy gate behaviour on small licence-sized polygons.

use alluvium::gps::geofence::{
    Containment, containing, contains_with_margin, distance_to_boundary_m, overlaps,
    validate_polygon,
};
use alluvium::gps::{AccuracyGate, Fix, GateRejection, average};
use chrono::{Duration, TimeZone, Utc};
use geo::{LineString, Polygon, polygon};

/// ~1.1 km square licence near Kimberley (x = lon, y = lat).
fn licence() -> Polygon<f64> {
    polygon![
        (x: 24.76, y: -28.74),
        (x: 24.77, y: -28.74),
        (x: 24.77, y: -28.73),
        (x: 24.76, y: -28.73),
    ]
}

#[test]
fn inside_outside_edge() {
    let p = licence();
    assert!(validate_polygon(&p).is_ok());
    assert_eq!(
        contains_with_margin(&p, -28.735, 24.765, 5.0),
        Containment::Inside
    );
    assert_eq!(
        contains_with_margin(&p, -28.70, 24.765, 5.0),
        Containment::Outside
    );
    // Exactly on the western edge and on a corner: inside.
    assert_eq!(
        contains_with_margin(&p, -28.735, 24.76, 0.0),
        Containment::Inside
    );
    assert_eq!(
        contains_with_margin(&p, -28.74, 24.77, 0.0),
        Containment::Inside
    );
    assert!(distance_to_boundary_m(&p, -28.735, 24.76) < 0.01);
}

#[test]
fn inside_only_thanks_to_margin() {
    let p = licence();
    // 0.00005° of longitude at 28.7°S ≈ 4.9 m east of the eastern edge.
    let (lat, lon) = (-28.735, 24.77005);
    let d = distance_to_boundary_m(&p, lat, lon);
    assert!((d - 4.88).abs() < 0.1, "{d}");
    assert_eq!(
        contains_with_margin(&p, lat, lon, 10.0),
        Containment::InsideWithinMargin
    );
    assert_eq!(
        contains_with_margin(&p, lat, lon, 3.0),
        Containment::Outside
    );
    assert_eq!(
        contains_with_margin(&p, lat, lon, f64::NAN),
        Containment::Outside
    );
}

#[test]
fn distance_inside_uses_nearest_edge() {
    let p = licence();
    // From the centre the north/south edges are ~556 m away (0.005° of
    // latitude) but the east/west edges only ~488 m (0.005° of longitude
    // shrinks by cos 28.7°); the nearest edge wins.
    let d = distance_to_boundary_m(&p, -28.735, 24.765);
    assert!((d - 488.0).abs() < 5.0, "{d}");
}

#[test]
fn containing_lists_all_licences() {
    let a = licence();
    let b = polygon![
        (x: 24.77, y: -28.74), (x: 24.78, y: -28.74), (x: 24.78, y: -28.73), (x: 24.77, y: -28.73),
    ];
    let set = vec![("A-001", a), ("B-002", b)];
    assert_eq!(containing(&set, -28.735, 24.765), vec![&"A-001"]);
    // On the shared edge: in both.
    assert_eq!(containing(&set, -28.735, 24.77), vec![&"A-001", &"B-002"]);
    assert!(containing(&set, 0.0, 0.0).is_empty());
}

#[test]
fn overlap_detection() {
    let a = licence();
    let overlapping = polygon![
        (x: 24.765, y: -28.745), (x: 24.775, y: -28.745), (x: 24.775, y: -28.735), (x: 24.765, y: -28.735),
    ];
    let touching = polygon![
        (x: 24.77, y: -28.74), (x: 24.78, y: -28.74), (x: 24.78, y: -28.73), (x: 24.77, y: -28.73),
    ];
    let corner_only = polygon![
        (x: 24.77, y: -28.73), (x: 24.78, y: -28.73), (x: 24.78, y: -28.72), (x: 24.77, y: -28.72),
    ];
    let inner = polygon![
        (x: 24.762, y: -28.738), (x: 24.764, y: -28.738), (x: 24.764, y: -28.736), (x: 24.762, y: -28.736),
    ];
    let far = polygon![(x: 25.0, y: -28.0), (x: 25.01, y: -28.0), (x: 25.01, y: -27.99)];
    assert!(overlaps(&a, &overlapping));
    assert!(overlaps(&overlapping, &a));
    assert!(!overlaps(&a, &touching), "shared edge is not an overlap");
    assert!(
        !overlaps(&a, &corner_only),
        "shared corner is not an overlap"
    );
    assert!(overlaps(&a, &inner), "containment is an overlap");
    assert!(!overlaps(&a, &far));
}

#[test]
fn validation_rejects_bad_polygons() {
    // Crosses the antimeridian (Fiji-style): longitude span > 180°.
    let anti = polygon![
        (x: 179.99, y: -17.0), (x: -179.99, y: -17.0), (x: -179.99, y: -16.99), (x: 179.99, y: -16.99),
    ];
    let err = validate_polygon(&anti).unwrap_err();
    assert!(err.contains("antimeridian"), "{err}");

    let bowtie = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 1.0), (x: 1.0, y: 0.0), (x: 0.0, y: 1.0)];
    let err = validate_polygon(&bowtie).unwrap_err();
    assert!(err.contains("self-intersection"), "{err}");

    let out_of_range = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 95.0), (x: 1.0, y: 0.0)];
    assert!(
        validate_polygon(&out_of_range)
            .unwrap_err()
            .contains("latitude")
    );

    let degenerate = Polygon::new(LineString::from(vec![(0.0, 0.0), (1.0, 1.0)]), vec![]);
    assert!(
        validate_polygon(&degenerate)
            .unwrap_err()
            .contains("at least 4")
    );

    let nan = polygon![(x: f64::NAN, y: 0.0), (x: 1.0, y: 1.0), (x: 1.0, y: 0.0)];
    assert!(validate_polygon(&nan).is_err());

    // (An open ring cannot be built: geo-types closes rings in Polygon::new
    // and exterior_mut, so validate_polygon's closed-ring check is defensive.)
}

#[test]
fn gate_and_average_on_fixes() {
    let t0 = Utc.with_ymd_and_hms(2025, 6, 1, 8, 0, 0).unwrap();
    let fixes: Vec<Fix> = (0..9)
        .map(|i| {
            Fix::manual(
                -28.735 + f64::from(i) * 1e-6,
                24.765,
                9.0,
                t0 + Duration::seconds(i.into()),
            )
            .unwrap()
        })
        .collect();
    let gate = AccuracyGate::default();
    let now = t0 + Duration::seconds(10);
    assert!(gate.check(&fixes[8], now).is_ok());
    let avg = average(&fixes).unwrap();
    assert!((avg.accuracy_m - 3.0).abs() < 1e-9, "{}", avg.accuracy_m);
    assert_eq!(avg.time, fixes[8].time);
    let late = now + Duration::minutes(5);
    let why = gate.check(&avg, late).unwrap_err();
    assert!(matches!(why, GateRejection::TooOld { .. }));
    assert_eq!(why.to_string(), "GPS fix too old: 302 s (max 30 s)");
}
