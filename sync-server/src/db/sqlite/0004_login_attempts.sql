-- Failed logins per user name (schema version 4), in the database so that a restart does not
-- reset them and every process sharing a database counts the same (see store::logins).
CREATE TABLE login_attempts (
    name  TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    since INTEGER NOT NULL
) STRICT;
CREATE INDEX login_attempts_since ON login_attempts(since);
