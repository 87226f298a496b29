-- Device sync state (version 2). Shipped migrations are never edited; add a new file.

-- Who made each change (pushed only by that officer's session), and which version of the
-- record the edit started from (0 for a new record), so a merge can tell a concurrent edit
-- from a later one.
ALTER TABLE outbox ADD COLUMN author TEXT;
ALTER TABLE outbox ADD COLUMN base_hlc INTEGER NOT NULL DEFAULT 0;

-- Key/value settings of the sync client: server_url, ca_cert, device_token, server_device_id,
-- session_officer, pull_cursor, last_success, last_error, backoff_until.
CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Officers who logged in online on this device: the cached argon2id hash of the password
-- lets them log in again offline; the session token is the one the server issued last.
CREATE TABLE sync_officers (
    officer_id    TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    full_name     TEXT NOT NULL,
    role          TEXT NOT NULL,
    regions       TEXT NOT NULL, -- comma-separated region codes
    password_hash TEXT NOT NULL,
    session_token TEXT,
    last_login    TEXT NOT NULL
) STRICT;

-- Changes the server refused, with its reason; they stay until an officer deals with them.
CREATE TABLE sync_rejected (
    change_id   TEXT PRIMARY KEY REFERENCES outbox(change_id),
    reason      TEXT NOT NULL,
    rejected_at TEXT NOT NULL
) STRICT;

-- Versions of registry records that lost a merge (concurrent edits), kept for review.
CREATE TABLE sync_conflicts (
    id            INTEGER PRIMARY KEY,
    entity        TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    loser_hlc     INTEGER NOT NULL,
    loser_origin  TEXT NOT NULL,
    loser_author  TEXT,
    loser_payload TEXT NOT NULL,
    winner_hlc    INTEGER NOT NULL,
    winner_origin TEXT NOT NULL,
    detected_at   TEXT NOT NULL,
    UNIQUE (entity, record_id, loser_hlc, loser_origin)
) STRICT;

-- Pulled changes this device could not apply (e.g. a reference outside its regions).
CREATE TABLE sync_apply_failures (
    change_id TEXT PRIMARY KEY,
    entity    TEXT NOT NULL,
    record_id TEXT NOT NULL,
    payload   TEXT NOT NULL,
    reason    TEXT NOT NULL,
    at        TEXT NOT NULL
) STRICT;
