-- Photos (as SQLite's schema version 3): which photo records name which picture, and the
-- pictures held whole. The bytes are files in the photo folder every server process shares.
CREATE TABLE photo_names (
    photo_id      TEXT PRIMARY KEY,
    sha256        TEXT NOT NULL,
    region        TEXT NOT NULL,
    target_entity TEXT NOT NULL,
    bytes         BIGINT NOT NULL
);
CREATE INDEX photo_names_sha ON photo_names(sha256);
CREATE TABLE photo_blobs (
    sha256    TEXT PRIMARY KEY,
    bytes     BIGINT NOT NULL,
    stored_at BIGINT NOT NULL
);
