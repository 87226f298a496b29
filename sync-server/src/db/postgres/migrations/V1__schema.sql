-- The server's tables, as the SQLite backend's first schema version has them (see
-- sqlite/schema.rs for what each holds). Integers are BIGINT, bytes BYTEA: the store binds
-- every integer as 64 bits. Released migrations are never edited; append a new one.
CREATE TABLE regions (
    code TEXT PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL, created_at BIGINT NOT NULL
);
CREATE TABLE officers (
    id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, full_name TEXT NOT NULL, role TEXT NOT NULL,
    regions TEXT NOT NULL, password_hash TEXT NOT NULL, disabled BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE enrol_codes (
    code_hash TEXT PRIMARY KEY, region TEXT NOT NULL REFERENCES regions(code),
    expires_at BIGINT NOT NULL, used_by TEXT
);
CREATE TABLE devices (
    id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, region TEXT NOT NULL,
    enrolled_at BIGINT NOT NULL, revoked_at BIGINT, public_key BYTEA, key_registered_at BIGINT
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(id),
    officer_id TEXT NOT NULL REFERENCES officers(id), expires_at BIGINT NOT NULL
);
-- `seq` is the pull cursor. Values are drawn while the appending transaction holds the
-- change-log lock (see postgres/mod.rs), so they become visible in order.
CREATE TABLE changes (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, change_id TEXT NOT NULL UNIQUE,
    entity TEXT NOT NULL, record_id TEXT NOT NULL, region TEXT NOT NULL, hlc BIGINT NOT NULL,
    base_hlc BIGINT NOT NULL, origin TEXT NOT NULL, author TEXT, op TEXT NOT NULL,
    payload TEXT NOT NULL, chain_seq BIGINT, prev BYTEA, sig BYTEA, link BYTEA
);
CREATE TABLE records (
    entity TEXT NOT NULL, record_id TEXT NOT NULL, region TEXT NOT NULL, parent TEXT,
    replaces TEXT, hlc BIGINT NOT NULL, origin TEXT NOT NULL, facts TEXT,
    PRIMARY KEY (entity, record_id)
);
CREATE TABLE rejected (
    change_id TEXT PRIMARY KEY, entity TEXT NOT NULL, record_id TEXT NOT NULL, origin TEXT NOT NULL,
    author TEXT, reason TEXT NOT NULL, payload TEXT NOT NULL, at BIGINT NOT NULL,
    hlc BIGINT, base_hlc BIGINT, chain_seq BIGINT, prev BYTEA, sig BYTEA, link BYTEA
);
CREATE TABLE acknowledged (
    change_id TEXT PRIMARY KEY, entity TEXT NOT NULL, record_id TEXT NOT NULL, origin TEXT NOT NULL,
    author TEXT, payload TEXT NOT NULL, at BIGINT NOT NULL, hlc BIGINT NOT NULL,
    base_hlc BIGINT NOT NULL, chain_seq BIGINT, prev BYTEA, sig BYTEA, link BYTEA
);
CREATE INDEX records_replaces ON records(replaces) WHERE replaces IS NOT NULL;
CREATE UNIQUE INDEX changes_chain ON changes(origin, chain_seq) WHERE chain_seq IS NOT NULL;
CREATE UNIQUE INDEX rejected_chain ON rejected(origin, chain_seq) WHERE chain_seq IS NOT NULL;
CREATE UNIQUE INDEX acknowledged_chain ON acknowledged(origin, chain_seq) WHERE chain_seq IS NOT NULL;
