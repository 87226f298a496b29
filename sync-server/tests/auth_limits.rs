//! What an outsider or a stranger's device can make the server do before it knows them: the
//! login and enrolment findings of the server review (issue 13, findings 6–9 and 13). Most
//! tests call the application in process (`app(state).oneshot(request)`) on a store in a
//! temporary directory; those about the command line and the device client run the real
//! binary.

mod common;

use alluvium::domain::Role;
use alluvium::sync::codec;
use alluvium::sync::limits::{MAX_FAILED_LOGINS, MAX_SMALL_BODY, MAX_USERNAME};
use alluvium_sync::auth::hash_password;

use alluvium_sync::db::NewOfficer;
use alluvium_sync::{AppState, app};
use axum::Router;
use axum::body::Body;
use axum::http::Request;
use common::{PASSWORD, TestServer};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tower::ServiceExt;
use uuid::Uuid;

/// A server store with one region and one field officer, and an enrolled device.
struct Fixture {
    _dir: tempfile::TempDir,
    db: common::Server,
    state: AppState,
    device: Uuid,
    device_token: String,
}

/// Runs `f` on a thread of its own: the store's PostgreSQL client blocks on a runtime of its
/// own, which cannot start inside the test's (the server runs it under `spawn_blocking`).
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().expect("the store call does not panic"))
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = common::open_store(dir.path());
    db.add_region("SL-KONO", "Kono", "SL").unwrap();
    db.add_officer(&NewOfficer {
        username: "field_a".into(),
        full_name: "Field A".into(),
        role: Role::FieldOfficer,
        regions: vec!["SL-KONO".into()],
        password_hash: hash_password(PASSWORD).unwrap(),
    })
    .unwrap();
    let device = Uuid::now_v7();
    let code = db.make_enrol_code("SL-KONO", 3600).unwrap();
    let (device_token, _) = db.enrol(&code, device, None).unwrap();
    let state = AppState::new(db.clone());
    Fixture {
        _dir: dir,
        db,
        state,
        device,
        device_token,
    }
}

/// A POST to `/api/v1{path}`.
fn post(path: &str, token: Option<&str>, body: Vec<u8>, zstd: bool) -> Request<Body> {
    let mut r = Request::post(format!("/api/v1{path}"))
        .header("content-type", "application/json")
        .header("content-length", body.len());
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    if zstd {
        r = r.header("content-encoding", "zstd");
    }
    r.body(Body::from(body)).unwrap()
}

fn login_body(user: &str, password: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "username": user, "password": password })).unwrap()
}

/// Status and JSON body of one request.
async fn call(app: &Router, req: Request<Body>) -> (u16, serde_json::Value) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{status}: not JSON ({e}): {bytes:?}"));
    (status, body)
}

async fn health(app: &Router) -> Duration {
    let t = Instant::now();
    let req = Request::get("/api/v1/health").body(Body::empty()).unwrap();
    let (status, _) = call(app, req).await;
    assert_eq!(status, 200);
    t.elapsed()
}

/// What the server logs, captured.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).to_string()
    }
}

/// Finding 6: a long user name is refused before the failed-login map or argon2 sees it, an
/// oversized one before it is even read, and the log shows only the start of a refused name.
#[tokio::test]
async fn memory_from_logins_long_names_are_refused_first_and_logged_truncated() {
    let f = off_runtime(fixture);
    let app = app(f.state.clone());
    let token = Some(f.device_token.as_str());
    let log = Log::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer({
            let log = log.clone();
            move || log.clone()
        })
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // Longer than a user name may be, but within the body limit.
    let long = format!("{}{}", "q".repeat(MAX_USERNAME - 2), "Z".repeat(3_000));
    let t = Instant::now();
    let (status, body) = call(&app, post("/login", token, login_body(&long, "x"), false)).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains(&format!("at most {MAX_USERNAME} bytes")),
        "{body}"
    );
    assert!(
        t.elapsed() < Duration::from_millis(300),
        "refused without a password check: {:?}",
        t.elapsed()
    );
    assert_eq!(
        off_runtime(|| f.db.failed_logins(&long.to_lowercase()).unwrap()),
        0,
        "the name was never counted"
    );
    let logged = log.text();
    assert!(logged.contains("user name too long"), "{logged}");
    assert!(
        !logged.contains(&"Z".repeat(3)),
        "the log holds at most {MAX_USERNAME} characters of the name: {logged}"
    );

    // A 60 MB name: refused from its declared length, unread.
    let huge = login_body(&"n".repeat(60_000_000), "x");
    let (status, body) = call(&app, post("/login", token, huge, false)).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"], "too_large");
    // Without a declared length, reading stops at the limit.
    let req = Request::post("/api/v1/login")
        .header("authorization", format!("Bearer {}", f.device_token))
        .body(Body::from(vec![b' '; MAX_SMALL_BODY + 1]))
        .unwrap();
    let (status, _) = call(&app, req).await;
    assert_eq!(status, 413);

    // A name of the longest length is still an ordinary (wrong) login.
    let (status, _) = call(
        &app,
        post(
            "/login",
            token,
            login_body(&"a".repeat(MAX_USERNAME), "x"),
            false,
        ),
    )
    .await;
    assert_eq!(status, 401);
    let longest = "a".repeat(MAX_USERNAME);
    assert_eq!(off_runtime(|| f.db.failed_logins(&longest).unwrap()), 1);
}

/// Finding 7: enrolment and login take a few KB, compressed or not, so a 2 KB zstd bomb is
/// refused before it can expand; the server keeps answering meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_memory_blow_up_small_routes_take_small_bodies() {
    let f = off_runtime(fixture);
    let app = app(f.state.clone());
    // A couple of KB that would expand to 64 MiB.
    let bomb = codec::compress(&vec![b' '; 64 * 1024 * 1024]).unwrap();
    assert!(bomb.len() < MAX_SMALL_BODY, "{} bytes", bomb.len());

    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (app, bomb) = (app.clone(), bomb.clone());
        tasks.push(tokio::spawn(async move {
            call(&app, post("/enrol", None, bomb, true)).await
        }));
    }
    let mut slowest = Duration::ZERO;
    while tasks.iter().any(|t| !t.is_finished()) {
        slowest = slowest.max(health(&app).await);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 413, "{body}");
        assert_eq!(body["error"], "too_large");
    }
    assert!(
        slowest < Duration::from_millis(500),
        "/health took {slowest:?}"
    );

    let token = Some(f.device_token.as_str());
    for (what, req) in [
        ("login bomb", post("/login", token, bomb.clone(), true)),
        (
            "pull bomb",
            post("/pull", Some("no session"), bomb.clone(), true),
        ),
        (
            "enrolment larger than a few KB",
            post("/enrol", None, vec![b' '; MAX_SMALL_BODY + 1], false),
        ),
        (
            "login larger than a few KB",
            post("/login", token, vec![b' '; MAX_SMALL_BODY + 1], false),
        ),
    ] {
        let (status, body) = call(&app, req).await;
        // The pull is refused for its missing session before its body is read.
        let expected = if what == "pull bomb" { 401 } else { 413 };
        assert_eq!(status, expected, "{what}: {body}");
    }
    // A compressed enrolment within the limits is still read.
    let code = off_runtime(|| f.db.make_enrol_code("SL-KONO", 3600).unwrap());
    let fresh = serde_json::json!({ "code": code, "device_id": Uuid::now_v7() });
    let z = codec::compress(&serde_json::to_vec(&fresh).unwrap()).unwrap();
    let (status, body) = call(&app, post("/enrol", None, z, true)).await;
    assert_eq!(status, 200, "{body}");
}

/// Finding 7: a large (authenticated) body is decompressed and parsed on the blocking pool, so
/// even a single async worker keeps answering while a push of 60 MiB is decoded.
#[tokio::test(flavor = "current_thread")]
async fn unauthenticated_memory_blow_up_large_bodies_are_decoded_off_the_async_workers() {
    let f = off_runtime(fixture);
    let officer = off_runtime(|| f.db.account("field_a").unwrap().unwrap().officer);
    let session = off_runtime(|| f.db.open_session(f.device, officer.id.0).unwrap());
    let app = app(f.state.clone());
    let mut json = br#"{"changes":["#.to_vec();
    json.extend(vec![b' '; 60 * 1024 * 1024]);
    json.extend(b"]}");
    let body = codec::compress(&json).unwrap();
    drop(json);
    let push = tokio::spawn({
        let app = app.clone();
        async move {
            let t = Instant::now();
            let answer = call(&app, post("/push", Some(&session), body, true)).await;
            (answer, t.elapsed())
        }
    });
    // Each round trip includes a sleep, during which the push runs: were it decoded on this
    // (only) async thread, one round would last the whole decoding.
    let mut slowest = Duration::ZERO;
    let mut rounds = 0;
    while !push.is_finished() {
        let t = Instant::now();
        tokio::time::sleep(Duration::from_millis(5)).await;
        health(&app).await;
        slowest = slowest.max(t.elapsed());
        rounds += 1;
    }
    let ((status, body), took) = push.await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(
        slowest < Duration::from_millis(200) && slowest * 2 < took,
        "a /health round took {slowest:?} while the push took {took:?} ({rounds} rounds)"
    );
}

/// Finding 8: 40 concurrent wrong passwords for one user: each attempt counts before its
/// password is checked, so only the first few reach argon2 and the rest are refused at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lockout_race_concurrent_wrong_passwords_are_counted_before_any_check() {
    let f = off_runtime(fixture);
    let app = app(f.state.clone());
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (app, token) = (app.clone(), f.device_token.clone());
        tasks.push(tokio::spawn(async move {
            let body = login_body("field_a", &format!("guess {i}"));
            call(&app, post("/login", Some(&token), body, false))
                .await
                .0
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked, MAX_FAILED_LOGINS as usize, "{statuses:?}");
    assert_eq!(refused, 40 - checked, "{statuses:?}");
    // The right password is refused too, until the window passes.
    let body = login_body("field_a", PASSWORD);
    let (status, body) = call(&app, post("/login", Some(&f.device_token), body, false)).await;
    assert_eq!(status, 429, "{body}");
    assert!(body["message"].as_str().unwrap().contains("wait"), "{body}");
}

/// Finding 9: a device id already enrolled cannot be enrolled again (which would hand its
/// token and region to whoever knows the id); the device keeps working, the code stays unused.
#[tokio::test]
async fn device_takeover_an_enrolled_device_id_cannot_enrol_again() {
    let f = off_runtime(fixture);
    off_runtime(|| f.db.add_region("GH-AKWATIA", "Akwatia", "GH").unwrap());
    let app = app(f.state.clone());
    let code = off_runtime(|| f.db.make_enrol_code("GH-AKWATIA", 3600).unwrap());
    let enrol = |device: Uuid, code: &str| {
        post(
            "/enrol",
            None,
            serde_json::to_vec(&serde_json::json!({ "code": code, "device_id": device })).unwrap(),
            false,
        )
    };
    let (status, body) = call(&app, enrol(f.device, &code)).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "conflict");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("already enrolled"), "{message}");
    assert!(message.contains("device id"), "says what to do: {message}");
    // The device keeps its token and its region.
    let device = off_runtime(|| f.db.device_by_token(&f.device_token).unwrap().unwrap());
    assert_eq!(device.region, "SL-KONO");
    let login = post(
        "/login",
        Some(&f.device_token),
        login_body("field_a", PASSWORD),
        false,
    );
    let (status, body) = call(&app, login).await;
    assert_eq!(status, 200, "{body}");
    // The code was not used up: a new device enrols with it.
    let (status, body) = call(&app, enrol(Uuid::now_v7(), &code)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["region"], "GH-AKWATIA");
    // A revoked device is told so.
    off_runtime(|| f.db.revoke_device(f.device).unwrap());
    let code = off_runtime(|| f.db.make_enrol_code("SL-KONO", 3600).unwrap());
    let (status, body) = call(&app, enrol(f.device, &code)).await;
    assert_eq!(status, 401, "{body}");
    assert!(body["message"].as_str().unwrap().contains("revoked"));
}

/// Finding 13: an unknown user name is checked against a hash of no one's password, so it
/// takes as long to refuse as a wrong password for a real officer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_name_enumeration_by_timing_unknown_names_take_as_long_as_wrong_passwords() {
    let f = off_runtime(fixture);
    let app = app(f.state.clone());
    let token = f.device_token.as_str();
    let timed = |user: String| {
        let app = app.clone();
        async move {
            let t = Instant::now();
            let (status, _) = call(
                &app,
                post("/login", Some(token), login_body(&user, "no"), false),
            )
            .await;
            assert_eq!(status, 401, "{user}");
            t.elapsed()
        }
    };
    timed("warm_up".into()).await;
    let (mut known, mut unknown) = (Duration::MAX, Duration::MAX);
    for i in 0..3 {
        known = known.min(timed("field_a".into()).await);
        unknown = unknown.min(timed(format!("ghost_{i}")).await);
    }
    assert!(
        unknown * 2 > known,
        "an unknown name took {unknown:?}, a wrong password {known:?}"
    );
}

/// Finding 13: a login refused for too many failures is an error for the officer, not a
/// reason to log in offline against the cached hash.
#[test]
fn a_login_refused_for_too_many_failures_is_not_an_offline_login() {
    let server = TestServer::start();
    server.seed();
    let mut d = server.device("SL-KONO", "field_a");
    for _ in 0..MAX_FAILED_LOGINS {
        let e = alluvium::sync::login(&mut d.store, "field_a", "wrong password").unwrap_err();
        assert!(
            matches!(e, alluvium::sync::SyncError::Credentials(_)),
            "{e:?}"
        );
    }
    let e = alluvium::sync::login(&mut d.store, "field_a", PASSWORD).unwrap_err();
    assert!(
        matches!(&e, alluvium::sync::SyncError::Credentials(m) if m.contains("too many failed logins")),
        "{e:?}"
    );
}

/// The failed-login count is kept in the server's database: restarting the server does not
/// give a guesser a fresh allowance.
#[test]
fn failed_logins_survive_a_server_restart() {
    let mut server = TestServer::start();
    server.seed();
    let mut d = server.device("SL-KONO", "field_a");
    for _ in 0..MAX_FAILED_LOGINS {
        alluvium::sync::login(&mut d.store, "field_a", "wrong password").unwrap_err();
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    server.restart();
    let e = alluvium::sync::login(&mut d.store, "field_a", PASSWORD).unwrap_err();
    assert!(
        matches!(&e, alluvium::sync::SyncError::Credentials(m) if m.contains("too many failed logins")),
        "{e:?}"
    );
}

/// Finding 13: plain HTTP is served on loopback only, unless `--allow-plain-http` says so.
#[test]
fn plain_http_is_refused_on_an_address_other_machines_reach() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let serve = |extra: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_alluvium-sync"));
        c.args([
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--listen",
            "0.0.0.0:0",
        ])
        .args(extra)
        .env("RUST_LOG", "warn")
        .env_remove("ALLUVIUM_SYNC_ALLOW_PLAIN_HTTP");
        c
    };
    let out = serve(&[]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("--allow-plain-http"), "{stderr}");
    assert!(stderr.contains("--tls-cert"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing served");

    let mut child = serve(&["--allow-plain-http"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert!(line.starts_with("listening on http://0.0.0.0:"), "{line}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("plain HTTP"),
        "the server says so: {stderr}"
    );
}

/// Finding 13: `enrol-code --hours` too large for seconds is a clear error, not an overflow.
#[test]
fn enrol_code_hours_overflow_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    common::admin(
        &db,
        &[
            "region",
            "add",
            "SL-KONO",
            "--name",
            "Kono",
            "--country",
            "SL",
        ],
        "",
    )
    .unwrap();
    let code = |unit: &str, n: i64| {
        common::admin(
            &db,
            &["enrol-code", "--region", "SL-KONO", unit, &n.to_string()],
            "",
        )
    };
    let e = code("--hours", i64::MAX).unwrap_err();
    assert!(e.contains("--hours") && e.contains("too large"), "{e}");
    assert!(!e.contains("panicked"), "{e}");
    let e = code("--hours", i64::MAX / 3600).unwrap_err();
    assert!(e.contains("too long"), "{e}");
    let e = code("--seconds", i64::MAX).unwrap_err();
    assert!(e.contains("too long") && !e.contains("panicked"), "{e}");
    assert!(code("--hours", 24).is_ok());
}
