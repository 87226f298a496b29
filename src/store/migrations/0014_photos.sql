-- Photos. `photos` holds the synced records that put a picture on a record; the picture itself
-- is a file beside the database named by its SHA-256 (see `photo::files`), so one picture on
-- three records is kept and sent once. `photo_uploads` is this device's own list of pictures it
-- took and must send to the server (not synced): `done` is set once the server has confirmed
-- holding the whole picture.
CREATE TABLE photos (
    id            TEXT PRIMARY KEY,
    target_entity TEXT NOT NULL,
    target_id     TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    bytes         INTEGER NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    caption       TEXT NOT NULL,
    taken_at      TEXT,
    lat           REAL,
    lon           REAL,
    added_by      TEXT NOT NULL,
    at            TEXT NOT NULL,
    hlc INTEGER NOT NULL, origin TEXT NOT NULL, author TEXT
) STRICT;
CREATE INDEX photos_target ON photos(target_id);
CREATE INDEX photos_sha ON photos(sha256);

CREATE TABLE photo_uploads (
    sha256 TEXT PRIMARY KEY,
    bytes  INTEGER NOT NULL,
    done   INTEGER NOT NULL DEFAULT 0
) STRICT;
