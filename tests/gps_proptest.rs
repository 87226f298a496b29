//! Property tests: the NMEA parser and reader never panic, whatever the bytes,
//! and whatever they return is a valid fix.

mod common;

use alluvium::gps::gpsd::GpsdDecoder;
use alluvium::gps::nmea::{NmeaReader, fixes_from_bytes, parse_sentence};
use proptest::prelude::*;

/// Valid sentences from the regression logs, to be mutated.
fn seed_sentences() -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    for log in common::logs() {
        let data = std::fs::read(&log).expect("read log");
        for line in data.split(|&b| b == b'\n') {
            if line.starts_with(b"$") && v.len() < 400 {
                v.push(line.to_vec());
            }
        }
    }
    v
}

fn check_all(data: &[u8]) {
    for allow in [false, true] {
        let _ = parse_sentence(data, allow);
        let mut r = NmeaReader::new(data).allow_missing_checksum(allow);
        while let Some(ev) = r.next_event().expect("slices do not fail") {
            if let alluvium::gps::nmea::NmeaEvent::Fix(f) = ev {
                f.validate().expect("reader only yields valid fixes");
            }
        }
    }
    let _ = GpsdDecoder::new().handle_line(data);
}

/// Recomputes the checksum so mutations reach the field decoders instead of
/// being rejected by the checksum check.
fn fix_checksum(line: &mut Vec<u8>) {
    let Some(star) = line.iter().rposition(|&b| b == b'*') else {
        return;
    };
    if star == 0 {
        return;
    }
    let cs = line[1..star].iter().fold(0u8, |a, b| a ^ b);
    line.truncate(star + 1);
    line.extend_from_slice(format!("{cs:02X}").as_bytes());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check_all(&data);
    }

    #[test]
    fn nmea_like_text_never_panics(s in r"(\$(GP|GN|GL|BD|GA)(GGA|RMC|GSA|GSV|GNS|GLL|ZDA)(,[0-9A-Z.\-]{0,12}){0,20}(\*[0-9A-F]{2})?\r?\n){1,8}") {
        check_all(s.as_bytes());
    }

    #[test]
    fn mutated_valid_sentences_never_panic(
        picks in proptest::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..16),
        recompute in any::<bool>(),
    ) {
        let seeds = seed_sentences();
        let mut stream = Vec::new();
        for (which, pos, byte, op) in picks {
            let mut line = seeds[which.index(seeds.len())].clone();
            let i = pos.index(line.len().max(1)).min(line.len().saturating_sub(1));
            match op {
                0 => { if let Some(b) = line.get_mut(i) { *b = byte; } }
                1 => line.insert(i, byte),
                2 => { if i < line.len() { line.remove(i); } }
                _ => line.truncate(i),
            }
            if recompute {
                fix_checksum(&mut line);
            }
            stream.extend_from_slice(&line);
            stream.push(b'\n');
        }
        check_all(&stream);
        let _ = fixes_from_bytes(&stream);
    }
}

fn arb_polygon() -> impl Strategy<Value = geo::Polygon<f64>> {
    let coord = prop_oneof![
        8 => (-0.01f64..0.01, -0.01f64..0.01),
        1 => (any::<f64>(), any::<f64>()),
    ];
    proptest::collection::vec(coord, 0..8)
        .prop_map(|pts| geo::Polygon::new(geo::LineString::from(pts), vec![]))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Geofence functions never panic, even on invalid, degenerate or NaN
    /// polygons and positions.
    #[test]
    fn geofence_never_panics(a in arb_polygon(), b in arb_polygon(),
                             lat in prop_oneof![-0.02f64..0.02, any::<f64>()],
                             lon in prop_oneof![-0.02f64..0.02, any::<f64>()],
                             acc in prop_oneof![0.0f64..100.0, any::<f64>()]) {
        use alluvium::gps::geofence::*;
        let _ = validate_polygon(&a);
        let _ = contains_with_margin(&a, lat, lon, acc);
        let _ = distance_to_boundary_m(&a, lat, lon);
        let _ = overlaps(&a, &b);
        let set = [(1, a), (2, b)];
        let _ = containing(&set, lat, lon);
    }
}

/// A pair the property found: geo's relate panics on these degenerate rings with astronomically
/// large coordinates; `overlaps` must answer without reaching it.
#[test]
fn overlaps_of_degenerate_far_away_rings_does_not_panic() {
    use alluvium::gps::geofence::overlaps;
    let a = geo::Polygon::new(
        geo::LineString::from(vec![
            (-2.4158700085847405e202, -0.0),
            (8.567928805502317e296, -3.5149133760368644e26),
            (-2.4158700085847405e202, -0.0),
        ]),
        vec![],
    );
    let b = geo::Polygon::new(
        geo::LineString::from(vec![
            (0.0, 1.8721523046246396e96),
            (0.0, -0.0025932608989095484),
            (0.0, 0.0),
            (0.0, 1.8721523046246396e96),
        ]),
        vec![],
    );
    assert!(!overlaps(&a, &b));
    assert!(!overlaps(&b, &a));
}
