-- A compact change log (schema version 5): an insert-only record (a licence event, production
-- entry, stone, sale, review or photo) has one version, so its row in the log is its only
-- row. The log takes the parent, correction and facts that `records` held for it, and its own
-- unique index on kind and id refuses a second record with a taken id. `records` keeps the
-- registries (regions, officers, diggers, licences, sites, crews, supporters): their winning
-- version changes, and the log keeps every version.
--
-- The log is rebuilt for it, keeping every row and its sequence number, without
-- AUTOINCREMENT: nothing is ever deleted from the log, so the next number is always one more
-- than the highest, as before, and an insert no longer updates `sqlite_sequence` as well.
CREATE TABLE changes_compact (
    seq INTEGER PRIMARY KEY, change_id TEXT NOT NULL UNIQUE, entity TEXT NOT NULL,
    record_id TEXT NOT NULL, region TEXT NOT NULL, hlc INTEGER NOT NULL, base_hlc INTEGER NOT NULL,
    origin TEXT NOT NULL, author TEXT, op TEXT NOT NULL, payload TEXT NOT NULL,
    chain_seq INTEGER, prev BLOB, sig BLOB, link BLOB, form INTEGER NOT NULL DEFAULT 1,
    parent TEXT, replaces TEXT, facts TEXT
) STRICT;
INSERT INTO changes_compact(seq, change_id, entity, record_id, region, hlc, base_hlc, origin,
                            author, op, payload, chain_seq, prev, sig, link, form,
                            parent, replaces, facts)
    SELECT c.seq, c.change_id, c.entity, c.record_id, c.region, c.hlc, c.base_hlc, c.origin,
           c.author, c.op, c.payload, c.chain_seq, c.prev, c.sig, c.link, c.form,
           r.parent, r.replaces, r.facts
    FROM changes c
    LEFT JOIN records r ON c.op = 'insert' AND r.entity = c.entity AND r.record_id = c.record_id
    ORDER BY c.seq;
DROP TABLE changes;
ALTER TABLE changes_compact RENAME TO changes;
DELETE FROM sqlite_sequence WHERE name = 'changes';
DELETE FROM records
    WHERE entity IN ('licence_event', 'production', 'stone', 'sale', 'review', 'photo');
CREATE UNIQUE INDEX changes_chain ON changes(origin, chain_seq) WHERE chain_seq IS NOT NULL;
CREATE UNIQUE INDEX changes_record ON changes(entity, record_id) WHERE op = 'insert';
CREATE INDEX changes_replaces ON changes(replaces) WHERE replaces IS NOT NULL;
DROP INDEX records_replaces;
