//! The store's logic, written once over [`Engine`] and [`Sql`] so that SQLite and PostgreSQL
//! behave the same: accounts and credentials, push (the record rules, authorisation and the
//! chain of signed changes), pull, photos, statistics and the audit walk.
//!
//! Tables: `changes` is the log every device pulls from (`seq` is the sequence number); an
//! insert-only record (licence event, production entry, stone, sale, review, photo) has one
//! version, so its row in the log is its only row, with what the record rules read of it
//! (region, parent, what it corrects, sale facts); `records` holds, per registry record, what
//! authorisation, merging and the record rules need of its winning version (region, parent,
//! clock, licence facts) — not the content, which lives once in `changes`; `rejected` keeps
//! refused changes with the reason, so a resent one gets the same answer; `acknowledged`
//! keeps changes accepted without effect (a device's copy of a known region). The three
//! together hold every device's chain of signed changes (see `chain`).

mod accounts;
mod audit;
mod chain;
pub(crate) mod facts;
mod logins;
mod lookup;
mod photos;
mod pull;
mod push;
mod stats;

use super::sql::{Engine, Sql};
use super::{
    Account, AuditReport, DbError, Device, DeviceInfo, NewOfficer, ServerStore, Session, Stats,
};
use crate::photo_vault::PhotoVault;
use alluvium::domain::Officer;
use alluvium::sync::wire::{Change, ChangeResult, DeviceKey, PhotoStatus, PullResponse};
use chrono::Utc;
use ed25519_dalek::VerifyingKey;
use uuid::Uuid;

/// The origin of changes made on the server itself (regions added by an admin).
pub const SERVER_ORIGIN: Uuid = Uuid::nil();
/// A push longer than this is checked on a second thread while it is applied, in pieces of
/// about this many changes.
const PUSH_PIECE: usize = 256;
/// The first piece of such a push, which the transaction waits for: small (a piece ends at a
/// change that carries a signature, every [`alluvium::sync::form::CHECKPOINT`] changes).
const FIRST_PIECE: usize = 32;
/// How long a session lasts by default.
pub const DEFAULT_SESSION_TTL_SECS: i64 = 30 * 24 * 3600;

fn now() -> i64 {
    Utc::now().timestamp()
}

/// The server store on one backend.
pub struct Store<E> {
    pub(crate) engine: E,
    session_ttl_secs: i64,
    /// The pictures' files.
    pub(crate) vault: PhotoVault,
}

impl<E: Engine> Store<E> {
    pub(crate) fn new(engine: E, vault: PhotoVault) -> Store<E> {
        Store {
            engine,
            session_ttl_secs: DEFAULT_SESSION_TTL_SECS,
            vault,
        }
    }

    /// Sets how long new sessions last.
    pub fn with_session_ttl(mut self, secs: i64) -> Store<E> {
        self.session_ttl_secs = secs;
        self
    }

    fn read<T>(&self, f: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError> {
        self.engine.read(f)
    }

    fn write<T>(&self, f: impl FnOnce(&dyn Sql) -> Result<T, DbError>) -> Result<T, DbError> {
        self.engine.write(f)
    }
}

impl<E: Engine> ServerStore for Store<E> {
    fn add_region(&self, code: &str, name: &str, country: &str) -> Result<(), DbError> {
        let region = accounts::region(code, name, country)?;
        self.engine.append(|db| accounts::add_region(db, &region))
    }

    fn add_officer(&self, o: &NewOfficer) -> Result<Officer, DbError> {
        self.write(|db| accounts::add_officer(db, o))
    }

    fn disable_officer(&self, username: &str) -> Result<(), DbError> {
        self.write(|db| accounts::disable_officer(db, username))
    }

    fn make_enrol_code(&self, region: &str, ttl_secs: i64) -> Result<String, DbError> {
        self.write(|db| accounts::make_enrol_code(db, region, ttl_secs))
    }

    fn revoke_device(&self, id: Uuid) -> Result<(), DbError> {
        self.write(|db| accounts::revoke_device(db, id))
    }

    fn stats(&self) -> Result<Stats, DbError> {
        self.read(|db| {
            let mut stats = stats::stats(db)?;
            (stats.photos, stats.photo_bytes) = photos::held(db)?;
            Ok(stats)
        })
    }

    fn enrol(
        &self,
        code: &str,
        device: Uuid,
        public_key: Option<&VerifyingKey>,
    ) -> Result<(String, String), DbError> {
        self.write(|db| accounts::enrol(db, code, device, public_key))
    }

    fn register_device_key(&self, device: Uuid, key: &VerifyingKey) -> Result<(), DbError> {
        self.write(|db| accounts::register_device_key(db, device, key))
    }

    fn device_keys(&self, s: &Session) -> Result<Vec<DeviceKey>, DbError> {
        self.read(|db| audit::device_keys(db, s))
    }

    fn devices(&self) -> Result<Vec<DeviceInfo>, DbError> {
        self.read(audit::devices)
    }

    fn audit(&self) -> Result<AuditReport, DbError> {
        self.read(audit::audit)
    }

    fn device_by_token(&self, token: &str) -> Result<Option<Device>, DbError> {
        self.read(|db| accounts::device_by_token(db, token))
    }

    fn account(&self, username: &str) -> Result<Option<Account>, DbError> {
        self.read(|db| accounts::account(db, username))
    }

    fn open_session(&self, device: Uuid, officer: Uuid) -> Result<String, DbError> {
        self.write(|db| accounts::open_session(db, self.session_ttl_secs, device, officer))
    }

    fn session(&self, token: &str) -> Result<Option<Session>, DbError> {
        self.read(|db| accounts::session(db, token))
    }

    fn reserve_login(&self, username: &str) -> Result<bool, DbError> {
        self.write(|db| logins::reserve(db, username, now()))
    }

    fn login_succeeded(&self, username: &str) -> Result<(), DbError> {
        self.write(|db| logins::succeeded(db, username))
    }

    fn withdraw_login(&self, username: &str) -> Result<(), DbError> {
        self.write(|db| logins::withdraw(db, username))
    }

    fn failed_logins(&self, username: &str) -> Result<u32, DbError> {
        self.read(|db| logins::counted(db, username, now()))
    }

    fn push(&self, s: &Session, changes: &[Change]) -> Result<Vec<ChangeResult>, DbError> {
        let now = Utc::now();
        let (today, now_ms) = (now.date_naive(), now.timestamp_millis().max(0) as u64);
        // Reading and checking each change on its own, and its signature, need no database.
        let judge = |from: usize, checked: Vec<chain::Checked>| -> Vec<push::Judged> {
            changes[from..from + checked.len()]
                .iter()
                .zip(checked)
                .map(|(c, k)| (push::Text::of(c), push::prepare(s, c, now_ms), k))
                .collect()
        };
        if changes.len() <= PUSH_PIECE {
            let judged = judge(0, chain::check_signatures(s, changes));
            return self
                .engine
                .append(|db| push::push(db, s, changes, judged.into_iter(), today));
        }
        // A long push: its changes are checked on a thread of their own, a piece at a time,
        // while this one applies the pieces already checked. The lock is taken once the first
        // piece is ready; after that it may wait for the checks of the later pieces, which the
        // push's size limits bound.
        std::thread::scope(|scope| {
            let (send, receive) = std::sync::mpsc::sync_channel::<Vec<push::Judged>>(2);
            scope.spawn(move || {
                let mut from = 0;
                chain::check_signatures_in_pieces(
                    s,
                    changes,
                    (FIRST_PIECE, PUSH_PIECE),
                    |checked| {
                        let n = checked.len();
                        let sent = send.send(judge(from, checked)).is_ok();
                        from += n;
                        sent
                    },
                );
            });
            let first = receive.recv().unwrap_or_default();
            self.engine.append(|db| {
                let judged = first.into_iter().chain(receive.iter().flatten());
                push::push(db, s, changes, judged, today)
            })
        })
    }

    fn pull(
        &self,
        s: &Session,
        cursor: i64,
        limit: u32,
        count: bool,
    ) -> Result<PullResponse, DbError> {
        self.read(|db| pull::pull(db, s, cursor, limit, count))
    }

    fn photo_status(&self, s: &Session, sha256: &str) -> Result<PhotoStatus, DbError> {
        let a = self.read(|db| photos::access(db, s, sha256))?;
        photos::status(&self.vault, sha256, a.bytes)
    }

    fn put_photo_chunk(
        &self,
        s: &Session,
        sha256: &str,
        offset: u64,
        chunk: &[u8],
    ) -> Result<PhotoStatus, DbError> {
        let a = self.read(|db| photos::access(db, s, sha256))?;
        // The chunk is written and flushed outside any transaction; only a whole picture's
        // row is written to the database.
        photos::append(
            |sha, bytes| self.write(|db| photos::record_whole(db, sha, bytes)),
            &self.vault,
            sha256,
            a,
            offset,
            chunk,
        )
    }

    fn photo_chunk(
        &self,
        s: &Session,
        sha256: &str,
        offset: u64,
        len: usize,
    ) -> Result<Vec<u8>, DbError> {
        let a = self.read(|db| photos::access(db, s, sha256))?;
        photos::read(&self.vault, sha256, a, offset, len)
    }
}
