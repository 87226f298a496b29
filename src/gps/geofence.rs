//! Geofencing against licence polygons: is a fix inside a mining licence,
//! which licences contain a point, do two licences overlap, and is a polygon
//! a sane licence boundary at all.
//!
//! Conventions: polygons are `geo::Polygon<f64>` with x = longitude and
//! y = latitude (WGS84 degrees), as geo and WKT use. Containment is planar in
//! degrees, which is exact enough for licence areas of a few km; distances are
//! on the sphere (Haversine, metres). Points exactly on an edge count as inside.

use geo::{
    Closest, Distance, Haversine, HaversineClosestPoint, Intersects, LineString, Point, Polygon,
    Relate, Validation,
};

/// Result of a containment test that takes the fix accuracy into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Containment {
    /// The position is inside the polygon or on its boundary.
    Inside,
    /// The position is outside, but within `accuracy_m` of the boundary, so the
    /// true position may well be inside. Callers decide whether to accept it
    /// (e.g. accept with a warning).
    InsideWithinMargin,
    /// The position is outside, further than `accuracy_m` from the boundary.
    Outside,
}

/// Classifies a position against a polygon, allowing for the fix's accuracy.
pub fn contains_with_margin(
    polygon: &Polygon<f64>,
    lat: f64,
    lon: f64,
    accuracy_m: f64,
) -> Containment {
    if !lat.is_finite() || !lon.is_finite() {
        return Containment::Outside;
    }
    if !all_finite(polygon) {
        return Containment::Outside;
    }
    let p = Point::new(lon, lat);
    // `Intersects` includes the boundary, unlike `Contains`.
    if polygon.intersects(&p) {
        return Containment::Inside;
    }
    let margin = if accuracy_m.is_finite() {
        accuracy_m.max(0.0)
    } else {
        0.0
    };
    if distance_to_boundary_m(polygon, lat, lon) <= margin {
        Containment::InsideWithinMargin
    } else {
        Containment::Outside
    }
}

/// Great-circle distance in metres from the position to the nearest point of
/// the polygon's boundary (exterior ring and hole rings), whether the position
/// is inside or outside. `f64::INFINITY` for an empty polygon or non-finite input.
pub fn distance_to_boundary_m(polygon: &Polygon<f64>, lat: f64, lon: f64) -> f64 {
    if !lat.is_finite() || !lon.is_finite() {
        return f64::INFINITY;
    }
    let p = Point::new(lon, lat);
    std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .map(|ring| ring_distance_m(ring, p))
        .fold(f64::INFINITY, f64::min)
}

fn ring_distance_m(ring: &LineString<f64>, p: Point<f64>) -> f64 {
    match ring.haversine_closest_point(&p) {
        Closest::Intersection(_) => 0.0,
        Closest::SinglePoint(q) => Haversine.distance(p, q),
        Closest::Indeterminate => f64::INFINITY,
    }
}

/// Keys of all polygons that contain the position (boundary included).
pub fn containing<K>(polygons: &[(K, Polygon<f64>)], lat: f64, lon: f64) -> Vec<&K> {
    let p = Point::new(lon, lat);
    if !lat.is_finite() || !lon.is_finite() {
        return Vec::new();
    }
    polygons
        .iter()
        .filter(|(_, poly)| all_finite(poly) && poly.intersects(&p))
        .map(|(k, _)| k)
        .collect()
}

/// True if the interiors of `a` and `b` intersect (share area). Polygons that
/// only touch along an edge or at a corner do not overlap; one polygon inside
/// the other does. A polygon that fails `validate_polygon` overlaps nothing:
/// callers validate boundaries before they compare them.
pub fn overlaps(a: &Polygon<f64>, b: &Polygon<f64>) -> bool {
    // Invalid geometries (self-intersecting rings, NaN or astronomically large
    // coordinates) have no defined topology, and geo's relate panics on some of
    // them; only valid boundaries reach it.
    if validate_polygon(a).is_err() || validate_polygon(b).is_err() {
        return false;
    }
    let m = a.relate(b);
    m.is_intersects() && !m.is_touches()
}

fn all_finite(p: &Polygon<f64>) -> bool {
    std::iter::once(p.exterior())
        .chain(p.interiors())
        .flat_map(|r| r.0.iter())
        .all(|c| c.x.is_finite() && c.y.is_finite())
}

/// Checks that a polygon is usable as a licence boundary: every ring closed
/// with at least 4 points, coordinates finite and within WGS84 ranges, no
/// self-intersections (geo's OGC validation), and not spanning more than 180°
/// of longitude (a polygon crossing the antimeridian must be split in two;
/// planar containment would otherwise cover the wrong side of the globe).
pub fn validate_polygon(p: &Polygon<f64>) -> Result<(), String> {
    let rings = std::iter::once(("exterior ring".to_string(), p.exterior())).chain(
        p.interiors()
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("interior ring {i}"), r)),
    );
    let (mut min_lon, mut max_lon) = (f64::INFINITY, f64::NEG_INFINITY);
    for (name, ring) in rings {
        let n = ring.0.len();
        if n < 4 {
            return Err(format!(
                "{name} has {n} points; a closed ring needs at least 4 (first = last)"
            ));
        }
        if !ring.is_closed() {
            return Err(format!("{name} is not closed (first point != last point)"));
        }
        for (i, c) in ring.0.iter().enumerate() {
            if !c.x.is_finite() || !(-180.0..=180.0).contains(&c.x) {
                return Err(format!(
                    "{name} point {i}: longitude {} outside -180..=180",
                    c.x
                ));
            }
            if !c.y.is_finite() || !(-90.0..=90.0).contains(&c.y) {
                return Err(format!(
                    "{name} point {i}: latitude {} outside -90..=90",
                    c.y
                ));
            }
            min_lon = min_lon.min(c.x);
            max_lon = max_lon.max(c.x);
        }
    }
    if max_lon - min_lon > 180.0 {
        return Err(format!(
            "polygon spans {:.1}° of longitude ({min_lon}..{max_lon}); it probably crosses \
             the antimeridian (±180°), which is not supported: split it into two polygons",
            max_lon - min_lon
        ));
    }
    if let Some(err) = p.validation_errors().first() {
        return Err(format!("invalid polygon: {err}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn square_basics() {
        let sq =
            polygon![(x: 0.0, y: 0.0), (x: 0.01, y: 0.0), (x: 0.01, y: 0.01), (x: 0.0, y: 0.01)];
        assert!(validate_polygon(&sq).is_ok());
        assert_eq!(
            contains_with_margin(&sq, 0.005, 0.005, 0.0),
            Containment::Inside
        );
        // ~555 m inside from the nearest edge
        let d = distance_to_boundary_m(&sq, 0.005, 0.005);
        assert!((d - 556.0).abs() < 2.0, "{d}");
        assert_eq!(distance_to_boundary_m(&sq, f64::NAN, 0.0), f64::INFINITY);
    }
}
