//! Hybrid logical clock: wall-clock milliseconds plus a counter, so that the order of changes
//! survives devices whose clocks disagree and stays monotonic on one device even if its clock
//! steps back.

use serde::{Deserialize, Serialize};

/// A timestamp: the upper 48 bits are Unix milliseconds, the lower 16 a logical counter.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Hlc(pub u64);

impl Hlc {
    /// Builds a timestamp from milliseconds and a counter.
    pub fn new(unix_ms: u64, counter: u16) -> Self {
        Self(((unix_ms & 0xFFFF_FFFF_FFFF) << 16) | u64::from(counter))
    }

    /// The physical part, in Unix milliseconds.
    pub fn unix_ms(self) -> u64 {
        self.0 >> 16
    }

    /// The logical counter.
    pub fn counter(self) -> u16 {
        (self.0 & 0xFFFF) as u16
    }

    /// The value as stored in SQLite (an INTEGER is signed; 48+16 bits always fit below 2^63
    /// until the year 10889).
    pub fn as_i64(self) -> i64 {
        self.0 as i64
    }

    /// The inverse of [`Hlc::as_i64`].
    pub fn from_i64(v: i64) -> Self {
        Self(v as u64)
    }
}

/// The clock of one device.
#[derive(Debug, Clone, Default)]
pub struct HlcClock {
    last: Hlc,
}

impl HlcClock {
    /// Resumes from the last timestamp issued (persisted by the store).
    pub fn resume(last: Hlc) -> Self {
        Self { last }
    }

    /// The last timestamp issued or observed.
    pub fn last(&self) -> Hlc {
        self.last
    }

    /// A timestamp for a local event at wall time `now_ms`, greater than every earlier one.
    pub fn tick(&mut self, now_ms: u64) -> Hlc {
        self.last = if now_ms > self.last.unix_ms() {
            Hlc::new(now_ms, 0)
        } else {
            self.after(self.last)
        };
        self.last
    }

    /// Merges a timestamp received from another device, so later local events sort after it.
    pub fn observe(&mut self, remote: Hlc, now_ms: u64) -> Hlc {
        let newest = self.last.max(remote);
        self.last = if now_ms > newest.unix_ms() {
            Hlc::new(now_ms, 0)
        } else {
            self.after(newest)
        };
        self.last
    }

    fn after(&self, t: Hlc) -> Hlc {
        match t.counter().checked_add(1) {
            Some(c) => Hlc::new(t.unix_ms(), c),
            // 65 536 events in one millisecond: borrow the next millisecond rather than wrap.
            None => Hlc::new(t.unix_ms() + 1, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_strictly_increasing_even_when_the_wall_clock_steps_back() {
        let mut c = HlcClock::default();
        let a = c.tick(1_000);
        let b = c.tick(1_000);
        let d = c.tick(500);
        assert!(a < b && b < d);
        assert_eq!(d.unix_ms(), 1_000);
        assert_eq!(d.counter(), 2);
    }

    #[test]
    fn observing_a_remote_clock_ahead_moves_past_it() {
        let mut c = HlcClock::default();
        c.tick(1_000);
        let remote = Hlc::new(5_000, 7);
        let t = c.observe(remote, 2_000);
        assert!(t > remote);
        assert!(c.tick(2_001) > t);
    }

    #[test]
    fn counter_overflow_borrows_the_next_millisecond() {
        let mut c = HlcClock::resume(Hlc::new(10, u16::MAX));
        assert_eq!(c.tick(10), Hlc::new(11, 0));
    }

    #[test]
    fn round_trips_through_sqlite_integer() {
        let h = Hlc::new(1_790_000_000_000, 42);
        assert_eq!(Hlc::from_i64(h.as_i64()), h);
    }
}
