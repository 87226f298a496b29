-- Failed-login counts per user name, shared by every server process (the SQLite backend,
-- one process, keeps them in memory). See auth::LoginLimiter for the rules.
CREATE TABLE login_attempts (
    name  TEXT PRIMARY KEY,
    count BIGINT NOT NULL,
    since BIGINT NOT NULL
);
