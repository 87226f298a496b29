//! The frame of a sentence: the `$`/`!` start, the `*HH` checksum and the printable-ASCII
//! rule. Kept apart from field decoding because it is what stands between line noise and a
//! position in a Kimberley Process record: nothing is decoded until this says the bytes are
//! what the receiver sent.

use super::{MAX_SENTENCE_LEN, SentenceError};

/// Verifies the checksum and splits a sentence into (address, fields).
///
/// `line` is one sentence starting at `$` (or `!`), without the line ending.
/// A missing `*HH` is accepted only if `allow_missing_checksum` is set.
pub(super) fn split_checked(
    line: &[u8],
    allow_missing_checksum: bool,
) -> Result<&[u8], SentenceError> {
    let rest = match line.split_first() {
        Some((b'$' | b'!', rest)) => rest,
        _ => return Err(SentenceError::Malformed),
    };
    if line.len() > MAX_SENTENCE_LEN {
        return Err(SentenceError::Malformed);
    }
    // Trailing whitespace (some loggers add spaces) is not part of the sentence.
    let rest = trim_end(rest);
    let data = match rest.iter().rposition(|&b| b == b'*') {
        Some(star) => {
            let (data, cs) = (&rest[..star], &rest[star + 1..]);
            let want = match cs {
                [h, l] => hex(*h)
                    .zip(hex(*l))
                    .map(|(h, l)| (h << 4) | l)
                    .ok_or(SentenceError::BadChecksum)?,
                _ => return Err(SentenceError::BadChecksum),
            };
            if data.iter().fold(0u8, |acc, b| acc ^ b) != want {
                return Err(SentenceError::BadChecksum);
            }
            data
        }
        None if allow_missing_checksum => rest,
        None => return Err(SentenceError::MissingChecksum),
    };
    // Sentences are printable ASCII; anything else means line noise that
    // happened to pass the (weak, 8-bit) checksum.
    if data.iter().any(|b| !(0x20..0x7f).contains(b)) {
        return Err(SentenceError::Malformed);
    }
    Ok(data)
}

fn trim_end(mut b: &[u8]) -> &[u8] {
    while let Some((last, init)) = b.split_last() {
        if last.is_ascii_whitespace() {
            b = init;
        } else {
            break;
        }
    }
    b
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Sentence, parse_sentence};
    use super::*;

    fn p(s: &str) -> Result<Sentence, SentenceError> {
        parse_sentence(s.as_bytes(), false)
    }

    #[test]
    fn checksum_rules() {
        assert_eq!(
            p("$GPGGA,030719.000,3747.0873,S,17518.8938,E,1,08,1.1,59.9,M,23.7,M,,0000*7E"),
            Err(SentenceError::BadChecksum)
        );
        assert_eq!(
            p("$GPGLL,4808.9993,N,01135.0798,E,000343.03,A,A"),
            Err(SentenceError::MissingChecksum)
        );
        assert!(parse_sentence(b"$GPGLL,4808.9993,N,01135.0798,E,000343.03,A,A", true).is_ok());
        // lower-case hex checksum is accepted
        assert!(p("$GPGLL,4808.9993,N,01135.0798,E,000343.03,A,A*60").is_ok());
        assert_eq!(p("$GP"), Err(SentenceError::MissingChecksum));
        assert_eq!(p("$GPVTG,,T,,M,2C"), Err(SentenceError::MissingChecksum));
        assert!(matches!(
            p("$GPVTG,,T,,M,,N,,K,N*2C"),
            Err(SentenceError::Unsupported(_))
        ));
    }
}
