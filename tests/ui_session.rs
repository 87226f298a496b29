//! Who is at the device, driven through the real window with the testing backend: enrolment
//! with the real `alluvium-sync` binary on 127.0.0.1 and a real one-time code, logins online
//! and offline, wrong codes and passwords, and the pages each role's account opens.
//!
//! The server binary is found beside the test binaries: `cargo test --workspace` builds it;
//! alone, run `cargo build -p alluvium-sync` first.

use alluvium::app::{App, AppAdapter, SessionAdapter, SettingsAdapter};
use alluvium::domain::{Officer, OfficerId, Role};
use alluvium::store::Store;
use i_slint_backend_testing::ElementHandle;
use slint::ComponentHandle;
use std::time::Duration;
use test_kit::server::{PASSWORD, TestServer};

mod ui_kit;
use ui_kit::{log_in, settle, tap, type_into, wait_for, window as app};

fn session(app: &App) -> SessionAdapter<'_> {
    app.window().global::<SessionAdapter>()
}

/// No page of the records is reachable: every navigation entry hidden, no officer line.
fn assert_no_access(app: &App) {
    let shell = app.window().global::<AppAdapter>();
    assert_ne!(session(app).get_gate(), 0, "the login screen stays");
    assert!(!shell.get_show_diggers() && !shell.get_show_production());
    assert!(!shell.get_show_review() && !shell.get_show_reports());
    assert_eq!(shell.get_officer_text(), "");
}

#[test]
fn enrol_with_a_real_server_then_log_in_online_and_after_it_stops_offline() {
    let server = TestServer::start();
    server.seed();
    let dir = tempfile::tempdir().unwrap();
    let app = app(Store::open(&dir.path().join("device.db")).unwrap());
    assert_eq!(session(&app).get_gate(), 1, "first start");
    tap(&app, "Enrol with a server");

    // Nobody answers at this address.
    type_into(&app, "Server address", "http://127.0.0.1:9");
    type_into(&app, "Enrolment code", "whatever");
    tap(&app, "Enrol");
    wait_for(&app, "enrolment", |a| !session(a).get_working());
    let e = session(&app).get_enrol_error();
    assert!(e.contains("does not answer"), "{e}");

    // A code the server never made.
    type_into(&app, "Server address", &server.url);
    type_into(&app, "Enrolment code", "not-a-real-code");
    tap(&app, "Enrol");
    wait_for(&app, "enrolment", |a| !session(a).get_working());
    let e = session(&app).get_enrol_error();
    assert!(e.contains("not known to the server"), "{e}");
    assert_eq!(session(&app).get_gate(), 1);
    settle(&app);
    assert!(
        ElementHandle::find_by_accessible_label(app.window(), &format!("Enrolment problem: {e}"))
            .next()
            .is_some(),
        "the message is on screen"
    );

    // A code used already.
    let used = server.code("SL-KONO");
    let mut other = Store::open_in_memory().unwrap();
    alluvium::sync::enrol(&mut other, &server.url, &used, None, false).unwrap();
    type_into(&app, "Enrolment code", &used);
    tap(&app, "Enrol");
    wait_for(&app, "enrolment", |a| !session(a).get_working());
    let e = session(&app).get_enrol_error();
    assert!(e.contains("already used"), "{e}");

    // The real code.
    type_into(&app, "Enrolment code", &server.code("SL-KONO"));
    tap(&app, "Enrol");
    wait_for(&app, "enrolment", |a| session(a).get_gate() == 2);
    assert!(
        session(&app).get_login_note().contains(&server.url),
        "{}",
        session(&app).get_login_note()
    );

    // A wrong password: a message, and nothing of the records.
    log_in(&app, "field_a", "not the password");
    assert!(!session(&app).get_e_login().is_empty());
    assert_no_access(&app);

    // Online: the role and region come from the server's account.
    log_in(&app, "field_a", PASSWORD);
    assert_eq!(
        session(&app).get_gate(),
        0,
        "{}",
        session(&app).get_e_login()
    );
    let shell = app.window().global::<AppAdapter>();
    let who = shell.get_officer_text();
    assert!(
        who.contains("field officer") && who.contains("SL-KONO"),
        "{who}"
    );
    assert!(shell.get_show_production() && !shell.get_show_review());
    tap(&app, "Log out");
    assert_eq!(session(&app).get_gate(), 2);
    assert_no_access(&app);

    // The server stops: the password cached at the online login still opens the session.
    drop(server);
    log_in(&app, "field_a", "still not the password");
    assert!(!session(&app).get_e_login().is_empty());
    assert_no_access(&app);
    log_in(&app, "field_a", PASSWORD);
    assert_eq!(
        session(&app).get_gate(),
        0,
        "{}",
        session(&app).get_e_login()
    );
    assert!(session(&app).get_status().contains("offline"));
    assert!(shell.get_officer_text().contains("field officer"));
}

/// A local account per role, as an administrator makes them.
fn store_with_every_role() -> Store {
    let mut store = Store::open_in_memory().unwrap();
    store.write(|w| w.ensure_known_region("SL-KONO")).unwrap();
    for (username, role) in [
        ("field", Role::FieldOfficer),
        ("licensing", Role::LicensingOfficer),
        ("coordinator", Role::Coordinator),
        ("admin", Role::Admin),
    ] {
        let o = Officer {
            id: OfficerId::new(),
            username: username.into(),
            full_name: format!("The {username}"),
            role,
            regions: vec!["SL-KONO".into()],
        };
        alluvium::sync::add_local_officer(&mut store, &o, "password of the role").unwrap();
    }
    store
}

#[test]
fn each_role_sees_only_its_pages_and_cannot_reach_the_others() {
    let app = app(store_with_every_role());
    assert_eq!(
        session(&app).get_gate(),
        2,
        "accounts exist: the login screen"
    );
    let shell = app.window().global::<AppAdapter>();
    // (user, diggers, licences, sites, production, review, reports, sales)
    let cases = [
        ("field", [true, false, true, true, false, false, true]),
        ("licensing", [true, true, true, false, false, false, true]),
        ("coordinator", [true; 7]),
        ("admin", [true; 7]),
    ];
    let pages = [0, 1, 2, 3, 5, 6, 7];
    for (user, expected) in cases {
        log_in(&app, user, "password of the role");
        assert_eq!(session(&app).get_gate(), 0, "{user} logged in");
        let shown = [
            shell.get_show_diggers(),
            shell.get_show_licences(),
            shell.get_show_sites(),
            shell.get_show_production(),
            shell.get_show_review(),
            shell.get_show_reports(),
            shell.get_show_sales(),
        ];
        assert_eq!(shown, expected, "{user}'s pages");
        for (page, allowed) in pages.iter().zip(expected) {
            // What a tap on the rail would do, even for a page whose entry is hidden.
            shell.invoke_navigate(*page);
            assert_eq!(
                shell.get_page() == *page,
                allowed,
                "{user} reaching page {page}"
            );
        }
        tap(&app, "Log out");
        assert_no_access(&app);
    }
}

#[test]
fn set_up_this_device_then_the_administrator_adds_an_officer_in_settings() {
    let app = app(Store::open_in_memory().unwrap());
    assert_eq!(session(&app).get_gate(), 1, "first start");
    tap(&app, "Set up this device");
    type_into(&app, "Administrator's name", "Mariama Koroma");
    type_into(&app, "Administrator's user name", "mkoroma");
    type_into(&app, "New password", "short");
    type_into(&app, "Password again", "short");
    tap(&app, "Set up");
    assert!(session(&app).get_e_admin_password().contains("At least 8"));
    assert_eq!(session(&app).get_gate(), 1, "nothing set up");
    type_into(&app, "New password", "office password");
    type_into(&app, "Password again", "office passwort");
    tap(&app, "Set up");
    assert_eq!(
        session(&app).get_e_admin_password2(),
        "The two passwords differ"
    );
    type_into(&app, "Password again", "office password");
    tap(&app, "Set up");
    assert_eq!(
        session(&app).get_gate(),
        0,
        "{}",
        session(&app).get_status()
    );
    let shell = app.window().global::<AppAdapter>();
    assert!(shell.get_officer_text().contains("administrator"));

    // Settings: a field officer for Kono.
    shell.invoke_navigate(8);
    assert_eq!(shell.get_page(), 8);
    let settings = app.window().global::<SettingsAdapter>();
    assert!(settings.get_can_add_officers());
    type_into(&app, "Officer's name", "Isatu Bangura");
    type_into(&app, "Officer's user name", "ibangura");
    type_into(&app, "Regions (codes, comma-separated)", "SL-KONO");
    type_into(&app, "Officer's password", "field password");
    tap(&app, "Add officer");
    assert!(
        settings
            .get_officers_status()
            .contains("ibangura can now log in"),
        "{} / {} / {}",
        settings.get_officers_status(),
        settings.get_e_new_regions(),
        settings.get_e_new_name()
    );

    tap(&app, "Log out");
    log_in(&app, "ibangura", "field password");
    assert_eq!(
        session(&app).get_gate(),
        0,
        "{}",
        session(&app).get_e_login()
    );
    assert!(shell.get_show_production() && !shell.get_show_licences());
    shell.invoke_navigate(8);
    assert!(
        !settings.get_can_add_officers(),
        "only an administrator adds officers"
    );
    // The accounts live in the device database: a new window starts at the login screen.
    app.with_store(|s| assert_eq!(s.cached_officers().unwrap().len(), 2));
}

#[test]
fn the_screen_locks_after_the_idle_time_and_opens_only_with_the_officers_password() {
    let app = app(store_with_every_role());
    log_in(&app, "field", "password of the role");
    assert_eq!(session(&app).get_gate(), 0);
    let minute = Duration::from_secs(60);

    // Default 15 minutes; movement of the pointer starts the clock again.
    i_slint_backend_testing::mock_elapsed_time(14 * minute);
    assert_eq!(session(&app).get_gate(), 0, "not yet");
    app.window()
        .window()
        .dispatch_event(slint::platform::WindowEvent::PointerMoved {
            position: slint::LogicalPosition::new(500.0, 300.0),
        });
    i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(10));
    i_slint_backend_testing::mock_elapsed_time(14 * minute);
    assert_eq!(session(&app).get_gate(), 0, "the movement counted as use");
    i_slint_backend_testing::mock_elapsed_time(2 * minute);
    assert_eq!(session(&app).get_gate(), 3, "locked after 15 idle minutes");
    assert!(session(&app).get_locked_officer().contains("The field"));

    // Another officer's password does not open it; the officer's own does.
    type_into(&app, "Password to unlock", "password of another");
    tap(&app, "Unlock");
    assert_eq!(session(&app).get_gate(), 3);
    assert!(!session(&app).get_e_unlock().is_empty());
    type_into(&app, "Password to unlock", "password of the role");
    tap(&app, "Unlock");
    assert_eq!(session(&app).get_gate(), 0);

    // Five minutes, set in Settings and kept in the device database.
    let shell = app.window().global::<AppAdapter>();
    shell.invoke_navigate(8);
    type_into(&app, "Lock after this many idle minutes", "0");
    tap(&app, "Save the lock time");
    let settings = app.window().global::<SettingsAdapter>();
    assert!(!settings.get_e_lock_minutes().is_empty());
    type_into(&app, "Lock after this many idle minutes", "5");
    tap(&app, "Save the lock time");
    assert_eq!(settings.get_e_lock_minutes(), "");
    app.with_store(|s| assert_eq!(s.setting("lock_minutes").unwrap().as_deref(), Some("5")));
    i_slint_backend_testing::mock_elapsed_time(4 * minute);
    assert_eq!(session(&app).get_gate(), 0);
    i_slint_backend_testing::mock_elapsed_time(2 * minute);
    assert_eq!(session(&app).get_gate(), 3, "locked after 5 idle minutes");
    // "Log out" on the lock screen lets another officer log in.
    tap(&app, "Log out and let another officer log in");
    assert_eq!(session(&app).get_gate(), 2);
    assert_no_access(&app);
}

#[test]
fn settings_keep_a_gps_source_chosen_by_hand_and_refuse_a_wrong_one() {
    let app = app(store_with_every_role());
    // The receiver belongs to the device: any officer chooses it.
    log_in(&app, "field", "password of the role");
    let shell = app.window().global::<AppAdapter>();
    shell.invoke_navigate(8);
    let settings = app.window().global::<SettingsAdapter>();
    type_into(
        &app,
        "Or a serial device, or gpsd as host:port",
        "/dev/no-such-receiver",
    );
    tap(&app, "Use this GPS device");
    assert!(settings.get_e_gps_path().contains("does not exist"));
    type_into(
        &app,
        "Or a serial device, or gpsd as host:port",
        "/dev/null",
    );
    type_into(&app, "Baud rate", "1234");
    tap(&app, "Use this GPS device");
    assert!(settings.get_e_gps_baud().contains("9600"));
    type_into(&app, "Baud rate", "");
    type_into(
        &app,
        "Or a serial device, or gpsd as host:port",
        "127.0.0.1:2948",
    );
    tap(&app, "Use this GPS device");
    assert_eq!(settings.get_e_gps_path(), "");
    app.with_store(|s| {
        assert_eq!(
            s.setting("gps_source").unwrap().as_deref(),
            Some("gpsd:127.0.0.1:2948")
        )
    });
    if std::env::var_os("ALLUVIUM_GPSD").is_none() && std::env::var_os("ALLUVIUM_NMEA").is_none() {
        assert!(
            settings
                .get_gps_current()
                .contains("gpsd at 127.0.0.1:2948"),
            "{}",
            settings.get_gps_current()
        );
    }
    tap(&app, "No GPS receiver");
    app.with_store(|s| assert_eq!(s.setting("gps_source").unwrap().as_deref(), Some("none")));
}
