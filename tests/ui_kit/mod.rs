//! What the UI tests share: the real window on Slint's testing backend (software renderer,
//! mock time) at the field tablets' 1024×600, and an officer's hands on it — find a control
//! by its accessible label, type into it, tap it, and let the window's timers run until a
//! worker's result has arrived.
#![allow(dead_code)]

use alluvium::app::{App, SessionAdapter};
use alluvium::store::Store;
use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use slint::ComponentHandle;
use std::time::{Duration, Instant};

/// The app's window over `store`, on the testing backend of this test's thread, at 1024×600.
pub fn window(store: Store) -> App {
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
    app
}

/// Renders a frame, so that the element tree is laid out as the officer sees it.
pub fn settle(app: &App) {
    app.window().window().take_snapshot().expect("renders");
}

/// The first element labelled `label` with one of `roles`; panics naming both when none.
pub fn find(app: &App, label: &str, roles: &[AccessibleRole]) -> ElementHandle {
    settle(app);
    ElementHandle::find_by_accessible_label(app.window(), label)
        .find(|e| e.accessible_role().is_some_and(|r| roles.contains(&r)))
        .unwrap_or_else(|| panic!("no {roles:?} labelled {label:?}"))
}

/// Types `text` into the text field labelled `label` (replacing what it held).
pub fn type_into(app: &App, label: &str, text: &str) {
    find(app, label, &[AccessibleRole::TextInput]).set_accessible_value(text);
}

/// Taps the button labelled `label`.
pub fn tap(app: &App, label: &str) {
    find(app, label, &[AccessibleRole::Button]).invoke_accessible_default_action();
}

/// Lets the window's timers run (a worker's result is picked up by one) until `done`, for at
/// most a minute of real time.
pub fn wait_for(app: &App, what: &str, done: impl Fn(&App) -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if done(app) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

/// Logs in through the login screen and waits until the login has been checked.
pub fn log_in(app: &App, user: &str, password: &str) {
    type_into(app, "User name", user);
    type_into(app, "Password", password);
    tap(app, "Log in");
    wait_for(app, "the login to be checked", |a| {
        !a.window().global::<SessionAdapter>().get_working()
    });
}
