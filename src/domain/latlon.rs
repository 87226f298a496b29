//! A WGS84 position as named latitude and longitude.
//!
//! Coordinates travel in two orders: people, forms and GPS receivers say latitude first, while
//! WKT, GeoJSON and `geo` put longitude first. A bare `(f64, f64)` lets the two be swapped
//! without a complaint — a swapped licence corner lands thousands of kilometres from its site
//! and is still a valid polygon. Naming the fields makes the order impossible to confuse, and
//! the conversion to `geo` is written once, here.

use geo::Coord;

/// A point on the WGS84 ellipsoid, in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLon {
    /// Degrees north of the equator (negative south), −90..90.
    pub lat: f64,
    /// Degrees east of Greenwich (negative west), −180..180.
    pub lon: f64,
}

impl From<LatLon> for Coord<f64> {
    /// `geo` and WKT are x = longitude, y = latitude.
    fn from(p: LatLon) -> Self {
        Coord { x: p.lon, y: p.lat }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longitude_is_the_x_axis() {
        let c: Coord<f64> = LatLon {
            lat: 8.64,
            lon: -10.97,
        }
        .into();
        assert_eq!((c.x, c.y), (-10.97, 8.64));
    }
}
