-- The canonical form each stored signed change is in (as SQLite's schema version 2).
ALTER TABLE changes ADD COLUMN form BIGINT NOT NULL DEFAULT 1;
ALTER TABLE rejected ADD COLUMN form BIGINT NOT NULL DEFAULT 1;
ALTER TABLE acknowledged ADD COLUMN form BIGINT NOT NULL DEFAULT 1;
