//! Project tasks, run as `cargo xtask TASK` (an alias in `.cargo/config.toml`).
//!
//! - `cargo xtask test [ARGS…]`: checks the Debian packages the test suite needs; installs the
//!   missing ones when it may (root, or `sudo` without a password), otherwise prints the one
//!   `apt-get install` line and stops before running anything; starts the services the suite
//!   talks to (a throwaway PostgreSQL cluster); then runs `cargo test --workspace ARGS…`, and,
//!   with no ARGS, the sync server's tests a second time on PostgreSQL; exits with the first
//!   failure's exit code.
//! - `cargo xtask ci`: the whole CI (`.ci/run`): formatting, clippy with and without the `gui`
//!   feature, the benchmarks and the fuzz targets compiled, then the same as `cargo xtask test`.
//! - `cargo xtask packages`: the packages and why the suite needs each.

mod packages;
mod services;

use packages::{Check, Installer, Package};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: cargo xtask test [ARGS...]   set up what the tests need, then cargo test --workspace ARGS...
       cargo xtask ci               fmt, clippy (with and without gui), benches and fuzz targets
                                    compiled, then the tests (what .ci/run runs)
       cargo xtask packages         the Debian packages the tests need, and why";

/// Why a task stopped.
#[derive(Debug)]
enum Failure {
    /// Something to tell the user; exit status 1.
    Message(String),
    /// A command failed; its exit status is passed on.
    Exit(i32),
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let outcome = match args.first().map(String::as_str) {
        Some("test") => test(&root, &args[1..]),
        Some("ci") if args.len() == 1 => ci(&root),
        Some("packages") if args.len() == 1 => {
            for p in all_packages() {
                println!("{:<18} {}", p.name, p.why);
            }
            Ok(())
        }
        Some("help" | "-h" | "--help") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(_) => Err(Failure::Message(USAGE.into())),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Message(m)) => {
            eprintln!("{m}");
            ExitCode::FAILURE
        }
        Err(Failure::Exit(code)) => ExitCode::from(code.clamp(1, 255) as u8),
    }
}

/// The workspace root: this crate lives in `xtask/` directly under it.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ has a parent")
        .to_path_buf()
}

/// The suite's packages and those of its services.
fn all_packages() -> Vec<Package> {
    let mut all: Vec<Package> = packages::FOR_TESTS.to_vec();
    for p in services::packages() {
        if !all.iter().any(|q| q.name == p.name) {
            all.push(p);
        }
    }
    all
}

/// `cargo xtask test`: packages, services, `cargo test --workspace ARGS`.
fn test(root: &Path, args: &[String]) -> Result<(), Failure> {
    let mut steps = Steps::default();
    let result = steps
        .run("packages", ensure_packages)
        .and_then(|()| run_tests(root, args, &mut steps));
    steps.summary();
    result
}

/// Starts the services, runs `cargo test --workspace ARGS` with them, then (with no ARGS) the
/// sync server's tests again on PostgreSQL, and stops the services.
fn run_tests(root: &Path, args: &[String], steps: &mut Steps) -> Result<(), Failure> {
    let running = services::start_all().map_err(Failure::Message)?;
    let env: Vec<(String, String)> = running.iter().flat_map(|r| r.env.clone()).collect();
    let mut cargo_args = vec!["test", "--workspace"];
    cargo_args.extend(args.iter().map(String::as_str));
    let result = steps
        .run("tests", || cargo(root, &cargo_args, &env))
        .and_then(|()| {
            if !args.is_empty() {
                return Ok(());
            }
            let mut pg_env = env.clone();
            pg_env.push((POSTGRES_BACKEND.0.into(), POSTGRES_BACKEND.1.into()));
            steps.run("server tests on PostgreSQL", || {
                cargo(root, &["test", "-p", "alluvium-sync"], &pg_env)
            })
        });
    drop(running);
    result
}

/// What makes the server tests run the server on PostgreSQL (test-kit's `postgres`).
const POSTGRES_BACKEND: (&str, &str) = ("ALLUVIUM_TEST_BACKEND", "postgres");

/// What `cargo xtask ci` checks before the tests, in order: a step's name and its cargo
/// command lines (run in the workspace root).
const CHECKS: &[(&str, &[&str])] = &[
    (
        "fmt",
        &[
            "fmt --all --check",
            // The fuzz crate is a workspace of its own.
            "fmt --check --manifest-path fuzz/Cargo.toml",
        ],
    ),
    (
        "clippy (gui)",
        &["clippy --workspace --all-targets -- -D warnings"],
    ),
    (
        "clippy (no gui)",
        &["clippy --workspace --all-targets --no-default-features -- -D warnings"],
    ),
    (
        "benches compiled",
        // In the dev profile: the tests reuse all of it but the four bench binaries, where
        // `cargo bench --no-run` rebuilds everything optimised (38 min from cold, 5 min after
        // a change to the library, on two cores) and catches nothing more.
        &["build --workspace --benches"],
    ),
    (
        "fuzz targets checked",
        // A workspace of its own; in our target directory it reuses half of what it needs
        // (1m45s instead of 3m06s from cold). Stable is enough to compile the targets.
        &["check --manifest-path fuzz/Cargo.toml --target-dir target"],
    ),
];

/// `cargo xtask ci`: everything `.ci/run` checks, stopping at the first failure.
fn ci(root: &Path) -> Result<(), Failure> {
    let started = Instant::now();
    let mut steps = Steps::default();
    let result = (|| {
        // Packages first: a machine that cannot run the tests fails before the long builds.
        steps.run("packages", ensure_packages)?;
        for (name, commands) in CHECKS {
            steps.run(name, || {
                commands.iter().try_for_each(|c| {
                    let args: Vec<&str> = c.split_whitespace().collect();
                    cargo(root, &args, &[])
                })
            })?;
        }
        run_tests(root, &[], &mut steps)
    })();
    steps.summary();
    println!(
        "ci: {} in {}",
        if result.is_ok() { "passed" } else { "FAILED" },
        minutes(started.elapsed())
    );
    result
}

/// Installs the missing packages, or says how and fails.
fn ensure_packages() -> Result<(), Failure> {
    let wanted = all_packages();
    let missing = match packages::check(&wanted) {
        Check::Complete => {
            println!("installed: {}", packages::names(&wanted));
            return Ok(());
        }
        Check::Unknown => {
            // Not Debian or Ubuntu: the tests say themselves what they miss.
            println!(
                "no dpkg-query here: not checked that these are installed: {}",
                packages::names(&wanted)
            );
            return Ok(());
        }
        Check::Missing(missing) => missing,
    };
    println!("the tests need these packages, which are not installed:");
    for p in &missing {
        println!("  {:<18} {}", p.name, p.why);
    }
    match packages::installer() {
        Installer::Nobody => Err(Failure::Message(format!(
            "not root and no password-less sudo: install them with\n\n    {}\n\nthen run this again",
            packages::install_line(&missing)
        ))),
        how => packages::install(&missing, &how).map_err(Failure::Message),
    }
}

/// Runs cargo (the one running this task) in the workspace root.
fn cargo(root: &Path, args: &[&str], env: &[(String, String)]) -> Result<(), Failure> {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    println!("$ cargo {}", args.join(" "));
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(root).envs(env.iter().cloned());
    // `cargo run` describes this crate in the environment; the tests must not see that.
    for (key, _) in std::env::vars_os() {
        if describes_this_crate(&key) {
            cmd.env_remove(key);
        }
    }
    let status = cmd
        .status()
        .map_err(|e| Failure::Message(format!("cannot run cargo: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Failure::Exit(exit_code(status)))
    }
}

fn describes_this_crate(key: &OsStr) -> bool {
    let key = key.to_string_lossy();
    key.starts_with("CARGO_PKG_")
        || key.starts_with("CARGO_MANIFEST_")
        || matches!(
            key.as_ref(),
            "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE"
        )
}

/// The exit code, or 128 + the signal that ended the process (as shells report it).
fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1)
}

/// Named steps with their times, printed as they end and as a table at the end.
#[derive(Default)]
struct Steps {
    done: Vec<(&'static str, Duration, bool)>,
}

impl Steps {
    fn run(
        &mut self,
        name: &'static str,
        f: impl FnOnce() -> Result<(), Failure>,
    ) -> Result<(), Failure> {
        println!("\n=== {name}");
        let started = Instant::now();
        // Said where it happens, not after the table of steps.
        let result = f().map_err(|e| match e {
            Failure::Message(m) => {
                eprintln!("{m}");
                Failure::Exit(1)
            }
            exit => exit,
        });
        let took = started.elapsed();
        let verdict = if result.is_ok() { "ok" } else { "FAILED" };
        println!("=== {name}: {verdict} in {}", minutes(took));
        self.done.push((name, took, result.is_ok()));
        result
    }

    fn summary(&self) {
        println!();
        for (name, took, ok) in &self.done {
            let verdict = if *ok { "ok" } else { "FAILED" };
            println!("{name:<22} {verdict:<7} {:>9}", minutes(*took));
        }
    }
}

fn minutes(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1} s")
    } else {
        format!("{}m {:02}s", (s / 60.0) as u64, (s % 60.0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_a_person_would_write_them() {
        assert_eq!(minutes(Duration::from_millis(4_250)), "4.2 s");
        assert_eq!(minutes(Duration::from_secs(754)), "12m 34s");
    }

    #[test]
    fn only_what_cargo_run_says_about_this_crate_is_dropped() {
        assert!(describes_this_crate(OsStr::new("CARGO_PKG_NAME")));
        assert!(describes_this_crate(OsStr::new("CARGO_MANIFEST_DIR")));
        assert!(!describes_this_crate(OsStr::new("CARGO_HOME")));
        assert!(!describes_this_crate(OsStr::new("CARGO_TARGET_DIR")));
    }

    #[test]
    fn the_packages_are_listed_once() {
        let all = all_packages();
        for p in &all {
            assert_eq!(
                all.iter().filter(|q| q.name == p.name).count(),
                1,
                "{}",
                p.name
            );
        }
    }
}
