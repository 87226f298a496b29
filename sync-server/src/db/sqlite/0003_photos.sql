-- Photos. `photo_names` says which photo records name which picture, where, and on what kind
-- of record: who may send or fetch a picture is decided from it. `photo_blobs` lists the
-- pictures held whole, their hash checked; the bytes are files beside the database
-- (`photo_vault`), a picture being received is a partial file that a resumed upload extends.
CREATE TABLE photo_names (
    photo_id      TEXT PRIMARY KEY,
    sha256        TEXT NOT NULL,
    region        TEXT NOT NULL,
    target_entity TEXT NOT NULL,
    bytes         INTEGER NOT NULL
) STRICT;
CREATE INDEX photo_names_sha ON photo_names(sha256);
CREATE TABLE photo_blobs (
    sha256    TEXT PRIMARY KEY,
    bytes     INTEGER NOT NULL,
    stored_at INTEGER NOT NULL
) STRICT;
