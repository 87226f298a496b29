//! The map sketch of the Sites page: a licence polygon, its sites and recent production fixes
//! projected into a 0–100 box (north up, equal scale east and north), as an SVG-style path and
//! a list of points for Slint to draw.

/// What the sketch draws, in 0–100 box coordinates.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sketch {
    /// `M x y L x y … Z`, empty without a polygon.
    pub polygon: String,
    /// (x, y, kind): kind 0 another site, 1 a production fix, 2 the site being edited.
    pub points: Vec<(f32, f32, i32)>,
    /// Width of the box on the ground, in metres.
    pub width_m: f64,
}

/// Projects `polygon` corners and `points` (lat, lon, kind) into the sketch.
pub fn sketch(polygon: &[(f64, f64)], points: &[(f64, f64, i32)]) -> Sketch {
    let all: Vec<(f64, f64)> = polygon
        .iter()
        .copied()
        .chain(points.iter().map(|p| (p.0, p.1)))
        .collect();
    if all.is_empty() {
        return Sketch::default();
    }
    let (mut min_lat, mut max_lat, mut min_lon, mut max_lon) =
        (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (lat, lon) in &all {
        min_lat = min_lat.min(*lat);
        max_lat = max_lat.max(*lat);
        min_lon = min_lon.min(*lon);
        max_lon = max_lon.max(*lon);
    }
    let k = ((min_lat + max_lat) / 2.0).to_radians().cos().max(0.01);
    const M_PER_DEG: f64 = 111_320.0;
    // Equal metres per unit on both axes; at least 50 m across so one point is not a blow-up.
    let span_m = ((max_lat - min_lat) * M_PER_DEG)
        .max((max_lon - min_lon) * M_PER_DEG * k)
        .max(50.0)
        * 1.25;
    let (c_lat, c_lon) = ((min_lat + max_lat) / 2.0, (min_lon + max_lon) / 2.0);
    let project = |lat: f64, lon: f64| -> (f32, f32) {
        let x = 50.0 + (lon - c_lon) * M_PER_DEG * k / span_m * 100.0;
        let y = 50.0 - (lat - c_lat) * M_PER_DEG / span_m * 100.0;
        (x as f32, y as f32)
    };
    let mut path = String::new();
    for (i, (lat, lon)) in polygon.iter().enumerate() {
        let (x, y) = project(*lat, *lon);
        path.push_str(&format!(
            "{} {x:.2} {y:.2} ",
            if i == 0 { "M" } else { "L" }
        ));
    }
    if !path.is_empty() {
        path.push('Z');
    }
    Sketch {
        polygon: path,
        points: points
            .iter()
            .map(|(lat, lon, kind)| {
                let (x, y) = project(*lat, *lon);
                (x, y, *kind)
            })
            .collect(),
        width_m: span_m,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn north_is_up_and_everything_fits_in_the_box() {
        let square = [
            (8.640, -10.970),
            (8.640, -10.969),
            (8.641, -10.969),
            (8.641, -10.970),
        ];
        let s = sketch(&square, &[(8.6405, -10.9695, 2), (8.6409, -10.9699, 1)]);
        assert!(s.polygon.starts_with("M ") && s.polygon.ends_with('Z'));
        let (x, y, kind) = s.points[0];
        assert_eq!(kind, 2);
        assert!(
            (x - 50.0).abs() < 0.5 && (y - 50.0).abs() < 0.5,
            "centre at {x},{y}"
        );
        let (_, y_north, _) = s.points[1];
        assert!(y_north < y, "a point further north is drawn higher");
        for (x, y, _) in &s.points {
            assert!((0.0..=100.0).contains(x) && (0.0..=100.0).contains(y));
        }
        assert!(s.width_m > 110.0 && s.width_m < 160.0, "{}", s.width_m);
    }

    #[test]
    fn nothing_to_draw_gives_an_empty_sketch() {
        assert_eq!(sketch(&[], &[]), Sketch::default());
    }
}
