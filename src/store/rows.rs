//! Row ↔ domain mapping: the column list of each SELECT and the function that reads it.

use crate::domain::{
    Centicarats, Cents, Crew, Digger, Licence, LicenceEvent, Litres, Officer, PositionFix,
    ProductionEntry, Region, Sale, Site, Stone, Supporter,
};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Row;
use rusqlite::types::Type;
use std::str::FromStr;

fn bad(idx: usize, msg: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, msg.into())
}

/// Reads a column stored as text and parses it with the domain's own parser.
pub(super) fn parsed<T: FromStr<Err = String>>(r: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
    let s: String = r.get(idx)?;
    s.parse().map_err(|e| bad(idx, e))
}

pub(super) fn parsed_opt<T: FromStr<Err = String>>(
    r: &Row<'_>,
    idx: usize,
) -> rusqlite::Result<Option<T>> {
    let s: Option<String> = r.get(idx)?;
    s.filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|e| bad(idx, e)))
        .transpose()
}

pub(super) fn date(r: &Row<'_>, idx: usize) -> rusqlite::Result<NaiveDate> {
    let s: String = r.get(idx)?;
    NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|e| bad(idx, e.to_string()))
}

fn date_opt(r: &Row<'_>, idx: usize) -> rusqlite::Result<Option<NaiveDate>> {
    let s: Option<String> = r.get(idx)?;
    s.map(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|e| bad(idx, e.to_string())))
        .transpose()
}

pub(super) const REGION_COLS: &str =
    "code, name, country, utc_offset_minutes, centre_lat, centre_lon";

pub(super) fn region(r: &Row<'_>) -> rusqlite::Result<Region> {
    Ok(Region {
        code: r.get(0)?,
        name: r.get(1)?,
        country: r.get(2)?,
        utc_offset_minutes: r.get(3)?,
        centre: (r.get(4)?, r.get(5)?),
    })
}

pub(super) const OFFICER_COLS: &str = "id, username, full_name, role, regions";

pub(super) fn officer(r: &Row<'_>) -> rusqlite::Result<Officer> {
    let regions: String = r.get(4)?;
    Ok(Officer {
        id: parsed(r, 0)?,
        username: r.get(1)?,
        full_name: r.get(2)?,
        role: parsed(r, 3)?,
        regions: regions
            .split(',')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
    })
}

pub(super) const DIGGER_COLS: &str = "d.id, d.national_id, d.full_name, d.sex, d.birth_date, d.village, d.chiefdom, d.phone, d.region, d.status";

pub(super) fn digger(r: &Row<'_>) -> rusqlite::Result<Digger> {
    Ok(Digger {
        id: parsed(r, 0)?,
        national_id: r.get(1)?,
        full_name: r.get(2)?,
        sex: parsed(r, 3)?,
        birth_date: date(r, 4)?,
        village: r.get(5)?,
        chiefdom: r.get(6)?,
        phone: r.get(7)?,
        region: r.get(8)?,
        status: parsed(r, 9)?,
    })
}

pub(super) const LICENCE_COLS: &str = "l.id, l.number, l.kind, l.holder_digger_id, l.holder_name, l.region, \
     l.issued_on, l.expires_on, l.status, l.area_wkt, l.fee_receipt";

pub(super) fn licence(r: &Row<'_>) -> rusqlite::Result<Licence> {
    Ok(Licence {
        id: parsed(r, 0)?,
        number: r.get(1)?,
        kind: parsed(r, 2)?,
        holder_digger_id: parsed_opt(r, 3)?,
        holder_name: r.get(4)?,
        region: r.get(5)?,
        issued_on: date(r, 6)?,
        expires_on: date(r, 7)?,
        status: parsed(r, 8)?,
        area: parsed_opt(r, 9)?,
        fee_receipt: r.get(10)?,
    })
}

pub(super) const SITE_COLS: &str =
    "s.id, s.licence_id, s.name, s.kind, s.status, s.lat, s.lon, s.accuracy_m, s.opened_on";

pub(super) fn site(r: &Row<'_>) -> rusqlite::Result<Site> {
    Ok(Site {
        id: parsed(r, 0)?,
        licence_id: parsed(r, 1)?,
        name: r.get(2)?,
        kind: parsed(r, 3)?,
        status: parsed(r, 4)?,
        position: crate::domain::Position {
            lat: r.get(5)?,
            lon: r.get(6)?,
            accuracy_m: r.get(7)?,
        },
        opened_on: date(r, 8)?,
    })
}

pub(super) const LICENCE_EVENT_COLS: &str =
    "e.id, e.licence_id, e.kind, e.on_day, e.until, e.fee_cents, e.receipt, e.reason";

pub(super) fn licence_event(r: &Row<'_>) -> rusqlite::Result<LicenceEvent> {
    Ok(LicenceEvent {
        id: parsed(r, 0)?,
        licence_id: parsed(r, 1)?,
        kind: parsed(r, 2)?,
        on: date(r, 3)?,
        until: date_opt(r, 4)?,
        fee_cents: r.get::<_, Option<i64>>(5)?.map(Cents),
        receipt: r.get(6)?,
        reason: r.get(7)?,
    })
}

pub(super) const SUPPORTER_COLS: &str =
    "s.id, s.licence_id, s.digger_id, s.full_name, s.national_id";

pub(super) fn supporter(r: &Row<'_>) -> rusqlite::Result<Supporter> {
    Ok(Supporter {
        id: parsed(r, 0)?,
        licence_id: parsed(r, 1)?,
        digger_id: parsed_opt(r, 2)?,
        full_name: r.get(3)?,
        national_id: r.get(4)?,
    })
}

pub(super) const CREW_COLS: &str = "id, licence_id, site_id, digger_id, from_day, to_day";

pub(super) fn crew(r: &Row<'_>) -> rusqlite::Result<Crew> {
    Ok(Crew {
        id: parsed(r, 0)?,
        licence_id: parsed(r, 1)?,
        site_id: parsed_opt(r, 2)?,
        digger_id: parsed(r, 3)?,
        from: date(r, 4)?,
        to: date_opt(r, 5)?,
    })
}

/// Production columns; the digger ids come as one `;`-joined text in column 13.
pub(super) const PRODUCTION_COLS: &str = "p.id, p.site_id, p.day, p.officer, p.lat, p.lon, p.accuracy_m, \
     p.fix_source, p.fix_time, p.crew_size, p.gravel_litres, p.notes, p.replaces, \
     (SELECT group_concat(digger_id, ';') FROM (SELECT digger_id FROM production_diggers pd \
       WHERE pd.production_id = p.id ORDER BY position)), p.seal";

/// Columns [`PRODUCTION_COLS`] selects; a query's own columns follow from this index on.
pub(super) const PRODUCTION_COL_COUNT: usize = 15;

pub(super) fn production(r: &Row<'_>) -> rusqlite::Result<ProductionEntry> {
    let lat: Option<f64> = r.get(4)?;
    let lon: Option<f64> = r.get(5)?;
    let fix = match (lat, lon) {
        (Some(lat), Some(lon)) => {
            let time: Option<String> = r.get(8)?;
            Some(PositionFix {
                lat,
                lon,
                accuracy_m: r.get::<_, Option<f64>>(6)?.unwrap_or(0.0),
                source: parsed_opt(r, 7)?.unwrap_or(crate::domain::FixSource::Manual),
                time: time
                    .map(|t| DateTime::parse_from_rfc3339(&t).map(|t| t.with_timezone(&Utc)))
                    .transpose()
                    .map_err(|e| bad(8, e.to_string()))?,
            })
        }
        _ => None,
    };
    let diggers: Option<String> = r.get(13)?;
    Ok(ProductionEntry {
        id: parsed(r, 0)?,
        site_id: parsed(r, 1)?,
        day: date(r, 2)?,
        officer: r.get(3)?,
        fix,
        crew_size: r.get(9)?,
        gravel: Litres(r.get(10)?),
        notes: r.get(11)?,
        replaces: parsed_opt(r, 12)?,
        digger_ids: diggers
            .unwrap_or_default()
            .split(';')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().map_err(|e| bad(13, e)))
            .collect::<Result<_, _>>()?,
        seal: r.get(14)?,
    })
}

pub(super) const STONE_COLS: &str =
    "st.id, st.production_id, st.centicarats, st.class, st.colour, st.stone_count, st.sieve";

pub(super) fn stone(r: &Row<'_>) -> rusqlite::Result<Stone> {
    Ok(Stone {
        id: parsed(r, 0)?,
        production_id: parsed(r, 1)?,
        weight: Centicarats(r.get(2)?),
        class: parsed(r, 3)?,
        colour: r.get(4)?,
        count: r.get(5)?,
        sieve: {
            let text: String = r.get(6)?;
            if text.is_empty() {
                None
            } else {
                Some(text.parse().map_err(|e| bad(6, e))?)
            }
        },
    })
}

pub(super) const SALE_COLS: &str = "sa.id, sa.slip_number, sa.day, sa.seller_licence_id, sa.buyer_licence_id, \
     sa.centicarats, sa.stone_count, sa.price_cents, sa.kind, sa.certificate_number, sa.destination_country, \
     (SELECT group_concat(production_id, ';') FROM (SELECT production_id FROM sale_production sp \
       WHERE sp.sale_id = sa.id ORDER BY position)), \
     (SELECT group_concat(source_sale_id, ';') FROM (SELECT source_sale_id FROM sale_sources ss \
       WHERE ss.sale_id = sa.id ORDER BY position)), \
     sa.hs_code, sa.importer, sa.origin_country, sa.seals";

/// Columns [`SALE_COLS`] selects; a query's own columns follow from this index on.
pub(super) const SALE_COL_COUNT: usize = 17;

pub(super) fn sale(r: &Row<'_>) -> rusqlite::Result<Sale> {
    let prods: Option<String> = r.get(11)?;
    let sources: Option<String> = r.get(12)?;
    Ok(Sale {
        id: parsed(r, 0)?,
        slip_number: r.get(1)?,
        day: date(r, 2)?,
        seller_licence_id: parsed(r, 3)?,
        buyer_licence_id: parsed_opt(r, 4)?,
        weight: Centicarats(r.get(5)?),
        stone_count: r.get(6)?,
        price: Cents(r.get(7)?),
        kind: parsed(r, 8)?,
        certificate_number: r.get(9)?,
        destination_country: r.get(10)?,
        production_ids: prods
            .unwrap_or_default()
            .split(';')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().map_err(|e| bad(11, e)))
            .collect::<Result<_, _>>()?,
        source_sale_ids: sources
            .unwrap_or_default()
            .split(';')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().map_err(|e| bad(12, e)))
            .collect::<Result<_, _>>()?,
        hs_code: r.get(13)?,
        importer: r.get(14)?,
        origin_country: r.get(15)?,
        seals: r
            .get::<_, String>(16)?
            .split(';')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    })
}
