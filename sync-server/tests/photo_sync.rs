//! Photos through the real server: a picture shown on three records is sent once; it arrives
//! whole through a link that cuts 30 % of connections; a device killed in the middle of an
//! upload resumes from the server's bytes without sending finished chunks again; a
//! coordinator's device fetches it byte-identical, an officer of another region cannot; what
//! breaks a limit is refused with its message and leaves nothing half-written on the server.

mod common;

use alluvium::domain::{OfficerId, Photo, PhotoId, RecordKind};
use alluvium::photo::{PhotoFiles, add_to_record};
use alluvium::store::Store;
use alluvium::sync::SyncClient;
use alluvium::sync::limits::PHOTO_CHUNK;
use common::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use test_kit::pictures::noise_jpeg;

/// A licence with a site and a day's production, registered and synced by the licensing
/// office and a field officer; returns the field officer's device (through `url`) and the ids.
fn field_device(server: &TestServer, url: &str) -> (Device, alluvium::domain::Site, uuid::Uuid) {
    let mut lic = server.device("SL-KONO", "lic_a");
    let dg = digger("SL-KONO", "SL-700", "Musu Sesay");
    let li = licence("SL-KONO", "KONO/AM/700", &dg);
    let si = site(&li, "Pit 700");
    lic.store
        .write(|w| {
            w.put_digger(&dg)?;
            w.put_licence(&li)?;
            w.put_site(&si)
        })
        .unwrap();
    assert_eq!(lic.sync().rejected, 0);
    let mut field = server.device_at(url, "SL-KONO", "field_a", None);
    let p = production(&si, "field_a", &[&dg]);
    field.store.write(|w| w.add_production(&p)).unwrap();
    (field, si, p.id.0)
}

fn officer(d: &Device) -> OfficerId {
    d.store.session().unwrap().unwrap().officer_id
}

/// The server's photo folder: whole pictures and partial uploads.
fn vault(server: &TestServer) -> std::path::PathBuf {
    if let test_kit::server::ServerDatabase::Postgres { photo_dir, .. } = &server.database {
        return photo_dir.clone();
    }
    let db = server.db();
    db.with_file_name(format!(
        "{}.photos",
        db.file_name().unwrap().to_string_lossy()
    ))
}

fn partial_len(server: &TestServer, sha: &str) -> u64 {
    std::fs::metadata(vault(server).join("partial").join(sha))
        .map(|m| m.len())
        .unwrap_or(0)
}

#[test]
fn a_picture_on_three_records_is_sent_once_and_fetched_byte_identical() {
    let server = TestServer::start();
    server.seed();
    let proxy = Proxy::start(&server.url);
    let (mut field, si, entry) = field_device(&server, &proxy.url());
    assert_eq!(field.sync().rejected, 0);
    let picture = noise_jpeg(900, 700, 11);
    let by = officer(&field);
    let mut sha = String::new();
    for (target, caption) in [
        (si.id.0, "The pit"),
        (entry, "Parcel"),
        (entry, "Parcel, sealed"),
    ] {
        sha = add_to_record(&mut field.store, target, &picture, caption, by)
            .unwrap()
            .sha256;
    }
    let up = proxy.up.load(Ordering::SeqCst);
    let r = field.sync();
    let on_the_wire = proxy.up.load(Ordering::SeqCst) - up;
    assert_eq!((r.pushed, r.rejected), (3, 0), "{r:?}");
    assert_eq!(r.pictures_sent, 1);
    assert_eq!(r.picture_bytes_sent, picture.len() as u64, "sent once");
    // Everything the device sent in this sync (three photo records, the picture in 64 KiB
    // chunks, HTTP headers): within 3 % of the picture's own size.
    let overhead = on_the_wire as f64 / picture.len() as f64;
    eprintln!(
        "picture {} bytes; sent {on_the_wire} bytes for it and its three records ({overhead:.4}×)",
        picture.len()
    );
    assert!(overhead < 1.03, "{overhead}");
    let st = server.stats();
    assert_eq!(
        (st["photos"].as_i64(), st["photo_bytes"].as_i64()),
        (Some(1), Some(picture.len() as i64)),
        "{st}"
    );
    // A second sync sends nothing more.
    let r = field.sync();
    assert_eq!((r.pictures_sent, r.picture_bytes_sent), (0, 0));

    // The coordinator's device fetches it once, byte-identical.
    let mut coord = server.device("SL-KONO", "coord_a");
    let files = PhotoFiles::of(&coord.store).unwrap();
    assert!(files.has(&sha), "fetched by the first sync");
    assert_eq!(files.read(&sha).unwrap(), picture);
    assert_eq!(coord.store.photos().unwrap().len(), 3);
    assert_eq!(coord.sync().pictures_fetched, 0);

    // An officer of another region is told nothing about it.
    let other = server.device("GH-AKWATIA", "coord_b");
    assert!(other.store.photos().unwrap().is_empty());
    let client = SyncClient::new(&server.url, None).unwrap();
    let err = client
        .picture_status(&other.session_token(), &sha)
        .unwrap_err()
        .to_string();
    assert!(err.contains("404"), "{err}");
    // A field officer of the region receives the photo records but not the entry's picture
    // (field officers do not receive production entries); the site's picture they may see.
    let field2 = server.device("SL-KONO", "field_a");
    assert_eq!(field2.store.photos().unwrap().len(), 3);
    assert!(PhotoFiles::of(&field2.store).unwrap().has(&sha));

    // A backup takes the pictures with the database (PostgreSQL is backed up with its own
    // tools, which admin backup says).
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("copy.db");
    if test_kit::postgres::backend() == test_kit::postgres::Backend::Postgres {
        let err = server
            .admin(&["backup", "--out", out.to_str().unwrap()], "")
            .unwrap_err();
        assert!(err.contains("pg_dump"), "{err}");
        return;
    }
    let said = server
        .admin(&["backup", "--out", out.to_str().unwrap()], "")
        .unwrap();
    assert!(said.contains("1 photos"), "{said}");
    let copied = dir.path().join("copy.db.photos").join(&sha[..2]).join(&sha);
    assert_eq!(std::fs::read(copied).unwrap(), picture);
}

/// A loopback proxy that cuts a share of connections at a random byte (either way) and can
/// slow the device's uploads to a rate.
struct Link {
    addr: String,
    up: Arc<AtomicU64>,
    cuts: Arc<AtomicU64>,
    connections: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Link {
    fn start(target: &str, cut_percent: u64, up_bytes_per_sec: Option<u64>) -> Link {
        let target = target.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let link = Link {
            addr: listener.local_addr().unwrap().to_string(),
            up: Arc::default(),
            cuts: Arc::default(),
            connections: Arc::default(),
            stop: Arc::default(),
        };
        let (up, cuts, connections, stop) = (
            link.up.clone(),
            link.cuts.clone(),
            link.connections.clone(),
            link.stop.clone(),
        );
        std::thread::spawn(move || {
            let mut rng = 0x9e37_79b9_7f4a_7c15u64;
            let mut next = move || {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                rng
            };
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = conn else { continue };
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                let n = connections.fetch_add(1, Ordering::SeqCst);
                // The device keeps one connection alive for all its requests, so the first
                // faulty connections are cut for certain (in a request, in an answer, in a
                // request), whatever the dice say; then `cut_percent` of them.
                let cut = cut_percent > 0 && (n < 3 || next() % 100 < cut_percent);
                let side = if n < 3 { n % 2 } else { next() % 2 };
                let (cut_up, cut_down) = match (cut, side) {
                    (false, _) => (None, None),
                    // Somewhere in a chunk's request, or early in the answer.
                    (true, 0) => (Some(1_000 + next() % 70_000), None),
                    (true, _) => (None, Some(next() % 300)),
                };
                if cut {
                    cuts.fetch_add(1, Ordering::SeqCst);
                }
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let up = up.clone();
                std::thread::spawn(move || pipe(c2, s2, cut_up, up_bytes_per_sec, Some(&up)));
                std::thread::spawn(move || pipe(server, client, cut_down, None, None));
            }
        });
        link
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.addr);
    }
}

fn pipe(
    mut from: TcpStream,
    mut to: TcpStream,
    cut_after: Option<u64>,
    rate: Option<u64>,
    count: Option<&AtomicU64>,
) {
    let mut buf = [0u8; 4096];
    let mut moved = 0u64;
    let started = Instant::now();
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let n = match cut_after {
            Some(limit) if moved + n as u64 > limit => {
                let keep = (limit - moved) as usize;
                let _ = to.write_all(&buf[..keep]);
                count.map(|c| c.fetch_add(keep as u64, Ordering::SeqCst));
                break;
            }
            _ => n,
        };
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
        moved += n as u64;
        count.map(|c| c.fetch_add(n as u64, Ordering::SeqCst));
        if let Some(rate) = rate {
            // Hold the pace: `moved` bytes may not leave before moved/rate seconds.
            let due = Duration::from_secs_f64(moved as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
    let _ = from.shutdown(std::net::Shutdown::Both);
    let _ = to.shutdown(std::net::Shutdown::Both);
}

#[test]
fn a_picture_arrives_once_and_intact_through_a_link_that_cuts_30_percent_of_connections() {
    let server = TestServer::start();
    server.seed();
    let link = Link::start(&server.url, 0, None);
    let (mut field, _, entry) = field_device(&server, &link.url());
    assert_eq!(field.sync().rejected, 0);
    let picture = noise_jpeg(1400, 1000, 5);
    let by = officer(&field);
    let sha = add_to_record(&mut field.store, entry, &picture, "Parcel", by)
        .unwrap()
        .sha256;
    // From here on, 30 % of connections are cut.
    let faulty = Link::start(&server.url, 30, None);
    field
        .store
        .set_sync_setting("server_url", &faulty.url())
        .unwrap();
    let mut attempts = 0;
    while !field.store.pictures_to_send().unwrap().is_empty() || attempts == 0 {
        attempts += 1;
        assert!(attempts <= 40, "not sent after 40 syncs");
        let _ = field.try_sync();
    }
    let cuts = faulty.cuts.load(Ordering::SeqCst);
    let connections = faulty.connections.load(Ordering::SeqCst);
    eprintln!("{attempts} syncs, {cuts} of {connections} connections cut");
    assert!(cuts > 0, "no connection was cut");
    assert_eq!(field.store.pending_changes().unwrap(), 0);
    assert!(field.store.rejected_changes().unwrap().is_empty());
    let st = server.stats();
    assert_eq!(
        (
            st["photos"].as_i64(),
            st["photo_bytes"].as_i64(),
            st["production"].as_i64()
        ),
        (Some(1), Some(picture.len() as i64), Some(1)),
        "{st}"
    );
    assert_eq!(partial_len(&server, &sha), 0, "nothing left half-written");
    // Exactly the device's bytes on the server.
    let coord = server.device("SL-KONO", "coord_a");
    assert_eq!(
        PhotoFiles::of(&coord.store).unwrap().read(&sha).unwrap(),
        picture
    );
}

/// `alluvium --db DB sync` as its own process.
fn sync_process(db: &Path) -> Command {
    let server_bin = Path::new(env!("CARGO_BIN_EXE_alluvium-sync"));
    let cli = server_bin.with_file_name(format!("alluvium{}", std::env::consts::EXE_SUFFIX));
    assert!(
        cli.is_file(),
        "{} is built by `cargo test --workspace`",
        cli.display()
    );
    let mut c = Command::new(cli);
    c.arg("--db").arg(db).arg("sync");
    c
}

#[test]
fn a_device_killed_mid_upload_resumes_without_resending_finished_chunks() {
    let server = TestServer::start();
    server.seed();
    // Uploads at 256 KB/s: a 1.6 MB picture takes about 6 s.
    let link = Link::start(&server.url, 0, Some(256 * 1024));
    let (mut field, _, entry) = field_device(&server, &link.url());
    assert_eq!(field.sync().rejected, 0);
    let picture = noise_jpeg(1400, 1000, 3);
    let by = officer(&field);
    let sha = add_to_record(&mut field.store, entry, &picture, "Parcel", by)
        .unwrap()
        .sha256;
    let Device { store, dir, path } = field;
    drop(store);
    let before = link.up.load(Ordering::SeqCst);
    let mut child = sync_process(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once the server holds at least a third of the picture.
    let deadline = Instant::now() + Duration::from_secs(60);
    while partial_len(&server, &sha) < picture.len() as u64 / 3 {
        assert!(Instant::now() < deadline, "the upload did not start");
        assert!(child.try_wait().unwrap().is_none(), "the sync ended early");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    let _ = child.wait();
    let held = partial_len(&server, &sha);
    assert!(held < picture.len() as u64, "killed before the end");
    let out = sync_process(&path).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent = link.up.load(Ordering::SeqCst) - before;
    eprintln!(
        "picture {} bytes, {held} held when the device was killed; {sent} bytes sent in all",
        picture.len()
    );
    // Sent again from scratch it would be at least picture + held; resumed, the picture once,
    // at most the chunk cut by the kill again, and the requests' headers.
    assert!(
        sent < picture.len() as u64 + 2 * PHOTO_CHUNK as u64,
        "{sent} bytes for a {} byte picture",
        picture.len()
    );
    let st = server.stats();
    assert_eq!(
        st["photo_bytes"].as_i64(),
        Some(picture.len() as i64),
        "{st}"
    );
    let store = Store::open(&path).unwrap();
    assert!(store.pictures_to_send().unwrap().is_empty());
    drop(dir);
}

#[test]
fn limits_are_refused_with_their_message_and_nothing_is_half_written() {
    let server = TestServer::start();
    server.seed();
    let (mut field, _, entry) = field_device(&server, &server.url);
    assert_eq!(field.sync().rejected, 0);
    let token = field.session_token();
    let by = officer(&field);
    let http = reqwest::blocking::Client::new();
    let api = |path: &str| format!("{}/api/v1{path}", server.url);

    // A photo record that declares more than 5 MB is refused by the record rules.
    let big = Photo {
        id: PhotoId::new(),
        target_entity: RecordKind::Production,
        target_id: entry,
        sha256: "ab".repeat(32),
        bytes: 6 * 1024 * 1024,
        width: 2000,
        height: 1500,
        caption: String::new(),
        taken_at: None,
        lat: None,
        lon: None,
        added_by: by,
        at: chrono::Utc::now(),
    };
    let err = field.store.write(|w| w.add_photo(&big)).unwrap_err();
    assert!(
        err.to_string()
            .contains("the photo is 6.0 MB; a photo may be at most 5 MB"),
        "{err}"
    );

    // A real photo, its record pushed, its picture not yet sent.
    let picture = noise_jpeg(400, 300, 9);
    let sha = add_to_record(&mut field.store, entry, &picture, "", by)
        .unwrap()
        .sha256;
    let photos_dir = PhotoFiles::of(&field.store).unwrap();
    // Push the record only: a sync with the picture file moved away sends the records and
    // leaves the picture owed.
    let path = photos_dir.path(&sha).unwrap();
    let aside = path.with_extension("aside");
    std::fs::rename(&path, &aside).unwrap();
    assert_eq!(field.sync().pictures_sent, 0);
    std::fs::rename(&aside, &path).unwrap();

    let put = |offset: u64, body: Vec<u8>| {
        // A body the server refuses from its length may be cut off while still being sent
        // (the server answers and closes without reading it); on a busy machine the client
        // then sees the connection end before the answer. Send again: the answer is the point.
        let mut tries = 0;
        let resp = loop {
            match http
                .put(api(&format!("/photos/{sha}?offset={offset}")))
                .bearer_auth(&token)
                .body(body.clone())
                .send()
            {
                Ok(resp) => break resp,
                Err(e) if e.is_request() && tries < 5 => tries += 1,
                Err(e) => panic!("{e}"),
            }
        };
        let status = resp.status().as_u16();
        let body: serde_json::Value = serde_json::from_slice(&resp.bytes().unwrap()).unwrap();
        (status, body)
    };
    // A chunk larger than the server takes: 413 with its message.
    let (status, body) = put(0, vec![0; 1024 * 1024 + 1]);
    assert_eq!(status, 413, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("at most 1048576 bytes")
    );
    // Past the end the record declares: 422.
    let (status, body) = put(0, vec![0; picture.len() + 1]);
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("past the photo's")
    );
    // Out of place: 409, saying where to go on from.
    let (status, body) = put(10, picture[10..20].to_vec());
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        body["message"],
        "the server holds 0 bytes of this photo; send from byte 0"
    );
    // The right number of bytes that are not the picture: refused whole, dropped.
    let mut wrong = picture.clone();
    wrong[100] ^= 0xFF;
    let (status, body) = put(0, wrong);
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("do not hash to its name")
    );
    assert_eq!(partial_len(&server, &sha), 0);
    assert_eq!(server.stats()["photos"].as_i64(), Some(0));
    // A name that is not a hash, and a query that does not fit.
    let resp = http
        .get(api("/photos/..%2F..%2Fetc%2Fpasswd"))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert!(resp.status().is_client_error());
    let resp = http
        .put(api(&format!("/photos/{sha}?offset=minus")))
        .bearer_auth(&token)
        .body(vec![1])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    // The device then sends it properly.
    let r = field.sync();
    assert_eq!(r.pictures_sent, 1, "{r:?}");
    assert_eq!(server.stats()["photos"].as_i64(), Some(1));
}
