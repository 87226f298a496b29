//! Sample records that pass validation: a digger, her mining licence in Kono, a pit inside the
//! licensed plot, a production entry and its stones.
//!
//! Every call makes new ids, so a test can make as many as it needs. Dates are relative to
//! today, so the licence stands and the site is open whenever the tests run.

use alluvium::domain::{
    Area, Centicarats, Digger, DiggerId, DiggerStatus, LatLon, Licence, LicenceId, LicenceKind,
    LicenceStatus, Litres, Position, ProductionEntry, ProductionId, Sex, Site, SiteId, SiteKind,
    SiteStatus, Stone, StoneClass, StoneId,
};
use alluvium::gps::geofence::{Containment, contains_with_margin};
use chrono::{Days, NaiveDate};

/// South-west corner of the licence fixture's plot, near Koidu (Kono, Sierra Leone).
pub const PLOT_SOUTH_WEST: LatLon = LatLon {
    lat: 8.64,
    lon: -10.97,
};

/// Side of the square plot in degrees: about 550 m.
pub const PLOT_SIDE_DEG: f64 = 0.005;

/// Where the site fixture lies: inside the plot, 220 m north and east of its corner.
pub const SITE_AT: LatLon = LatLon {
    lat: 8.642,
    lon: -10.968,
};

/// Today's date (UTC), which the fixtures' dates count from.
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// An active digger registered in `region`.
pub fn digger(region: &str, national_id: &str, name: &str) -> Digger {
    Digger {
        id: DiggerId::new(),
        national_id: national_id.into(),
        full_name: name.into(),
        sex: Sex::Female,
        birth_date: NaiveDate::from_ymd_opt(1990, 5, 1).expect("a real date"),
        village: "Koidu".into(),
        chiefdom: "Gbense".into(),
        phone: String::new(),
        region: region.into(),
        status: DiggerStatus::Active,
    }
}

/// The plot of the licence fixture.
pub fn plot() -> Area {
    let LatLon { lat, lon } = PLOT_SOUTH_WEST;
    let side = PLOT_SIDE_DEG;
    Area::from_corners(&[
        LatLon { lat, lon },
        LatLon {
            lat,
            lon: lon + side,
        },
        LatLon {
            lat: lat + side,
            lon: lon + side,
        },
        LatLon {
            lat: lat + side,
            lon,
        },
    ])
    .expect("the plot is a valid licensed area")
}

/// An artisanal mining licence held by `holder`, issued 30 days ago for a year, over [`plot`].
pub fn licence(region: &str, number: &str, holder: &Digger) -> Licence {
    Licence {
        id: LicenceId::new(),
        number: number.into(),
        kind: LicenceKind::ArtisanalMining,
        holder_digger_id: Some(holder.id),
        holder_name: holder.full_name.clone(),
        region: region.into(),
        issued_on: today() - Days::new(30),
        expires_on: today() + Days::new(300),
        status: LicenceStatus::Active,
        area: Some(plot()),
        fee_receipt: "R-1".into(),
    }
}

/// An active pit at [`SITE_AT`] under licence `l`, opened ten days ago.
///
/// Panics when the site does not lie inside the licence's area: a site outside its licence is
/// a breach the checks flag, and a fixture that is one by accident (swapped coordinates) would
/// test something else than it claims to.
pub fn site(l: &Licence, name: &str) -> Site {
    let position = Position {
        lat: SITE_AT.lat,
        lon: SITE_AT.lon,
        accuracy_m: 5.0,
    };
    if let Some(area) = &l.area {
        assert_eq!(
            contains_with_margin(&area.0, position.lat, position.lon, 0.0),
            Containment::Inside,
            "site {name} at {position:?} lies outside licence {} ({area})",
            l.number
        );
    }
    Site {
        id: SiteId::new(),
        licence_id: l.id,
        name: name.into(),
        kind: SiteKind::Pit,
        status: SiteStatus::Active,
        position,
        opened_on: today() - Days::new(10),
    }
}

/// Today's production at site `s`, recorded by `officer`, with `diggers` in the crew.
pub fn production(s: &Site, officer: &str, diggers: &[&Digger]) -> ProductionEntry {
    ProductionEntry {
        seal: String::new(),
        id: ProductionId::new(),
        site_id: s.id,
        day: today(),
        officer: officer.into(),
        fix: None,
        crew_size: 12,
        digger_ids: diggers.iter().map(|d| d.id).collect(),
        gravel: Litres(8_000),
        notes: String::new(),
        replaces: None,
    }
}

/// A white gem of `centicarats` found in production `p`.
pub fn stone(p: &ProductionEntry, centicarats: i64) -> Stone {
    Stone {
        id: StoneId::new(),
        production_id: p.id,
        weight: Centicarats(centicarats),
        class: StoneClass::Gem,
        colour: "white".into(),
        count: 1,
        sieve: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_records_are_valid_and_the_site_lies_inside_its_licence() {
        let dg = digger("SL-KONO", "SL-1", "Fatmata Kamara");
        let li = licence("SL-KONO", "KONO/AM/1", &dg);
        let si = site(&li, "Pit 1");
        assert_eq!(dg.validate(today()), Ok(()));
        assert_eq!(li.validate(), Ok(()));
        assert_eq!(si.validate(today()), Ok(()));
        let area = li.area.as_ref().unwrap();
        assert_eq!(
            contains_with_margin(&area.0, si.position.lat, si.position.lon, 0.0),
            Containment::Inside
        );
        // About 550 m a side: 30 ha, well under the largest area accepted.
        assert!(
            (25.0..35.0).contains(&area.hectares()),
            "{}",
            area.hectares()
        );
    }

    #[test]
    #[should_panic(expected = "lies outside licence")]
    fn a_licence_over_the_swapped_corners_is_caught() {
        // The mistake this guards against: (lon, lat) read as (lat, lon) puts the plot in the
        // Atlantic off Angola, some 3 000 km from its pit.
        let dg = digger("SL-KONO", "SL-1", "Fatmata Kamara");
        let mut li = licence("SL-KONO", "KONO/AM/1", &dg);
        let swapped: Vec<LatLon> = li
            .area
            .unwrap()
            .corners()
            .into_iter()
            .map(|(lat, lon)| LatLon { lat: lon, lon: lat })
            .collect();
        li.area = Some(Area::from_corners(&swapped).unwrap());
        site(&li, "Pit 1");
    }
}
