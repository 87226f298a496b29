//! The enrolment form of the first start (and of Settings' "Enrol with a server"): the
//! server's address, one-time code and CA certificate typed in, or one enrolment file from the
//! office. Errors in plain words beside the form; enrolling runs on a worker.

use super::context::Ctx;
use super::session_adapter::{plain, to_login};
use super::{AppWindow, SessionAdapter, shell_adapter};
use crate::sync::SyncError;
use crate::tr;
use slint::ComponentHandle;
use std::rc::Rc;

/// Enrols with the server, code and certificate typed on the form.
pub fn enrol(app: &AppWindow, ctx: &Rc<Ctx>) {
    let s = app.global::<SessionAdapter>();
    let url = s.get_server_url().trim().to_string();
    let code = s.get_code().trim().to_string();
    let ca_path = s.get_ca_path().trim().to_string();
    s.set_enrol_error("".into());
    s.set_e_enrol_file("".into());
    s.set_e_server_url(if url.is_empty() {
        tr!("Enter the server's address, e.g. https://sync.example.org").into()
    } else {
        "".into()
    });
    s.set_e_code(if code.is_empty() {
        tr!("Enter the one-time code your office gave you").into()
    } else {
        "".into()
    });
    let pem = if ca_path.is_empty() {
        s.set_e_ca_path("".into());
        None
    } else {
        match std::fs::read(&ca_path) {
            Ok(p) => {
                s.set_e_ca_path("".into());
                Some(p)
            }
            Err(e) => {
                s.set_e_ca_path(tr!("Cannot read this file: {}", e).into());
                return;
            }
        }
    };
    if url.is_empty() || code.is_empty() {
        return;
    }
    let u = url.clone();
    run(app, ctx, url, move |store| {
        crate::sync::enrol(store, &u, &code, pem.as_deref(), false)
    });
}

/// Enrols from the enrolment file named on the form (server, code and certificate in one).
pub fn enrol_from_file(app: &AppWindow, ctx: &Rc<Ctx>) {
    let s = app.global::<SessionAdapter>();
    let path = s.get_enrol_file().trim().to_string();
    s.set_enrol_error("".into());
    s.set_e_server_url("".into());
    s.set_e_code("".into());
    s.set_e_ca_path("".into());
    if path.is_empty() {
        s.set_e_enrol_file(
            tr!("Enter where the enrolment file is, e.g. /media/usb/kono.enrol").into(),
        );
        return;
    }
    // What is wrong with the file itself is said beside the field, before any network.
    let file = match crate::sync::EnrolmentFile::read(std::path::Path::new(&path)) {
        Ok(f) => f,
        Err(e) => {
            s.set_e_enrol_file(plain(&e).into());
            return;
        }
    };
    s.set_e_enrol_file("".into());
    let p = std::path::PathBuf::from(path);
    run(app, ctx, file.server_url, move |store| {
        crate::sync::enrol_from_file(store, &p, false)
    });
}

/// Enrols on a worker; then the login screen, or the reason beside the form.
fn run(
    app: &AppWindow,
    ctx: &Rc<Ctx>,
    url: String,
    job: impl FnOnce(&mut crate::store::Store) -> Result<String, SyncError> + Send + 'static,
) {
    let s = app.global::<SessionAdapter>();
    s.set_working(true);
    s.set_working_text(tr!("Contacting {}…", url).into());
    let (weak, c) = (app.as_weak(), ctx.clone());
    ctx.jobs.run(
        &ctx.store,
        move |store| job(store).map_err(|e| plain(&e)),
        move |result| {
            let Some(app) = weak.upgrade() else { return };
            let s = app.global::<SessionAdapter>();
            s.set_working(false);
            match result {
                Ok(region) => {
                    s.set_code("".into());
                    s.set_enrol_from_settings(false);
                    s.set_path(0);
                    if let Err(e) = c.store.borrow_mut().close_session() {
                        s.set_e_login(tr!("Cannot close the session: {}", e).into());
                    }
                    *c.officer.borrow_mut() = None;
                    shell_adapter::apply_role(&app, &c);
                    to_login(&app, &c, false);
                    s.set_login_note(
                        tr!(
                            "Enrolled with {url} (region {region}): log in with your account",
                            url = url,
                            region = region
                        )
                        .into(),
                    );
                }
                Err(e) => s.set_enrol_error(e.into()),
            }
        },
    );
}
