//! Fuzz target: `cargo fuzz run csv_import`. The first byte picks the record kind, the rest
//! is the CSV file; importing it into an in-memory store must never panic, and a failed import
//! must leave the store empty (all or nothing).
#![no_main]

use alluvium::domain::RecordKind;
use alluvium::interchange::import_csv;
use alluvium::store::Store;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, csv)) = data.split_first() else {
        return;
    };
    let entity = RecordKind::ALL[pick as usize % RecordKind::ALL.len()];
    let path = std::env::temp_dir().join(format!("alluvium-fuzz-{}.csv", std::process::id()));
    std::fs::write(&path, csv).expect("the temporary directory is writable");
    let mut store = Store::open_in_memory().expect("an in-memory store opens");
    let result = import_csv(&mut store, entity, &path);
    if result.is_err() {
        assert!(
            store.is_empty().expect("the store answers"),
            "a failed import wrote something"
        );
    }
});
