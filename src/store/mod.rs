//! The device store: one SQLite file in WAL mode, embedded migrations, typed queries for every
//! entity, and the outbox (change log) written in the same transaction as each write.
//!
//! This is the only module on the device that writes SQL.

mod analytics_queries;
mod apply;
mod card_keys;
mod device_keys;
mod error;
mod kp_queries;
mod lookup;
mod outbox;
mod queries;
mod rows;
mod sales_queries;
mod stats;
mod sync_state;
mod tally_queries;
mod writer;

pub use analytics_queries::FactFilter;
pub use apply::{Applied, RemoteChange};
pub use card_keys::DeviceCardKeys;
pub use device_keys::ChainProblem;
pub use error::StoreError;
pub use outbox::{ChainFields, OutboxRow};
pub use queries::{DiggerHit, SiteSummary, SupporterView, WantedPicture};
pub use sales_queries::{
    ProductionOffer, PurchaseOffer, SaleFilter, SaleRow, prefill_from_production,
    prefill_from_purchases,
};
pub use stats::{Counts, Stats};
pub use sync_state::{CachedOfficer, Conflict, RejectedChange, SyncStatus};
pub use writer::Writer;

use crate::domain::{DeviceId, Hlc, HlcClock, OfficerId};
use rusqlite::{Connection, OptionalExtension};
use rusqlite_migration::{M, Migrations};
use std::path::{Path, PathBuf};

/// The schema migrations, in order. Never edit one that has shipped; append a new one.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_outbox_pending.sql"),
    include_str!("migrations/0003_sync.sql"),
    include_str!("migrations/0004_custody.sql"),
    include_str!("migrations/0005_stone_tallies.sql"),
    include_str!("migrations/0006_device_keys.sql"),
    include_str!("migrations/0007_licence_events.sql"),
    include_str!("migrations/0008_kp_records.sql"),
    include_str!("migrations/0009_declared_trade.sql"),
    include_str!("migrations/0010_first_sale_index.sql"),
    include_str!("migrations/0011_stone_lots.sql"),
    include_str!("migrations/0012_seals.sql"),
    include_str!("migrations/0013_canonical_form.sql"),
    include_str!("migrations/0014_photos.sql"),
];

fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect())
}

/// An open device database.
pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
    device: DeviceId,
    clock: HlcClock,
    author: Option<OfficerId>,
    /// Signs every change this device writes (see `device_keys`).
    key: ed25519_dalek::SigningKey,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        }
        let conn = Connection::open(path).map_err(|e| StoreError::Open {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::prepare(conn, Some(path.to_path_buf()))
    }

    /// A private database in memory, for tests.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Self::prepare(Connection::open_in_memory()?, None)
    }

    fn prepare(mut conn: Connection, path: Option<PathBuf>) -> Result<Store, StoreError> {
        let shown = path
            .as_ref()
            .map_or(":memory:".to_string(), |p| p.display().to_string());
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // The file must be a SQLite database before anything else is done to it.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
            .map_err(|e| StoreError::Open {
                path: shown.clone(),
                reason: format!("not an Alluvium database ({e})"),
            })?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a commit the officer was told about survives a power cut, not just a crash.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // A bulk write (import, demo data, a large pull) touches index pages all over the file;
        // with SQLite's default 2 MB cache they are spilled and re-read mid-transaction (bulk
        // write of the store benchmark: 6 700 entries/s with 2 MB, 9 668 with 32 MB).
        conn.pragma_update(None, "cache_size", -32_000)?;
        let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if found > known {
            return Err(StoreError::TooNew {
                path: shown,
                found,
                known,
            });
        }
        migrations()
            .to_latest(&mut conn)
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        let device = load_or_make_device_id(&conn)?;
        let key = device_keys::load_or_make(&mut conn, device.0)?;
        let last: Option<i64> = conn
            .query_row(
                "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'hlc'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let clock = HlcClock::resume(Hlc::from_i64(last.unwrap_or(0)));
        // The officer logged in on this device authors every write, from the GUI or a command.
        let author = sync_state::session_officer(&conn)?;
        Ok(Store {
            conn,
            path,
            device,
            clock,
            author,
            key,
        })
    }

    /// The file this store lives in (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// This device's id, the `origin` of every record it writes.
    pub fn device_id(&self) -> DeviceId {
        self.device
    }

    /// The officer whose name goes on the following writes (`None` before anyone logs in).
    pub fn set_author(&mut self, author: Option<OfficerId>) {
        self.author = author;
    }

    /// The officer whose name goes on writes now.
    pub fn author(&self) -> Option<OfficerId> {
        self.author
    }

    /// Runs `f` in one transaction: every record it writes and every outbox row that goes with
    /// them commit together or not at all.
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut clock = self.clock.clone();
        let mut w = Writer::new(&tx, &mut clock, self.device, self.author, &self.key);
        let out = f(&mut w)?;
        tx.execute(
            "INSERT INTO meta(key, value) VALUES ('hlc', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [clock.last().as_i64().to_string()],
        )?;
        tx.commit()?;
        // Only a committed transaction advances the clock held in memory.
        self.clock = clock;
        Ok(out)
    }

    /// SQLite's own consistency check: "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// The journal mode in force ("wal" for a file database).
    pub fn journal_mode(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))?)
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// The schema version this build writes.
    pub fn latest_schema_version() -> i64 {
        MIGRATIONS.len() as i64
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

fn load_or_make_device_id(conn: &Connection) -> Result<DeviceId, StoreError> {
    let existing: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'device_id'", [], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(text) = existing {
        return text
            .parse()
            .map_err(|e: String| StoreError::Migration(format!("corrupt device id: {e}")));
    }
    let id = DeviceId::new();
    conn.execute(
        "INSERT INTO meta(key, value) VALUES ('device_id', ?1)",
        [id.to_string()],
    )?;
    Ok(id)
}

/// The default database path: the platform data directory
/// (`~/.local/share/alluvium/alluvium.db` on Linux).
pub fn default_path() -> PathBuf {
    directories::ProjectDirs::from("org", "Alluvium", "alluvium")
        .map(|d| d.data_dir().join("alluvium.db"))
        .unwrap_or_else(|| PathBuf::from("alluvium.db"))
}

impl Store {
    /// A device setting (not a record: settings never sync).
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [format!("setting.{key}")],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Stores a device setting durably.
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [format!("setting.{key}"), value.to_string()],
        )?;
        Ok(())
    }
}

impl Store {
    /// Whether the database holds no registry records yet (first start).
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.conn.query_row(
            "SELECT NOT (EXISTS (SELECT 1 FROM diggers) OR EXISTS (SELECT 1 FROM licences) OR EXISTS (SELECT 1 FROM sites))",
            [],
            |r| r.get(0),
        )?)
    }
}
