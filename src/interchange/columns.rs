//! Columns of each entity and the mapping between a CSV row and a domain record. Column names
//! are the command-line contract's; extra columns after them carry what the contract leaves
//! out (fix source, corrections, dealer names, the
//! slips a resale or export draws on) so that a round trip loses nothing.

use super::parser::Parser;
use crate::domain::{
    Area, Centicarats, Cents, Digger, Licence, LicenceEvent, LicenceEventKind, Litres, PositionFix,
    ProductionEntry, RecordKind, Sale, Sex, Site, Stone, Supporter,
};
use std::collections::HashMap;

/// The name of a kind in the CSV contract (`diggers`, `stones`, …), its wire name for the
/// kinds the contract does not carry.
pub fn file_name(kind: RecordKind) -> &'static str {
    kind.csv_name().unwrap_or(kind.as_str())
}

/// The header row written for an entity: contract columns first, then extras. Empty for the
/// kinds the CSV contract does not carry.
pub fn header(entity: RecordKind) -> &'static [&'static str] {
    match entity {
        RecordKind::Region
        | RecordKind::Officer
        | RecordKind::Crew
        | RecordKind::Review
        | RecordKind::Photo => &[],
        // A supporter is a registered digger (`digger_id`) or a named person.
        RecordKind::Supporter => &["id", "licence_id", "digger_id", "full_name", "national_id"],
        RecordKind::LicenceEvent => &[
            "id",
            "licence_id",
            "kind",
            "on",
            "until",
            "fee_usd",
            "receipt",
            "reason",
        ],
        RecordKind::Digger => &[
            "id",
            "national_id",
            "full_name",
            "sex",
            "birth_date",
            "village",
            "chiefdom",
            "phone",
            "region",
            "status",
        ],
        RecordKind::Licence => &[
            "id",
            "number",
            "kind",
            "holder_digger_id",
            "region",
            "issued_on",
            "expires_on",
            "status",
            "area_wkt",
            "holder_name",
            "fee_receipt",
            "area_ha",
        ],
        RecordKind::Site => &[
            "id",
            "licence_id",
            "name",
            "kind",
            "status",
            "lat",
            "lon",
            "accuracy_m",
            "opened_on",
        ],
        RecordKind::Production => &[
            "id",
            "site_id",
            "day",
            "officer",
            "lat",
            "lon",
            "accuracy_m",
            "crew_size",
            "digger_ids",
            "gravel_m3",
            "notes",
            "fix_source",
            "fix_time",
            "replaces",
            "seal",
        ],
        RecordKind::Stone => &[
            "id",
            "production_id",
            "carats",
            "class",
            "colour",
            "count",
            "sieve",
        ],
        RecordKind::Sale => &[
            "id",
            "slip_number",
            "day",
            "seller_licence_id",
            "buyer_licence_id",
            "carats",
            "stone_count",
            "price_usd",
            "production_ids",
            "kind",
            "certificate_number",
            "destination_country",
            "source_sale_ids",
            "hs_code",
            "importer",
            "origin_country",
            "seals",
        ],
    }
}

/// Columns that may be absent from an imported file (extras, and optional contract columns).
fn optional(entity: RecordKind, col: &str) -> bool {
    matches!(
        (entity, col),
        (_, "id")
            | (
                RecordKind::Licence,
                "holder_name" | "fee_receipt" | "area_ha"
            )
            | (
                RecordKind::Production,
                "fix_source" | "fix_time" | "replaces" | "notes" | "seal"
            )
            | (RecordKind::Stone, "count" | "sieve")
            | (
                RecordKind::Sale,
                "certificate_number"
                    | "destination_country"
                    | "source_sale_ids"
                    | "hs_code"
                    | "importer"
                    | "origin_country"
                    | "seals"
            )
            | (
                RecordKind::LicenceEvent,
                "until" | "fee_usd" | "receipt" | "reason"
            )
            | (
                RecordKind::Supporter,
                "digger_id" | "full_name" | "national_id"
            )
    )
}

/// The kinds the CSV contract carries, for messages.
const CSV_KINDS: &str =
    "diggers, licences, licence_events, supporters, sites, production, stones, sales";

/// A record of any importable entity.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Digger(Digger),
    Licence(Licence),
    LicenceEvent(LicenceEvent),
    Supporter(Supporter),
    Site(Site),
    Production(ProductionEntry),
    Stone(Stone),
    Sale(Sale),
}

impl Record {
    /// The row written for this record, in [`header`] order.
    pub fn to_row(&self) -> Vec<String> {
        let s = |x: &dyn ToString| x.to_string();
        let opt = |x: Option<String>| x.unwrap_or_default();
        let coord = |x: f64| format!("{x:.6}");
        match self {
            Record::Digger(d) => vec![
                s(&d.id),
                d.national_id.clone(),
                d.full_name.clone(),
                s(&d.sex),
                s(&d.birth_date),
                d.village.clone(),
                d.chiefdom.clone(),
                d.phone.clone(),
                d.region.clone(),
                s(&d.status),
            ],
            Record::Licence(l) => vec![
                s(&l.id),
                l.number.clone(),
                s(&l.kind),
                opt(l.holder_digger_id.map(|h| h.to_string())),
                l.region.clone(),
                s(&l.issued_on),
                s(&l.expires_on),
                s(&l.status),
                opt(l.area.as_ref().map(|a| a.to_string())),
                l.holder_name.clone(),
                l.fee_receipt.clone(),
                opt(l.area.as_ref().map(|a| format!("{:.4}", a.hectares()))),
            ],
            Record::LicenceEvent(e) => vec![
                s(&e.id),
                s(&e.licence_id),
                s(&e.kind),
                s(&e.on),
                opt(e.until.map(|d| d.to_string())),
                opt(e.fee_cents.map(|c| c.to_string())),
                e.receipt.clone(),
                e.reason.clone(),
            ],
            Record::Supporter(x) => vec![
                s(&x.id),
                s(&x.licence_id),
                opt(x.digger_id.map(|d| d.to_string())),
                x.full_name.clone(),
                x.national_id.clone(),
            ],
            Record::Site(t) => vec![
                s(&t.id),
                s(&t.licence_id),
                t.name.clone(),
                s(&t.kind),
                s(&t.status),
                coord(t.position.lat),
                coord(t.position.lon),
                format!("{:.1}", t.position.accuracy_m),
                s(&t.opened_on),
            ],
            Record::Production(p) => {
                let f = p.fix.as_ref();
                vec![
                    s(&p.id),
                    s(&p.site_id),
                    s(&p.day),
                    p.officer.clone(),
                    opt(f.map(|f| coord(f.lat))),
                    opt(f.map(|f| coord(f.lon))),
                    opt(f.map(|f| format!("{:.1}", f.accuracy_m))),
                    s(&p.crew_size),
                    p.digger_ids
                        .iter()
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join(";"),
                    p.gravel.to_m3_string(),
                    p.notes.clone(),
                    opt(f.map(|f| f.source.to_string())),
                    opt(f
                        .and_then(|f| f.time)
                        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))),
                    opt(p.replaces.map(|r| r.to_string())),
                    p.seal.clone(),
                ]
            }
            Record::Stone(st) => {
                vec![
                    s(&st.id),
                    s(&st.production_id),
                    s(&st.weight),
                    s(&st.class),
                    st.colour.clone(),
                    s(&st.count),
                    opt(st.sieve.map(|v| v.to_string())),
                ]
            }
            Record::Sale(sa) => vec![
                s(&sa.id),
                sa.slip_number.clone(),
                s(&sa.day),
                s(&sa.seller_licence_id),
                opt(sa.buyer_licence_id.map(|b| b.to_string())),
                s(&sa.weight),
                s(&sa.stone_count),
                s(&sa.price),
                sa.production_ids
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(";"),
                s(&sa.kind),
                sa.certificate_number.clone(),
                sa.destination_country.clone(),
                sa.source_sale_ids
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(";"),
                sa.hs_code.clone(),
                sa.importer.clone(),
                sa.origin_country.clone(),
                sa.seals.join(";"),
            ],
        }
    }

    /// Reads one row; the error lists every bad field of the row.
    pub fn from_row(entity: RecordKind, row: &Row<'_>) -> Result<Record, String> {
        let mut p = Parser {
            row,
            errors: Vec::new(),
        };
        let rec = match entity {
            RecordKind::Region
            | RecordKind::Officer
            | RecordKind::Crew
            | RecordKind::Review
            | RecordKind::Photo => {
                return Err(format!(
                    "{entity} records are not imported from CSV (the contract carries {})",
                    CSV_KINDS
                ));
            }
            RecordKind::Digger => Record::Digger(Digger {
                id: p.id("id"),
                national_id: p.text("national_id"),
                full_name: p.text("full_name"),
                sex: p.parse_with("sex", Sex::from_register),
                birth_date: p.date("birth_date"),
                village: p.text("village"),
                chiefdom: p.text("chiefdom"),
                phone: p.text("phone"),
                region: p.text("region"),
                status: p.parse("status"),
            }),
            RecordKind::Licence => Record::Licence(Licence {
                id: p.id("id"),
                number: p.text("number"),
                kind: p.parse("kind"),
                holder_digger_id: p.opt("holder_digger_id"),
                holder_name: p.text("holder_name"),
                region: p.text("region"),
                issued_on: p.date("issued_on"),
                expires_on: p.date("expires_on"),
                status: p.parse("status"),
                area: p.opt::<Area>("area_wkt"),
                fee_receipt: p.text("fee_receipt"),
            }),
            RecordKind::LicenceEvent => {
                let mut e = LicenceEvent {
                    id: p.id("id"),
                    licence_id: p.parse("licence_id"),
                    kind: p.parse("kind"),
                    on: p.date("on"),
                    until: p.opt_date("until"),
                    fee_cents: p.opt::<Cents>("fee_usd"),
                    receipt: p.text("receipt"),
                    reason: p.text("reason"),
                };
                // An issue made here carries its licence's id (see `LicenceEvent::issue_id`).
                if e.kind == LicenceEventKind::Issued && row.get("id").is_empty() {
                    e.id = LicenceEvent::issue_id(e.licence_id);
                }
                Record::LicenceEvent(e)
            }
            RecordKind::Supporter => Record::Supporter(Supporter {
                id: p.id("id"),
                licence_id: p.parse("licence_id"),
                digger_id: p.opt("digger_id"),
                full_name: p.text("full_name"),
                national_id: p.text("national_id"),
            }),
            RecordKind::Site => Record::Site(Site {
                id: p.id("id"),
                licence_id: p.parse("licence_id"),
                name: p.text("name"),
                kind: p.parse("kind"),
                status: p.parse("status"),
                position: crate::domain::Position {
                    lat: p.number("lat"),
                    lon: p.number("lon"),
                    accuracy_m: p.number("accuracy_m"),
                },
                opened_on: p.date("opened_on"),
            }),
            RecordKind::Production => {
                let has_fix = !row.get("lat").is_empty() || !row.get("lon").is_empty();
                let fix = has_fix.then(|| PositionFix {
                    lat: p.number("lat"),
                    lon: p.number("lon"),
                    accuracy_m: if row.get("accuracy_m").is_empty() {
                        0.0
                    } else {
                        p.number("accuracy_m")
                    },
                    source: p
                        .opt("fix_source")
                        .unwrap_or(crate::domain::FixSource::Manual),
                    time: p.time("fix_time"),
                });
                Record::Production(ProductionEntry {
                    id: p.id("id"),
                    site_id: p.parse("site_id"),
                    day: p.date("day"),
                    officer: p.text("officer"),
                    fix,
                    crew_size: p.parse_with("crew_size", |s| {
                        s.parse::<u32>()
                            .map_err(|_| format!("{s:?} is not a whole number"))
                    }),
                    digger_ids: p.list("digger_ids"),
                    gravel: p.parse_with("gravel_m3", Litres::from_m3),
                    notes: p.text("notes"),
                    replaces: p.opt("replaces"),
                    seal: p.text("seal"),
                })
            }
            RecordKind::Stone => Record::Stone(Stone {
                id: p.id("id"),
                production_id: p.parse("production_id"),
                weight: p.parse::<Centicarats>("carats"),
                class: p.parse("class"),
                colour: p.text("colour"),
                // A file from before lots carries no count: each row is one stone.
                count: if row.get("count").is_empty() {
                    1
                } else {
                    p.parse_with("count", |s| {
                        s.parse::<u32>()
                            .map_err(|_| format!("{s:?} is not a whole number of stones"))
                    })
                },
                sieve: p.opt("sieve"),
            }),
            RecordKind::Sale => Record::Sale(Sale {
                id: p.id("id"),
                slip_number: p.text("slip_number"),
                day: p.date("day"),
                seller_licence_id: p.parse("seller_licence_id"),
                buyer_licence_id: p.opt("buyer_licence_id"),
                weight: p.parse::<Centicarats>("carats"),
                stone_count: p.parse_with("stone_count", |s| {
                    s.parse::<u32>()
                        .map_err(|_| format!("{s:?} is not a whole number"))
                }),
                price: p.parse::<Cents>("price_usd"),
                production_ids: p.list("production_ids"),
                kind: p.parse("kind"),
                certificate_number: p.text("certificate_number"),
                destination_country: p.text("destination_country"),
                source_sale_ids: p.list("source_sale_ids"),
                hs_code: p.text("hs_code"),
                importer: p.text("importer"),
                origin_country: p.text("origin_country"),
                seals: row
                    .get("seals")
                    .split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            }),
        };
        if p.errors.is_empty() {
            Ok(rec)
        } else {
            Err(p.errors.join("; "))
        }
    }

    /// The record's id as text.
    pub fn id(&self) -> String {
        match self {
            Record::Digger(x) => x.id.to_string(),
            Record::Licence(x) => x.id.to_string(),
            Record::LicenceEvent(x) => x.id.to_string(),
            Record::Supporter(x) => x.id.to_string(),
            Record::Site(x) => x.id.to_string(),
            Record::Production(x) => x.id.to_string(),
            Record::Stone(x) => x.id.to_string(),
            Record::Sale(x) => x.id.to_string(),
        }
    }
}

/// One CSV row with its header, looked up by column name.
pub struct Row<'a> {
    pub(super) index: &'a HashMap<String, usize>,
    pub(super) fields: &'a csv::StringRecord,
}

impl Row<'_> {
    /// The trimmed field of a column; empty when the column is absent.
    pub fn get(&self, col: &str) -> &str {
        self.index
            .get(col)
            .and_then(|&i| self.fields.get(i))
            .map(str::trim)
            .unwrap_or("")
    }
}

/// The columns a file for `entity` must have.
pub(super) fn required_columns(entity: RecordKind) -> impl Iterator<Item = &'static str> {
    header(entity)
        .iter()
        .copied()
        .filter(move |c| !optional(entity, c))
}
