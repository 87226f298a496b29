//! Epoch assembly: collects the decoded sentences that share a time of day and makes them one
//! [`NmeaEvent`], following the priority, no-fix and date rules of the reader's documentation.
//! Everything that decides what a fix *is* lives here; the byte handling does not.

use super::{DatePolicy, NmeaEvent, NmeaReader, NoFixReason};
use crate::gps::nmea::sentence::{Body, Gga, Gns, Rmc, SentenceError, parse_sentence};
use crate::gps::{Fix, FixQuality, Source, UERE_M, UNKNOWN_ACCURACY_M};
use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use std::io::Read;

/// Data collected for the epoch currently being assembled.
#[derive(Debug, Default)]
pub(super) struct Epoch {
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

impl<R: Read> NmeaReader<R> {
    pub(super) fn handle_line(&mut self, line: &[u8]) {
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
    pub(super) fn finish_epoch(&mut self) -> Option<NmeaEvent> {
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
}

/// NMEA 2.3 mode indicators that do not denote a measured fix:
/// N = not valid, E = estimated (dead reckoning), M = manual, S = simulator.
fn mode_is_void(mode: Option<u8>) -> bool {
    matches!(mode, Some(b'N' | b'E' | b'M' | b'S'))
}

#[cfg(test)]
mod tests {
    use super::super::events;
    use super::*;

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
}
