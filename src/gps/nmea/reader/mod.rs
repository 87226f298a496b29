//! Turns an NMEA byte stream into one event per receiver epoch.
//!
//! A receiver reports each measurement epoch (usually 1 Hz) as a burst of
//! sentences that share a UTC time of day: GGA (position, quality, sats, HDOP,
//! altitude), RMC (position, status, *date*), GSA/GSV (satellites), GLL, GNS,
//! ZDA. No single sentence has everything, so the assembler collects a burst
//! and emits one [`NmeaEvent`] when
//!
//! * it has seen both a GGA/GNS *and* an RMC for the epoch (the complete case;
//!   emitting right away avoids a one-second lag on live devices), or
//! * a sentence with a different time of day arrives (receivers that do not
//!   send both), or
//! * the stream ends.
//!
//! Position priority inside an epoch is GGA > GNS > RMC > GLL, which is also
//! what gpsd reports for these logs. Any sentence in the epoch that says "no
//! fix" (GGA quality 0/6/7/8 or 0 satellites used, RMC or GLL status `V` or
//! mode `N`/`E`/`M`/`S`, GNS mode all `N`) makes the whole epoch a [`NmeaEvent::NoFix`]: for
//! Kimberley Process records we would rather lose a fix than keep a doubtful one.
//!
//! Dates: NMEA GGA/GLL/GNS carry only a time of day. The date comes from RMC or
//! ZDA; once seen it is carried forward (rolled over at midnight). Until a date
//! has been seen, positions are reported as `NoFix { reason: NoDate }` by
//! default ([`DatePolicy::RequireDate`]): a fix with a guessed date could pass
//! the age gate while being years old (replayed logs, receivers with GPS week
//! rollover bugs). [`DatePolicy::AssumeSystemDate`] instead combines the time of
//! day with the system clock's date nearest to now, for receivers configured to
//! send GGA only.
//!
//! - `framing`: cuts candidate sentences out of the byte stream.
//! - `epoch`: gathers an epoch's sentences and builds its event.
//!
//! This module holds the reader, its options and counters, and the events it yields.

mod epoch;
mod framing;

use std::io::{BufReader, Read};

use chrono::{NaiveDate, NaiveTime};

use super::sentence::MAX_SENTENCE_LEN;
use crate::gps::{Fix, GpsError, PositionSource, Source};
use epoch::Epoch;

/// What to do with positions when no date has been seen yet (see module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DatePolicy {
    /// Report `NoFix { reason: NoDate }` until RMC or ZDA supplied a date.
    #[default]
    RequireDate,
    /// Use the system clock's UTC date closest to the receiver's time of day.
    AssumeSystemDate,
}

/// Why an epoch produced no fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoFixReason {
    /// The receiver itself said it has no valid fix.
    Void,
    /// The epoch had no usable position fields.
    NoPosition,
    /// Position present but no date known yet (with [`DatePolicy::RequireDate`]).
    NoDate,
}

/// One receiver epoch.
#[derive(Debug, Clone, PartialEq)]
pub enum NmeaEvent {
    /// A valid, dated fix.
    Fix(Fix),
    /// The receiver reported an epoch but it yields no usable fix.
    NoFix {
        /// UTC time of day of the epoch, when known.
        time_of_day: Option<NaiveTime>,
        /// Why.
        reason: NoFixReason,
    },
}

/// Counters for diagnostics ("why do I get no fixes from this cable?").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NmeaStats {
    /// Sentences decoded and used.
    pub sentences: u64,
    /// Sentences dropped because the checksum did not match.
    pub bad_checksum: u64,
    /// Sentences dropped for lacking a checksum.
    pub missing_checksum: u64,
    /// Well-formed sentences of a type/talker we do not use (VTG, `$P...`).
    pub unsupported: u64,
    /// Lines that were not NMEA or had garbled mandatory fields.
    pub malformed: u64,
    /// Epochs that produced a fix.
    pub fixes: u64,
    /// Epochs that produced no fix.
    pub no_fixes: u64,
}

/// Reads NMEA from any byte stream and yields one [`NmeaEvent`] per epoch.
///
/// Works on files, serial devices opened as files (configure baud rate etc.
/// beforehand, e.g. with `stty`), TCP streams or in-memory buffers. Non-UTF-8
/// and binary bytes are skipped; lines longer than [`MAX_SENTENCE_LEN`] are
/// discarded without buffering them.
pub struct NmeaReader<R> {
    input: BufReader<R>,
    line: Vec<u8>,
    in_sentence: bool,
    eof: bool,
    epoch: Epoch,
    /// Last date seen and the time of day it applied to (for midnight rollover).
    last_date: Option<(NaiveDate, NaiveTime)>,
    /// Last HDOP/sats from a GSA, used when GGA/GNS lack them.
    gsa_hdop: Option<f64>,
    gsa_sats: Option<u32>,
    date_policy: DatePolicy,
    allow_missing_checksum: bool,
    stats: NmeaStats,
    pending: Option<NmeaEvent>,
}

impl<R: Read> NmeaReader<R> {
    /// Wraps a byte stream with the default policies (date required,
    /// checksum required).
    pub fn new(input: R) -> Self {
        Self {
            input: BufReader::new(input),
            line: Vec::with_capacity(MAX_SENTENCE_LEN),
            in_sentence: false,
            eof: false,
            epoch: Epoch::default(),
            last_date: None,
            gsa_hdop: None,
            gsa_sats: None,
            date_policy: DatePolicy::default(),
            allow_missing_checksum: false,
            stats: NmeaStats::default(),
            pending: None,
        }
    }

    /// Sets what happens before a date is known (see [`DatePolicy`]).
    pub fn with_date_policy(mut self, policy: DatePolicy) -> Self {
        self.date_policy = policy;
        self
    }

    /// Accepts sentences without `*HH` checksum (off by default: missing
    /// checksums are nearly always truncated lines; only enable for old
    /// NMEA 1.x devices that never send one).
    pub fn allow_missing_checksum(mut self, allow: bool) -> Self {
        self.allow_missing_checksum = allow;
        self
    }

    /// Diagnostic counters so far.
    pub fn stats(&self) -> NmeaStats {
        self.stats
    }

    /// Next epoch event; `Ok(None)` at end of stream.
    pub fn next_event(&mut self) -> Result<Option<NmeaEvent>, GpsError> {
        loop {
            if let Some(ev) = self.pending.take() {
                self.count(&ev);
                return Ok(Some(ev));
            }
            match self.next_line()? {
                Some(line) => self.handle_line(&line),
                None => {
                    // Flush the last epoch once, then report end of stream.
                    let ev = self.finish_epoch();
                    self.epoch = Epoch::default();
                    match ev {
                        Some(ev) => {
                            self.count(&ev);
                            return Ok(Some(ev));
                        }
                        None => return Ok(None),
                    }
                }
            }
        }
    }

    fn count(&mut self, ev: &NmeaEvent) {
        match ev {
            NmeaEvent::Fix(_) => self.stats.fixes += 1,
            NmeaEvent::NoFix { .. } => self.stats.no_fixes += 1,
        }
    }

    /// Next fix, skipping no-fix epochs; `Ok(None)` at end of stream.
    pub fn next_fix(&mut self) -> Result<Option<Fix>, GpsError> {
        while let Some(ev) = self.next_event()? {
            if let NmeaEvent::Fix(f) = ev {
                return Ok(Some(f));
            }
        }
        Ok(None)
    }
}

impl<R: Read> PositionSource for NmeaReader<R> {
    fn next_fix(&mut self) -> Result<Option<Fix>, GpsError> {
        NmeaReader::next_fix(self)
    }

    fn kind(&self) -> Source {
        Source::Nmea
    }
}

/// Iterates over fixes; an I/O error is yielded once and ends the iteration.
impl<R: Read> Iterator for NmeaReader<R> {
    type Item = Result<Fix, GpsError>;

    fn next(&mut self) -> Option<Self::Item> {
        match NmeaReader::next_fix(self) {
            Ok(Some(f)) => Some(Ok(f)),
            Ok(None) => None,
            Err(e) => {
                self.eof = true;
                Some(Err(e))
            }
        }
    }
}

/// Every event the reader makes of `data`; the unit tests of the reader's parts share it.
#[cfg(test)]
fn events(data: &[u8]) -> Vec<NmeaEvent> {
    let mut r = NmeaReader::new(data);
    let mut v = Vec::new();
    while let Some(e) = r.next_event().unwrap() {
        v.push(e);
    }
    v
}
