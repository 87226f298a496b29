//! The photo part of the slow-link benchmark (`ALLUVIUM_SLOW_LINK_PHOTOS=N`): the field
//! device puts N pictures of about 2 MB on the last week's production entries, offline, then
//! syncs over the slow link; the whole sync is timed and the bytes on the wire are set against
//! the pictures' own. Not run by default: ten pictures take some 45 minutes at 64 kbit/s.

use crate::endpoints::{Device, Server};
use crate::net;
use alluvium::domain::ProductionEntry;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How many pictures to send, from `ALLUVIUM_SLOW_LINK_PHOTOS` (0: this part is skipped).
pub fn wanted() -> usize {
    std::env::var("ALLUVIUM_SLOW_LINK_PHOTOS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

pub fn run(
    link: &net::Link,
    server: &Server,
    field: &Device,
    entries: &[ProductionEntry],
    n: usize,
) {
    // Noise does not compress: 1 200 × 900 pixels at quality 90 is about 2 MB.
    let pictures: Vec<Vec<u8>> = (0..n)
        .map(|i| test_kit::pictures::noise_jpeg(1200, 900, 1000 + i as u64))
        .collect();
    let bytes: u64 = pictures.iter().map(|p| p.len() as u64).sum();
    field.with_store(|s| {
        let by = s.session().unwrap().unwrap().officer_id;
        for (i, p) in pictures.iter().enumerate() {
            let entry = &entries[i % entries.len()];
            alluvium::photo::add_to_record(s, entry.id.0, p, "Parcel before sealing", by).unwrap();
        }
    });
    let (up0, down0) = (
        link.up.bytes.load(Ordering::SeqCst),
        link.down.bytes.load(Ordering::SeqCst),
    );
    let t = Instant::now();
    let m = field.timed_sync();
    let secs = t.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(500));
    let up = link.up.bytes.load(Ordering::SeqCst) - up0;
    let down = link.down.bytes.load(Ordering::SeqCst) - down0;
    assert_eq!(m.report.pictures_sent, n, "{:?}", m.report);
    let stats: serde_json::Value =
        serde_json::from_str(&server.admin(&["stats", "--json"], "")).unwrap();
    assert_eq!(stats["photos"].as_u64(), Some(n as u64), "{stats}");
    assert_eq!(stats["photo_bytes"].as_u64(), Some(bytes), "{stats}");
    println!(
        "photos: {n} pictures, {:.2} MB in all ({:.2} MB each on average), sent over the slow link in {:.0} s ({:.0} s a picture); {:.2} MB up + {:.1} kB down on the wire, {:.4} bytes on the wire per picture byte; the server holds every picture whole",
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / n as f64,
        secs,
        secs / n as f64,
        up as f64 / 1e6,
        down as f64 / 1e3,
        up as f64 / bytes as f64
    );
}
