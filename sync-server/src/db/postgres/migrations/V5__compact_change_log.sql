-- A compact change log (as SQLite's schema version 5): an insert-only record (a licence event,
-- production entry, stone, sale, review or photo) has one version, so its row in the log is
-- its only row. The log takes the parent, correction and facts that `records` held for it,
-- and its own unique index on kind and id refuses a second record with a taken id. `records`
-- keeps the registries (regions, officers, diggers, licences, sites, crews, supporters):
-- their winning version changes, and the log keeps every version.
ALTER TABLE changes ADD COLUMN parent TEXT;
ALTER TABLE changes ADD COLUMN replaces TEXT;
ALTER TABLE changes ADD COLUMN facts TEXT;
UPDATE changes SET parent = r.parent, replaces = r.replaces, facts = r.facts
    FROM records r
    WHERE changes.op = 'insert' AND r.entity = changes.entity AND r.record_id = changes.record_id;
DELETE FROM records
    WHERE entity IN ('licence_event', 'production', 'stone', 'sale', 'review', 'photo');
CREATE UNIQUE INDEX changes_record ON changes(entity, record_id) WHERE op = 'insert';
CREATE INDEX changes_replaces ON changes(replaces) WHERE replaces IS NOT NULL;
DROP INDEX records_replaces;
