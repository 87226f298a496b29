//! Fuzz target: `cargo fuzz run nmea`. The NMEA sentence parser, the epoch
//! reader and the gpsd JSON decoder must never panic, and every fix the reader
//! yields must pass `Fix::validate`.
#![no_main]

use alluvium::gps::gpsd::GpsdDecoder;
use alluvium::gps::nmea::{NmeaEvent, NmeaReader, parse_sentence};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for allow_missing in [false, true] {
        let _ = parse_sentence(data, allow_missing);
        let mut reader = NmeaReader::new(data).allow_missing_checksum(allow_missing);
        // Reading from a slice never returns an I/O error.
        while let Ok(Some(event)) = reader.next_event() {
            if let NmeaEvent::Fix(fix) = event {
                assert!(fix.validate().is_ok(), "invalid fix {fix:?}");
            }
        }
    }
    let _ = GpsdDecoder::new().handle_line(data);
});
