//! The private network: two namespaces joined by TUN devices and the wire thread that
//! carries packets between them; everything is removed when the `Link` is dropped.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The field device's end of the link, in its namespace.
pub const DEVICE_ADDR: &str = "10.77.0.1";
/// The server's end of the link, in its namespace.
pub const SERVER_ADDR: &str = "10.77.0.2";
/// Half the round trip of a rural mobile link.
pub const ONE_WAY_DELAY: Duration = Duration::from_millis(200);
/// Share of packets lost each way.
pub const LOSS: f64 = 0.05;
/// Rate each way, as `tc` spells it.
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
                            "-n", ns, "qdisc", "add", "dev", ifname, "root", "tbf", "rate", RATE,
                            "burst", "1600", "limit", "100000",
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
        // Seeded, so every run loses the same packets of the same traffic.
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
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
            if loss > 0.0 && rng.random_bool(loss) {
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
