//! Slow work (demo data, checks, reports, exports) off the UI thread. The job gets its own
//! connection to the same database file (SQLite in WAL mode lets it read and write beside the
//! UI's connection); a timer on the UI thread picks up the result and hands it to `done`.
//! A database in memory cannot be shared, so there the job runs in place (tests).
//!
//! Jobs need only the UI's store, not the whole app context: the context holds the jobs, so
//! the dependency points one way (`context` → `background`).

use crate::store::Store;
use slint::{Timer, TimerMode};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Jobs in flight; their timers live here until the job is done.
#[derive(Default)]
pub struct Jobs(RefCell<Vec<Rc<RefCell<Option<Timer>>>>>);

impl Jobs {
    /// Runs `job` on a worker with its own connection to the file of `store` (the UI's), then
    /// `done` on the UI thread with its result.
    pub fn run<T: Send + 'static>(
        &self,
        store: &RefCell<Store>,
        job: impl FnOnce(&mut Store) -> Result<T, String> + Send + 'static,
        done: impl FnOnce(Result<T, String>) + 'static,
    ) {
        let Some(path) = store.borrow().path().map(|p| p.to_path_buf()) else {
            let result = job(&mut store.borrow_mut());
            done(result);
            return;
        };
        self.spawn(
            move || {
                Store::open(&path)
                    .map_err(|e| e.to_string())
                    .and_then(|mut s| job(&mut s))
            },
            done,
        );
    }

    /// Runs `job` on a worker (work that needs no database, such as probing devices), then
    /// `done` on the UI thread with its result.
    pub fn spawn<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
        done: impl FnOnce(T) + 'static,
    ) {
        let slot: Arc<Mutex<Option<T>>> = Arc::new(Mutex::new(None));
        let out = slot.clone();
        std::thread::spawn(move || {
            let result = job();
            if let Ok(mut o) = out.lock() {
                *o = Some(result);
            }
        });
        let holder: Rc<RefCell<Option<Timer>>> = Rc::new(RefCell::new(None));
        let mut done = Some(done);
        let h = holder.clone();
        let timer = Timer::default();
        timer.start(TimerMode::Repeated, Duration::from_millis(100), move || {
            let Some(result) = slot.lock().ok().and_then(|mut o| o.take()) else {
                return;
            };
            if let Some(done) = done.take() {
                done(result);
            }
            if let Ok(t) = h.try_borrow()
                && let Some(t) = t.as_ref()
            {
                t.stop();
            }
        });
        *holder.borrow_mut() = Some(timer);
        let mut jobs = self.0.borrow_mut();
        // Forget the timers of finished jobs.
        jobs.retain(|t| {
            t.try_borrow()
                .map(|t| t.as_ref().is_some_and(Timer::running))
                .unwrap_or(true)
        });
        jobs.push(holder);
    }
}
