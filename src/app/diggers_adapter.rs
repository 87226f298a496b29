//! Diggers page: search, register, edit, and the digger's photo. Validation is the domain's;
//! this file only maps between the form and a `Digger`, and hands a chosen picture to
//! `photo::add_to_record`, which decides whether it is one.

use super::context::Ctx;
use super::digger_list::DiggerList;
use super::file_chooser::FileChooser;
use super::forms;
use super::photo_view;
use super::{AppWindow, DiggersAdapter};
use crate::domain::{Digger, DiggerId, DiggerStatus, RecordKind, Region, Sex};
use crate::photo::{AddPhotoError, MAX_PHOTO_INPUT_BYTES, PhotoError};
use crate::store::StoreError;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::Cell;
use std::path::Path;
use std::rc::Rc;

/// The region codes offered in forms: those on the device, else the built-in catalogue.
pub fn region_codes(ctx: &Ctx) -> Vec<String> {
    let stored: Vec<String> = ctx
        .store
        .borrow()
        .regions()
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.code)
        .collect();
    if stored.is_empty() {
        Region::catalogue().into_iter().map(|r| r.code).collect()
    } else {
        stored
    }
}

fn string_model(items: &[String]) -> ModelRc<SharedString> {
    ModelRc::new(VecModel::from(
        items.iter().map(SharedString::from).collect::<Vec<_>>(),
    ))
}

/// Wires the Diggers page; returns what refreshes it when it is shown.
pub fn connect(app: &AppWindow, ctx: Rc<Ctx>, chooser: Rc<FileChooser>) -> Box<dyn Fn()> {
    let list = Rc::new(DiggerList::new(ctx.clone()));
    let adapter = app.global::<DiggersAdapter>();
    adapter.set_rows(ModelRc::from(list.clone()));
    let editing: Rc<Cell<Option<DiggerId>>> = Rc::new(Cell::new(None));

    let weak = app.as_weak();
    let (l, c) = (list.clone(), ctx.clone());
    adapter.on_search(move |q| {
        if let Some(app) = weak.upgrade() {
            run_search(&app, &c, &l, &q);
        }
    });

    let weak = app.as_weak();
    let (l, c, e) = (list.clone(), ctx.clone(), editing.clone());
    adapter.on_open(move |row| {
        let (Some(app), Some(hit)) = (weak.upgrade(), l.hit(row as usize)) else {
            return;
        };
        let a = app.global::<DiggersAdapter>();
        let d = &hit.digger;
        e.set(Some(d.id));
        clear_errors(&a);
        let regions = region_codes(&c);
        a.set_regions(string_model(&regions));
        a.set_selected(row);
        a.set_form_title(d.full_name.clone().into());
        a.set_national_id(d.national_id.clone().into());
        a.set_full_name(d.full_name.clone().into());
        a.set_sex_index(if d.sex == Sex::Female { 0 } else { 1 });
        a.set_birth_date(crate::i18n::dates::show(crate::i18n::current(), d.birth_date).into());
        a.set_village(d.village.clone().into());
        a.set_chiefdom(d.chiefdom.clone().into());
        a.set_phone(d.phone.clone().into());
        a.set_region_index(
            regions
                .iter()
                .position(|r| *r == d.region)
                .map_or(-1, |i| i as i32),
        );
        a.set_status_index(if d.status == DiggerStatus::Active {
            0
        } else {
            1
        });
        let (badge, _) = super::digger_list::badge(&hit, c.today.get());
        a.set_licence_text(match &hit.licence {
            Some(l) => crate::tr!(
                "Licence {} ({}, expires {})",
                l.number,
                badge,
                crate::i18n::dates::show(crate::i18n::current(), l.expires_on)
            )
            .into(),
            None => crate::tr!("No licence").into(),
        });
        a.set_status("".into());
        show_photo(&a, &c, Some(d.id));
        a.set_editing(true);
    });

    let weak = app.as_weak();
    let (c, e) = (ctx.clone(), editing.clone());
    adapter.on_new_digger(move || {
        let Some(app) = weak.upgrade() else { return };
        let a = app.global::<DiggersAdapter>();
        e.set(None);
        clear_errors(&a);
        let regions = region_codes(&c);
        a.set_regions(string_model(&regions));
        let home = c
            .officer
            .borrow()
            .as_ref()
            .and_then(|o| o.regions.first().cloned());
        a.set_region_index(
            home.and_then(|h| regions.iter().position(|r| *r == h))
                .map_or(0, |i| i as i32),
        );
        a.set_selected(-1);
        a.set_form_title(crate::tr!("Register a digger").into());
        for set in [
            DiggersAdapter::set_national_id,
            DiggersAdapter::set_full_name,
            DiggersAdapter::set_birth_date,
            DiggersAdapter::set_village,
            DiggersAdapter::set_chiefdom,
            DiggersAdapter::set_phone,
            DiggersAdapter::set_licence_text,
            DiggersAdapter::set_status,
        ] {
            set(&a, SharedString::new());
        }
        a.set_sex_index(1);
        a.set_status_index(0);
        show_photo(&a, &c, None);
        a.set_editing(true);
    });

    let weak = app.as_weak();
    let (l, c, e) = (list.clone(), ctx.clone(), editing.clone());
    adapter.on_save(move || {
        let Some(app) = weak.upgrade() else { return };
        save(&app, &c, &l, &e);
    });

    let weak = app.as_weak();
    let (c, e) = (ctx.clone(), editing.clone());
    adapter.on_add_photo(move || {
        let (Some(app), Some(id)) = (weak.upgrade(), e.get()) else {
            return;
        };
        let name = app.global::<DiggersAdapter>().get_form_title();
        let c = c.clone();
        chooser.open(
            &app,
            crate::tr!("Photo of {}", name),
            &["jpg", "jpeg", "png"],
            true,
            Box::new(move |app, path, caption| add_photo(app, &c, id, &path, &caption)),
        );
    });

    let weak = app.as_weak();
    adapter.on_cancel(move || {
        if let Some(app) = weak.upgrade() {
            let a = app.global::<DiggersAdapter>();
            a.set_editing(false);
            a.set_selected(-1);
            a.set_status("".into());
        }
    });

    let weak = app.as_weak();
    let (l, c) = (list, ctx);
    Box::new(move || {
        if let Some(app) = weak.upgrade() {
            let q = app.global::<DiggersAdapter>().get_query();
            let a = app.global::<DiggersAdapter>();
            a.set_can_edit(c.may_license());
            a.set_can_add_photo(may_photograph_diggers(&c));
            run_search(&app, &c, &l, &q);
        }
    })
}

fn run_search(app: &AppWindow, ctx: &Ctx, list: &DiggerList, query: &str) {
    let a = app.global::<DiggersAdapter>();
    match list.set_query(query) {
        Ok(n) => {
            let total = ctx.store.borrow().count_diggers_matching("").unwrap_or(n);
            a.set_count_text(if query.trim().is_empty() {
                crate::tr!("{} diggers", total).into()
            } else {
                crate::tr!("{} of {} diggers match", n, total).into()
            });
        }
        Err(e) => a.set_count_text(crate::tr!("Search failed: {}", e).into()),
    }
    a.set_selected(-1);
}

fn clear_errors(a: &DiggersAdapter<'_>) {
    for set in [
        DiggersAdapter::set_e_national_id,
        DiggersAdapter::set_e_full_name,
        DiggersAdapter::set_e_birth_date,
        DiggersAdapter::set_e_phone,
        DiggersAdapter::set_e_region,
        DiggersAdapter::set_e_village,
    ] {
        set(a, SharedString::new());
    }
}

fn save(app: &AppWindow, ctx: &Ctx, list: &DiggerList, editing: &Cell<Option<DiggerId>>) {
    let a = app.global::<DiggersAdapter>();
    clear_errors(&a);
    let regions = region_codes(ctx);
    let birth = forms::date(&a.get_birth_date());
    a.set_e_birth_date(forms::first_error(&birth));
    let region = regions.get(a.get_region_index().max(0) as usize).cloned();
    if region.is_none() {
        a.set_e_region(crate::tr!("Choose a region").into());
    }
    let (Ok(birth_date), Some(region)) = (birth, region) else {
        a.set_status(crate::tr!("Not saved: correct the fields marked in red").into());
        a.set_status_is_error(true);
        return;
    };
    let digger = Digger {
        id: editing.get().unwrap_or_default(),
        national_id: a.get_national_id().trim().to_string(),
        full_name: a.get_full_name().trim().to_string(),
        sex: if a.get_sex_index() == 0 {
            Sex::Female
        } else {
            Sex::Male
        },
        birth_date,
        village: a.get_village().trim().to_string(),
        chiefdom: a.get_chiefdom().trim().to_string(),
        phone: a.get_phone().trim().to_string(),
        region,
        status: if a.get_status_index() == 0 {
            DiggerStatus::Active
        } else {
            DiggerStatus::Inactive
        },
    };
    let result = ctx.store.borrow_mut().write(|w| {
        w.set_today(ctx.today.get());
        w.ensure_known_region(&digger.region)?;
        w.put_digger(&digger)
    });
    match result {
        Ok(()) => {
            editing.set(Some(digger.id));
            if !a.get_shows_photo() {
                show_photo(&a, ctx, Some(digger.id));
            }
            a.set_form_title(digger.full_name.clone().into());
            a.set_status(crate::tr!("Saved {}", digger.full_name).into());
            a.set_status_is_error(false);
            let q = a.get_query();
            run_search(app, ctx, list, &q);
        }
        Err(StoreError::Invalid(inv)) => {
            a.set_e_national_id(forms::message(&inv, "national_id"));
            a.set_e_full_name(forms::message(&inv, "full_name"));
            a.set_e_birth_date(forms::message(&inv, "birth_date"));
            a.set_e_phone(forms::message(&inv, "phone"));
            a.set_e_village(forms::message(&inv, "village"));
            a.set_e_region(forms::message(&inv, "region"));
            a.set_status(crate::tr!("Not saved: correct the fields marked in red").into());
            a.set_status_is_error(true);
        }
        Err(StoreError::Conflict(msg)) if msg.contains("national id") => {
            a.set_e_national_id(forms::capitalise(&msg).into());
            a.set_status(crate::tr!("Not saved: this national id is already registered").into());
            a.set_status_is_error(true);
        }
        Err(e) => {
            a.set_status(crate::tr!("Not saved: {}", e).into());
            a.set_status_is_error(true);
        }
    }
}

/// Whether the officer logged in may put photos on diggers (the server's scope rule).
fn may_photograph_diggers(ctx: &Ctx) -> bool {
    ctx.role()
        .is_some_and(|r| crate::sync::scope::may_photograph(r, RecordKind::Digger))
}

/// Shows the photo of the digger `id` (none for a digger not yet saved): the newest photo's
/// picture, or its caption and a line saying it has not reached the device, or "No photo".
fn show_photo(a: &DiggersAdapter<'_>, ctx: &Ctx, id: Option<DiggerId>) {
    a.set_photo_error(SharedString::new());
    a.set_can_add_photo(may_photograph_diggers(ctx));
    let Some(id) = id else {
        a.set_shows_photo(false);
        return;
    };
    a.set_shows_photo(true);
    match photo_view::latest(ctx, id.0, 480) {
        Some(shown) => {
            a.set_photo_caption(shown.photo.caption.clone().into());
            a.set_has_photo(shown.image.is_some());
            a.set_photo(shown.image.unwrap_or_default());
            a.set_photo_frame_text(photo_view::not_here_text().into());
        }
        None => {
            a.set_photo_caption(SharedString::new());
            a.set_has_photo(false);
            a.set_photo(slint::Image::default());
            a.set_photo_frame_text(crate::tr!("No photo").into());
        }
    }
}

/// Puts the picture at `path` on the digger `id` with `caption`, by the officer logged in; a
/// refusal goes beside the button and nothing is written.
fn add_photo(app: &AppWindow, ctx: &Ctx, id: DiggerId, path: &Path, caption: &str) {
    let a = app.global::<DiggersAdapter>();
    let Some(officer) = ctx.officer.borrow().as_ref().map(|o| o.id) else {
        return;
    };
    // A file too large to be a photo is refused before it is read into memory.
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let result = if len > MAX_PHOTO_INPUT_BYTES as u64 {
        Err(too_large(len))
    } else {
        std::fs::read(path)
            .map_err(|e| crate::tr!("Cannot read {}: {}", path.display(), e))
            .and_then(|raw| {
                crate::photo::add_to_record(
                    &mut ctx.store.borrow_mut(),
                    id.0,
                    &raw,
                    caption,
                    officer,
                )
                .map_err(|e| refusal(&e, len))
            })
    };
    match result {
        Ok(_) => {
            show_photo(&a, ctx, Some(id));
            a.set_status(crate::tr!("Photo added").into());
            a.set_status_is_error(false);
            super::shell_adapter::update_pending(app, ctx);
        }
        Err(message) => a.set_photo_error(forms::capitalise(&message).into()),
    }
}

/// The refusal of a file of `len` bytes that is too large to be read as a photo.
fn too_large(len: u64) -> String {
    let lang = crate::i18n::current();
    crate::tr!(
        "the file is {} MB; pictures of up to {} MB are read",
        crate::i18n::numbers::hundredths(lang, (len as f64 / 10_485.76).round() as i64),
        MAX_PHOTO_INPUT_BYTES / (1024 * 1024)
    )
}

/// Why a picture was not put on a record, in the app's language where the reason is known.
fn refusal(e: &AddPhotoError, len: u64) -> String {
    match e {
        AddPhotoError::Photo(PhotoError::Refused(m))
            if m == "the file is not a JPEG or PNG picture; choose a photo" =>
        {
            crate::tr!("the file is not a JPEG or PNG picture; choose a photo")
        }
        AddPhotoError::Photo(PhotoError::Refused(m)) if m.starts_with("the file is ") => {
            too_large(len)
        }
        AddPhotoError::NoFolder => {
            crate::tr!("this database is held in memory and has no photo folder")
        }
        other => other.to_string(),
    }
}
