//! A throwaway PostgreSQL cluster: `initdb` in a temporary directory, `postgres` on 127.0.0.1
//! at a free port with its unix socket in that directory, trust authentication, no fsync; gone
//! (`pg_ctl stop -m fast`, directory removed) when stopped or dropped.
//!
//! Standard library only, because two crates build this one file: the test kit (benches and
//! tests that start their own cluster) and `cargo xtask test` (through `#[path]`), which starts
//! one for the whole suite and must build on a new machine before anything else.
//!
//! The server binaries come from Debian's `postgresql` package, in
//! `/usr/lib/postgresql/<version>/bin` (the newest there is taken), or from `PATH`. `initdb`
//! and `postgres` refuse to run as root, so as root they run as the `postgres` system user the
//! package creates (`runuser -u postgres --`), in a directory that user owns.

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A running throwaway cluster; stopped and deleted on [`Cluster::stop`] or drop.
#[derive(Debug)]
pub struct Cluster {
    /// Holds `data/` (the cluster), the unix socket and `server.log`.
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    /// Commands run as the `postgres` user (this process is root).
    as_postgres: bool,
    stopped: bool,
}

impl Cluster {
    /// Creates and starts a cluster; says what is missing when it cannot.
    pub fn start() -> Result<Cluster, String> {
        let bin = server_bin_dir()?;
        let as_postgres = effective_uid() == Some(0);
        let dir = unique_dir()?;
        let mut cluster = Cluster {
            dir,
            bin,
            port: 0,
            as_postgres,
            stopped: true,
        };
        // From here on, a failure removes the directory (drop).
        if as_postgres {
            let out = Command::new("chown")
                .arg("postgres:")
                .arg(&cluster.dir)
                .output()
                .map_err(|e| format!("cannot run chown: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "cannot give {} to the postgres user (is the postgresql package installed?): {}",
                    cluster.dir.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
        }
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "-A".as_ref(),
                "trust".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--no-locale".as_ref(),
                // A throwaway cluster: nothing needs to survive a power cut.
                "--no-sync".as_ref(),
            ],
        )?;
        // Appending keeps the file's owner (postgres) and mode.
        let mut conf = fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .map_err(|e| format!("cannot open postgresql.conf: {e}"))?;
        write!(conf, "{}", settings(&cluster.dir))
            .map_err(|e| format!("cannot write postgresql.conf: {e}"))?;
        drop(conf);
        // A free port is free only until someone takes it: try again with another.
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            let log = cluster.dir.join("server.log");
            let options = format!("-p {port}");
            match cluster.run(
                "pg_ctl",
                &[
                    "-D".as_ref(),
                    data.as_os_str(),
                    "-l".as_ref(),
                    log.as_os_str(),
                    "-o".as_ref(),
                    options.as_ref(),
                    "-w".as_ref(),
                    "-t".as_ref(),
                    "60".as_ref(),
                    "start".as_ref(),
                ],
            ) {
                Ok(_) => {
                    cluster.port = port;
                    cluster.stopped = false;
                    return Ok(cluster);
                }
                Err(e) => {
                    let log = fs::read_to_string(&log).unwrap_or_default();
                    last = format!("{e}\n{}", tail(&log, 10));
                }
            }
        }
        Err(last)
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`: the superuser on the maintenance
    /// database, from which tests create their own.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The port it listens on (127.0.0.1 only).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server (`pg_ctl stop -m fast`: sessions are cut, nothing is kept) and removes
    /// the directory.
    pub fn stop(mut self) -> Result<(), String> {
        self.shut_down()
    }

    fn shut_down(&mut self) -> Result<(), String> {
        let stopped = if self.stopped {
            Ok(())
        } else {
            self.stopped = true;
            let data = self.data();
            self.run(
                "pg_ctl",
                &[
                    "-D".as_ref(),
                    data.as_os_str(),
                    "-m".as_ref(),
                    "fast".as_ref(),
                    "-w".as_ref(),
                    "stop".as_ref(),
                ],
            )
            .map(drop)
        };
        let removed = match fs::remove_dir_all(&self.dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(format!("cannot remove {}: {e}", self.dir.display()))
            }
            _ => Ok(()),
        };
        stopped.and(removed)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Runs one of the server binaries to the end (as `postgres` when this process is root).
    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> Result<Output, String> {
        let path = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        // The caller's directory may be closed to the postgres user.
        cmd.args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .env("LC_ALL", "C");
        let out = cmd
            .output()
            .map_err(|e| format!("cannot run {}: {e}", path.display()))?;
        if out.status.success() {
            Ok(out)
        } else {
            Err(format!(
                "{program} failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout).trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Err(e) = self.shut_down() {
            eprintln!("throwaway PostgreSQL cluster: {e}");
        }
    }
}

/// What the throwaway cluster runs with, appended to `postgresql.conf` (the port is given on
/// the command line, so a retry on another port needs no rewrite).
fn settings(dir: &Path) -> String {
    let socket_dir = dir.display().to_string().replace('\'', "''");
    format!(
        "\n# throwaway cluster for Alluvium's tests\n\
         listen_addresses = '127.0.0.1'\n\
         unix_socket_directories = '{socket_dir}'\n\
         fsync = off\n\
         synchronous_commit = off\n\
         full_page_writes = off\n\
         max_connections = 300\n"
    )
}

/// The directory of `initdb`, `pg_ctl` and `postgres`: the newest of Debian's
/// `/usr/lib/postgresql/<version>/bin`, or one on `PATH`.
pub fn server_bin_dir() -> Result<PathBuf, String> {
    if let Some(dir) = newest_debian_bin(Path::new("/usr/lib/postgresql")) {
        return Ok(dir);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
        .ok_or_else(|| {
            "no PostgreSQL server binaries (initdb, pg_ctl): on Debian or Ubuntu install them \
             with `apt-get install postgresql` (`cargo xtask test` does), elsewhere put them \
             on PATH"
                .to_string()
        })
}

/// `root/<version>/bin` with the highest version that has `initdb`.
fn newest_debian_bin(root: &Path) -> Option<PathBuf> {
    fs::read_dir(root)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = version_key(&e.file_name().to_string_lossy())?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .max()
        .map(|(_, bin)| bin)
}

/// "15" → [15], "9.6" → [9, 6]; anything else is not a version directory.
fn version_key(name: &str) -> Option<Vec<u32>> {
    name.split('.').map(|p| p.parse().ok()).collect()
}

/// A new, empty directory under the system's temporary directory.
fn unique_dir() -> Result<PathBuf, String> {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!(
        "alluvium-pg-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}

/// From `/proc/self/status` ("Uid: real effective saved fs").
fn effective_uid() -> Option<u32> {
    fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1)?.parse().ok())
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_version_directories_count_and_the_newest_wins() {
        let root = std::env::temp_dir().join(format!("alluvium-pg-bins-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        for (version, with_initdb) in [("9.6", true), ("15", true), ("16", false), ("x", true)] {
            let bin = root.join(version).join("bin");
            fs::create_dir_all(&bin).unwrap();
            if with_initdb {
                fs::write(bin.join("initdb"), "").unwrap();
            }
        }
        // 16 has no initdb (only the client), "x" is not a version: 15 is taken over 9.6.
        assert_eq!(newest_debian_bin(&root), Some(root.join("15").join("bin")));
        fs::remove_dir_all(&root).unwrap();
        assert_eq!(newest_debian_bin(&root), None);
    }

    #[test]
    fn the_socket_directory_is_quoted_for_postgresql_conf() {
        let s = settings(Path::new("/tmp/it's here"));
        assert!(
            s.contains("unix_socket_directories = '/tmp/it''s here'"),
            "{s}"
        );
        assert!(s.contains("listen_addresses = '127.0.0.1'"), "{s}");
    }
}
