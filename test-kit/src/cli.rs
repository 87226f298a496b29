//! The command-line binaries run on a database file, as a user or a script would run them.
//!
//! The command-line contract (stdout carries the answer, a failure is one line on stderr and a
//! non-zero exit) is what these tests check, so the runner captures both streams and the
//! helpers say which one a test expects.

use crate::cargo_bin;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A binary and the arguments that come before `--db`.
#[derive(Debug, Clone, Copy)]
pub struct Cli {
    bin: &'static str,
    lead: &'static [&'static str],
}

/// The device's command line: `alluvium --db DB ARGS`.
pub const ALLUVIUM: Cli = Cli {
    bin: "alluvium",
    lead: &[],
};

/// The server's administration commands: `alluvium-sync admin --db DB ARGS`.
pub const SYNC_ADMIN: Cli = Cli {
    bin: "alluvium-sync",
    lead: &["admin"],
};

impl Cli {
    /// The command, not yet started, so a test can add to it (environment, stdin).
    pub fn command(&self, db: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(cargo_bin(self.bin));
        c.args(self.lead).arg("--db").arg(db).args(args);
        c
    }

    /// Runs to the end with no input; whatever the outcome, returns it.
    pub fn run(&self, db: &Path, args: &[&str]) -> Output {
        self.command(db, args)
            .output()
            .unwrap_or_else(|e| panic!("{} does not run: {e}", self.bin))
    }

    /// Runs to the end with `input` on stdin (a password, for instance).
    pub fn run_with_input(&self, db: &Path, args: &[&str], input: &str) -> Output {
        let mut child = self
            .command(db, args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", self.bin));
        // Dropping stdin after the write closes it, so the child sees the end of its input.
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(input.as_bytes())
            .expect("the child reads its stdin");
        child
            .wait_with_output()
            .expect("the child can be waited on")
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, db: &Path, args: &[&str]) -> String {
        let out = self.run(db, args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("stdout is UTF-8")
    }

    /// Runs and asserts failure; returns stderr.
    pub fn fails(&self, db: &Path, args: &[&str]) -> String {
        let out = self.run(db, args);
        assert!(
            !out.status.success(),
            "{args:?} succeeded, printing: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

/// `alluvium --db DB ARGS`, whatever the outcome.
pub fn alluvium(db: &Path, args: &[&str]) -> Output {
    ALLUVIUM.run(db, args)
}

/// `alluvium --db DB ARGS`, which must succeed; returns stdout.
pub fn ok(db: &Path, args: &[&str]) -> String {
    ALLUVIUM.ok(db, args)
}

/// `alluvium --db DB ARGS`, which must fail; returns stderr.
pub fn fails(db: &Path, args: &[&str]) -> String {
    ALLUVIUM.fails(db, args)
}

/// The stderr of a finished run, trimmed: a failure should be exactly one line.
pub fn stderr_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).trim().to_string()
}
