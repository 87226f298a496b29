-- The canonical form each signed change is in (version 12). Shipped migrations are never
-- edited; add a new file.

-- Changes signed before this version are form 1 (their link covers their signature); every
-- change written from now on is form 2 (its link is the hash of its canonical bytes only, so
-- one signature vouches for a run of changes on the wire). See sync::canonical.
ALTER TABLE outbox ADD COLUMN form INTEGER NOT NULL DEFAULT 1;
