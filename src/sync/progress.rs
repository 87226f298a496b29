//! How far a running sync has got: changes sent of those waiting in the outbox, changes
//! received of those the server said wait for this device.

use crate::tr;

/// A sync's progress, reported after each push batch and each pull page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncProgress {
    /// Changes the server has answered (accepted or refused).
    pub sent: usize,
    /// Changes of the logged-in officer waiting to be sent when the sync began.
    pub to_send: usize,
    /// Whether the push is over and the pull has begun.
    pub receiving: bool,
    /// Changes received so far.
    pub received: usize,
    /// How many the server said wait for this device, once it has answered the first page.
    pub to_receive: Option<u64>,
    /// Pictures being sent or fetched, after the records.
    pub pictures: Option<PictureProgress>,
}

/// How far the pictures of a sync have got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PictureProgress {
    /// Fetching (after the pull) rather than sending (after the push).
    pub receiving: bool,
    /// Pictures finished of `total`.
    pub done: usize,
    pub total: usize,
    /// Bytes moved of `bytes_total`.
    pub bytes_done: u64,
    pub bytes_total: u64,
}

impl PictureProgress {
    /// e.g. "Sending photos: 2 of 10 (4.10 of 20.00 MB)".
    pub fn words(&self) -> String {
        let mb = |b: u64| {
            crate::i18n::numbers::hundredths(
                crate::i18n::current(),
                (b * 100 / (1024 * 1024)) as i64,
            )
        };
        let (done, total) = (mb(self.bytes_done), mb(self.bytes_total));
        if self.receiving {
            tr!(
                "Receiving photos: {} of {} ({} of {} MB)",
                self.done,
                self.total,
                done,
                total
            )
        } else {
            tr!(
                "Sending photos: {} of {} ({} of {} MB)",
                self.done,
                self.total,
                done,
                total
            )
        }
    }
}

impl SyncProgress {
    /// One line for the Sync page, e.g. "Sending changes: 200 of 1150".
    pub fn words(&self) -> String {
        if let Some(pictures) = &self.pictures {
            return pictures.words();
        }
        if !self.receiving {
            return tr!("Sending changes: {} of {}", self.sent, self.to_send);
        }
        let sent = tr!("sent {} of {}", self.sent, self.to_send);
        match self.to_receive {
            Some(total) => tr!(
                "Receiving changes: {} of {} ({})",
                self.received,
                total,
                sent
            ),
            None => tr!(
                "Receiving changes: asking the server what is new ({})",
                sent
            ),
        }
    }
}

impl SyncProgress {
    /// The share done, from 0 to 1, once both totals are known.
    pub fn fraction(&self) -> Option<f32> {
        if let Some(pictures) = &self.pictures {
            // Pictures are most of the bytes when there are any: their share is the bar.
            return Some(if pictures.bytes_total == 0 {
                1.0
            } else {
                (pictures.bytes_done.min(pictures.bytes_total) as f64 / pictures.bytes_total as f64)
                    as f32
            });
        }
        let total = self.to_send as u64 + self.to_receive?;
        if total == 0 {
            return Some(1.0);
        }
        let done = (self.sent as u64 + self.received as u64).min(total);
        Some(done as f32 / total as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_in_words() {
        let mut p = SyncProgress {
            sent: 200,
            to_send: 1150,
            ..Default::default()
        };
        assert_eq!(p.words(), "Sending changes: 200 of 1150");
        p.sent = 1150;
        p.receiving = true;
        assert_eq!(
            p.words(),
            "Receiving changes: asking the server what is new (sent 1150 of 1150)"
        );
        p.to_receive = Some(3000);
        p.received = 1000;
        assert_eq!(
            p.words(),
            "Receiving changes: 1000 of 3000 (sent 1150 of 1150)"
        );
        assert_eq!(p.fraction(), Some(2150.0 / 4150.0));
        p.to_receive = None;
        assert_eq!(p.fraction(), None);
        p.pictures = Some(PictureProgress {
            receiving: false,
            done: 2,
            total: 10,
            bytes_done: 4 * 1024 * 1024 + 100,
            bytes_total: 20 * 1024 * 1024,
        });
        assert_eq!(p.words(), "Sending photos: 2 of 10 (4.00 of 20.00 MB)");
        assert!((p.fraction().unwrap() - 0.2).abs() < 1e-4);
    }
}
