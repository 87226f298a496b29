-- Failed logins per user name (as SQLite's schema version 4), shared by every server process
-- on the database, so that a guess counts whichever process it reaches (see store::logins).
CREATE TABLE login_attempts (
    name  TEXT PRIMARY KEY,
    count BIGINT NOT NULL,
    since BIGINT NOT NULL
);
CREATE INDEX login_attempts_since ON login_attempts(since);
