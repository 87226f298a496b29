//! What Alluvium's integration tests and benchmarks share: the command-line runner, sample
//! records, a private certificate authority and the sync server run as a real process.
//!
//! It is a crate of its own, not a `tests/common` module, because the device package and the
//! sync-server package both need it: a module can only be copied between packages, and the
//! copies drifted (one of them built its licence with latitude and longitude swapped). It is a
//! dev-dependency only and never ships.
//!
//! - [`cli`]: runs `alluvium` (or `alluvium-sync admin`) on a database file; `ok`, `fails`.
//! - [`fixtures`]: a digger, a licence, a site inside it, production and stones.
//! - [`older_server`]: a proxy answering as a server of an earlier release would.
//! - [`pictures`]: JPEG pictures of a chosen size, with or without EXIF data.
//! - [`tls`]: a throwaway certificate authority and server certificates it signs.
//! - [`server`]: the `alluvium-sync` binary on 127.0.0.1 with a temporary database (a SQLite
//!   file, or a fresh PostgreSQL database), and enrolled devices.
//! - [`postgres`]: which backend the server tests use, fresh PostgreSQL databases, and a
//!   throwaway cluster ([`postgres::Cluster`]) for benches and tests that start their own.

use std::path::PathBuf;

pub mod cli;
mod cluster;
pub mod fixtures;
pub mod older_server;
pub mod pictures;
pub mod postgres;
pub mod server;
pub mod tls;

/// The path of the binary target `name` of the package whose tests or benches are running.
///
/// Cargo builds a package's binaries before its integration tests and benches, into the
/// directory that holds the test executable's `deps/`. It also names the path in
/// `CARGO_BIN_EXE_<name>`, but at compile time only the test crate itself can read that (with
/// `env!`), so this reads it at run time when Cargo sets it and otherwise looks beside the
/// test executable.
pub fn cargo_bin(name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(format!("CARGO_BIN_EXE_{name}")) {
        return path.into();
    }
    let exe = std::env::current_exe().expect("the running test has a path");
    let mut dir = exe
        .parent()
        .expect("the test executable is in a directory")
        .to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let bin = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: Cargo builds it only for the tests and benches of its own package",
        bin.display()
    );
    bin
}
