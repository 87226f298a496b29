//! Fuzz target: `cargo fuzz run sync_wire`. The server decodes push and pull bodies as
//! bounded zstd, then JSON into the wire types; the device decodes the answers the same way.
//! Neither step may panic on any input, and a decoded request must encode and decode to
//! itself (nothing silently dropped or altered). A push in columns is also turned back into
//! its changes, as the server does, which may refuse but not panic; changes it gives back
//! must go into columns again and come back the same.
#![no_main]

use alluvium::sync::codec;
use alluvium::sync::columns::PushColumns;
use alluvium::sync::wire::{PullRequest, PullResponse, PushRequest, PushResponse};
use libfuzzer_sys::fuzz_target;

/// Keeps a decompression bomb from exhausting the fuzzer's memory.
const LIMIT: usize = 4 * 1024 * 1024;

fn decode(raw: &[u8]) {
    if let Ok(req) = serde_json::from_slice::<PushRequest>(raw) {
        let again = serde_json::to_vec(&req).expect("a decoded push encodes");
        let back: PushRequest = serde_json::from_slice(&again).expect("and decodes again");
        assert_eq!(back.changes.len(), req.changes.len());
        for (a, b) in back.changes.iter().zip(&req.changes) {
            assert_eq!(
                (a.change_id, &a.entity, &a.record_id),
                (b.change_id, &b.entity, &b.record_id)
            );
        }
    }
    if let Ok(req) = serde_json::from_slice::<PullRequest>(raw) {
        let again = serde_json::to_vec(&req).expect("a decoded pull encodes");
        assert_eq!(
            serde_json::from_slice::<PullRequest>(&again).ok(),
            Some(req)
        );
    }
    if let Ok(cols) = serde_json::from_slice::<PushColumns>(raw)
        && let Ok(req) = cols.into_request()
        && let Some(again) = PushColumns::of(&req.changes)
    {
        let back = again
            .into_request()
            .expect("columns made from changes decode");
        assert_eq!(back, req);
    }
    let _ = serde_json::from_slice::<PushResponse>(raw);
    let _ = serde_json::from_slice::<PullResponse>(raw);
}

fuzz_target!(|data: &[u8]| {
    // As a plain JSON body…
    decode(data);
    // …and as a zstd body (the fuzzer finds valid frames from the seed corpus).
    if let Ok(raw) = codec::decompress(data, LIMIT) {
        assert!(raw.len() <= LIMIT);
        decode(&raw);
    }
});
