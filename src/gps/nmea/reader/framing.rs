//! Framing: cuts candidate sentences out of the raw byte stream. A serial line delivers
//! binary protocols, noise and truncated sentences between the NMEA ones, so this skips what
//! is not a sentence and bounds the memory a line can take before anything is decoded.

use super::NmeaReader;
use crate::gps::GpsError;
use crate::gps::nmea::sentence::MAX_SENTENCE_LEN;
use std::io::{BufRead, ErrorKind, Read};

impl<R: Read> NmeaReader<R> {
    /// Extracts the next `$...` candidate line from the byte stream. Bytes
    /// outside a sentence (binary protocols, noise) are skipped; a `$` inside a
    /// sentence restarts it (the earlier part was truncated).
    pub(super) fn next_line(&mut self) -> Result<Option<Vec<u8>>, GpsError> {
        if self.eof {
            return Ok(None);
        }
        loop {
            let buf = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(GpsError::Io(e)),
            };
            if buf.is_empty() {
                self.eof = true;
                if self.in_sentence && !self.line.is_empty() {
                    self.in_sentence = false;
                    return Ok(Some(std::mem::take(&mut self.line)));
                }
                return Ok(None);
            }
            let mut used = 0;
            let mut done = None;
            for &b in buf {
                used += 1;
                match b {
                    b'$' | b'!' => {
                        self.line.clear();
                        self.line.push(b);
                        self.in_sentence = true;
                    }
                    // Line end (NUL too: some loggers pad with it).
                    b'\r' | b'\n' | 0 if self.in_sentence => {
                        self.in_sentence = false;
                        done = Some(std::mem::take(&mut self.line));
                        break;
                    }
                    _ if self.in_sentence => {
                        if self.line.len() >= MAX_SENTENCE_LEN {
                            // Too long to be NMEA: drop it and wait for the next '$'.
                            self.line.clear();
                            self.in_sentence = false;
                            self.stats.malformed += 1;
                        } else {
                            self.line.push(b);
                        }
                    }
                    _ => {}
                }
            }
            self.input.consume(used);
            if let Some(line) = done {
                return Ok(Some(line));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::events;

    #[test]
    fn overlong_lines_are_dropped() {
        let mut data = b"$GP".to_vec();
        data.extend(std::iter::repeat_n(b'A', 10_000));
        data.extend_from_slice(b"\n");
        assert!(events(&data).is_empty());
    }
}
