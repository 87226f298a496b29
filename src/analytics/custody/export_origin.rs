//! Origin check of an export (`footprint_mismatch` on the slip): the export's traced production
//! gives its expected footprint, the mix of its regions' reference footprints weighted by the
//! traced carats of each region. What the exporter declares of the parcel's stones is on the
//! slip: the stone count and the carats, hence the mean weight per stone (DOMAIN.md §5: stones
//! per carat). Under the expected mix, the mean of n stones has the mixture's mean and its
//! variance over n; the slip is flagged when its mean weight lies below that by more than the
//! normal quantile of `parcel_false_alarm` — more stones per carat than its origin explains,
//! the mark of small foreign goods mixed in (the Ghana / Côte d'Ivoire case). The test is
//! one-sided on purpose: weights are right-skewed (one 50 ct stone moves a mean a long way up),
//! so the normal approximation is conservative below and would raise false alarms above. Slips
//! of fewer than `parcel_min_stones` stones, and slips tracing to a region without a reference,
//! are not judged. A parcel's individual stone weights, when the valuer's list is at hand, are
//! compared with `alluvium footprint compare --region R --stones FILE` as before.

use super::chain::{Chain, Origin};
use crate::analytics::{Arg, CheckConfig, CheckData, Flag, FlagKind, ReferenceFootprint, Severity};
use crate::domain::SaleKind;
use crate::note;
use serde_json::json;
use std::collections::BTreeMap;

/// The inverse of the standard normal distribution function (Acklam's rational approximation,
/// relative error below 1.2e-9), for the one-sided threshold of the export check.
#[allow(clippy::excessive_precision)] // the published coefficients, as published
fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383577518672690e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549671010229768,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let low = 0.02425;
    if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}

/// The mean and variance of one stone's weight (carats) under the mix of `origin`'s regions,
/// or `None` when a region has no reference.
pub fn expected_stone_weight(
    origin: &Origin,
    references: &BTreeMap<String, ReferenceFootprint>,
) -> Option<(f64, f64)> {
    // Each region's share of the stones follows from its share of the carats and its mean
    // stone weight: stones_r ∝ carats_r / mean_r.
    let mut parts = Vec::new();
    for (region, cc) in &origin.regions {
        let r = references.get(region)?;
        let n = r.sorted_weights.len() as f64;
        // The mean from the exact weights (the sorted ones read smalls at the finest sieve);
        // the second moment hardly feels that.
        let mean = r.footprint.mean_ct_per_stone;
        let second = r
            .sorted_weights
            .iter()
            .map(|&w| (w as f64 / 100.0).powi(2))
            .sum::<f64>()
            / n;
        parts.push((cc.carats_f64() / mean, mean, second));
    }
    let total: f64 = parts.iter().map(|p| p.0).sum();
    if parts.is_empty() || total <= 0.0 {
        return None;
    }
    let mean: f64 = parts.iter().map(|p| p.0 / total * p.1).sum();
    let second: f64 = parts.iter().map(|p| p.0 / total * p.2).sum();
    Some((mean, (second - mean * mean).max(0.0)))
}

/// `footprint_mismatch` on export slips (rule in the module documentation).
pub(in crate::analytics) fn export_footprints(
    data: &CheckData,
    config: &CheckConfig,
    references: &BTreeMap<String, ReferenceFootprint>,
    flags: &mut Vec<Flag>,
) {
    if !data.sales.iter().any(|s| s.kind == SaleKind::Export) {
        return;
    }
    let chain = Chain::new(data);
    let z_limit = normal_quantile(config.parcel_false_alarm.clamp(1e-9, 0.5));
    for x in data.sales.iter().filter(|s| s.kind == SaleKind::Export) {
        let n = x.stone_count as usize;
        if n < config.parcel_min_stones.max(2) {
            continue;
        }
        let origin = chain.origin(x);
        let Some((mean, var)) = expected_stone_weight(&origin, references) else {
            continue;
        };
        let declared = x.weight.carats_f64() / n as f64;
        let z = (declared - mean) / (var / n as f64).sqrt().max(1e-12);
        if z < z_limit {
            let note = note!(
                "export {} declares {} stones of {} ct on average; its traced origin ({}) gives {} ct (z {} < {})",
                &x.slip_number,
                n,
                Arg::Dec(declared, 3),
                origin.region_list().join(", "),
                Arg::Dec(mean, 3),
                Arg::Dec(z, 2),
                Arg::Dec(z_limit, 2)
            );
            flags.push(Flag::new(
                FlagKind::FootprintMismatch,
                x.id.0,
                Severity::Warning,
                json!({
                    "message": note.english(),
                    "entity": "sales",
                    "slip_number": x.slip_number,
                    "day": x.day,
                    "stones": n,
                    "carats": x.weight.to_string(),
                    "declared_mean_ct": declared,
                    "expected_mean_ct": mean,
                    "z": z,
                    "threshold_z": z_limit,
                    "origin_regions": origin.regions.iter().map(|(r, c)| (r.clone(), c.to_string())).collect::<BTreeMap<_, _>>(),
                    "traced_production_entries": origin.production_ids.len(),
                }),
            ).with_note(note));
        }
    }
}
