//! `alluvium enrol`, `alluvium login` and `alluvium sync`: the command-line face of
//! [`crate::sync`].

use crate::store::Store;
use anyhow::{Context, Result, bail};
use std::io::Read;
use std::path::Path;

/// Enrols the device with a server.
pub fn enrol(
    db: &Path,
    server: &str,
    code: &str,
    ca_cert: Option<&Path>,
    allow_plain_http: bool,
) -> Result<()> {
    let pem = ca_cert
        .map(|p| std::fs::read(p).with_context(|| format!("cannot read {}", p.display())))
        .transpose()?;
    let mut store = Store::open(db)?;
    let region = crate::sync::enrol(&mut store, server, code, pem.as_deref(), allow_plain_http)?;
    println!(
        "enrolled device {} with {server} (region {region})",
        store.device_id()
    );
    Ok(())
}

/// Enrols the device from an enrolment file.
pub fn enrol_from_file(db: &Path, file: &Path, allow_plain_http: bool) -> Result<()> {
    let mut store = Store::open(db)?;
    let region = crate::sync::enrol_from_file(&mut store, file, allow_plain_http)?;
    let server = store.sync_setting("server_url")?.unwrap_or_default();
    println!(
        "enrolled device {} with {server} (region {region})",
        store.device_id()
    );
    Ok(())
}

/// Logs an officer in, reading the password from standard input.
pub fn login(db: &Path, user: &str, password_stdin: bool) -> Result<()> {
    if !password_stdin {
        bail!("give the password on standard input with --password-stdin");
    }
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("cannot read the password from standard input")?;
    // One trailing newline belongs to `echo`, not to the password.
    let password = password
        .strip_suffix('\n')
        .map(|p| p.strip_suffix('\r').unwrap_or(p))
        .unwrap_or(&password);
    if password.is_empty() {
        bail!("the password on standard input is empty");
    }
    let mut store = Store::open(db)?;
    let kind = crate::sync::login_on_device(&mut store, user, password)?;
    match kind {
        crate::sync::LoginKind::Online => println!("logged in as {user}"),
        crate::sync::LoginKind::Offline => {
            println!("logged in as {user} (offline: the server is not reachable)")
        }
        crate::sync::LoginKind::Local => {
            println!("logged in as {user} (a local account of this device)")
        }
    }
    Ok(())
}

/// Pushes and pulls; prints `pushed=N pulled=N rejected=N`, then, when photos moved or wait,
/// a second line `photos sent=N (B bytes) fetched=N (B bytes) waiting=N`.
pub fn sync(db: &Path, photo_budget: Option<u64>) -> Result<()> {
    let mut store = Store::open(db)?;
    let mut client = crate::sync::SyncClient::from_store(&store)?;
    if let Some(b) = photo_budget {
        client = client.with_photo_budget(b);
    }
    let r = client.sync(&mut store)?;
    println!(
        "pushed={} pulled={} rejected={}",
        r.pushed, r.pulled, r.rejected
    );
    if r.pictures_sent + r.pictures_fetched + r.pictures_waiting > 0 || r.picture_bytes_sent > 0 {
        println!(
            "photos sent={} ({} bytes) fetched={} ({} bytes) waiting={}",
            r.pictures_sent,
            r.picture_bytes_sent,
            r.pictures_fetched,
            r.picture_bytes_fetched,
            r.pictures_waiting
        );
    }
    Ok(())
}
