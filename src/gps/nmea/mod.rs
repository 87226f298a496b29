//! NMEA 0183 input: sentence decoding ([`sentence`]) and the epoch assembler
//! ([`reader`]) that turns a byte stream from a file or serial device into
//! [`Fix`](crate::gps::Fix)es.
//!
//! Owned here because NMEA is the lowest common denominator of every GNSS
//! receiver in the field; gpsd is optional, a USB/serial receiver is not.

pub mod reader;
pub mod sentence;

use std::fs::File;
use std::path::Path;

pub use reader::{DatePolicy, NmeaEvent, NmeaReader, NmeaStats, NoFixReason};
pub use sentence::{Sentence, SentenceError, Talker, parse_sentence};

use crate::gps::GpsError;

/// Opens an NMEA log file or an already-configured serial device (e.g.
/// `/dev/ttyUSB0` after `stty -F /dev/ttyUSB0 4800 raw`) and returns a reader
/// that iterates over `Result<Fix, GpsError>`.
pub fn read_nmea_file(path: impl AsRef<Path>) -> Result<NmeaReader<File>, GpsError> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|source| GpsError::Open {
        path: path.display().to_string(),
        source,
    })?;
    Ok(NmeaReader::new(file))
}

/// Decodes every fix in a byte buffer (convenience for tests and fuzzing;
/// never panics, whatever the bytes).
pub fn fixes_from_bytes(data: &[u8]) -> Vec<crate::gps::Fix> {
    // Reading from a slice cannot fail, so the iterator only ends at EOF.
    NmeaReader::new(data).filter_map(Result::ok).collect()
}
