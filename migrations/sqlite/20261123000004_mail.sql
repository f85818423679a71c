-- Mailing: reminders per session, subscriptions with their proof of consent, and the outbox.
-- Times in unix microseconds.

-- JSON list of ISO 8601 durations; NULL uses the configured default.
ALTER TABLE events ADD COLUMN reminders TEXT;

-- One row per address and scope. scope_key is 'all', 'series:<id>' or 'event:<id>', so an
-- address subscribes to a scope once. The consent proof (request, confirmation, withdrawal,
-- wording version, source) stays with the row until it is erased after withdrawal.
CREATE TABLE subscriptions (
    id               TEXT PRIMARY KEY,
    email            TEXT NOT NULL,
    scope_kind       TEXT NOT NULL CHECK (scope_kind IN ('all', 'series', 'event')),
    series_id        TEXT REFERENCES series (id) ON DELETE CASCADE,
    event_id         TEXT REFERENCES events (id) ON DELETE CASCADE,
    scope_key        TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed')),
    -- SHA-256 of the single-use confirmation secret, and when it stops working.
    confirm_hash     TEXT UNIQUE,
    confirm_expires  BIGINT,
    -- Secret of the unsubscribe links (in every message; not a credential for anything else).
    unsubscribe_key  TEXT NOT NULL UNIQUE,
    source           TEXT NOT NULL,
    wording_version  TEXT NOT NULL,
    requested_at     BIGINT NOT NULL,
    request_ip       TEXT,
    confirmed_at     BIGINT,
    withdrawn_at     BIGINT,
    updated_at       BIGINT NOT NULL,
    UNIQUE (email, scope_key)
);
-- Every consent event of a subscription, kept until the subscription is erased: the proof of
-- consent (GDPR art. 7(1)) survives a later request, confirmation or withdrawal.
CREATE TABLE consent_log (
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    at              BIGINT NOT NULL,
    action          TEXT NOT NULL CHECK (action IN ('requested', 'confirmed', 'added', 'withdrawn')),
    source          TEXT NOT NULL,
    wording_version TEXT NOT NULL,
    client          TEXT
);
CREATE INDEX consent_log_by_subscription ON consent_log (subscription_id, at);

CREATE INDEX subscriptions_by_scope ON subscriptions (status, scope_kind, series_id, event_id);
CREATE INDEX subscriptions_withdrawn ON subscriptions (withdrawn_at) WHERE withdrawn_at IS NOT NULL;

-- Messages to send. dedup_key (event, kind, sequence or reminder, recipient) makes planning the
-- same notice twice a no-op. status: queued, sending (leased until lease_until), sent, failed
-- (permanent refusal or attempts exhausted), dropped (no longer relevant, with a reason).
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key       TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    event_id        TEXT REFERENCES events (id) ON DELETE CASCADE,
    subscription_id TEXT REFERENCES subscriptions (id) ON DELETE CASCADE,
    recipient       TEXT NOT NULL,
    sequence        BIGINT NOT NULL DEFAULT 0,
    -- Extra data the message needs (a confirmation secret, a reminder's advance).
    detail          TEXT NOT NULL DEFAULT '',
    due_at          BIGINT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'dropped')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    lease_owner     TEXT,
    lease_until     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX outbox_due ON outbox (status, due_at);
CREATE INDEX outbox_by_event ON outbox (event_id, status);
CREATE INDEX outbox_by_subscription ON outbox (subscription_id, status);

-- Attempts at the public subscribe form, for its rate limits (per client and per address).
-- Old rows are deleted as new ones come.
CREATE TABLE subscribe_attempts (
    at     BIGINT NOT NULL,
    client TEXT NOT NULL,
    email  TEXT NOT NULL
);
CREATE INDEX subscribe_attempts_client ON subscribe_attempts (client, at);
CREATE INDEX subscribe_attempts_email ON subscribe_attempts (email, at);
CREATE INDEX subscribe_attempts_at ON subscribe_attempts (at);
