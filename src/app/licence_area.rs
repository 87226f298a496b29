//! The licensed area on the Licences page: corners typed one per line, the area they make,
//! and the other licences it overlaps, shown as the officer types.

use super::context::Ctx;
use super::{AppWindow, LicencesAdapter};
use crate::domain::{Area, LatLon, LicenceId};
use crate::gps::geofence;
use crate::tr;
use slint::{ComponentHandle, SharedString};

/// Parses corner lines "lat, lon" into an area, or says which line is wrong.
pub fn parse_corners(text: &str) -> Result<Area, String> {
    let mut corners = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let parts: Vec<&str> = line
            .split([',', ';', ' ', '\t'])
            .filter(|p| !p.is_empty())
            .collect();
        let parsed = match parts.as_slice() {
            [lat, lon] => lat.parse::<f64>().ok().zip(lon.parse::<f64>().ok()),
            _ => None,
        };
        match parsed {
            Some((lat, lon)) => corners.push(LatLon { lat, lon }),
            None => {
                return Err(tr!(
                    "Line {}: “{}” is not “latitude, longitude”",
                    i + 1,
                    line.trim()
                ));
            }
        }
    }
    Area::from_corners(&corners).map_err(|e| tr!("The area {}", e))
}

pub fn corners_text(area: &Area) -> String {
    area.corners()
        .iter()
        .map(|(lat, lon)| format!("{lat}, {lon}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Licences whose area overlaps `area`, other than `except`.
pub fn overlapping(ctx: &Ctx, area: &Area, except: Option<LicenceId>) -> Vec<String> {
    let all = ctx.store.borrow().licences().unwrap_or_default();
    all.iter()
        .filter(|l| Some(l.id) != except)
        .filter_map(|l| {
            l.area
                .as_ref()
                .filter(|a| geofence::overlaps(&a.0, &area.0))
                .map(|_| l.number.clone())
        })
        .collect()
}

/// Shows the area of the typed corners and what it overlaps, or why the corners are wrong.
pub fn show_area(app: &AppWindow, ctx: &Ctx, text: &str, except: Option<LicenceId>) {
    let a = app.global::<LicencesAdapter>();
    if text.trim().is_empty() {
        a.set_area_text("".into());
        a.set_e_corners("".into());
        return;
    }
    match parse_corners(text) {
        Ok(area) => {
            let ha = crate::i18n::numbers::decimal(crate::i18n::current(), area.hectares(), 2);
            a.set_area_text(tr!("Area: {} ha", ha).into());
            let others = overlapping(ctx, &area, except);
            a.set_e_corners(if others.is_empty() {
                SharedString::new()
            } else {
                tr!("Overlaps licence {}", others.join(", ")).into()
            });
        }
        Err(e) => {
            a.set_area_text("".into());
            a.set_e_corners(e.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corners_parse_line_by_line() {
        let a =
            parse_corners("8.64, -10.97\n8.64 -10.969\n8.641;-10.969\n\n8.641, -10.97").unwrap();
        assert!((a.hectares() - 1.218).abs() < 0.02);
        assert!(
            parse_corners("8.64, -10.97\nnorth, east\n8.641, -10.969")
                .unwrap_err()
                .starts_with("Line 2")
        );
        assert!(
            parse_corners("8.64, -10.97")
                .unwrap_err()
                .contains("corners")
        );
    }
}
