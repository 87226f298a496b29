//! Licences and their licensed areas.

use super::{
    DiggerId, Invalid, LatLon, LicenceHistory, LicenceId, LicenceKind, LicenceStatus, check_text,
};
use chrono::NaiveDate;
use geo::orient::{Direction, Orient};
use geo::{Coord, GeodesicArea, LineString, Polygon, Validation};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use wkt::TryFromWkt;

/// Days before expiry from which a licence is shown as "expiring".
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// Largest licensed area accepted, in hectares. Artisanal plots are about 1 ha in Sierra Leone
/// (2022 Act); anything above 10 000 ha is a typing error in a corner coordinate.
pub const MAX_AREA_HA: f64 = 10_000.0;

/// Most corners a licensed area may have. A licence is a handful of surveyed corners; the cap
/// keeps the polygon checks (quadratic in the corners) from becoming a way to stall a server.
pub const MAX_AREA_VERTICES: usize = 1_000;

/// A licensed area: a simple WGS84 polygon, written as WKT `POLYGON((lon lat, …))`.
#[derive(Debug, Clone, PartialEq)]
pub struct Area(pub Polygon<f64>);

impl Area {
    /// Builds an area from its corners in order; the ring is closed for you.
    pub fn from_corners(corners: &[LatLon]) -> Result<Area, String> {
        if corners.len() < 3 {
            return Err(format!("needs at least 3 corners, got {}", corners.len()));
        }
        let ring: Vec<Coord<f64>> = corners.iter().map(|&c| c.into()).collect();
        let area = Area(Polygon::new(LineString::new(ring), vec![]));
        area.check()?;
        Ok(area)
    }

    /// Geodesic area in hectares (WGS84 ellipsoid).
    pub fn hectares(&self) -> f64 {
        // Geodesic area depends on ring orientation (a clockwise ring measures the rest of the
        // Earth), so orient the ring counter-clockwise first.
        self.0.orient(Direction::Default).geodesic_area_unsigned() / 10_000.0
    }

    /// The corners as (lat, lon), without the closing repeat.
    pub fn corners(&self) -> Vec<(f64, f64)> {
        let pts = &self.0.exterior().0;
        pts[..pts.len().saturating_sub(1)]
            .iter()
            .map(|c| (c.y, c.x))
            .collect()
    }

    /// Why the polygon cannot be a licensed area, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        let ext = self.0.exterior();
        let n = ext.0.len();
        if n < 4 {
            return Err("needs at least 3 distinct corners".into());
        }
        if n > MAX_AREA_VERTICES + 1 {
            return Err(format!(
                "has {} corners, more than {MAX_AREA_VERTICES}",
                n - 1
            ));
        }
        if !self.0.interiors().is_empty() {
            return Err("must not have holes".into());
        }
        for c in &ext.0 {
            if !c.x.is_finite()
                || !c.y.is_finite()
                || !(-90.0..=90.0).contains(&c.y)
                || !(-180.0..=180.0).contains(&c.x)
            {
                return Err(format!(
                    "corner {} {} is not a WGS84 longitude latitude",
                    c.x, c.y
                ));
            }
        }
        let (min_lon, max_lon) = ext.0.iter().fold((f64::MAX, f64::MIN), |(lo, hi), c| {
            (lo.min(c.x), hi.max(c.x))
        });
        if max_lon - min_lon > 180.0 {
            return Err(
                "crosses the antimeridian (longitudes span more than 180°); split it in two".into(),
            );
        }
        if let Err(e) = self.0.check_validation() {
            return Err(format!("is not a valid polygon: {e}"));
        }
        let ha = self.hectares();
        if ha.is_nan() || ha <= 0.0 {
            return Err("has no area".into());
        }
        if ha > MAX_AREA_HA {
            return Err(format!(
                "covers {ha:.0} ha, more than {MAX_AREA_HA:.0} ha: check the corners"
            ));
        }
        Ok(())
    }
}

impl FromStr for Area {
    type Err = String;
    /// Parses `POLYGON((lon lat, …))`; the ring must be closed (first point = last point).
    fn from_str(s: &str) -> Result<Self, String> {
        let text = s.trim();
        // geo closes rings silently, so closure is judged on the text as written.
        match wkt::Wkt::<f64>::from_str(text).map_err(|e| format!("bad WKT polygon: {e}"))? {
            wkt::Wkt::Polygon(p) => {
                let ring = p.rings().first().map(|r| r.coords()).unwrap_or(&[]);
                if ring.len() > MAX_AREA_VERTICES + 1 {
                    return Err(format!(
                        "has {} corners, more than {MAX_AREA_VERTICES}",
                        ring.len() - 1
                    ));
                }
                let same = |a: &wkt::types::Coord<f64>, b: &wkt::types::Coord<f64>| {
                    a.x == b.x && a.y == b.y
                };
                if let (Some(first), Some(last)) = (ring.first(), ring.last())
                    && !same(first, last)
                {
                    return Err(
                        "the polygon ring is not closed (first and last points differ)".into(),
                    );
                }
            }
            _ => return Err("bad WKT polygon: expected POLYGON((lon lat, …))".into()),
        }
        let poly =
            Polygon::<f64>::try_from_wkt_str(text).map_err(|e| format!("bad WKT polygon: {e}"))?;
        let area = Area(poly);
        area.check()?;
        Ok(area)
    }
}

impl fmt::Display for Area {
    /// Shortest exact decimal for each coordinate, so text → area → text is lossless.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("POLYGON((")?;
        for (i, c) in self.0.exterior().0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} {}", c.x, c.y)?;
        }
        f.write_str("))")
    }
}

impl Serialize for Area {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Area {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A licence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Licence {
    pub id: LicenceId,
    /// Human-readable number, unique (e.g. `KONO/AM/2026/0042`).
    pub number: String,
    pub kind: LicenceKind,
    /// The digger who holds an artisanal mining licence.
    pub holder_digger_id: Option<DiggerId>,
    /// Name of a dealer's or exporter's holder, who is not a registered digger.
    pub holder_name: String,
    pub region: String,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub status: LicenceStatus,
    /// Licensed area; mining licences only.
    pub area: Option<Area>,
    /// Receipt number of the paid fee, may be empty.
    pub fee_receipt: String,
}

/// How a licence stands on a given day: what the badge shows and what the checks judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenceStanding {
    Active,
    /// Active, with this many days left.
    Expiring(i64),
    Expired,
    Suspended,
    Revoked,
    /// Not issued yet on that day.
    NotYetValid,
}

impl LicenceStanding {
    /// Short word for badges and reports.
    pub fn label(self) -> &'static str {
        match self {
            LicenceStanding::Active => "active",
            LicenceStanding::Expiring(_) => "expiring",
            LicenceStanding::Expired => "expired",
            LicenceStanding::Suspended => "suspended",
            LicenceStanding::Revoked => "revoked",
            LicenceStanding::NotYetValid => "not yet valid",
        }
    }

    /// Whether work and trade under the licence are allowed on that day.
    pub fn permits_work(self) -> bool {
        matches!(self, LicenceStanding::Active | LicenceStanding::Expiring(_))
    }
}

impl Licence {
    /// Checks the record's own rules (uniqueness of the number is the store's to check).
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        check_text(&mut e, "number", &self.number, true, 40);
        check_text(&mut e, "region", &self.region, true, 40);
        check_text(&mut e, "holder_name", &self.holder_name, false, 120);
        check_text(&mut e, "fee_receipt", &self.fee_receipt, false, 60);
        if self.expires_on < self.issued_on {
            e.push(
                "expires_on",
                format!(
                    "{} is before the issue date {}",
                    self.expires_on, self.issued_on
                ),
            );
        } else if (self.expires_on - self.issued_on).num_days() > 366 * 10 {
            e.push("expires_on", "is more than 10 years after the issue date");
        }
        match self.kind {
            LicenceKind::ArtisanalMining => {
                if self.holder_digger_id.is_none() {
                    e.push(
                        "holder_digger_id",
                        "is required for an artisanal mining licence",
                    );
                }
                match &self.area {
                    None => e.push("area_wkt", "is required for an artisanal mining licence"),
                    Some(a) => {
                        if let Err(why) = a.check() {
                            e.push("area_wkt", why);
                        }
                    }
                }
            }
            LicenceKind::Dealer | LicenceKind::Exporter => {
                if self.area.is_some() {
                    e.push(
                        "area_wkt",
                        format!("must be empty for a {} licence", self.kind),
                    );
                }
                if self.holder_digger_id.is_none() && self.holder_name.trim().is_empty() {
                    e.push(
                        "holder_name",
                        "is required when the holder is not a registered digger",
                    );
                }
            }
        }
        e.into_result()
    }

    /// How the licence stands on `day`, read from the record alone (its issue, expiry and
    /// status, as [`LicenceHistory`] reads a licence without stored events). Anything that
    /// judges a record of a given day asks the licence's history instead, which knows the
    /// renewals, suspensions and reinstatements since.
    pub fn standing_on(&self, day: NaiveDate) -> LicenceStanding {
        LicenceHistory::new(self, &[]).standing_on(day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLOT: &str =
        "POLYGON((-10.97 8.64, -10.969 8.64, -10.969 8.641, -10.97 8.641, -10.97 8.64))";

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn licence() -> Licence {
        Licence {
            id: LicenceId::new(),
            number: "KONO/AM/2026/0001".into(),
            kind: LicenceKind::ArtisanalMining,
            holder_digger_id: Some(DiggerId::new()),
            holder_name: String::new(),
            region: "SL-KONO".into(),
            issued_on: d(2026, 1, 10),
            expires_on: d(2027, 1, 9),
            status: LicenceStatus::Active,
            area: Some(PLOT.parse().unwrap()),
            fee_receipt: "R-1".into(),
        }
    }

    #[test]
    fn a_plot_of_about_one_hectare_is_measured_geodesically() {
        let a: Area = PLOT.parse().unwrap();
        // 0.001° × 0.001° at 8.64° N ≈ 110.1 m × 110.6 m.
        assert!((a.hectares() - 1.218).abs() < 0.02, "{}", a.hectares());
        assert_eq!(a.to_string(), PLOT);
    }

    #[test]
    fn bad_polygons_are_refused_with_a_reason() {
        let cases = [
            (
                "POLYGON((-10.97 8.64, -10.969 8.64, -10.969 8.641, -10.97 8.641))",
                "not closed",
            ),
            ("POLYGON((0 0, 1 1, 0 0))", "corners"),
            (
                "POLYGON((-10.97 8.64, -10.969 8.641, -10.969 8.64, -10.97 8.641, -10.97 8.64))",
                "valid polygon",
            ),
            (
                "POLYGON((179.9 1, -179.9 1, -179.9 1.001, 179.9 1.001, 179.9 1))",
                "antimeridian",
            ),
            (
                "POLYGON((-10.97 98.64, -10.969 8.64, -10.969 8.641, -10.97 98.64))",
                "WGS84",
            ),
            ("LINESTRING(0 0, 1 1)", "bad WKT"),
            ("POLYGON((0 0, 2 0, 2 2, 0 2, 0 0))", "more than"),
        ];
        for (wkt, why) in cases {
            let err = wkt.parse::<Area>().unwrap_err();
            assert!(err.contains(why), "{wkt}: expected {why:?} in {err:?}");
        }
    }

    #[test]
    fn licence_rules() {
        assert_eq!(licence().validate(), Ok(()));
        let mut l = licence();
        l.expires_on = d(2025, 1, 1);
        assert!(l.validate().unwrap_err().for_field("expires_on").is_some());
        let mut l = licence();
        l.area = None;
        assert!(l.validate().unwrap_err().for_field("area_wkt").is_some());
        let mut l = licence();
        l.kind = LicenceKind::Dealer;
        assert!(l.validate().unwrap_err().for_field("area_wkt").is_some());
    }

    #[test]
    fn standing_on_a_day() {
        let l = licence();
        assert_eq!(l.standing_on(d(2026, 1, 9)), LicenceStanding::NotYetValid);
        assert_eq!(l.standing_on(d(2026, 6, 1)), LicenceStanding::Active);
        assert_eq!(
            l.standing_on(d(2026, 12, 30)),
            LicenceStanding::Expiring(10)
        );
        assert_eq!(l.standing_on(d(2027, 1, 10)), LicenceStanding::Expired);
        let mut s = licence();
        s.status = LicenceStatus::Suspended;
        assert!(!s.standing_on(d(2026, 6, 1)).permits_work());
    }

    #[test]
    fn corners_build_a_closed_ring() {
        let a = Area::from_corners(&[
            LatLon {
                lat: 8.64,
                lon: -10.97,
            },
            LatLon {
                lat: 8.64,
                lon: -10.969,
            },
            LatLon {
                lat: 8.641,
                lon: -10.969,
            },
            LatLon {
                lat: 8.641,
                lon: -10.97,
            },
        ])
        .unwrap();
        assert_eq!(a.to_string(), PLOT);
        assert_eq!(a.corners().len(), 4);
    }
}
