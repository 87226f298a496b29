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

use std::io::{BufRead, BufReader, ErrorKind, Read};

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};

use super::sentence::{Body, Gga, Gns, MAX_SENTENCE_LEN, Rmc, SentenceError, parse_sentence};
use crate::gps::{Fix, FixQuality, GpsError, PositionSource, Source, UERE_M, UNKNOWN_ACCURACY_M};

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

/// Data collected for the epoch currently being assembled.
#[derive(Debug, Default)]
struct Epoch {
    time: Option<NaiveTime>,
    gga: Option<Gga>,
    gns: Option<Gns>,
    rmc: Option<Rmc>,
    gll_position: Option<(f64, f64)>,
    date: Option<NaiveDate>,
    void: bool,
    /// Sentences with a position/status were seen (else there is nothing to report).
    has_data: bool,
    /// Already reported (later same-time sentences are ignored).
    emitted: bool,
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

    /// Extracts the next `$...` candidate line from the byte stream. Bytes
    /// outside a sentence (binary protocols, noise) are skipped; a `$` inside a
    /// sentence restarts it (the earlier part was truncated).
    fn next_line(&mut self) -> Result<Option<Vec<u8>>, GpsError> {
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

    fn handle_line(&mut self, line: &[u8]) {
        let sentence = match parse_sentence(line, self.allow_missing_checksum) {
            Ok(s) => s,
            Err(e) => {
                match e {
                    SentenceError::BadChecksum => self.stats.bad_checksum += 1,
                    SentenceError::MissingChecksum => self.stats.missing_checksum += 1,
                    SentenceError::Unsupported(_) => self.stats.unsupported += 1,
                    SentenceError::Malformed | SentenceError::BadField(_) => {
                        self.stats.malformed += 1
                    }
                }
                return;
            }
        };
        self.stats.sentences += 1;
        let time = match &sentence.body {
            Body::Gga(s) => s.time,
            Body::Rmc(s) => s.time,
            Body::Gns(s) => s.time,
            Body::Gll(s) => s.time,
            Body::Zda(s) => s.time,
            Body::Gsa(_) | Body::Gsv(_) => None,
        };
        if let Some(t) = time {
            if self.epoch.time.is_some_and(|cur| cur != t) {
                // New epoch: report the previous one if it was not yet reported.
                self.pending = self.finish_epoch();
                self.epoch = Epoch::default();
            }
            self.epoch.time = Some(t);
        } else if matches!(
            sentence.body,
            Body::Gga(_) | Body::Rmc(_) | Body::Gns(_) | Body::Gll(_)
        ) {
            // A position sentence without a usable time cannot be assigned
            // to an epoch or dated: ignore it.
            self.stats.malformed += 1;
            return;
        }
        if self.epoch.emitted {
            // Trailing GSA/GSV/GLL/ZDA of an epoch already reported: keep the
            // satellite/DOP info for the next epoch, ignore the rest.
            if let Body::Gsa(g) = &sentence.body {
                self.note_gsa(g.fix_type, g.hdop, g.sats_used);
            }
            if let Body::Zda(z) = &sentence.body
                && let (Some(d), Some(t)) = (z.date, z.time)
            {
                self.last_date = Some((d, t));
            }
            return;
        }
        let ep = &mut self.epoch;
        match sentence.body {
            Body::Gga(g) => {
                ep.has_data = true;
                // "Fix" computed from zero satellites: seen on SiRF/Garmin in
                // the first epoch after acquiring lock; gpsd does not report a
                // position for it either.
                if FixQuality::from_gga(g.quality).is_none() || g.sats == Some(0) {
                    ep.void = true;
                }
                ep.gga = Some(g);
            }
            Body::Gns(g) => {
                ep.has_data = true;
                if g.mode.is_empty() || g.mode.iter().all(|&m| m == b'N') || g.sats == Some(0) {
                    ep.void = true;
                }
                ep.gns = Some(g);
            }
            Body::Rmc(r) => {
                ep.has_data = true;
                if !r.valid || mode_is_void(r.mode) {
                    ep.void = true;
                }
                if r.date.is_some() {
                    ep.date = r.date;
                }
                ep.rmc = Some(r);
            }
            Body::Gll(g) => {
                ep.has_data = true;
                if !g.valid || mode_is_void(g.mode) {
                    ep.void = true;
                }
                ep.gll_position = g.position;
            }
            Body::Zda(z) => {
                if z.date.is_some() && ep.date.is_none() {
                    ep.date = z.date;
                }
            }
            Body::Gsa(g) => self.note_gsa(g.fix_type, g.hdop, g.sats_used),
            Body::Gsv(_) => {}
        }
        let ep = &self.epoch;
        let complete = ep.rmc.is_some() && (ep.gga.is_some() || ep.gns.is_some());
        if complete && self.pending.is_none() {
            self.pending = self.finish_epoch();
        }
    }

    fn note_gsa(&mut self, fix_type: u8, hdop: Option<f64>, sats: u32) {
        if fix_type >= 2 {
            self.gsa_hdop = hdop;
            self.gsa_sats = Some(sats);
        } else {
            self.gsa_hdop = None;
            self.gsa_sats = None;
        }
    }

    /// Builds the event for the current epoch (at most once per epoch).
    fn finish_epoch(&mut self) -> Option<NmeaEvent> {
        if self.epoch.emitted || !self.epoch.has_data {
            return None;
        }
        self.epoch.emitted = true;
        let tod = self.epoch.time;
        // Remember the date even for void epochs: it is still the receiver's date.
        if let (Some(d), Some(t)) = (self.epoch.date, tod) {
            self.last_date = Some((d, t));
        }
        let no_fix = |reason| {
            Some(NmeaEvent::NoFix {
                time_of_day: tod,
                reason,
            })
        };
        let ep = &self.epoch;
        if ep.void {
            return no_fix(NoFixReason::Void);
        }
        let (position, quality, sats, hdop, altitude_m) = if let Some(g) = &ep.gga
            && g.position.is_some()
        {
            (
                g.position,
                FixQuality::from_gga(g.quality),
                g.sats,
                g.hdop,
                g.altitude_m,
            )
        } else if let Some(g) = &ep.gns
            && g.position.is_some()
        {
            (g.position, None, g.sats, g.hdop, g.altitude_m)
        } else if let Some(r) = &ep.rmc
            && r.position.is_some()
        {
            (r.position, None, None, None, None)
        } else {
            (ep.gll_position, None, None, None, None)
        };
        let Some((lat, lon)) = position else {
            return no_fix(NoFixReason::NoPosition);
        };
        let Some(tod) = tod else {
            return no_fix(NoFixReason::NoPosition);
        };
        let hdop = hdop.or(self.gsa_hdop);
        let sats = sats.or(self.gsa_sats);
        let Some(time) = self.date_for(tod) else {
            return no_fix(NoFixReason::NoDate);
        };
        let accuracy_m = hdop.map_or(UNKNOWN_ACCURACY_M, |h| h * UERE_M);
        Some(NmeaEvent::Fix(Fix {
            lat,
            lon,
            altitude_m,
            accuracy_m,
            sats,
            time,
            source: Source::Nmea,
            hdop,
            quality,
        }))
    }

    /// Full UTC timestamp for a time of day, per the date policy.
    fn date_for(&self, tod: NaiveTime) -> Option<DateTime<Utc>> {
        if let Some(d) = self.epoch.date {
            return Some(NaiveDateTime::new(d, tod).and_utc());
        }
        if let Some((d, last_tod)) = self.last_date {
            // Carried-forward date: a time of day far earlier than the one the
            // date belonged to means we crossed midnight.
            let d = if last_tod - tod > TimeDelta::hours(12) {
                d.checked_add_days(Days::new(1))?
            } else {
                d
            };
            return Some(NaiveDateTime::new(d, tod).and_utc());
        }
        match self.date_policy {
            DatePolicy::RequireDate => None,
            DatePolicy::AssumeSystemDate => {
                let now = Utc::now();
                let today = now.date_naive();
                // Pick yesterday/today/tomorrow, whichever is nearest to now.
                [today.pred_opt(), Some(today), today.succ_opt()]
                    .into_iter()
                    .flatten()
                    .map(|d| NaiveDateTime::new(d, tod).and_utc())
                    .min_by_key(|t| (*t - now).num_milliseconds().unsigned_abs())
            }
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

/// NMEA 2.3 mode indicators that do not denote a measured fix:
/// N = not valid, E = estimated (dead reckoning), M = manual, S = simulator.
fn mode_is_void(mode: Option<u8>) -> bool {
    matches!(mode, Some(b'N' | b'E' | b'M' | b'S'))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn events(data: &[u8]) -> Vec<NmeaEvent> {
        let mut r = NmeaReader::new(data);
        let mut v = Vec::new();
        while let Some(e) = r.next_event().unwrap() {
            v.push(e);
        }
        v
    }

    #[test]
    fn gga_then_rmc_makes_one_fix() {
        let data =
            b"$GPGGA,030719.000,3747.0873,S,17518.8938,E,1,08,1.1,59.9,M,23.7,M,,0000*7D\r\n\
$GPGSA,A,3,17,28,06,01,30,20,26,13,,,,,1.8,1.1,1.5*33\r\n\
$GPRMC,030719.000,A,3747.0873,S,17518.8938,E,0.69,181.39,311214,,,A*7D\r\n";
        let ev = events(data);
        assert_eq!(ev.len(), 1);
        let NmeaEvent::Fix(f) = &ev[0] else { panic!() };
        assert_eq!(f.time.to_rfc3339(), "2014-12-31T03:07:19+00:00");
        assert_eq!(f.sats, Some(8));
        assert!((f.accuracy_m - 5.5).abs() < 1e-9);
        assert_eq!(f.quality, Some(FixQuality::Autonomous));
    }

    #[test]
    fn gga_without_date_needs_policy() {
        let data =
            b"\x00\xff$GPGGA,030719.000,3747.0873,S,17518.8938,E,1,08,1.1,59.9,M,23.7,M,,0000*7D\n";
        assert!(matches!(
            events(data)[..],
            [NmeaEvent::NoFix {
                reason: NoFixReason::NoDate,
                ..
            }]
        ));
        let mut r = NmeaReader::new(&data[..]).with_date_policy(DatePolicy::AssumeSystemDate);
        let f = r.next_fix().unwrap().unwrap();
        assert!((f.time - Utc::now()).num_hours().abs() <= 12);
    }

    #[test]
    fn void_rmc_is_no_fix() {
        let data = b"$GPRMC,143255.28,V,,S,,W,,,141102,,*12\r\n";
        assert!(matches!(
            events(data)[..],
            [NmeaEvent::NoFix {
                reason: NoFixReason::Void,
                ..
            }]
        ));
    }

    #[test]
    fn date_carries_over_midnight() {
        let mut data = Vec::new();
        for body in [
            "GPRMC,235959.00,A,4808.9993,N,01135.0798,E,000.1,000.0,070419,003.0,E,A",
            "GPGGA,000001.00,4808.9993,N,01135.0798,E,1,04,01.4,00459.9,M,0046.2,M,,",
        ] {
            let cs = body.bytes().fold(0u8, |a, b| a ^ b);
            data.extend_from_slice(format!("${body}*{cs:02X}\r\n").as_bytes());
        }
        let ev = events(&data);
        let times: Vec<String> = ev
            .iter()
            .filter_map(|e| match e {
                NmeaEvent::Fix(f) => Some(f.time.to_rfc3339()),
                _ => None,
            })
            .collect();
        assert_eq!(
            times,
            ["2019-04-07T23:59:59+00:00", "2019-04-08T00:00:01+00:00"]
        );
    }

    #[test]
    fn overlong_lines_are_dropped() {
        let mut data = b"$GP".to_vec();
        data.extend(std::iter::repeat_n(b'A', 10_000));
        data.extend_from_slice(b"\n");
        assert!(events(&data).is_empty());
    }
}
