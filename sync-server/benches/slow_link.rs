//! Slow-link benchmark: a field officer's device syncs a week of one busy site's production
//! over an emulated rural link — 64 kbit/s each way, 400 ms round trip, 5 % packet loss — to
//! the real `alluvium-sync` binary over HTTPS, as in production. The target: the whole sync
//! (TCP and TLS connect, push, pull) in under 10 s.
//!
//! The benchmark builds its own private network and tears it down afterwards: two network
//! namespaces, "device" (10.77.0.1) and "server" (10.77.0.2), joined by a pair of TUN devices
//! and a small forwarding thread (the "wire") in this process. Everything else is the
//! kernel's: real TCP with its real handshake, slow start, loss recovery and retransmission
//! timers, and real TLS. The link is shaped one of two ways:
//!
//! - **netem** (where the kernel has it): `netem delay 200ms rate 64kbit loss 5%` on the
//!   egress of both TUN devices; the wire only copies packets.
//! - **emulated** (kernels built without `CONFIG_NET_SCH_NETEM`, like the build machine):
//!   kernel `tbf` at 64 kbit/s on the egress of both TUN devices, and the wire drops each IP
//!   packet with probability 5 % and delivers the rest 200 ms after it read them, in order.
//!   Per packet that is what netem does (Bernoulli loss, fixed delay, serialisation at the
//!   rate); what differs is that the delay is timed by a user-space thread (sub-millisecond
//!   jitter) and the rate queue is tbf's (100 kB) instead of netem's (1 000 packets).
//!
//! Set `ALLUVIUM_SLOW_LINK_MODE=emulated` to use the emulation even where netem exists, and
//! `ALLUVIUM_SLOW_LINK_RUNS=N` for the number of measured weeks (default 10).
//! Without the right to create namespaces (not root) the benchmark says "skipped" and exits 0.
//! It never reaches any address but its own 10.77.0.0/30 and loopback inside the namespaces.
//!
//! Workload: a site with a crew of ten diggers, recorded by one field officer a day at a time,
//! 20–40 stones a day (a busy site: the demo's Kono profile finds far fewer on most days),
//! stone weights and classes drawn as the demo data draws them. Each measured week: the
//! coordinator reviews last week's seven entries and the licensing officer registers a new
//! digger and joins them to the crew (over the server's own loopback, unshaped); then the
//! field device, offline all week, records its seven days and syncs over the slow link:
//! it pushes the week and pulls the reviews and registry changes. After each run the server's
//! database is checked: every record of the week once, and nothing else.
//!
//! Run: `cargo bench -p alluvium-sync --bench slow_link`

#[path = "../tests/common/mod.rs"]
mod common;

use alluvium::domain::*;
use alluvium::store::Store;
use common::{PASSWORD, admin, digger, licence, site, today};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The limit the benchmark checks against.
const LIMIT: Duration = Duration::from_secs(10);
/// Measured weeks unless `ALLUVIUM_SLOW_LINK_RUNS` says otherwise.
const RUNS: usize = 10;
const REGION: &str = "SL-KONO";
const CREW: usize = 10;

mod net {
    //! The private network: two namespaces joined by TUN devices and the wire thread that
    //! carries packets between them; everything is removed when the `Link` is dropped.

    use std::fs::File;
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;
    use std::process::Command;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::mpsc;
    use std::thread::JoinHandle;
    use std::time::{Duration, Instant};

    pub const DEVICE_ADDR: &str = "10.77.0.1";
    pub const SERVER_ADDR: &str = "10.77.0.2";
    pub const ONE_WAY_DELAY: Duration = Duration::from_millis(200);
    pub const LOSS: f64 = 0.05;
    pub const RATE: &str = "64kbit";
    const PREFIX: &str = "alluvium-slow-";

    /// How the link is shaped.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Mode {
        /// Kernel netem on both ends.
        Netem,
        /// Kernel tbf for the rate; delay and loss in the wire. Holds why netem was not used.
        Emulated(String),
    }

    /// Counters of one direction of the wire.
    #[derive(Default)]
    pub struct Direction {
        /// Packets and bytes (IP headers included) delivered to the far end.
        pub packets: AtomicU64,
        pub bytes: AtomicU64,
        /// Packets the wire dropped (emulated mode only; netem drops before the wire).
        pub dropped: AtomicU64,
    }

    /// The two namespaces, their TUN devices, and the wire; removed on drop.
    pub struct Link {
        pub device_ns: String,
        pub server_ns: String,
        pub mode: Mode,
        /// Device → server and server → device.
        pub up: Arc<Direction>,
        pub down: Arc<Direction>,
        stop: Arc<AtomicBool>,
        threads: Vec<JoinHandle<()>>,
    }

    /// Why the benchmark cannot run here.
    pub struct Skip(pub String);

    fn run(program: &str, args: &[&str]) -> Result<String, String> {
        let out = Command::new(program)
            .args(args)
            .output()
            .map_err(|e| format!("{program}: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "`{program} {}`: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// Removes namespaces left by an earlier run that was killed before it could clean up
    /// (their names end in the pid of a process that no longer exists), and the processes
    /// still running inside them.
    fn remove_stale() {
        let Ok(list) = run("ip", &["netns", "list"]) else {
            return;
        };
        for line in list.lines() {
            let name = line.split_whitespace().next().unwrap_or("");
            let Some(pid) = name
                .strip_prefix(PREFIX)
                .and_then(|rest| rest.rsplit('-').next())
            else {
                continue;
            };
            if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                // A server started by that run may have outlived it inside its namespace.
                let pids = run("ip", &["netns", "pids", name]).unwrap_or_default();
                for p in pids.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
                    // SAFETY: kill(2) on a process of our own stale namespace; no memory involved.
                    unsafe { libc::kill(p, libc::SIGKILL) };
                }
                let _ = run("ip", &["netns", "del", name]);
            }
        }
    }

    /// Opens a new TUN device (IP packets, no extra header) in this thread's namespace.
    fn open_tun(name: &str) -> std::io::Result<File> {
        let file = File::options()
            .read(true)
            .write(true)
            .open("/dev/net/tun")?;
        // SAFETY: ifreq is plain data; zeroed is a valid value, and the name fits (< IFNAMSIZ).
        let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
        for (dst, src) in req.ifr_name.iter_mut().zip(name.bytes()) {
            *dst = src as libc::c_char;
        }
        req.ifr_ifru.ifru_flags = (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short;
        // SAFETY: TUNSETIFF reads and writes one ifreq, which lives for the call.
        if unsafe { libc::ioctl(file.as_raw_fd(), libc::TUNSETIFF, &mut req) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(file)
    }

    impl Link {
        /// Builds the link; `Err(Skip)` when this machine does not allow it.
        pub fn create(force_emulated: bool) -> Result<Link, Skip> {
            remove_stale();
            let pid = std::process::id();
            let device_ns = format!("{PREFIX}dev-{pid}");
            let server_ns = format!("{PREFIX}srv-{pid}");
            run("ip", &["netns", "add", &device_ns]).map_err(|e| {
                Skip(format!(
                    "cannot create a network namespace ({e}); the slow-link benchmark needs root \
                     (CAP_SYS_ADMIN and CAP_NET_ADMIN) and the `ip` tool"
                ))
            })?;
            // From here on, dropping the link removes what exists.
            let mut link = Link {
                device_ns,
                server_ns,
                mode: Mode::Netem,
                up: Arc::default(),
                down: Arc::default(),
                stop: Arc::default(),
                threads: Vec::new(),
            };
            run("ip", &["netns", "add", &link.server_ns])
                .map_err(|e| Skip(format!("cannot create a second network namespace ({e})")))?;
            let (dev_if, srv_if) = (format!("alvd{pid}"), format!("alvs{pid}"));
            let open = |name: &str| {
                open_tun(name).map_err(|e| {
                    Skip(format!(
                        "cannot create a TUN device ({e}); the slow-link benchmark needs /dev/net/tun"
                    ))
                })
            };
            let (dev_tun, srv_tun) = (open(&dev_if)?, open(&srv_if)?);
            let must = |program: &str, args: &[&str]| {
                run(program, args).unwrap_or_else(|e| panic!("setting up the link: {e}"));
            };
            for (ns, ifname, local, peer) in [
                (&link.device_ns, &dev_if, DEVICE_ADDR, SERVER_ADDR),
                (&link.server_ns, &srv_if, SERVER_ADDR, DEVICE_ADDR),
            ] {
                must("ip", &["link", "set", ifname, "netns", ns]);
                must("ip", &["-n", ns, "link", "set", "lo", "up"]);
                must(
                    "ip",
                    &["-n", ns, "addr", "add", local, "peer", peer, "dev", ifname],
                );
                must("ip", &["-n", ns, "link", "set", ifname, "up"]);
            }
            let netem = [
                "delay", "200ms", "rate", RATE, "loss", "5%", "limit", "1000",
            ];
            let first = if force_emulated {
                Err("netem not tried: ALLUVIUM_SLOW_LINK_MODE=emulated".to_string())
            } else {
                let mut args = vec!["-n", &link.device_ns, "qdisc", "add", "dev", &dev_if];
                args.extend(["root", "netem"]);
                args.extend(netem);
                run("tc", &args)
            };
            link.mode = match first {
                Ok(_) => {
                    let mut args = vec!["-n", &link.server_ns, "qdisc", "add", "dev", &srv_if];
                    args.extend(["root", "netem"]);
                    args.extend(netem);
                    must("tc", &args);
                    Mode::Netem
                }
                Err(why) => {
                    for (ns, ifname) in [(&link.device_ns, &dev_if), (&link.server_ns, &srv_if)] {
                        must(
                            "tc",
                            &[
                                "-n", ns, "qdisc", "add", "dev", ifname, "root", "tbf", "rate",
                                RATE, "burst", "1600", "limit", "100000",
                            ],
                        );
                    }
                    Mode::Emulated(why)
                }
            };
            let (delay, loss) = match link.mode {
                Mode::Netem => (Duration::ZERO, 0.0),
                Mode::Emulated(_) => (ONE_WAY_DELAY, LOSS),
            };
            let (dev_read, srv_read) = (
                dev_tun.try_clone().expect("dup of the TUN descriptor"),
                srv_tun.try_clone().expect("dup of the TUN descriptor"),
            );
            let (up, down, stop) = (link.up.clone(), link.down.clone(), link.stop.clone());
            link.threads.extend(wire(
                dev_read,
                srv_tun,
                delay,
                loss,
                0x5eed_0001,
                up,
                stop.clone(),
            ));
            link.threads.extend(wire(
                srv_read,
                dev_tun,
                delay,
                loss,
                0x5eed_0002,
                down,
                stop,
            ));
            Ok(link)
        }

        /// Runs `f` on a thread inside namespace `ns` (sockets it opens, and processes and
        /// threads it starts, live there).
        pub fn within<T: Send>(ns: &str, f: impl FnOnce() -> T + Send) -> T {
            std::thread::scope(|s| {
                s.spawn(|| {
                    let handle = File::open(format!("/run/netns/{ns}"))
                        .unwrap_or_else(|e| panic!("namespace {ns}: {e}"));
                    // SAFETY: setns on an open namespace file; it only changes this thread.
                    if unsafe { libc::setns(handle.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                        panic!("entering {ns}: {}", std::io::Error::last_os_error());
                    }
                    f()
                })
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e))
            })
        }

        /// The kernel's TCP counters of the calling thread's namespace (`/proc/net/snmp`).
        pub fn tcp_counters() -> std::collections::HashMap<String, i64> {
            let text = std::fs::read_to_string("/proc/thread-self/net/snmp").unwrap_or_default();
            let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("Tcp:")).collect();
            match rows.as_slice() {
                [names, values] => names
                    .split_whitespace()
                    .zip(values.split_whitespace())
                    .skip(1)
                    .filter_map(|(n, v)| Some((n.to_string(), v.parse().ok()?)))
                    .collect(),
                _ => Default::default(),
            }
        }
    }

    impl Drop for Link {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::SeqCst);
            for t in self.threads.drain(..) {
                let _ = t.join();
            }
            // The TUN devices went with their descriptors; now the namespaces.
            let _ = run("ip", &["netns", "del", &self.device_ns]);
            let _ = run("ip", &["netns", "del", &self.server_ns]);
        }
    }

    /// One direction of the wire: reads packets from `from`, drops each with probability
    /// `loss`, and writes the others to `to` `delay` after reading them, in order.
    fn wire(
        mut from: File,
        mut to: File,
        delay: Duration,
        loss: f64,
        seed: u64,
        counters: Arc<Direction>,
        stop: Arc<AtomicBool>,
    ) -> [JoinHandle<()>; 2] {
        let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
        let reader_counters = counters.clone();
        let reader = std::thread::spawn(move || {
            let mut rng = super::Rng::new(seed);
            let mut buf = vec![0u8; 65_536];
            let mut poll = libc::pollfd {
                fd: from.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            while !stop.load(Ordering::SeqCst) {
                // SAFETY: one valid pollfd for the duration of the call.
                let ready = unsafe { libc::poll(&mut poll, 1, 50) };
                if ready <= 0 {
                    continue;
                }
                let n = match from.read(&mut buf) {
                    Ok(n) => n,
                    Err(_) => break,
                };
                if loss > 0.0 && rng.unit() < loss {
                    reader_counters.dropped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                if tx
                    .send((Instant::now() + delay, buf[..n].to_vec()))
                    .is_err()
                {
                    break;
                }
            }
        });
        let writer = std::thread::spawn(move || {
            // Ends when the reader ends and drops the sender.
            while let Ok((due, packet)) = rx.recv() {
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                // A write fails only while the far device is going away.
                if to.write(&packet).is_ok() {
                    counters.packets.fetch_add(1, Ordering::Relaxed);
                    counters
                        .bytes
                        .fetch_add(packet.len() as u64, Ordering::Relaxed);
                }
            }
        });
        [reader, writer]
    }
}

/// xorshift64*: reproducible draws without another dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: u64, hi_inclusive: u64) -> u64 {
        lo + self.next() % (hi_inclusive - lo + 1)
    }
    fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.unit().max(1e-12), self.unit());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// The server binary in the server namespace, killed on drop.
struct Server {
    child: Child,
    url: String,
    db: PathBuf,
}

impl Server {
    fn start(ns: &str, dir: &Path, cert: &Path, key: &str) -> Server {
        let db = dir.join("server.db");
        let key_path = dir.join("key.pem");
        std::fs::write(&key_path, key).unwrap();
        let listen = format!("{}:0", net::SERVER_ADDR);
        let mut child = net::Link::within(ns, || {
            Command::new(env!("CARGO_BIN_EXE_alluvium-sync"))
                .args(["serve", "--db"])
                .arg(&db)
                .args(["--listen", &listen, "--tls-cert"])
                .arg(cert)
                .arg("--tls-key")
                .arg(&key_path)
                .env("RUST_LOG", "warn")
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("starting alluvium-sync")
        });
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        assert!(url.starts_with("https://"), "{url}");
        Server { child, url, db }
    }

    fn admin(&self, args: &[&str], stdin: &str) -> String {
        admin(&self.db, args, stdin).unwrap_or_else(|e| panic!("admin {args:?}: {e}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A device database and the namespace it syncs from.
struct Device {
    path: PathBuf,
    ns: String,
}

impl Device {
    fn enrol(server: &Server, ns: &str, dir: &Path, user: &str, ca: &str) -> Device {
        let path = dir.join(format!("{user}.db"));
        let code = server
            .admin(&["enrol-code", "--region", REGION], "")
            .trim()
            .to_string();
        let d = Device {
            path,
            ns: ns.to_string(),
        };
        d.with_store(|store| {
            alluvium::sync::enrol(store, &server.url, &code, Some(ca.as_bytes()), false).unwrap();
            let kind = alluvium::sync::login(store, user, PASSWORD).unwrap();
            assert_eq!(kind, alluvium::sync::LoginKind::Online);
        });
        d
    }

    /// Runs `f` on the device's store, from inside its namespace.
    fn with_store<T: Send>(&self, f: impl FnOnce(&mut Store) -> T + Send) -> T {
        net::Link::within(&self.ns, || {
            let mut store = Store::open(&self.path).unwrap();
            f(&mut store)
        })
    }

    fn sync(&self) -> alluvium::sync::SyncReport {
        self.with_store(|store| {
            alluvium::sync::SyncClient::from_store(store)
                .unwrap()
                .sync(store)
                .unwrap()
        })
    }
}

/// One timed sync of the field device.
struct Measured {
    report: alluvium::sync::SyncReport,
    secs: f64,
    tcp: std::collections::HashMap<String, i64>,
}

/// A week of one site: seven days, one entry a day with its stones.
fn week(
    rng: &mut Rng,
    site: &Site,
    crew: &[DiggerId],
    first_day: chrono::NaiveDate,
) -> Vec<(ProductionEntry, Vec<Stone>)> {
    // The demo's Kono profile: median 0.15 ct, σ(ln) 1.2; 55 % gem, 25 % near-gem.
    let (median_ct, sigma) = (0.15f64, 1.2f64);
    (0..7)
        .map(|d| {
            let day = first_day + chrono::Days::new(d);
            let present: Vec<DiggerId> =
                crew.iter().copied().filter(|_| rng.unit() < 0.85).collect();
            let crew_size = present.len() as u32 + rng.range(0, 2) as u32;
            let gravel_m3 = f64::from(crew_size.max(1)) * (0.5 + 1.5 * rng.unit());
            let accuracy = (25.0 + rng.range(0, 65) as f64) / 10.0;
            let entry = ProductionEntry {
                id: ProductionId::new(),
                site_id: site.id,
                day,
                officer: "field_a".into(),
                fix: Some(PositionFix {
                    lat: ((site.position.lat + (rng.unit() - 0.5) * 1e-4) * 1e6).round() / 1e6,
                    lon: ((site.position.lon + (rng.unit() - 0.5) * 1e-4) * 1e6).round() / 1e6,
                    accuracy_m: accuracy,
                    source: FixSource::Nmea,
                    time: Some(
                        day.and_hms_opt(9, rng.range(0, 59) as u32, 0)
                            .unwrap()
                            .and_utc(),
                    ),
                }),
                crew_size,
                digger_ids: present,
                gravel: Litres((gravel_m3 * 10.0).round() as i64 * 100),
                notes: if rng.range(0, 30) == 0 {
                    "washing stopped early: heavy rain".into()
                } else {
                    String::new()
                },
                replaces: None,
            };
            let stones = (0..rng.range(20, 40))
                .map(|_| {
                    let ct = (median_ct.ln() + sigma * rng.normal()).exp();
                    let roll = rng.unit();
                    let (class, colours): (StoneClass, &[&str]) = if roll < 0.55 {
                        (
                            StoneClass::Gem,
                            &["white", "white", "off-white", "light yellow", "yellow"],
                        )
                    } else if roll < 0.80 {
                        (StoneClass::NearGem, &["yellow", "light brown", "grey"])
                    } else {
                        (StoneClass::Industrial, &["brown", "grey", "black", "green"])
                    };
                    Stone {
                        id: StoneId::new(),
                        production_id: entry.id,
                        weight: Centicarats(((ct * 100.0).round() as i64).max(1)),
                        class,
                        colour: colours[rng.range(0, colours.len() as u64 - 1) as usize].into(),
                    }
                })
                .collect();
            (entry, stones)
        })
        .collect()
}

/// Checks the server's database: every record of `week` was accepted exactly once, and the
/// server holds exactly `total` production and stone changes (nothing lost, nothing doubled).
fn verify_server(db: &Path, week: &[(ProductionEntry, Vec<Stone>)], total: usize) {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut once = conn
        .prepare(
            "SELECT (SELECT count(*) FROM changes WHERE entity = ?1 AND record_id = ?2),
                    (SELECT count(*) FROM records WHERE entity = ?1 AND record_id = ?2)",
        )
        .unwrap();
    let mut check = |entity: &str, id: String| {
        let (changes, records): (i64, i64) = once
            .query_row([entity, id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!(
            (changes, records),
            (1, 1),
            "{entity} {id} is on the server {changes} times"
        );
    };
    for (p, stones) in week {
        check("production", p.id.to_string());
        for s in stones {
            check("stone", s.id.to_string());
        }
    }
    let on_server: i64 = conn
        .query_row(
            "SELECT count(*) FROM changes WHERE entity IN ('production', 'stone')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        on_server, total as i64,
        "production and stone changes on the server"
    );
}

fn private_ca() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec![net::SERVER_ADDR.to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

/// Shows the link does what it should, independently of sync: five TCP connects (each one
/// round trip, more when a SYN is lost) and one 24 kB download (about 3 s at 64 kbit/s).
fn link_check(link: &net::Link) {
    use std::io::{Read, Write};
    const BULK: usize = 24_000;
    let listener = net::Link::within(&link.server_ns, || {
        std::net::TcpListener::bind((net::SERVER_ADDR, 0)).unwrap()
    });
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        for _ in 0..6 {
            let (mut conn, _) = listener.accept().unwrap();
            let mut ask = [0u8; 1];
            if conn.read_exact(&mut ask).is_ok() && ask[0] == 1 {
                conn.write_all(&vec![0x5a; BULK]).unwrap();
            }
        }
    });
    let (mut connects, bulk) = net::Link::within(&link.device_ns, || {
        let mut connects = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let mut c = std::net::TcpStream::connect(addr).unwrap();
            connects.push(t.elapsed().as_secs_f64() * 1000.0);
            c.write_all(&[0]).unwrap();
        }
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        let t = Instant::now();
        c.write_all(&[1]).unwrap();
        let mut got = Vec::new();
        c.read_to_end(&mut got).unwrap();
        assert_eq!(got.len(), BULK);
        (connects, t.elapsed().as_secs_f64())
    });
    server.join().unwrap();
    connects.sort_by(f64::total_cmp);
    println!(
        "link check: TCP connect {} ms (median {:.0} ms; a lost SYN costs 1 s); {} kB downloaded in {bulk:.2} s ({:.1} kbit/s of payload; the request's round trip and any loss recovery included)",
        connects
            .iter()
            .map(|c| format!("{c:.0}"))
            .collect::<Vec<_>>()
            .join("/"),
        median(&connects),
        BULK / 1000,
        BULK as f64 * 8.0 / bulk / 1000.0
    );
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

fn main() {
    let runs: usize = std::env::var("ALLUVIUM_SLOW_LINK_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(RUNS)
        .max(1);
    let force_emulated =
        std::env::var("ALLUVIUM_SLOW_LINK_MODE").is_ok_and(|m| m.eq_ignore_ascii_case("emulated"));
    let link = match net::Link::create(force_emulated) {
        Ok(link) => link,
        Err(net::Skip(reason)) => {
            println!("slow link: skipped: {reason}");
            return;
        }
    };
    println!(
        "slow link: 64 kbit/s each way, 400 ms round trip, 5 % loss; namespaces {} ({}) and {} ({})",
        link.device_ns,
        net::DEVICE_ADDR,
        link.server_ns,
        net::SERVER_ADDR
    );
    match &link.mode {
        net::Mode::Netem => println!(
            "mode: netem (delay 200ms rate 64kbit loss 5% on both ends, kernel TCP end to end)"
        ),
        net::Mode::Emulated(why) => {
            println!("mode: emulated — netem is not available: {why}");
            println!(
                "      kernel tbf 64 kbit/s on both ends; 200 ms one-way delay and 5 % Bernoulli \
                 packet loss added per IP packet by the wire thread; kernel TCP end to end"
            );
        }
    }

    link_check(&link);

    let dir = tempfile::tempdir().unwrap();
    let (ca_pem, cert_pem, key_pem) = private_ca();
    let cert_path = dir.path().join("cert.pem");
    std::fs::write(&cert_path, &cert_pem).unwrap();
    let server = Server::start(&link.server_ns, dir.path(), &cert_path, &key_pem);
    server.admin(
        &["region", "add", REGION, "--name", "Kono", "--country", "SL"],
        "",
    );
    for (user, role) in [
        ("field_a", "field_officer"),
        ("lic_a", "licensing_officer"),
        ("coord_a", "coordinator"),
    ] {
        server.admin(
            &[
                "officer",
                "add",
                user,
                "--role",
                role,
                "--regions",
                REGION,
                "--password-stdin",
            ],
            &format!("{PASSWORD}\n"),
        );
    }

    // The office (licensing officer, coordinator) sits next to the server: no slow link.
    let lic = Device::enrol(&server, &link.server_ns, dir.path(), "lic_a", &ca_pem);
    let coord = Device::enrol(&server, &link.server_ns, dir.path(), "coord_a", &ca_pem);
    // The first sync brings the regions.
    lic.sync();
    coord.sync();
    let diggers: Vec<Digger> = (0..CREW)
        .map(|i| {
            digger(
                REGION,
                &format!("SL-SLOW-{i:03}"),
                &format!("Crew Member {i}"),
            )
        })
        .collect();
    let mut li = licence(REGION, "KONO/SLOW/1", &diggers[0]);
    li.issued_on = today() - chrono::Days::new(400);
    let mut si = site(&li, "Slow link pit");
    si.opened_on = today() - chrono::Days::new(400);
    let crews: Vec<Crew> = diggers
        .iter()
        .map(|d| Crew {
            id: CrewId::new(),
            licence_id: li.id,
            site_id: Some(si.id),
            digger_id: d.id,
            from: si.opened_on,
            to: None,
        })
        .collect();
    lic.with_store(|s| {
        s.write(|w| {
            diggers.iter().try_for_each(|d| w.put_digger(d))?;
            w.put_licence(&li)?;
            w.put_site(&si)?;
            crews.iter().try_for_each(|c| w.put_crew(c))
        })
        .unwrap()
    });
    assert_eq!(lic.sync().rejected, 0);

    // The field device: enrolled and first synced over the slow link (not measured).
    let t = Instant::now();
    let field = Device::enrol(&server, &link.device_ns, dir.path(), "field_a", &ca_pem);
    let first = field.sync();
    println!(
        "field device enrolled, logged in and first synced over the slow link in {:.1} s ({} registry changes pulled; not measured)",
        t.elapsed().as_secs_f64(),
        first.pulled
    );

    let mut rng = Rng::new(7);
    let mut crew_ids: Vec<DiggerId> = diggers.iter().map(|d| d.id).collect();
    let mut previous: Vec<ProductionEntry> = Vec::new();
    let mut total = 0usize;
    let mut times = Vec::new();
    let (mut up_all, mut down_all) = (0u64, 0u64);
    let start_day = today() - chrono::Days::new(7 * (runs as u64 + 1));
    println!(
        "{} weeks: one warm-up, then {runs} measured (the whole sync: TCP + TLS connect, push, pull)",
        runs + 1
    );
    for w in 0..=runs {
        // The office's week: reviews of last week's entries, a newcomer joins the crew.
        let mut expect_pulled = 0;
        let mut newcomer_id = None;
        if !previous.is_empty() {
            coord.sync();
            let reviewer = coord.with_store(|s| s.session().unwrap().unwrap().officer_id);
            let reviews: Vec<Review> = previous
                .iter()
                .enumerate()
                .map(|(i, p)| Review {
                    id: ReviewId::new(),
                    target_entity: alluvium::domain::RecordKind::Production,
                    target_id: p.id.0,
                    decision: if i == 3 {
                        ReviewDecision::Queried
                    } else {
                        ReviewDecision::Approved
                    },
                    comment: if i == 3 {
                        "Weigh the largest stone again".into()
                    } else {
                        String::new()
                    },
                    reviewer,
                    at: chrono::Utc::now(),
                })
                .collect();
            coord.with_store(|s| {
                s.write(|w| reviews.iter().try_for_each(|r| w.add_review(r)))
                    .unwrap()
            });
            assert_eq!(coord.sync().pushed, reviews.len());
            let newcomer = digger(REGION, &format!("SL-SLOW-N{w:02}"), "New Crew Member");
            let joins = Crew {
                id: CrewId::new(),
                licence_id: li.id,
                site_id: Some(si.id),
                digger_id: newcomer.id,
                from: start_day + chrono::Days::new(7 * (w as u64 + 1)),
                to: None,
            };
            lic.with_store(|s| {
                s.write(|w| {
                    w.put_digger(&newcomer)?;
                    w.put_crew(&joins)
                })
                .unwrap()
            });
            assert_eq!(lic.sync().pushed, 2);
            // The device learns of the newcomer in this sync; they are on next week's entries.
            newcomer_id = Some(newcomer.id);
            expect_pulled = reviews.len() + 2;
        }

        // The field officer's week, recorded offline a day at a time.
        let days = week(
            &mut rng,
            &si,
            &crew_ids,
            start_day + chrono::Days::new(7 * w as u64),
        );
        let records: usize = days.iter().map(|(_, s)| 1 + s.len()).sum();
        field.with_store(|s| {
            for (p, stones) in &days {
                s.write(|w| {
                    w.add_production(p)?;
                    stones.iter().try_for_each(|st| w.add_stone(st))
                })
                .unwrap();
            }
        });
        let (up0, down0, dropped0) = (
            link.up.bytes.load(std::sync::atomic::Ordering::SeqCst),
            link.down.bytes.load(std::sync::atomic::Ordering::SeqCst),
            link.up.dropped.load(std::sync::atomic::Ordering::SeqCst)
                + link.down.dropped.load(std::sync::atomic::Ordering::SeqCst),
        );
        let m = field.with_store(|store| {
            let before = net::Link::tcp_counters();
            let t = Instant::now();
            let report = alluvium::sync::SyncClient::from_store(store)
                .unwrap()
                .sync(store)
                .unwrap();
            let secs = t.elapsed().as_secs_f64();
            let after = net::Link::tcp_counters();
            let tcp = after
                .iter()
                .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
                .collect();
            assert_eq!(store.pending_changes().unwrap(), 0, "the outbox is empty");
            Measured { report, secs, tcp }
        });
        // Let the last packets (FIN, ACKs) cross before reading the counters.
        std::thread::sleep(Duration::from_millis(500));
        let up = link.up.bytes.load(std::sync::atomic::Ordering::SeqCst) - up0;
        let down = link.down.bytes.load(std::sync::atomic::Ordering::SeqCst) - down0;
        let dropped = link.up.dropped.load(std::sync::atomic::Ordering::SeqCst)
            + link.down.dropped.load(std::sync::atomic::Ordering::SeqCst)
            - dropped0;
        assert_eq!(
            (m.report.pushed, m.report.rejected, m.report.pulled),
            (records, 0, expect_pulled),
            "week {w}: {:?}",
            m.report
        );
        total += records;
        verify_server(&server.db, &days, total);
        let tcp = |k: &str| m.tcp.get(k).copied().unwrap_or(0);
        println!(
            "  {} {w:>2}: {} entries + {:>3} stones pushed, {:>2} pulled: {:>5.2} s; {:>5.1} kB up + {:>4.1} kB down on the wire; {} TCP connection(s), {} segments out, {} retransmitted; {} packets lost on the link",
            if w == 0 { "warm-up" } else { "week   " },
            days.len(),
            records - days.len(),
            m.report.pulled,
            m.secs,
            up as f64 / 1000.0,
            down as f64 / 1000.0,
            tcp("ActiveOpens"),
            tcp("OutSegs"),
            tcp("RetransSegs"),
            dropped
        );
        if w > 0 {
            times.push(m.secs);
            up_all += up;
            down_all += down;
        }
        previous = days.into_iter().map(|(p, _)| p).collect();
        crew_ids.extend(newcomer_id);
    }

    times.sort_by(f64::total_cmp);
    let (med, max) = (median(&times), times[times.len() - 1]);
    println!(
        "a week of one site over the slow link ({} mode), {runs} runs: median {med:.2} s, max {max:.2} s; {:.1} kB up + {:.1} kB down per sync on average; every record on the server once",
        match link.mode {
            net::Mode::Netem => "netem",
            net::Mode::Emulated(_) => "emulated",
        },
        up_all as f64 / runs as f64 / 1000.0,
        down_all as f64 / runs as f64 / 1000.0,
    );
    println!(
        "target: under {} s: {}",
        LIMIT.as_secs(),
        if max < LIMIT.as_secs_f64() {
            "met (every run)"
        } else if med < LIMIT.as_secs_f64() {
            "NOT MET in every run (the median is under)"
        } else {
            "NOT MET"
        }
    );
    let (up, down) = (&link.up, &link.down);
    let ratio = |d: &net::Direction| {
        let lost = d.dropped.load(std::sync::atomic::Ordering::SeqCst) as f64;
        let passed = d.packets.load(std::sync::atomic::Ordering::SeqCst) as f64;
        100.0 * lost / (lost + passed).max(1.0)
    };
    if let net::Mode::Emulated(_) = link.mode {
        println!(
            "packets lost on the link over the whole benchmark: {:.1} % up, {:.1} % down ({} + {} packets)",
            ratio(up),
            ratio(down),
            up.packets.load(std::sync::atomic::Ordering::SeqCst)
                + up.dropped.load(std::sync::atomic::Ordering::SeqCst),
            down.packets.load(std::sync::atomic::Ordering::SeqCst)
                + down.dropped.load(std::sync::atomic::Ordering::SeqCst),
        );
    }
    drop(server);
    drop(link);
}
