//! The real Slint UI driven headless through the testing backend, by accessible labels: what
//! an officer types and taps, and what the store holds afterwards.

use alluvium::app::{App, DiggersAdapter, LicencesAdapter, ProductionAdapter, SessionAdapter};
use alluvium::domain::Cents;
use alluvium::domain::{
    Area, Crew, CrewId, Digger, DiggerId, DiggerStatus, LatLon, Licence, LicenceId, LicenceKind,
    LicenceStatus, Officer, OfficerId, Position, Role, Sex, Site, SiteId, SiteKind, SiteStatus,
};
use alluvium::store::Store;
use chrono::NaiveDate;
use i_slint_backend_testing::AccessibleRole;
use i_slint_backend_testing::ElementHandle;
use slint::ComponentHandle;
use slint::Model;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

const TODAY: (i32, u32, u32) = (2026, 9, 15);

/// The password of the test's officer.
const PASSWORD: &str = "a long enough password";

/// A store with a local account `officer` of `role`, as after "Set up this device" and an
/// administrator adding the officer.
fn store_with(role: Role) -> Store {
    let mut store = Store::open_in_memory().unwrap();
    let officer = Officer {
        id: OfficerId::new(),
        username: "officer".into(),
        full_name: "Isatu Bangura".into(),
        role,
        regions: vec!["SL-KONO".into()],
    };
    store.write(|w| w.ensure_known_region("SL-KONO")).unwrap();
    alluvium::sync::add_local_officer(&mut store, &officer, PASSWORD).unwrap();
    store
}

struct Field {
    digger: Digger,
    site: Site,
}

/// A digger holding a licence with one site and a crew of that digger.
fn with_a_site(store: &mut Store) -> Field {
    let digger = Digger {
        id: DiggerId::new(),
        national_id: "SL-555001".into(),
        full_name: "Sahr Komba".into(),
        sex: Sex::Male,
        birth_date: day(1985, 4, 2),
        village: "Tombodu".into(),
        chiefdom: "Kamara".into(),
        phone: String::new(),
        region: "SL-KONO".into(),
        status: DiggerStatus::Active,
    };
    let licence = Licence {
        id: LicenceId::new(),
        number: "KONO/AM/2026/0007".into(),
        kind: LicenceKind::ArtisanalMining,
        holder_digger_id: Some(digger.id),
        holder_name: String::new(),
        region: "SL-KONO".into(),
        issued_on: day(2026, 1, 5),
        expires_on: day(2027, 1, 4),
        status: LicenceStatus::Active,
        area: Some(
            Area::from_corners(&[
                LatLon {
                    lat: 8.64,
                    lon: -10.97,
                },
                LatLon {
                    lat: 8.64,
                    lon: -10.969,
                },
                LatLon {
                    lat: 8.641,
                    lon: -10.969,
                },
                LatLon {
                    lat: 8.641,
                    lon: -10.97,
                },
            ])
            .unwrap(),
        ),
        fee_receipt: String::new(),
    };
    let site = Site {
        id: SiteId::new(),
        licence_id: licence.id,
        name: "Tombodu pit 3".into(),
        kind: SiteKind::Pit,
        status: SiteStatus::Active,
        position: Position {
            lat: 8.6405,
            lon: -10.9695,
            accuracy_m: 4.0,
        },
        opened_on: day(2026, 1, 20),
    };
    let crew = Crew {
        id: CrewId::new(),
        licence_id: licence.id,
        site_id: Some(site.id),
        digger_id: digger.id,
        from: day(2026, 1, 5),
        to: None,
    };
    store
        .write(|w| {
            w.put_digger(&digger)?;
            w.put_licence(&licence)?;
            w.put_site(&site)?;
            w.put_crew(&crew)
        })
        .unwrap();
    Field { digger, site }
}

fn app(store: Store) -> App {
    // A real rasteriser: the UI is laid out and drawn as on a device, so elements that appear
    // after a change (buttons shown once a licence exists) are there to be found.
    slint::platform::set_platform(Box::new(i_slint_backend_testing::TestingBackend::new(
        i_slint_backend_testing::TestingBackendOptions {
            mock_time: true,
            threading: false,
            renderer_name: Some("software".into()),
        },
    )))
    .expect("one platform per test thread");
    let app = App::new(store).unwrap();
    app.window()
        .window()
        .set_size(slint::PhysicalSize::new(1024, 600));
    app.set_today(day(TODAY.0, TODAY.1, TODAY.2));
    log_in(&app, "officer", PASSWORD);
    assert_eq!(
        app.window().global::<SessionAdapter>().get_gate(),
        0,
        "logged in: {}",
        app.window().global::<SessionAdapter>().get_e_login()
    );
    app
}

/// Logs in through the login screen.
fn log_in(app: &App, user: &str, password: &str) {
    type_into(app, "User name", user);
    type_into(app, "Password", password);
    tap(app, "Log in");
}

/// Lays out and draws the window once, as the event loop would between two taps.
fn settle(app: &App) {
    app.window()
        .window()
        .take_snapshot()
        .expect("the window renders");
}

fn element(app: &App, label: &str) -> ElementHandle {
    settle(app);
    ElementHandle::find_by_accessible_label(app.window(), label)
        .next()
        .unwrap_or_else(|| panic!("no element labelled {label:?}"))
}

/// The element with `label` and one of `roles` (a label's caption has the same text as the
/// field it names; only the field takes input).
fn with_role(app: &App, label: &str, roles: &[AccessibleRole]) -> ElementHandle {
    settle(app);
    ElementHandle::find_by_accessible_label(app.window(), label)
        .find(|e| e.accessible_role().is_some_and(|r| roles.contains(&r)))
        .unwrap_or_else(|| panic!("no {roles:?} labelled {label:?}"))
}

fn type_into(app: &App, label: &str, text: &str) {
    with_role(app, label, &[AccessibleRole::TextInput]).set_accessible_value(text);
}

fn tap(app: &App, label: &str) {
    with_role(
        app,
        label,
        &[AccessibleRole::Button, AccessibleRole::ListItem],
    )
    .invoke_accessible_default_action();
}

#[test]
fn a_licensing_officer_registers_a_digger() {
    let app = app(store_with(Role::LicensingOfficer));
    app.show_page(0);
    tap(&app, "Register a digger");
    type_into(&app, "Full name", "Mariama Conteh");
    type_into(&app, "National id or voter card", "SL-900123");
    type_into(&app, "Birth date (YYYY-MM-DD)", "1992-07-14");
    type_into(&app, "Village", "Motema");
    tap(&app, "Save digger");

    let a = app.window().global::<DiggersAdapter>();
    assert_eq!(a.get_status(), "Saved Mariama Conteh", "{}", a.get_status());
    let diggers = app.with_store(|s| s.diggers().unwrap());
    assert_eq!(diggers.len(), 1);
    assert_eq!(diggers[0].national_id, "SL-900123");
    assert_eq!(diggers[0].region, "SL-KONO");
    assert_eq!(a.get_count_text(), "1 diggers");
    // The search finds the new digger by a prefix of the surname.
    type_into(&app, "Search diggers", "cont");
    assert_eq!(a.get_count_text(), "1 of 1 diggers match");
}

#[test]
fn an_impossible_birth_date_is_shown_beside_its_field_and_nothing_is_saved() {
    let app = app(store_with(Role::LicensingOfficer));
    app.show_page(0);
    tap(&app, "Register a digger");
    type_into(&app, "Full name", "Aiah Sesay");
    type_into(&app, "National id or voter card", "SL-900124");
    type_into(&app, "Birth date (YYYY-MM-DD)", "1990-02-30");
    tap(&app, "Save digger");
    let a = app.window().global::<DiggersAdapter>();
    assert_eq!(
        a.get_e_birth_date(),
        "“1990-02-30” is not a date (YYYY-MM-DD)"
    );
    // The message is on screen, next to the field it belongs to.
    element(
        &app,
        "Birth date (YYYY-MM-DD): “1990-02-30” is not a date (YYYY-MM-DD)",
    );
    assert!(a.get_status_is_error());
    assert!(app.with_store(|s| s.diggers().unwrap()).is_empty());

    // An under-age digger is refused by the domain rule, also beside the field.
    type_into(&app, "Birth date (YYYY-MM-DD)", "2015-01-01");
    tap(&app, "Save digger");
    assert!(
        a.get_e_birth_date().contains("under 18"),
        "{}",
        a.get_e_birth_date()
    );
    assert!(app.with_store(|s| s.diggers().unwrap()).is_empty());
}

#[test]
fn a_licensing_officer_issues_a_licence_with_its_area() {
    let mut store = store_with(Role::LicensingOfficer);
    let field = with_a_site(&mut store);
    let app = app(store);
    app.show_page(1);
    tap(&app, "Issue a licence");
    type_into(&app, "Licence number", "KONO/AM/2026/0101");
    type_into(&app, "Holder (a registered digger) search", "komba");
    tap(&app, "Sahr Komba (SL-555001, Tombodu)");
    // Next to the existing licence: no overlap.
    type_into(
        &app,
        "Corners",
        "8.650, -10.970\n8.650, -10.969\n8.651, -10.969\n8.651, -10.970",
    );
    let a = app.window().global::<LicencesAdapter>();
    assert_eq!(a.get_area_text(), "Area: 1.22 ha");
    assert_eq!(a.get_e_corners(), "");
    type_into(&app, "Issue fee (USD)", "300.00");
    tap(&app, "Save licence");
    assert_eq!(
        a.get_status(),
        "Saved: licence KONO/AM/2026/0101",
        "{}",
        a.get_status()
    );
    let l = app
        .with_store(|s| s.licence_by_number("KONO/AM/2026/0101").unwrap())
        .expect("stored");
    assert_eq!(l.holder_digger_id, Some(field.digger.id));
    assert_eq!(l.expires_on, day(2027, 9, 14));

    // Its issue is the first event of its history, with the fee typed at issue.
    let fee = |s: &Store| {
        let h = s.licence_history(l.id).unwrap().unwrap();
        (h.events().len(), h.events()[0].event.fee_cents)
    };
    assert_eq!(app.with_store(fee), (1, Some(Cents(30_000))));

    // A suspension needs its reason; with one it is dated and the badge follows.
    tap(&app, "Suspend licence");
    assert_eq!(
        a.get_e_event(),
        "Reason is required when a licence is suspended"
    );
    type_into(&app, "Reason (suspension, revocation)", "royalties unpaid");
    tap(&app, "Suspend licence");
    assert_eq!(a.get_e_event(), "");
    assert_eq!(a.get_standing(), "suspended");
    let standing = |s: &Store| s.licence_standing_on(l.id, s_today()).unwrap().unwrap();
    assert_eq!(
        app.with_store(standing),
        alluvium::domain::LicenceStanding::Suspended
    );
    assert_eq!(a.get_history().row_count(), 2);

    // A renewal without its fee is refused beside the form; with it, it is recorded.
    tap(&app, "Renew licence");
    assert!(
        a.get_e_event()
            .starts_with("Renewal fee is required for a renewal"),
        "{}",
        a.get_e_event()
    );
    type_into(&app, "Renewal fee (USD)", "50.00");
    type_into(&app, "Renewal receipt", "OTP-2026-7");
    tap(&app, "Renew licence");
    assert_eq!(a.get_e_event(), "", "{}", a.get_status());
    assert_eq!(a.get_fees_text(), "2 fees paid, 350.00 USD in all");

    // A supporter is named beside the holder.
    type_into(&app, "Supporter name", "Alhaji Kamara");
    type_into(&app, "Supporter national id", "SL-88120");
    tap(&app, "Add supporter");
    assert_eq!(a.get_supporters().row_count(), 1);
    let named = app.with_store(|s| s.licence_supporters(l.id).unwrap());
    assert_eq!(named[0].full_name, "Alhaji Kamara");
}

fn s_today() -> NaiveDate {
    day(TODAY.0, TODAY.1, TODAY.2)
}

#[test]
fn an_overlapping_licence_is_refused_with_the_reason_beside_the_corners() {
    let mut store = store_with(Role::LicensingOfficer);
    with_a_site(&mut store);
    let app = app(store);
    app.show_page(1);
    tap(&app, "Issue a licence");
    type_into(&app, "Licence number", "KONO/AM/2026/0102");
    type_into(&app, "Holder (a registered digger) search", "komba");
    tap(&app, "Sahr Komba (SL-555001, Tombodu)");
    type_into(
        &app,
        "Corners",
        "8.6405, -10.9705\n8.6405, -10.9695\n8.6415, -10.9695\n8.6415, -10.9705",
    );
    tap(&app, "Save licence");
    let a = app.window().global::<LicencesAdapter>();
    assert_eq!(a.get_e_corners(), "Overlaps licence KONO/AM/2026/0007");
    assert!(
        app.with_store(|s| s.licence_by_number("KONO/AM/2026/0102").unwrap())
            .is_none()
    );
}

#[test]
fn a_field_officer_records_a_day_with_three_stones_and_sees_the_totals() {
    let mut store = store_with(Role::FieldOfficer);
    let field = with_a_site(&mut store);
    let app = app(store);
    app.show_page(3);
    type_into(&app, "Site search", "tombodu");
    tap(&app, "Tombodu pit 3 (KONO/AM/2026/0007, SL-KONO)");
    let a = app.window().global::<ProductionAdapter>();
    assert_eq!(
        a.get_workers(),
        "1",
        "the crew of the site is present by default"
    );
    type_into(&app, "Workers present", "14");
    type_into(&app, "Gravel washed (m³)", "12.5");
    for (carats, n) in [
        ("0.35", "1 stone"),
        ("1.20", "2 stones"),
        ("0.05", "3 stones"),
    ] {
        type_into(&app, "Carats", carats);
        tap(&app, "Add stone");
        assert_eq!(a.get_count_text(), n);
    }
    assert_eq!(a.get_total_text(), "1.60 ct");

    // Bad carat values are refused beside the field and change nothing.
    for bad in ["0.001", "abc", "0", "-2"] {
        type_into(&app, "Carats", bad);
        tap(&app, "Add stone");
        assert!(!a.get_e_carats().is_empty(), "{bad} should be refused");
        assert_eq!(a.get_count_text(), "3 stones");
    }
    type_into(&app, "Carats", "");

    tap(&app, "Save production");
    assert!(
        a.get_status()
            .starts_with("Saved: Tombodu pit 3 on 2026-09-15, 3 stones, 1.60 ct"),
        "{}",
        a.get_status()
    );
    let entries = app.with_store(|s| s.production_at(field.site.id, day(2026, 9, 15)).unwrap());
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(
        (e.crew_size, e.gravel.0, e.officer.as_str()),
        (14, 12_500, "officer")
    );
    assert_eq!(e.digger_ids, vec![field.digger.id]);
    let stones = app.with_store(|s| s.stones_of(e.id).unwrap());
    assert_eq!(
        stones.iter().map(|s| s.weight.0).collect::<Vec<_>>(),
        vec![35, 120, 5]
    );
    assert_eq!(
        a.get_count_text(),
        "0 stones",
        "the form is ready for the next day"
    );

    // A correction is a new version; the history shows both.
    tap(&app, "3 stones · 1.60 ct");
    type_into(&app, "Gravel washed (m³)", "10");
    tap(&app, "Save production");
    assert!(
        a.get_status().starts_with("Correction saved"),
        "{}",
        a.get_status()
    );
    let history = app.with_store(|s| s.production_history(e.id).unwrap());
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].replaces, Some(e.id));
    assert_eq!(
        app.with_store(|s| s.stones_of(history[1].id).unwrap())
            .len(),
        3
    );
}

#[test]
fn a_field_officer_adds_a_lot_of_small_stones_beside_single_stones() {
    let mut store = store_with(Role::FieldOfficer);
    let field = with_a_site(&mut store);
    let app = app(store);
    app.show_page(3);
    type_into(&app, "Site search", "tombodu");
    tap(&app, "Tombodu pit 3 (KONO/AM/2026/0007, SL-KONO)");
    let a = app.window().global::<ProductionAdapter>();
    type_into(&app, "Gravel washed (m³)", "4");
    type_into(&app, "Carats", "1.20");
    tap(&app, "Add stone");

    // Bad lots are refused beside their fields and add nothing.
    for (count, carats, sieve, count_error, carats_error) in [
        ("", "0.60", 0, true, false),
        ("1", "0.60", 0, true, false),
        ("30", "", 0, false, true),
        ("30", "abc", 0, false, true),
        ("100001", "2000.00", 0, true, false),
        // 3.00 ct for 30 stones is 0.10 ct a stone: not under 0.05 ct.
        ("30", "3.00", 0, false, true),
    ] {
        a.set_lot_sieve_index(sieve);
        type_into(&app, "Stones in lot", count);
        type_into(&app, "Lot carats", carats);
        tap(&app, "Add a lot");
        assert_eq!(
            (
                !a.get_e_lot_count().is_empty(),
                !a.get_e_lot_carats().is_empty()
            ),
            (count_error, carats_error),
            "{count} stones of {carats} ct: {} / {}",
            a.get_e_lot_count(),
            a.get_e_lot_carats()
        );
        assert_eq!(a.get_count_text(), "1 stone");
    }
    let e = a.get_e_lot_carats();
    assert!(e.contains("outside sieve class <0.05"), "{e}");

    // 250 stones under 0.05 ct weighing 5.00 ct, and 40 of the 0.05-0.1 sieve (2.87 ct).
    a.set_lot_sieve_index(0);
    type_into(&app, "Stones in lot", "250");
    type_into(&app, "Lot carats", "5.00");
    tap(&app, "Add a lot");
    assert_eq!(a.get_e_lot_count(), "");
    assert_eq!(a.get_e_lot_carats(), "");
    assert_eq!(a.get_count_text(), "251 stones");
    a.set_lot_sieve_index(1);
    type_into(&app, "Stones in lot", "40");
    type_into(&app, "Lot carats", "2.87");
    tap(&app, "Add a lot");
    assert_eq!(a.get_count_text(), "291 stones");
    assert_eq!(a.get_total_text(), "9.07 ct");

    // A lot typed but not added stops the save.
    type_into(&app, "Stones in lot", "12");
    tap(&app, "Save production");
    assert!(
        a.get_status().contains("lot is typed"),
        "{}",
        a.get_status()
    );
    type_into(&app, "Stones in lot", "");

    tap(&app, "Save production");
    assert!(
        a.get_status()
            .starts_with("Saved: Tombodu pit 3 on 2026-09-15, 291 stones, 9.07 ct"),
        "{}",
        a.get_status()
    );
    let entries = app.with_store(|s| s.production_at(field.site.id, day(2026, 9, 15)).unwrap());
    let stones = app.with_store(|s| s.stones_of(entries[0].id).unwrap());
    let mut got: Vec<(i64, u32, Option<&str>)> = stones
        .iter()
        .map(|s| (s.weight.0, s.count, s.sieve.map(|v| v.as_str())))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (120, 1, None),
            (287, 40, Some("0.05-0.1")),
            (500, 250, Some("<0.05")),
        ]
    );
    // The day's entry shows every stone.
    assert!(
        ElementHandle::find_by_accessible_label(app.window(), "291 stones · 9.07 ct")
            .next()
            .is_some()
    );
}

#[test]
fn a_field_officer_cannot_see_licences_or_edit_diggers() {
    let mut store = store_with(Role::FieldOfficer);
    with_a_site(&mut store);
    let app = app(store);
    app.show_page(1);
    let shell = app.window().global::<alluvium::app::AppAdapter>();
    assert!(!shell.get_show_licences());
    assert_eq!(
        shell.get_page(),
        0,
        "sent to the first page the role may see"
    );
    assert!(!app.window().global::<DiggersAdapter>().get_can_edit());
    assert!(
        ElementHandle::find_by_accessible_label(app.window(), "Register a digger")
            .next()
            .is_none()
    );
}

fn demo_store(role: Role) -> Store {
    let mut store = store_with(role);
    let end = day(TODAY.0, TODAY.1, TODAY.2);
    let opts = alluvium::demo::DemoOptions {
        seed: 4,
        diggers: 120,
        days: 60,
        end,
        regions: vec!["SL-KONO".into()],
    };
    let mut data = alluvium::demo::generate(&opts).unwrap();
    data.regions.clear(); // SL-KONO is already there
    alluvium::demo::load(&mut store, &data, end).unwrap();
    store
}

#[test]
fn a_coordinator_queries_a_flagged_record_with_a_comment() {
    let mut store = demo_store(Role::Coordinator);
    // A special stone (≥ 10.8 ct) is always flagged for separate reporting.
    let entry = store.production_entries().unwrap().remove(0);
    let stone = alluvium::domain::Stone {
        id: alluvium::domain::StoneId::new(),
        production_id: entry.id,
        weight: alluvium::domain::Centicarats(1250),
        class: alluvium::domain::StoneClass::Gem,
        colour: "white".into(),
        count: 1,
        sieve: None,
    };
    store.write(|w| w.add_stone(&stone)).unwrap();
    let app = app(store);
    app.show_page(5);
    let r = app.window().global::<alluvium::app::ReviewAdapter>();
    tap(&app, "Run checks");
    let flags = app.with_store(|s| {
        let data = s
            .check_data(&alluvium::store::FactFilter::default())
            .unwrap();
        alluvium::analytics::run_checks(
            &data,
            &Default::default(),
            &alluvium::analytics::PriceModel::standard(),
        )
    });
    assert!(
        flags.iter().any(|f| f.record_id == stone.id.0),
        "the special stone is flagged"
    );
    assert_eq!(
        r.get_count_text(),
        format!("{} of {} flags", flags.len(), flags.len())
    );
    let rows = r.get_rows();
    // The demo has special stones of its own: open each until ours.
    let special = (0..slint::Model::row_count(&rows))
        .filter(|&i| slint::Model::row_data(&rows, i).unwrap().title == "special stone")
        .find(|&i| {
            r.invoke_open(i as i32);
            r.get_detail_text().contains("12.50 ct")
        })
        .expect("the special stone is in the queue");
    r.invoke_open(special as i32);
    assert!(
        r.get_detail_text().contains("12.50 ct"),
        "{}",
        r.get_detail_text()
    );
    // Querying needs a comment for the officer.
    tap(&app, "Query");
    assert!(!r.get_e_comment().is_empty());
    assert!(app.with_store(|s| s.latest_decisions().unwrap()).is_empty());
    type_into(
        &app,
        "Comment",
        "Weigh this stone again in front of the supporter",
    );
    tap(&app, "Query");
    let decisions = app.with_store(|s| s.latest_decisions().unwrap());
    assert_eq!(decisions.len(), 1);
    assert_eq!(
        decisions.values().next(),
        Some(&alluvium::domain::ReviewDecision::Queried)
    );
    assert!(
        r.get_decisions_text()
            .contains("queried Weigh this stone again"),
        "{}",
        r.get_decisions_text()
    );
    // The query is a task on the Production page until the entry is corrected.
    app.show_page(3);
    let tasks = app.window().global::<ProductionAdapter>().get_tasks();
    assert_eq!(
        slint::Model::row_count(&tasks),
        1,
        "the open query is listed"
    );
}

#[test]
fn the_reports_page_totals_the_period_to_the_centicarat() {
    let app = app(demo_store(Role::Coordinator));
    app.show_page(6);
    let r = app.window().global::<alluvium::app::ReportsAdapter>();
    type_into(&app, "Period (2026, 2026-H1, 2026-Q3)", "2026-Q3");
    tap(&app, "Compute report");
    let expected: i64 = app.with_store(|s| {
        let from = day(2026, 7, 1);
        let to = day(2026, 9, 30);
        s.stone_facts(&alluvium::store::FactFilter::days(from, to))
            .unwrap()
            .iter()
            .map(|f| f.weight.0)
            .sum()
    });
    // The country lines (bold) together hold every stone of the period; no line adds
    // countries together.
    let kp = r.get_kp();
    let countries: i64 = (0..slint::Model::row_count(&kp))
        .map(|i| slint::Model::row_data(&kp, i).unwrap())
        .filter(|l| l.total)
        .map(|l| l.carats.parse::<alluvium::domain::Centicarats>().unwrap().0)
        .sum();
    assert_eq!(countries, expected);
    assert!(expected > 0);
    assert!(r.get_status().contains("under query"), "{}", r.get_status());
    // A bad period is refused beside the field.
    type_into(&app, "Period (2026, 2026-H1, 2026-Q3)", "2026-Q5");
    tap(&app, "Compute report");
    assert!(!r.get_e_period().is_empty());
    // Save as CSV writes the table.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kp.csv");
    type_into(&app, "Save the KP table as CSV to", path.to_str().unwrap());
    tap(&app, "Save as CSV");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("period,country,region,stones,carats"),
        "{text}"
    );
    assert!(text.contains(&alluvium::domain::Centicarats(expected).to_string()));
}

#[test]
fn a_field_officer_records_a_first_sale_prefilled_from_unsold_production() {
    let store = demo_store(Role::FieldOfficer);
    // A licence holder with unsold production and a dealer of the region.
    let (seller, dealer, offers) = store_pick(&store);
    let app = app(store);
    app.show_page(7);
    let s = app.window().global::<alluvium::app::SalesAdapter>();
    tap(&app, "Record a slip");
    type_into(&app, "Seller licence search", &seller.number);
    s.invoke_seller_pick(0);
    assert!(
        s.get_seller_chosen().starts_with(&seller.number),
        "{}",
        s.get_seller_chosen()
    );
    type_into(&app, "Buyer licence search", &dealer.number);
    s.invoke_buyer_pick(0);
    s.invoke_toggle_offer(0);
    assert_eq!(
        s.get_carats(),
        offers.weight.to_string(),
        "carats filled in from the chosen entry"
    );
    assert_eq!(s.get_stones(), offers.stones.to_string());
    type_into(&app, "Slip number", "BA-2026-0999");
    type_into(&app, "Price (USD)", "abc");
    tap(&app, "Save slip");
    assert!(
        !s.get_e_price().is_empty(),
        "a bad price is refused beside its field"
    );
    type_into(&app, "Price (USD)", "1250.50");
    type_into(&app, "Seals of the bags moved", "K-1; K-1");
    tap(&app, "Save slip");
    assert!(
        s.get_e_seals().contains("seal twice"),
        "{}",
        s.get_e_seals()
    );
    type_into(&app, "Seals of the bags moved", "K-1; K-2");
    tap(&app, "Save slip");
    assert!(
        s.get_status().starts_with("Saved slip BA-2026-0999"),
        "{}",
        s.get_status()
    );
    let sales = app.with_store(|st| st.sales().unwrap());
    let sale = sales
        .iter()
        .find(|x| x.slip_number == "BA-2026-0999")
        .expect("stored");
    assert_eq!(sale.production_ids, vec![offers.entry.id]);
    assert_eq!(sale.price.0, 125_050);
    assert_eq!(sale.buyer_licence_id, Some(dealer.id));
    assert_eq!(sale.seals, ["K-1", "K-2"]);
}

fn store_pick(store: &Store) -> (Licence, Licence, alluvium::store::ProductionOffer) {
    let licences = store.licences().unwrap();
    let dealer = licences
        .iter()
        .find(|l| {
            l.kind == LicenceKind::Dealer
                && l.standing_on(day(TODAY.0, TODAY.1, TODAY.2)).permits_work()
        })
        .expect("a dealer")
        .clone();
    for l in licences
        .iter()
        .filter(|l| l.kind == LicenceKind::ArtisanalMining)
    {
        let offers = store
            .production_offers(
                l.id,
                day(TODAY.0, TODAY.1, TODAY.2) - chrono::Duration::days(120),
            )
            .unwrap();
        if let Some(o) = offers
            .into_iter()
            .find(|o| o.sold_on.is_empty() && o.stones > 0)
        {
            return (l.clone(), dealer, o);
        }
    }
    panic!("no unsold production in the demo data");
}

#[test]
fn a_field_officer_records_the_bag_seal_and_a_bad_seal_is_refused_beside_its_field() {
    let mut store = store_with(Role::FieldOfficer);
    let field = with_a_site(&mut store);
    let app = app(store);
    app.show_page(3);
    type_into(&app, "Site search", "tombodu");
    tap(&app, "Tombodu pit 3 (KONO/AM/2026/0007, SL-KONO)");
    let a = app.window().global::<ProductionAdapter>();
    type_into(&app, "Gravel washed (m³)", "4");
    type_into(&app, "Carats", "1.20");
    tap(&app, "Add stone");

    type_into(&app, "Bag seal number", "KONO 77");
    tap(&app, "Save production");
    assert!(
        a.get_e_seal().contains("may hold only letters"),
        "{}",
        a.get_e_seal()
    );
    assert!(
        a.get_status().starts_with("Not saved"),
        "{}",
        a.get_status()
    );
    let saved =
        |app: &App| app.with_store(|s| s.production_at(field.site.id, day(2026, 9, 15)).unwrap());
    assert!(saved(&app).is_empty(), "nothing written");

    type_into(&app, "Bag seal number", "KONO-000077");
    tap(&app, "Save production");
    assert_eq!(a.get_e_seal(), "");
    assert!(a.get_status().starts_with("Saved"), "{}", a.get_status());
    assert_eq!(saved(&app)[0].seal, "KONO-000077");
    assert_eq!(a.get_seal(), "", "the form is cleared for the next entry");
}
