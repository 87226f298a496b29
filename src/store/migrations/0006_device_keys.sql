-- Device identity and signed changes (version 6). Shipped migrations are never edited; add a
-- new file.

-- Each change this device writes from now on is signed and linked to the one before it
-- (see sync::canonical): its position in the device's chain, the link of the previous signed
-- change, its Ed25519 signature and its own link (kept so the next write needs no recompute).
-- Changes written before the device had a key keep NULLs here.
ALTER TABLE outbox ADD COLUMN chain_seq INTEGER;
ALTER TABLE outbox ADD COLUMN prev BLOB;
ALTER TABLE outbox ADD COLUMN sig BLOB;
ALTER TABLE outbox ADD COLUMN link BLOB;
CREATE UNIQUE INDEX outbox_chain ON outbox(chain_seq) WHERE chain_seq IS NOT NULL;

-- This device's Ed25519 key pair. The secret never leaves the device; the public key goes to
-- the server at enrolment (or at the first sync after an upgrade: registered_at).
CREATE TABLE device_key (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    secret        BLOB NOT NULL,
    public_key    BLOB NOT NULL,
    created_at    TEXT NOT NULL,
    registered_at TEXT
) STRICT;

-- The public keys of the devices of this device's regions, as the server hands them out,
-- revoked ones included (they still verify what they signed before their revocation).
CREATE TABLE device_keys (
    device     TEXT PRIMARY KEY,
    region     TEXT NOT NULL,
    public_key BLOB NOT NULL,
    revoked_at TEXT
) STRICT;
