//! Seal numbers of sealed bags. A bag of a day's stones is sealed at the pit; the production
//! entry records its seal, and every sale slip that moves the bag lists it, so a bag can be
//! followed from the pit to the dealer's office where it is opened.

use super::Invalid;

/// Longest seal number: the numbers printed on tamper-evident bags and seal tags run to a
/// dozen or two characters.
pub const MAX_SEAL_LEN: usize = 40;

/// Checks one seal number: 1 to [`MAX_SEAL_LEN`] letters, digits and `-`, `/`, `.` — no
/// spaces, and no `;`, which separates the seals of a slip in CSV.
pub fn check_seal(e: &mut Invalid, field: &'static str, seal: &str) {
    if seal.is_empty() || seal.chars().count() > MAX_SEAL_LEN {
        e.push(
            field,
            format!("seal {seal:?} must have 1 to {MAX_SEAL_LEN} characters"),
        );
    } else if !seal
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '.'))
    {
        e.push(
            field,
            format!("seal {seal:?} may hold only letters, digits, '-', '/' and '.'"),
        );
    }
}

/// Checks the seals a slip lists: each a valid seal number, none twice, at most `max`.
pub fn check_seals(e: &mut Invalid, field: &'static str, seals: &[String], max: usize) {
    if seals.len() > max {
        e.push(
            field,
            format!("names {} seals, more than {max}", seals.len()),
        );
        return;
    }
    for s in seals {
        check_seal(e, field, s);
    }
    let mut sorted: Vec<&String> = seals.iter().collect();
    sorted.sort();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        e.push(field, "names a seal twice");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(seal: &str) -> usize {
        let mut e = Invalid::default();
        check_seal(&mut e, "seal", seal);
        e.into_result().err().map_or(0, |e| e.0.len())
    }

    #[test]
    fn seal_numbers() {
        for ok in ["KONO-000123", "A1", "GF/2026/0042", "S.12"] {
            assert_eq!(errors(ok), 0, "{ok}");
        }
        for bad in ["", "A B", "A;B", "é1", &"9".repeat(41)] {
            assert_eq!(errors(bad), 1, "{bad:?}");
        }
        let mut e = Invalid::default();
        check_seals(&mut e, "seals", &["A1".into(), "A1".into()], 10);
        assert!(e.into_result().is_err());
    }
}
