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
//! turnout, GPS fixes, notes and stones drawn with the demo data's own draws. Each measured week: the
//! coordinator reviews last week's seven entries and the licensing officer registers a new
//! digger and joins them to the crew (over the server's own loopback, unshaped); then the
//! field device, offline all week, records its seven days and syncs over the slow link:
//! it pushes the week and pulls the reviews and registry changes. After each run the server's
//! database is checked: every record of the week once, and nothing else.
//!
//! Photos (`ALLUVIUM_SLOW_LINK_PHOTOS=N`, default 0): after the weeks, the field device puts N
//! pictures of about 2 MB on last week's entries and syncs them over the same link, timed.
//!
//! Run: `cargo bench -p alluvium-sync --bench slow_link`
//!
//! Layout: `net.rs` builds and shapes the link, `endpoints.rs` runs the server and the
//! devices, `workload.rs` draws and checks the records; this file runs the weeks and reports.

#[path = "../../tests/common/mod.rs"]
mod common;
mod endpoints;
mod net;
mod photos;
mod workload;

use alluvium::domain::ProductionEntry;
use common::{PASSWORD, today};
use endpoints::{Device, Server};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::{Duration, Instant};

/// The limit the benchmark checks against.
const LIMIT: Duration = Duration::from_secs(10);
/// Measured weeks unless `ALLUVIUM_SLOW_LINK_RUNS` says otherwise.
const RUNS: usize = 10;
const REGION: &str = "SL-KONO";
const CREW: usize = 10;

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
    let (ca_pem, cert_pem, key_pem) = endpoints::private_ca();
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
    let busy = workload::register_site(&lic);

    // The field device: enrolled and first synced over the slow link (not measured).
    let t = Instant::now();
    let field = Device::enrol(&server, &link.device_ns, dir.path(), "field_a", &ca_pem);
    let first = field.sync();
    println!(
        "field device enrolled, logged in and first synced over the slow link in {:.1} s ({} registry changes pulled; not measured)",
        t.elapsed().as_secs_f64(),
        first.pulled
    );

    let mut field_weeks = workload::FieldWeeks::new(ChaCha8Rng::seed_from_u64(7));
    let mut crew_ids = busy.crew.clone();
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
            let joins_on = start_day + chrono::Days::new(7 * (w as u64 + 1));
            let (newcomer, pulled) =
                workload::office_week(&coord, &lic, &busy, &previous, w, joins_on);
            // The device learns of the newcomer in this sync; they are on next week's entries.
            newcomer_id = Some(newcomer);
            expect_pulled = pulled;
        }

        // The field officer's week, recorded offline a day at a time.
        let days = field_weeks.week(
            &busy.site,
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
        let m = field.timed_sync();
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
        workload::verify_server(&server.db, &days, total);
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
    let n = photos::wanted();
    if n > 0 {
        photos::run(&link, &server, &field, &previous, n);
    }
    drop(server);
    drop(link);
}
