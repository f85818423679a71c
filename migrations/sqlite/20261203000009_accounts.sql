-- Organiser accounts for the console (/admin), their sessions, one-time password links, the
-- failed logins that throttle guessing, and who made each write.

CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    -- Lower-cased: one account per address whatever its case.
    email           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    -- 'admin' or 'organiser'.
    role            TEXT NOT NULL,
    -- Argon2id in PHC string form; NULL until the password is set through its one-time link.
    password_hash   TEXT,
    created_at      BIGINT NOT NULL,
    disabled_at     BIGINT
);

-- A link to set (or reset) a password: only a SHA-256 hash of its secret is kept.
CREATE TABLE password_links (
    secret_hash     TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT
);
CREATE INDEX password_links_by_account ON password_links (account_id);

-- Console sessions, server-side: the cookie carries a secret whose SHA-256 hash is the key.
CREATE TABLE console_sessions (
    secret_hash     TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- The synchroniser token every state-changing form of this session carries.
    csrf_token      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    last_seen_at    BIGINT NOT NULL
);
CREATE INDEX console_sessions_by_account ON console_sessions (account_id);

-- Failed logins, per account address and per client; old rows are pruned as new ones come.
CREATE TABLE login_failures (
    throttle_key    TEXT NOT NULL,
    failed_at       BIGINT NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures (throttle_key, failed_at);

-- Every accepted write, console or API: who, when, what.
CREATE TABLE audit_log (
    at              BIGINT NOT NULL,
    actor           TEXT NOT NULL,
    method          TEXT NOT NULL,
    path            TEXT NOT NULL,
    status          BIGINT NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at);

-- A session's history says who made each change and what each field was before and after.
ALTER TABLE event_changes ADD COLUMN actor TEXT;
ALTER TABLE event_changes ADD COLUMN field_values TEXT;
