//! One enrolment file instead of three things to type: `alluvium-sync admin … enrolment-file`
//! writes the server's address, a one-time code and the server's CA certificate; a device
//! enrols from it on the command line (`alluvium enrol --file`) and in the window (first start),
//! against the real server binary on 127.0.0.1 over TLS with a private CA. Errors in plain
//! words: unreadable, not an enrolment file, code used, code expired.

use alluvium::app::{SessionAdapter, SettingsAdapter};
use alluvium::store::Store;
use slint::ComponentHandle;
use std::path::{Path, PathBuf};
use std::time::Duration;
use test_kit::cli::ALLUVIUM;
use test_kit::server::TestServer;
use test_kit::tls::PrivateCa;

mod ui_kit;
use ui_kit::{tap, type_into, wait_for, window as app};

/// A server on TLS signed by a private CA, seeded, and the CA's PEM file.
fn tls_server(dir: &Path) -> (TestServer, PathBuf) {
    let ca = PrivateCa::generate();
    let files = ca.server_files(dir, &["localhost", "127.0.0.1"]);
    let server = TestServer::start_with(&[
        "--tls-cert",
        files.cert.to_str().unwrap(),
        "--tls-key",
        files.key.to_str().unwrap(),
    ]);
    assert!(server.url.starts_with("https://"), "{}", server.url);
    server.seed();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    (server, ca_file)
}

/// `admin enrolment-file` for SL-KONO; `extra` e.g. a short validity.
fn enrolment_file(server: &TestServer, ca: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "enrolment-file",
        "--region",
        "SL-KONO",
        "--server",
        &server.url,
        "--ca-cert",
        ca.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    server.admin(&args, "").expect("the admin command succeeds")
}

#[test]
fn the_admin_writes_one_file_and_a_device_enrols_from_it_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ca) = tls_server(dir.path());
    let file = dir.path().join("kono.enrol");
    let said = enrolment_file(&server, &ca, &file, &[]);
    assert!(said.contains("region SL-KONO"), "{said}");
    let text = std::fs::read_to_string(&file).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["format"], "alluvium-enrolment/1");
    assert_eq!(json["server_url"], server.url.as_str());
    assert_eq!(json["region"], "SL-KONO");
    assert_eq!(
        json["ca_cert"],
        std::fs::read_to_string(&ca).unwrap().as_str()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "readable by its owner only: {mode:o}");
    }

    // The device enrols over TLS with the file's certificate, then an officer logs in.
    let db = dir.path().join("device.db");
    let out = ALLUVIUM.ok(&db, &["enrol", "--file", file.to_str().unwrap()]);
    assert!(out.contains("region SL-KONO"), "{out}");
    let login = ALLUVIUM.run_with_input(
        &db,
        &["login", "--user", "field_a", "--password-stdin"],
        &format!("{}\n", test_kit::server::PASSWORD),
    );
    assert!(login.status.success(), "{login:?}");

    // The same file again: the code is used. One line, nothing written.
    let other = dir.path().join("other.db");
    let e = ALLUVIUM.fails(&other, &["enrol", "--file", file.to_str().unwrap()]);
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(e.contains("already used"), "{e}");

    // Not an enrolment file, a missing one, and both ways at once.
    let e = ALLUVIUM.fails(&other, &["enrol", "--file", ca.to_str().unwrap()]);
    assert!(e.contains("is not an Alluvium enrolment file"), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    let missing = dir.path().join("nowhere.enrol");
    let e = ALLUVIUM.fails(&other, &["enrol", "--file", missing.to_str().unwrap()]);
    assert!(e.contains("cannot read"), "{e}");
    let e = ALLUVIUM.fails(
        &other,
        &["enrol", "--file", file.to_str().unwrap(), "--code", "x"],
    );
    assert!(e.contains("cannot be used with"), "{e}");
    let store = Store::open(&other).unwrap();
    assert!(store.sync_setting("device_token").unwrap().is_none());

    // A file whose code has expired says so.
    let short = dir.path().join("short.enrol");
    enrolment_file(&server, &ca, &short, &["--seconds", "1"]);
    std::thread::sleep(Duration::from_millis(2100));
    let e = ALLUVIUM.fails(&other, &["enrol", "--file", short.to_str().unwrap()]);
    assert!(e.contains("expired"), "{e}");

    // The admin command refuses what a device could not use.
    let e = server
        .admin(
            &[
                "enrolment-file",
                "--region",
                "SL-KONO",
                "--server",
                &server.url,
                "--ca-cert",
                file.to_str().unwrap(),
                "--out",
                dir.path().join("x.enrol").to_str().unwrap(),
            ],
            "",
        )
        .unwrap_err();
    assert!(e.contains("no PEM certificate"), "{e}");
    assert!(!dir.path().join("x.enrol").exists());
}

#[test]
fn first_start_enrols_from_the_file_and_says_what_is_wrong_with_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ca) = tls_server(dir.path());
    let file = dir.path().join("kono.enrol");
    enrolment_file(&server, &ca, &file, &[]);

    let app = app(Store::open(&dir.path().join("device.db")).unwrap());
    let session = app.window().global::<SessionAdapter>();
    assert_eq!(session.get_gate(), 1, "first start");
    tap(&app, "Enrol with a server");

    // The certificate instead of the enrolment file: said beside the field, nothing sent.
    type_into(
        &app,
        "Enrolment file from your office",
        ca.to_str().unwrap(),
    );
    tap(&app, "Enrol from file");
    let e = session.get_e_enrol_file();
    assert!(e.contains("is not an Alluvium enrolment file"), "{e}");
    assert!(!session.get_working());

    type_into(
        &app,
        "Enrolment file from your office",
        file.to_str().unwrap(),
    );
    tap(&app, "Enrol from file");
    assert_eq!(session.get_e_enrol_file(), "");
    wait_for(&app, "enrolment", |a| {
        !a.window().global::<SessionAdapter>().get_working()
    });
    assert_eq!(session.get_enrol_error(), "");
    assert_eq!(session.get_gate(), 2, "the login screen");
    let note = session.get_login_note();
    assert!(
        note.contains(&server.url) && note.contains("SL-KONO"),
        "{note}"
    );
    app.with_store(|s| {
        assert_eq!(
            s.sync_setting("ca_cert").unwrap().as_deref(),
            Some(std::fs::read_to_string(&ca).unwrap().as_str())
        );
    });

    // Settings: an administrator enrols the device again from a new file.
    type_into(&app, "User name", "admin");
    type_into(&app, "Password", test_kit::server::PASSWORD);
    tap(&app, "Log in");
    wait_for(&app, "the login", |a| {
        a.window().global::<SessionAdapter>().get_gate() == 0
    });
    app.show_page(8);
    // The button sits below the page's fold; its callback is what it runs.
    let settings = app.window().global::<SettingsAdapter>();
    assert!(settings.get_can_enrol());
    settings.invoke_enrol_again();
    assert_eq!(session.get_gate(), 1);
    let again = dir.path().join("again.enrol");
    enrolment_file(&server, &ca, &again, &[]);
    type_into(
        &app,
        "Enrolment file from your office",
        again.to_str().unwrap(),
    );
    tap(&app, "Enrol from file");
    wait_for(&app, "enrolment again", |a| {
        !a.window().global::<SessionAdapter>().get_working()
    });
    // The same server knows this device already: said in words, the device stays as it was.
    let e = session.get_enrol_error();
    assert!(e.contains("already enrolled with this server"), "{e}");
    assert_eq!(session.get_gate(), 1);

    // A file of another server (the office moved the device): enrolled there.
    let other_dir = tempfile::tempdir().unwrap();
    let (other, other_ca) = tls_server(other_dir.path());
    let moved = dir.path().join("moved.enrol");
    enrolment_file(&other, &other_ca, &moved, &[]);
    type_into(
        &app,
        "Enrolment file from your office",
        moved.to_str().unwrap(),
    );
    tap(&app, "Enrol from file");
    wait_for(&app, "enrolment with the other server", |a| {
        !a.window().global::<SessionAdapter>().get_working()
    });
    assert_eq!(session.get_enrol_error(), "");
    assert_eq!(
        session.get_gate(),
        2,
        "the login screen after enrolling again"
    );
    assert!(session.get_login_note().contains(&other.url));
}
