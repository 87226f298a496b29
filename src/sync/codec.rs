//! Compression of request and response bodies: zstd, announced with `Content-Encoding: zstd`.
//! Decoding is bounded, so a small body cannot expand into an unbounded one.

use std::io::Read;

/// The `Content-Encoding` value.
pub const ZSTD: &str = "zstd";
/// Compression level: level 9 wins a few bytes per record over the default at little cost.
pub const LEVEL: i32 = 9;

/// Compresses a body.
pub fn compress(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    zstd::bulk::compress(raw, LEVEL)
}

/// Decompresses a body, failing if it would exceed `limit` bytes. The decoder may also not
/// keep a window larger than the output may be, so a few bytes claiming a huge window are
/// refused before any memory is set aside for them. Both refusals are
/// [`std::io::ErrorKind::InvalidData`]; a body that is not zstd is another kind.
pub fn decompress(compressed: &[u8], limit: usize) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut decoder = zstd::stream::read::Decoder::new(compressed)?;
    decoder.window_log_max(window_log_for(limit))?;
    let read = decoder.take(limit as u64 + 1).read_to_end(&mut out);
    if let Err(e) = read {
        // zstd names this error only in its text.
        return Err(if e.to_string().contains("too much memory") {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("the body needs more than {limit} bytes to decode"),
            )
        } else {
            e
        });
    }
    if out.len() > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the body expands beyond {limit} bytes"),
        ));
    }
    Ok(out)
}

/// The smallest zstd window (as a power of two) that holds `limit` bytes, within what zstd
/// supports everywhere (2^10 to 2^30).
fn window_log_for(limit: usize) -> u32 {
    let log = usize::BITS - limit.saturating_sub(1).leading_zeros();
    log.clamp(10, 30)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_bounds_expansion() {
        let raw = vec![b'a'; 100_000];
        let z = compress(&raw).unwrap();
        assert!(z.len() < 1_000);
        assert_eq!(decompress(&z, 100_000).unwrap(), raw);
        assert!(decompress(&z, 99_999).is_err());
        let e = decompress(b"not zstd", 10).unwrap_err();
        assert_ne!(e.kind(), std::io::ErrorKind::InvalidData, "{e}");
    }

    #[test]
    fn a_frame_asking_for_a_large_window_is_refused_before_decoding() {
        // 2 MB of one byte: a few hundred bytes that need a 2 MiB window.
        let bomb = compress(&vec![b' '; 2_000_000]).unwrap();
        assert!(bomb.len() < 1_000);
        let e = decompress(&bomb, 4 * 1024).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("needs more than 4096 bytes"), "{e}");
        // A small body still decodes under a small limit.
        let small = compress(br#"{"code":"ABCD-EFGH-JKLM"}"#).unwrap();
        assert_eq!(decompress(&small, 4 * 1024).unwrap().len(), 25);
        assert_eq!(window_log_for(4 * 1024), 12);
        assert_eq!(window_log_for(4 * 1024 + 1), 13);
        assert_eq!(window_log_for(1), 10);
        assert_eq!(window_log_for(usize::MAX), 30);
    }
}
