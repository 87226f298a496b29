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

/// Decompresses a body, failing if it would exceed `limit` bytes.
pub fn decompress(compressed: &[u8], limit: usize) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let decoder = zstd::stream::read::Decoder::new(compressed)?;
    decoder.take(limit as u64 + 1).read_to_end(&mut out)?;
    if out.len() > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the body expands beyond {limit} bytes"),
        ));
    }
    Ok(out)
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
        assert!(decompress(b"not zstd", 10).is_err());
    }
}
