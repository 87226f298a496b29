//! The in-app file chooser (`ui/widgets/file_chooser.slint`): which folder it shows, what is in
//! it, and what happens with the file chosen. One chooser serves the whole window; a page opens
//! it with what to do with the file, so the chooser knows nothing of photos or records.

use super::{AppWindow, ChooserEntry, FileChooserAdapter};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// What a page does with the chosen file and the caption typed.
pub type OnChosen = Box<dyn Fn(&AppWindow, PathBuf, String)>;

/// The chooser's state on the Rust side.
#[derive(Default)]
pub struct FileChooser {
    dir: RefCell<PathBuf>,
    /// The entries shown, in the list's order: (name, is a folder).
    entries: RefCell<Vec<(String, bool)>>,
    /// Which file names it offers, by extension (lower case, without the dot).
    extensions: RefCell<Vec<&'static str>>,
    on_chosen: RefCell<Option<OnChosen>>,
    /// Where the next chooser opens, when a test has said (else the pictures folder).
    start: RefCell<Option<PathBuf>>,
}

/// Where a chooser for pictures starts: `$HOME/Pictures` if it exists, else `$HOME`, else the
/// working folder.
pub fn pictures_dir() -> PathBuf {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let pictures = home.join("Pictures");
    if pictures.is_dir() { pictures } else { home }
}

/// The sub-folders and the files with one of `extensions` in `dir`: folders first, each group
/// sorted by name (case aside); hidden entries left out.
pub fn list_folder(dir: &Path, extensions: &[&str]) -> std::io::Result<Vec<(String, bool)>> {
    let mut folders = Vec::new();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        // Follows links, so a linked folder opens as a folder.
        let Ok(meta) = std::fs::metadata(entry.path()) else {
            continue;
        };
        if meta.is_dir() {
            folders.push(name);
        } else if meta.is_file()
            && Path::new(&name)
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e.to_ascii_lowercase().as_str()))
        {
            files.push(name);
        }
    }
    let by_name = |a: &String, b: &String| {
        a.to_lowercase()
            .cmp(&b.to_lowercase())
            .then_with(|| a.cmp(b))
    };
    folders.sort_by(by_name);
    files.sort_by(by_name);
    Ok(folders
        .into_iter()
        .map(|f| (f, true))
        .chain(files.into_iter().map(|f| (f, false)))
        .collect())
}

impl FileChooser {
    /// Wires the chooser's callbacks; pages open it with [`FileChooser::open`].
    pub fn connect(app: &AppWindow) -> Rc<FileChooser> {
        let chooser = Rc::new(FileChooser::default());
        let a = app.global::<FileChooserAdapter>();

        let (weak, ch) = (app.as_weak(), chooser.clone());
        a.on_up(move || {
            let Some(app) = weak.upgrade() else { return };
            let parent = ch.dir.borrow().parent().map(Path::to_path_buf);
            if let Some(parent) = parent {
                ch.show(&app, parent);
            }
        });

        let (weak, ch) = (app.as_weak(), chooser.clone());
        a.on_activate(move |i| {
            let Some(app) = weak.upgrade() else { return };
            let entry = ch.entries.borrow().get(i as usize).cloned();
            match entry {
                Some((name, true)) => {
                    let dir = ch.dir.borrow().join(name);
                    ch.show(&app, dir);
                }
                Some((_, false)) => app.global::<FileChooserAdapter>().set_selected(i),
                None => {}
            }
        });

        let (weak, ch) = (app.as_weak(), chooser.clone());
        a.on_choose(move || {
            let Some(app) = weak.upgrade() else { return };
            let a = app.global::<FileChooserAdapter>();
            let picked = usize::try_from(a.get_selected())
                .ok()
                .and_then(|i| ch.entries.borrow().get(i).cloned());
            let Some((name, false)) = picked else {
                a.set_error(crate::tr!("Tap a file first").into());
                return;
            };
            let path = ch.dir.borrow().join(name);
            let caption = a.get_caption().trim().to_string();
            a.set_shown(false);
            // Taken out while it runs, so it may open the chooser again.
            let on_chosen = ch.on_chosen.borrow_mut().take();
            if let Some(f) = on_chosen {
                f(&app, path, caption);
            }
        });

        let (weak, ch) = (app.as_weak(), chooser.clone());
        a.on_cancel(move || {
            if let Some(app) = weak.upgrade() {
                app.global::<FileChooserAdapter>().set_shown(false);
                ch.on_chosen.borrow_mut().take();
            }
        });
        chooser
    }

    /// Opens the chooser titled `title` on the pictures folder (or where a test said), offering
    /// files with one of `extensions`; `on_chosen` gets the file and caption when the officer
    /// chooses, and nothing happens on Cancel.
    pub fn open(
        &self,
        app: &AppWindow,
        title: String,
        extensions: &[&'static str],
        asks_caption: bool,
        on_chosen: OnChosen,
    ) {
        *self.extensions.borrow_mut() = extensions.to_vec();
        *self.on_chosen.borrow_mut() = Some(on_chosen);
        let a = app.global::<FileChooserAdapter>();
        a.set_title(title.into());
        a.set_caption(SharedString::new());
        a.set_asks_caption(asks_caption);
        let start = self.start.borrow().clone().unwrap_or_else(pictures_dir);
        self.show(app, start);
        a.set_shown(true);
    }

    /// Makes the next chooser open in `dir` (tests, demonstrations).
    pub fn start_in(&self, dir: &Path) {
        *self.start.borrow_mut() = Some(dir.to_path_buf());
    }

    /// Shows `dir`; an unreadable folder is said so, and shown empty.
    fn show(&self, app: &AppWindow, dir: PathBuf) {
        let a = app.global::<FileChooserAdapter>();
        let listed = list_folder(&dir, &self.extensions.borrow());
        let entries = match listed {
            Ok(entries) => {
                a.set_error(SharedString::new());
                entries
            }
            Err(e) => {
                a.set_error(crate::tr!("Cannot read this folder: {}", e).into());
                Vec::new()
            }
        };
        a.set_folder(dir.display().to_string().into());
        a.set_selected(-1);
        a.set_entries(ModelRc::new(VecModel::from(
            entries
                .iter()
                .map(|(name, is_folder)| ChooserEntry {
                    name: name.into(),
                    is_folder: *is_folder,
                })
                .collect::<Vec<_>>(),
        )));
        *self.entries.borrow_mut() = entries;
        *self.dir.borrow_mut() = dir;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_folders_then_pictures_by_name_without_hidden_entries() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["b.JPG", "a.png", "notes.txt", ".hidden.jpg", "c.jpeg"] {
            std::fs::write(dir.path().join(f), b"x").unwrap();
        }
        for d in ["Zeta", "alpha", ".cache"] {
            std::fs::create_dir(dir.path().join(d)).unwrap();
        }
        let listed = list_folder(dir.path(), &["jpg", "jpeg", "png"]).unwrap();
        let want: Vec<(String, bool)> = [
            ("alpha", true),
            ("Zeta", true),
            ("a.png", false),
            ("b.JPG", false),
            ("c.jpeg", false),
        ]
        .iter()
        .map(|(n, d)| (n.to_string(), *d))
        .collect();
        assert_eq!(listed, want);
    }
}
