-- Registrations: a person takes a seat at one session (or waits for one), distinct from
-- following news (subscriptions). Times in unix microseconds.
--
-- status: pending (the address is not confirmed yet), seated, waiting, cancelled.
-- arrival: order of arrival once the address is confirmed; seats and the waiting list follow it.
-- It is given under the session's row lock, so concurrent confirmations get distinct ranks.
-- link_key: the secret of the person's own links (the page to cancel, the personal calendar);
-- revision: bumped when the registration itself changes, added to the session's SEQUENCE in
-- the personal calendar so clients take each change.
CREATE TABLE registrations (
    id              TEXT PRIMARY KEY,
    event_id        TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    email           TEXT NOT NULL,
    name            TEXT NOT NULL,
    organisation    TEXT,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'seated', 'waiting', 'cancelled')),
    arrival         BIGINT,
    confirm_hash    TEXT UNIQUE,
    confirm_expires BIGINT,
    link_key        TEXT NOT NULL UNIQUE,
    revision        BIGINT NOT NULL DEFAULT 0,
    source          TEXT NOT NULL,
    wording_version TEXT NOT NULL,
    requested_at    BIGINT NOT NULL,
    request_ip      TEXT,
    confirmed_at    BIGINT,
    seated_at       BIGINT,
    cancelled_at    BIGINT,
    cancelled_by    TEXT,
    updated_at      BIGINT NOT NULL,
    UNIQUE (event_id, email)
);
CREATE INDEX registrations_by_event ON registrations (event_id, status, arrival);
CREATE INDEX registrations_by_email ON registrations (email);

-- A message to a registrant names the registration (subscription_id stays NULL).
ALTER TABLE outbox ADD COLUMN registration_id TEXT REFERENCES registrations (id) ON DELETE CASCADE;
CREATE INDEX outbox_by_registration ON outbox (registration_id, status);
