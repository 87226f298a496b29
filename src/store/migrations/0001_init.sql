-- Alluvium device schema, version 1. Shipped migrations are never edited; add a new file.
-- Every record carries hlc (hybrid logical clock of its last change), origin (device id) and
-- author (officer id, empty before logins). Weights are integer centicarats, money integer
-- cents, gravel integer litres, dates ISO 8601 text, coordinates WGS84 degrees.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE regions (
    code               TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    country            TEXT NOT NULL,
    utc_offset_minutes INTEGER NOT NULL,
    centre_lat         REAL NOT NULL,
    centre_lon         REAL NOT NULL,
    hlc INTEGER NOT NULL, origin TEXT NOT NULL, author TEXT
) STRICT;

CREATE TABLE officers (
    id        TEXT PRIMARY KEY,
    username  TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    role      TEXT NOT NULL,
    regions   TEXT NOT NULL, -- comma-separated region codes
    hlc INTEGER NOT NULL, origin TEXT NOT NULL, author TEXT
) STRICT;

-- rid keeps the full-text index's rowids stable across VACUUM.
CREATE TABLE diggers (
    rid         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    national_id TEXT NOT NULL UNIQUE,
    full_name   TEXT NOT NULL COLLATE NOCASE,
    sex         TEXT NOT NULL,
    birth_date  TEXT NOT NULL,
    village     TEXT NOT NULL,
    chiefdom    TEXT NOT NULL,
    phone       TEXT NOT NULL,
    region      TEXT NOT NULL REFERENCES regions(code),
    status      TEXT NOT NULL,
    hlc INTEGER NOT NULL, origin TEXT NOT NULL, author TEXT
) STRICT;
CREATE INDEX diggers_region ON diggers(region);
CREATE INDEX diggers_name ON diggers(full_name);

CREATE VIRTUAL TABLE diggers_fts USING fts5(
    full_name, national_id, village,
    content = 'diggers', content_rowid = 'rid',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'
);
CREATE TRIGGER diggers_fts_insert AFTER INSERT ON diggers BEGIN
    INSERT INTO diggers_fts(rowid, full_name, national_id, village)
    VALUES (new.rid, new.full_name, new.national_id, new.village);
END;
CREATE TRIGGER diggers_fts_delete AFTER DELETE ON diggers BEGIN
    INSERT INTO diggers_fts(diggers_fts, rowid, full_name, national_id, village)
    VALUES ('delete', old.rid, old.full_name, old.national_id, old.village);
END;
CREATE TRIGGER diggers_fts_update AFTER UPDATE ON diggers BEGIN
    INSERT INTO diggers_fts(diggers_fts, rowid, full_name, national_id, village)
    VALUES ('delete', old.rid, old.full_name, old.national_id, old.village);
    INSERT INTO diggers_fts(rowid, full_name, national_id, village)
    VALUES (new.rid, new.full_name, new.national_id, new.village);
END;

CREATE TABLE licences (
    id               TEXT PRIMARY KEY,
    number           TEXT NOT NULL UNIQUE COLLATE NOCASE,
    kind             TEXT NOT NULL,
    holder_digger_id TEXT REFERENCES diggers(id),
    holder_name      TEXT NOT NULL,
    region           TEXT NOT NULL REFERENCES regions(code),
    issued_on        TEXT NOT NULL,
    expires_on       TEXT NOT NULL,
    status           TEXT NOT NULL,
    area_wkt         TEXT,
    area_ha          REAL,
    fee_receipt      TEXT NOT NULL,
    hlc INTEGER NOT NULL, origin TEXT NOT NULL, author TEXT,
    CHECK (expires_on >= issued_on)
) STRICT;
CREATE INDEX licences_holder ON licences(holder_digger_id);
CREATE INDEX licences_region ON licences(region);

CREATE TABLE sites (
    id         TEXT PRIMARY KEY,
    licence_id TEXT NOT NULL REFERENCES licences(id),
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    status     TEXT NOT NULL,
    lat        REAL NOT NULL,
    lon        REAL NOT NULL,
    accuracy_m REAL NOT NULL,
    opened_on  TEXT NOT NULL,
    hlc INTEGER NOT NULL, origin TEXT NOT NULL, author TEXT
) STRICT;
CREATE INDEX sites_licence ON sites(licence_id);

CREATE TABLE crews (
    id         TEXT PRIMARY KEY,
    licence_id TEXT NOT NULL REFERENCES licences(id),
    site_id    TEXT REFERENCES sites(id),
    digger_id  TEXT NOT NULL REFERENCES diggers(id),
    from_day   TEXT NOT NULL,
    to_day     TEXT,
    hlc INTEGER NOT NULL, origin TEXT NOT NULL, author TEXT
) STRICT;
CREATE INDEX crews_licence ON crews(licence_id);
CREATE INDEX crews_digger ON crews(digger_id);

-- Append-only: a correction is a new row whose `replaces` names the old one.
CREATE TABLE production (
    id            TEXT PRIMARY KEY,
    site_id       TEXT NOT NULL REFERENCES sites(id),
    day           TEXT NOT NULL,
    officer       TEXT NOT NULL,
    lat           REAL,
    lon           REAL,
    accuracy_m    REAL,
    fix_source    TEXT,
    fix_time      TEXT,
    crew_size     INTEGER NOT NULL CHECK (crew_size >= 0),
    gravel_litres INTEGER NOT NULL CHECK (gravel_litres >= 0),
    notes         TEXT NOT NULL,
    replaces      TEXT REFERENCES production(id),
    hlc INTEGER NOT NULL, origin TEXT NOT NULL, author TEXT
) STRICT;
CREATE INDEX production_site_day ON production(site_id, day);
CREATE INDEX production_day ON production(day);
CREATE UNIQUE INDEX production_replaced_once ON production(replaces) WHERE replaces IS NOT NULL;

CREATE TABLE production_diggers (
    production_id TEXT NOT NULL REFERENCES production(id),
    digger_id     TEXT NOT NULL REFERENCES diggers(id),
    position      INTEGER NOT NULL,
    PRIMARY KEY (production_id, digger_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX production_diggers_digger ON production_diggers(digger_id);

CREATE TABLE stones (
    id            TEXT PRIMARY KEY,
    production_id TEXT NOT NULL REFERENCES production(id),
    centicarats   INTEGER NOT NULL CHECK (centicarats > 0),
    class         TEXT NOT NULL,
    colour        TEXT NOT NULL,
    hlc INTEGER NOT NULL, origin TEXT NOT NULL, author TEXT
) STRICT;
CREATE INDEX stones_production ON stones(production_id);

CREATE TABLE sales (
    id                  TEXT PRIMARY KEY,
    slip_number         TEXT NOT NULL,
    day                 TEXT NOT NULL,
    seller_licence_id   TEXT NOT NULL REFERENCES licences(id),
    buyer_licence_id    TEXT REFERENCES licences(id),
    centicarats         INTEGER NOT NULL CHECK (centicarats > 0),
    stone_count         INTEGER NOT NULL CHECK (stone_count > 0),
    price_cents         INTEGER NOT NULL CHECK (price_cents >= 0),
    kind                TEXT NOT NULL,
    certificate_number  TEXT NOT NULL,
    destination_country TEXT NOT NULL,
    hlc INTEGER NOT NULL, origin TEXT NOT NULL, author TEXT
) STRICT;
CREATE INDEX sales_seller ON sales(seller_licence_id, day);
CREATE INDEX sales_buyer ON sales(buyer_licence_id, day);

CREATE TABLE sale_production (
    sale_id       TEXT NOT NULL REFERENCES sales(id),
    production_id TEXT NOT NULL REFERENCES production(id),
    position      INTEGER NOT NULL,
    PRIMARY KEY (sale_id, production_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE reviews (
    id            TEXT PRIMARY KEY,
    target_entity TEXT NOT NULL,
    target_id     TEXT NOT NULL,
    decision      TEXT NOT NULL,
    comment       TEXT NOT NULL,
    reviewer      TEXT NOT NULL,
    at            TEXT NOT NULL,
    hlc INTEGER NOT NULL, origin TEXT NOT NULL, author TEXT
) STRICT;
CREATE INDEX reviews_target ON reviews(target_id);

-- The change log: one row per local write, in the same transaction as the write. Sync pushes
-- rows whose sent_at is empty and fills it only after the server has answered.
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY,
    change_id  TEXT NOT NULL UNIQUE,
    entity     TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    region     TEXT,
    hlc        INTEGER NOT NULL,
    op         TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at    TEXT
) STRICT;
CREATE INDEX outbox_unsent ON outbox(seq) WHERE sent_at IS NULL;
CREATE INDEX outbox_record ON outbox(record_id);
