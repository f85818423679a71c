-- What changes in a message's life, kept apart from the message. `outbox` keeps what a message
-- is (its notice, its session, subscription or registration, its recipient), written when it is
-- planned; `outbox_state` holds, one row per message, its status, due time, lease, attempts,
-- details and times, with the indexes that name the status.
--
-- Claiming a message and marking it sent are the dispatcher's two writes per message. Each
-- changes the status, which a PostgreSQL heap-only update cannot do, so each row version they
-- wrote added an entry to every index of the outbox: six (its key, `dedup_key`, the three by
-- session, subscription and registration, and the partial index of its new status), almost half
-- of the server's CPU in the mail benchmark. They now write a narrow row with two: its key and
-- the partial index of its new status. Measured on the database alone
-- (`bench/outbox-leases.sql`, runs `ac` and `sc`): 2.5 times less time for 20,000 messages.
--
-- A message's state goes with it (below, a trigger rather than a foreign key: checking the key
-- of every state row written made planning an announcement to 100,000 subscribers a quarter
-- slower on PostgreSQL, 1.16 against 1.55 s for the two inserts alone).
--
-- The rows are copied, then the columns leave the outbox. On PostgreSQL the copy takes seconds
-- for a few million messages and the outbox is locked against writes meanwhile.
CREATE TABLE outbox_state (
    id          BIGINT PRIMARY KEY,
    status      TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'dropped')),
    -- When it is due: the moment it was planned for, or a retry's.
    due_at      BIGINT NOT NULL,
    -- The moment it was planned for, once a temporary failure moved `due_at` to its retry.
    planned_at  BIGINT,
    -- Extra data the message needs (a confirmation secret, a reminder's advance, what a change
    -- notice compares), forgotten once it is sent or dropped.
    detail      TEXT NOT NULL DEFAULT '',
    attempts    BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until BIGINT,
    -- The last delivery error, or why it was dropped.
    last_error  TEXT,
    updated_at  BIGINT NOT NULL,
    sent_at     BIGINT
);
INSERT INTO outbox_state (id, status, due_at, planned_at, detail, attempts, lease_owner,
    lease_until, last_error, updated_at, sent_at)
SELECT id, status, due_at, planned_at, detail, attempts, lease_owner, lease_until, last_error,
    updated_at, sent_at FROM outbox;

DROP INDEX outbox_queued;
DROP INDEX outbox_sending;
DROP INDEX outbox_sent;
DROP INDEX outbox_failed;
DROP INDEX outbox_dropped;
DROP INDEX outbox_by_event;
ALTER TABLE outbox DROP COLUMN status;
ALTER TABLE outbox DROP COLUMN due_at;
ALTER TABLE outbox DROP COLUMN planned_at;
ALTER TABLE outbox DROP COLUMN detail;
ALTER TABLE outbox DROP COLUMN attempts;
ALTER TABLE outbox DROP COLUMN lease_owner;
ALTER TABLE outbox DROP COLUMN lease_until;
ALTER TABLE outbox DROP COLUMN last_error;
ALTER TABLE outbox DROP COLUMN updated_at;
ALTER TABLE outbox DROP COLUMN sent_at;

-- The same indexes as before, on the state: the claim's walk in due order and the next due
-- time; leases that ran out; the console's deliveries per day and latest failures.
CREATE INDEX outbox_queued ON outbox_state (due_at, id) WHERE status = 'queued';
CREATE INDEX outbox_sending ON outbox_state (lease_until, id) WHERE status = 'sending';
CREATE INDEX outbox_sent ON outbox_state (updated_at, status) WHERE status = 'sent';
CREATE INDEX outbox_failed ON outbox_state (updated_at, id) WHERE status = 'failed';
CREATE INDEX outbox_dropped ON outbox_state (updated_at) WHERE status = 'dropped';
-- A session's messages (its queued ones are found through it and their state).
CREATE INDEX outbox_by_event ON outbox (event_id);

-- A message deleted (with its session, subscription or registration) takes its state along.
CREATE FUNCTION outbox_state_follows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM outbox_state WHERE id = OLD.id;
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_state_follows AFTER DELETE ON outbox
    FOR EACH ROW EXECUTE FUNCTION outbox_state_follows();
