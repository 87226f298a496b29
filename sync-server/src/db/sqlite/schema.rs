//! The server's SQLite schema as its first migration made it, and the adoption of files made
//! before the schema was versioned (see `migrations`).
//!
//! Tables: `changes` is the log every device pulls from (its rowid is the sequence number);
//! `records` holds, per record, what authorisation, merging and the record rules need
//! (region, parent, what it corrects, clock, and the few facts of licences and sales that the
//! sale-chain rules read) — not the content, which lives once in `changes`; `rejected` keeps
//! refused changes with the reason, so a resent one gets the same answer; `acknowledged`
//! keeps changes accepted without effect (a device's copy of a known region). The three
//! together hold every device's chain of signed changes (see `chain`).

use crate::db::store::facts::{licence_facts, sale_facts};
use alluvium::domain::RecordKind;
use rusqlite::{Connection, OptionalExtension, params};
use rusqlite_migration::HookResult;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS regions (
    code TEXT PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL, created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS officers (
    id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, full_name TEXT NOT NULL, role TEXT NOT NULL,
    regions TEXT NOT NULL, password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS enrol_codes (
    code_hash TEXT PRIMARY KEY, region TEXT NOT NULL REFERENCES regions(code),
    expires_at INTEGER NOT NULL, used_by TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, region TEXT NOT NULL,
    enrolled_at INTEGER NOT NULL, revoked_at INTEGER, public_key BLOB, key_registered_at INTEGER
) STRICT;
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(id),
    officer_id TEXT NOT NULL REFERENCES officers(id), expires_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, change_id TEXT NOT NULL UNIQUE, entity TEXT NOT NULL,
    record_id TEXT NOT NULL, region TEXT NOT NULL, hlc INTEGER NOT NULL, base_hlc INTEGER NOT NULL,
    origin TEXT NOT NULL, author TEXT, op TEXT NOT NULL, payload TEXT NOT NULL,
    chain_seq INTEGER, prev BLOB, sig BLOB, link BLOB
) STRICT;
CREATE TABLE IF NOT EXISTS records (
    entity TEXT NOT NULL, record_id TEXT NOT NULL, region TEXT NOT NULL, parent TEXT,
    replaces TEXT, hlc INTEGER NOT NULL, origin TEXT NOT NULL, facts TEXT,
    PRIMARY KEY (entity, record_id)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rejected (
    change_id TEXT PRIMARY KEY, entity TEXT NOT NULL, record_id TEXT NOT NULL, origin TEXT NOT NULL,
    author TEXT, reason TEXT NOT NULL, payload TEXT NOT NULL, at INTEGER NOT NULL,
    hlc INTEGER, base_hlc INTEGER, chain_seq INTEGER, prev BLOB, sig BLOB, link BLOB
) STRICT;
CREATE TABLE IF NOT EXISTS acknowledged (
    change_id TEXT PRIMARY KEY, entity TEXT NOT NULL, record_id TEXT NOT NULL, origin TEXT NOT NULL,
    author TEXT, payload TEXT NOT NULL, at INTEGER NOT NULL, hlc INTEGER NOT NULL,
    base_hlc INTEGER NOT NULL, chain_seq INTEGER, prev BLOB, sig BLOB, link BLOB
) STRICT;
"#;

/// Finds the correction of an entry without a scan; most records correct nothing.
const REPLACES_INDEX: &str = "CREATE INDEX IF NOT EXISTS records_replaces ON records(replaces)
     WHERE replaces IS NOT NULL";

/// One change per position of a device's chain, found without a scan (push checks a
/// change's neighbours; `audit verify` walks each chain in order). A change the record rules
/// refused keeps its place in the chain in `rejected`.
const CHAIN_INDEXES: &str = "
CREATE UNIQUE INDEX IF NOT EXISTS changes_chain ON changes(origin, chain_seq)
    WHERE chain_seq IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS rejected_chain ON rejected(origin, chain_seq)
    WHERE chain_seq IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS acknowledged_chain ON acknowledged(origin, chain_seq)
    WHERE chain_seq IS NOT NULL;";

/// Columns added for signed changes, by table: files of earlier versions get them in place.
const CHAIN_COLUMNS: &[(&str, &str, &str)] = &[
    ("devices", "public_key", "BLOB"),
    ("devices", "key_registered_at", "INTEGER"),
    ("changes", "chain_seq", "INTEGER"),
    ("changes", "prev", "BLOB"),
    ("changes", "sig", "BLOB"),
    ("changes", "link", "BLOB"),
    ("rejected", "hlc", "INTEGER"),
    ("rejected", "base_hlc", "INTEGER"),
    ("rejected", "chain_seq", "INTEGER"),
    ("rejected", "prev", "BLOB"),
    ("rejected", "sig", "BLOB"),
    ("rejected", "link", "BLOB"),
];

/// Migration 1: creates the tables in a new file, or adopts a file made before the schema
/// was versioned (`user_version` 0) as it is, adding what earlier releases lacked — in the
/// migration's one transaction, so a failure leaves the file as it was.
pub(super) fn adopt(conn: &Connection) -> HookResult {
    let had_records: bool = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'records'",
            [],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    conn.execute_batch(SCHEMA)?;
    let has_facts = conn
        .prepare("SELECT 1 FROM pragma_table_info('records') WHERE name = 'facts'")?
        .exists([])?;
    if had_records && !has_facts {
        conn.execute_batch("ALTER TABLE records ADD COLUMN facts TEXT")?;
        fill_facts(conn, "IN ('licence', 'sale')")?;
    } else if had_records && licence_facts_lack_issue_date(conn)? {
        fill_facts(conn, "= 'licence'")?;
    }
    conn.execute_batch(REPLACES_INDEX)?;
    add_chain_columns(conn)?;
    conn.execute_batch(CHAIN_INDEXES)?;
    Ok(())
}

/// Whether a file of an earlier version stored licence facts without the issue date, which
/// the licence-event rules read.
fn licence_facts_lack_issue_date(conn: &Connection) -> rusqlite::Result<bool> {
    conn.prepare(
        "SELECT 1 FROM records WHERE entity = 'licence' AND instr(coalesce(facts, ''), '\"issued_on\"') = 0
         LIMIT 1",
    )?
    .exists([])
}

/// Adds the columns of signed changes to a file of an earlier version (existing rows stay
/// unsigned: NULL).
fn add_chain_columns(tx: &Connection) -> rusqlite::Result<()> {
    for (table, column, kind) in CHAIN_COLUMNS {
        let has = tx
            .prepare(&format!(
                "SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1"
            ))?
            .exists([column])?;
        if !has {
            tx.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {kind}"))?;
        }
    }
    Ok(())
}

/// Fills the `facts` column of a file of an earlier version from the winning version of each
/// record of the entities `entities` (an SQL `IN`/`=` tail) in the log.
fn fill_facts(tx: &Connection, entities: &str) -> rusqlite::Result<()> {
    let winners: Vec<(String, String, String)> = tx
        .prepare(&format!(
            "SELECT r.entity, r.record_id, c.payload FROM records r
             JOIN changes c ON c.entity = r.entity AND c.record_id = r.record_id
               AND c.hlc = r.hlc AND c.origin = r.origin
             WHERE r.entity {entities}"
        ))?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    {
        let mut set =
            tx.prepare("UPDATE records SET facts = ?3 WHERE entity = ?1 AND record_id = ?2")?;
        for (entity, id, payload) in winners {
            let facts = match entity.parse::<RecordKind>() {
                Ok(RecordKind::Licence) => serde_json::from_str(&payload)
                    .ok()
                    .map(|l| licence_facts(&l)),
                Ok(RecordKind::Sale) => serde_json::from_str(&payload).ok().map(|s| sale_facts(&s)),
                _ => None,
            };
            set.execute(params![entity, id, facts])?;
        }
    }
    Ok(())
}
