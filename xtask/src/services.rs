//! Services the test suite talks to while it runs: started after the packages are in place and
//! before `cargo test`, stopped when the tests end (pass or fail).
//!
//! There are none yet. A throwaway PostgreSQL cluster for the server tests is meant to be one
//! entry of [`ALL`]: `packages` names `postgresql`; `start` runs `initdb` and `pg_ctl start` in
//! a temporary directory on a free port and returns the URL for the tests as an environment
//! variable, with a `stop` that runs `pg_ctl stop` and removes the directory.

use crate::packages::Package;

/// A service, and the packages it needs (checked and installed with the suite's own).
pub struct Service {
    pub name: &'static str,
    pub packages: &'static [Package],
    pub start: fn() -> Result<Running, String>,
}

/// A started service: what the tests are told about it, and how it stops (on drop).
#[expect(
    dead_code,
    reason = "no service yet; the PostgreSQL cluster will be the first"
)]
pub struct Running {
    pub name: &'static str,
    /// Environment variables given to `cargo test` (a database URL, say).
    pub env: Vec<(String, String)>,
    pub stop: Option<Box<dyn FnOnce()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
    }
}

/// Every service, in start order.
pub const ALL: &[Service] = &[];

/// The packages the services need.
pub fn packages() -> impl Iterator<Item = Package> {
    ALL.iter().flat_map(|s| s.packages.iter().copied())
}

/// Starts every service; those already started stop again if a later one fails.
pub fn start_all() -> Result<Vec<Running>, String> {
    let mut running = Vec::new();
    for s in ALL {
        println!("starting {}", s.name);
        running.push((s.start)().map_err(|e| format!("cannot start {}: {e}", s.name))?);
    }
    Ok(running)
}
