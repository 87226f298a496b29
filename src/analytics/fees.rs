//! The licence office's fee report: the fees recorded with issues and renewals in a period,
//! per region, with the payments listed (`alluvium report fees`). Money is summed in cents.

use super::Period;
use crate::domain::{Cents, LicenceEvent, LicenceEventKind};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// One fee paid: the event that paid it, with its licence's number and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeePaid {
    pub event: LicenceEvent,
    pub licence_number: String,
    pub region: String,
}

/// Writes cents as the decimal dollars the report shows (`"150.25"`).
fn usd<S: serde::Serializer>(c: &Cents, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&c.to_string())
}

/// The fees of one region (or of all, in the total row). Field names are the report's JSON;
/// do not rename.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FeeRow {
    pub region: String,
    pub issues: u64,
    #[serde(serialize_with = "usd")]
    pub issue_fees_usd: Cents,
    pub renewals: u64,
    #[serde(serialize_with = "usd")]
    pub renewal_fees_usd: Cents,
    #[serde(serialize_with = "usd")]
    pub total_usd: Cents,
}

/// One payment as the report lists it. Field names are the report's JSON; do not rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeeLine {
    pub day: NaiveDate,
    pub region: String,
    pub licence_number: String,
    pub kind: LicenceEventKind,
    #[serde(serialize_with = "usd")]
    pub fee_usd: Cents,
    pub receipt: String,
}

/// The fee report of a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeeReport {
    pub period: String,
    /// One row per region with fees, by region code.
    pub regions: Vec<FeeRow>,
    /// All regions together (one country's office, or whatever the filter kept).
    pub total: FeeRow,
    /// Every payment, by day.
    pub payments: Vec<FeeLine>,
}

impl FeeReport {
    /// The CSV header of the per-region table.
    pub const CSV_HEADER: [&'static str; 7] = [
        "period",
        "region",
        "issues",
        "issue_fees_usd",
        "renewals",
        "renewal_fees_usd",
        "total_usd",
    ];

    /// A row of the per-region table as CSV cells.
    pub fn csv_cells(&self, r: &FeeRow) -> [String; 7] {
        [
            self.period.clone(),
            r.region.clone(),
            r.issues.to_string(),
            r.issue_fees_usd.to_string(),
            r.renewals.to_string(),
            r.renewal_fees_usd.to_string(),
            r.total_usd.to_string(),
        ]
    }
}

fn add(row: &mut FeeRow, kind: LicenceEventKind, fee: Cents) {
    if kind == LicenceEventKind::Issued {
        row.issues += 1;
        row.issue_fees_usd.0 += fee.0;
    } else {
        row.renewals += 1;
        row.renewal_fees_usd.0 += fee.0;
    }
    row.total_usd.0 += fee.0;
}

/// Sums the fees paid in `period` (payments outside it are left out).
pub fn fee_report(period: Period, paid: &[FeePaid]) -> FeeReport {
    let mut regions: BTreeMap<&str, FeeRow> = BTreeMap::new();
    let mut total = FeeRow {
        region: "total".into(),
        ..FeeRow::default()
    };
    let mut payments = Vec::new();
    for p in paid.iter().filter(|p| period.contains(p.event.on)) {
        let Some(fee) = p.event.fee_cents else {
            continue;
        };
        let row = regions.entry(&p.region).or_insert_with(|| FeeRow {
            region: p.region.clone(),
            ..FeeRow::default()
        });
        add(row, p.event.kind, fee);
        add(&mut total, p.event.kind, fee);
        payments.push(FeeLine {
            day: p.event.on,
            region: p.region.clone(),
            licence_number: p.licence_number.clone(),
            kind: p.event.kind,
            fee_usd: fee,
            receipt: p.event.receipt.clone(),
        });
    }
    payments.sort_by(|a, b| (a.day, &a.licence_number).cmp(&(b.day, &b.licence_number)));
    FeeReport {
        period: period.to_string(),
        regions: regions.into_values().collect(),
        total,
        payments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{LicenceEventId, LicenceId};

    fn paid(region: &str, kind: LicenceEventKind, on: &str, cents: i64) -> FeePaid {
        FeePaid {
            event: LicenceEvent {
                id: LicenceEventId::new(),
                licence_id: LicenceId::new(),
                kind,
                on: on.parse().unwrap(),
                until: Some("2030-01-01".parse().unwrap()),
                fee_cents: Some(Cents(cents)),
                receipt: "R".into(),
                reason: String::new(),
            },
            licence_number: format!("{region}/1"),
            region: region.into(),
        }
    }

    #[test]
    fn fees_are_summed_per_region_within_the_period() {
        use LicenceEventKind::*;
        let report = fee_report(
            "2026-H1".parse().unwrap(),
            &[
                paid("SL-KONO", Issued, "2026-01-10", 2_500),
                paid("SL-KONO", Renewed, "2026-06-30", 5_000),
                paid("GH-AKWATIA", Renewed, "2026-03-01", 7_525),
                paid("SL-KONO", Renewed, "2026-07-01", 9_999),
            ],
        );
        assert_eq!(report.regions.len(), 2);
        let kono = &report.regions[1];
        assert_eq!(
            (
                kono.region.as_str(),
                kono.issues,
                kono.renewals,
                kono.total_usd
            ),
            ("SL-KONO", 1, 1, Cents(7_500))
        );
        assert_eq!(report.total.total_usd, Cents(15_025));
        assert_eq!(report.total.renewal_fees_usd, Cents(12_525));
        assert_eq!(report.payments.len(), 3);
        assert_eq!(report.csv_cells(&report.total)[6], "150.25");
    }
}
