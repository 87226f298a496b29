-- A running count of unsent changes, so the app can show it at every page change without
-- counting millions of outbox rows.
CREATE TABLE outbox_pending (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
) STRICT;
INSERT INTO outbox_pending(id, n) SELECT 1, count(*) FROM outbox WHERE sent_at IS NULL;

CREATE TRIGGER outbox_pending_insert AFTER INSERT ON outbox WHEN new.sent_at IS NULL BEGIN
    UPDATE outbox_pending SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER outbox_pending_sent AFTER UPDATE OF sent_at ON outbox
WHEN old.sent_at IS NULL AND new.sent_at IS NOT NULL BEGIN
    UPDATE outbox_pending SET n = n - 1 WHERE id = 1;
END;
CREATE TRIGGER outbox_pending_unsent AFTER UPDATE OF sent_at ON outbox
WHEN old.sent_at IS NOT NULL AND new.sent_at IS NULL BEGIN
    UPDATE outbox_pending SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER outbox_pending_delete AFTER DELETE ON outbox WHEN old.sent_at IS NULL BEGIN
    UPDATE outbox_pending SET n = n - 1 WHERE id = 1;
END;
