//! Services the test suite talks to while it runs: started after the packages are in place and
//! before `cargo test`, stopped when the tests end (pass or fail).
//!
//! One so far: a throwaway PostgreSQL cluster (the test kit's own `Cluster`, which this crate
//! builds from its source file so as to stay free of dependencies) on 127.0.0.1 at a free
//! port; the server tests' PostgreSQL pass creates a database per test server on it.

use crate::packages::Package;

#[path = "../../test-kit/src/cluster.rs"]
#[allow(dead_code)]
mod cluster;

/// A service, and the packages it needs (checked and installed with the suite's own).
pub struct Service {
    pub name: &'static str,
    pub packages: &'static [Package],
    pub start: fn() -> Result<Running, String>,
}

/// A started service: what the tests are told about it, and how it stops (on drop).
pub struct Running {
    #[allow(dead_code)]
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
pub const ALL: &[Service] = &[Service {
    name: "PostgreSQL (throwaway cluster on 127.0.0.1)",
    packages: &[Package {
        name: "postgresql",
        why: "the sync server's tests run a second time on PostgreSQL, on a throwaway cluster",
    }],
    start: start_postgres,
}];

/// The variable that tells the server tests where the cluster is (test-kit's `postgres`).
pub const POSTGRES_URL_VAR: &str = "ALLUVIUM_TEST_POSTGRES_URL";

fn start_postgres() -> Result<Running, String> {
    let cluster = cluster::Cluster::start()?;
    let url = cluster.url();
    println!("PostgreSQL listening on 127.0.0.1:{}", cluster.port());
    Ok(Running {
        name: "PostgreSQL",
        env: vec![(POSTGRES_URL_VAR.to_string(), url)],
        stop: Some(Box::new(move || {
            if let Err(e) = cluster.stop() {
                eprintln!("stopping PostgreSQL: {e}");
            }
        })),
    })
}

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
