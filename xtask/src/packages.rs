//! The Debian packages the test suite needs, checked with `dpkg-query` and installed with
//! `apt-get` when this process may (root, or `sudo` without a password).

use std::process::{Command, Stdio};

/// A Debian package and the reason the suite needs it (printed when it is installed).
#[derive(Clone, Copy, Debug)]
pub struct Package {
    pub name: &'static str,
    pub why: &'static str,
}

/// What `cargo test --workspace` runs besides Rust code. Building needs none of them: SQLite
/// and zstd are compiled from source, and fontconfig, X11 and xkbcommon are opened at run time.
pub const FOR_TESTS: &[Package] = &[
    Package {
        name: "gpsd",
        why: "tests/gps_gpsd.rs starts a real gpsd on loopback and reads its fixes",
    },
    Package {
        name: "socat",
        why: "tests/ui_gps_settings.rs makes pseudo-terminals that stand in for serial GPS receivers",
    },
    Package {
        name: "gdal-bin",
        why: "tests/gpkg.rs reads the GeoPackage export back with ogrinfo (GDAL, as QGIS does)",
    },
    Package {
        name: "libfontconfig1",
        why: "the UI tests draw every page; Slint finds a font through fontconfig (dlopen)",
    },
    Package {
        name: "fonts-dejavu-core",
        why: "a font for that drawing: with none, the UI tests panic (fontique: NoMatch)",
    },
    Package {
        name: "poppler-utils",
        why: "tests/licence_card.rs renders the printed card with pdftoppm and reads its QR code back",
    },
    Package {
        name: "procps",
        why: "`kill`: the server fault tests stop the sync server with SIGKILL",
    },
];

/// How far the machine is from having every package.
#[derive(Debug)]
pub enum Check {
    /// Everything is installed.
    Complete,
    /// These are not installed.
    Missing(Vec<Package>),
    /// No `dpkg-query`: not a Debian-like system, nothing can be checked.
    Unknown,
}

pub fn check(packages: &[Package]) -> Check {
    let mut missing = Vec::new();
    for p in packages {
        match is_installed(p.name) {
            Some(true) => {}
            Some(false) => missing.push(*p),
            None => return Check::Unknown,
        }
    }
    if missing.is_empty() {
        Check::Complete
    } else {
        Check::Missing(missing)
    }
}

/// `Some(installed)`, or `None` when `dpkg-query` cannot be run.
fn is_installed(name: &str) -> Option<bool> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}\n", name])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    // Exit status 1 with no output: dpkg has never heard of the package.
    Some(status_says_installed(&String::from_utf8_lossy(&out.stdout)))
}

/// `dpkg-query -W -f='${Status}\n'` prints one line per architecture the name matches, e.g.
/// "install ok installed" or "deinstall ok config-files" (removed, configuration kept).
fn status_says_installed(out: &str) -> bool {
    out.lines().any(|l| l.trim() == "install ok installed")
}

/// Who may run `apt-get install`.
#[derive(Debug, PartialEq, Eq)]
pub enum Installer {
    Root,
    Sudo,
    Nobody,
}

pub fn installer() -> Installer {
    if effective_uid() == Some(0) {
        Installer::Root
    } else if Command::new("sudo")
        .args(["-n", "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        Installer::Sudo
    } else {
        Installer::Nobody
    }
}

/// From `/proc/self/status` ("Uid: real effective saved fs"), or `id -u` where there is none.
fn effective_uid() -> Option<u32> {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        return status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1)?.parse().ok());
    }
    let out = Command::new("id").arg("-u").output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// The one line a user without the right to install runs by hand.
pub fn install_line(missing: &[Package]) -> String {
    let names: Vec<&str> = missing.iter().map(|p| p.name).collect();
    format!(
        "sudo apt-get install -y --no-install-recommends {}",
        names.join(" ")
    )
}

/// `apt-get update`, then `apt-get install` of the missing packages; then checks again.
pub fn install(missing: &[Package], how: &Installer) -> Result<(), String> {
    let apt = |args: &[&str]| {
        let mut cmd = match how {
            Installer::Root => Command::new("apt-get"),
            Installer::Sudo => {
                let mut c = Command::new("sudo");
                c.args(["-n", "apt-get"]);
                c
            }
            Installer::Nobody => unreachable!("install is only called with a way to install"),
        };
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        println!("$ {}apt-get {}", sudo_prefix(how), args.join(" "));
        cmd.status()
            .map_err(|e| format!("cannot run apt-get: {e}"))
            .map(|s| s.success())
    };
    // A failed update (no network, one broken source) may still leave usable lists.
    if !apt(&["update", "-q"])? {
        eprintln!("apt-get update failed; trying the install with the package lists there are");
    }
    let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
    args.extend(missing.iter().map(|p| p.name));
    if !apt(&args)? {
        return Err("apt-get install failed (see above)".into());
    }
    match check(missing) {
        Check::Complete => Ok(()),
        Check::Missing(still) => Err(format!(
            "still not installed after apt-get install: {}",
            names(&still)
        )),
        Check::Unknown => Err("dpkg-query stopped working during the install".into()),
    }
}

fn sudo_prefix(how: &Installer) -> &'static str {
    if *how == Installer::Sudo { "sudo " } else { "" }
}

pub fn names(packages: &[Package]) -> String {
    packages
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_fully_installed_package_counts() {
        assert!(status_says_installed("install ok installed\n"));
        // Multi-arch: one of the architectures is enough.
        assert!(status_says_installed(
            "deinstall ok config-files\ninstall ok installed\n"
        ));
        assert!(!status_says_installed("deinstall ok config-files\n"));
        assert!(!status_says_installed("install ok half-configured\n"));
        assert!(!status_says_installed(""));
    }

    #[test]
    fn the_install_line_names_every_missing_package() {
        let line = install_line(&FOR_TESTS[..3]);
        assert_eq!(
            line,
            "sudo apt-get install -y --no-install-recommends gpsd socat gdal-bin"
        );
    }

    #[test]
    fn a_package_dpkg_has_never_heard_of_is_missing() {
        // Only meaningful where dpkg-query exists (the machines the check is for).
        if let Some(installed) = is_installed("alluvium-no-such-package") {
            assert!(!installed);
        }
    }
}
