//! Demo logins: local accounts for the demo's officers, plus a demo coordinator and a demo
//! administrator, all with one password that the login screen shows in demo mode only. They
//! let someone trying the app see each role's pages without a server.

use crate::domain::{Officer, OfficerId, Role};
use crate::store::Store;
use crate::sync::SyncError;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "alluvium";

/// The device setting that marks a database whose accounts are the demo's (the login screen
/// then says which they are).
pub const DEMO_LOGINS_SETTING: &str = "demo_logins";

/// Makes a local account with [`DEMO_PASSWORD`] for every officer in the store, plus
/// `coordinator` and `admin` over all its regions; returns the user names.
pub fn make_demo_logins(store: &mut Store) -> Result<Vec<String>, SyncError> {
    let regions: Vec<String> = store.regions()?.into_iter().map(|r| r.code).collect();
    let mut officers = store.officers()?;
    for (username, full_name, role) in [
        ("admin", "Demo Administrator", Role::Admin),
        ("coordinator", "Demo Coordinator", Role::Coordinator),
    ] {
        if !officers.iter().any(|o| o.username == username) {
            officers.push(Officer {
                id: OfficerId::new(),
                username: username.into(),
                full_name: full_name.into(),
                role,
                regions: regions.clone(),
            });
        }
    }
    let mut names = Vec::new();
    for o in &officers {
        crate::sync::add_local_officer(store, o, DEMO_PASSWORD)?;
        names.push(o.username.clone());
    }
    store.set_setting(DEMO_LOGINS_SETTING, &names.join(","))?;
    Ok(names)
}
