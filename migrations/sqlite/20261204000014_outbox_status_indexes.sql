-- Indexes that change with a message's status, one per status, each holding only the messages
-- in that status (partial indexes). Before, five indexes led with or carried `status`
-- (outbox_due, outbox_by_event, outbox_by_subscription, outbox_by_registration,
-- outbox_by_update), so claiming a message and marking it sent each rewrote five index entries
-- (SQLite updates the entries of every index whose columns change). Now claiming takes it out
-- of outbox_queued and puts it in outbox_sending; marking it sent moves it from outbox_sending
-- to outbox_sent; and each rewrites its entry in outbox_by_event. The queries name the status
-- as a literal, which is what lets both databases use a partial index.
DROP INDEX outbox_due;
DROP INDEX outbox_by_event;
DROP INDEX outbox_by_subscription;
DROP INDEX outbox_by_registration;
DROP INDEX outbox_by_update;

-- The claim's walk in due order, and the next due time.
CREATE INDEX outbox_queued ON outbox (due_at, id) WHERE status = 'queued';
-- Leases that ran out, and the next lease to run out.
CREATE INDEX outbox_sending ON outbox (lease_until, id) WHERE status = 'sending';
-- The console's deliveries per day and its latest failures. `status`, the same in every entry,
-- makes the count of messages sent per hour read the index alone on SQLite (which does not
-- take a partial index's condition as a column it holds).
CREATE INDEX outbox_sent ON outbox (updated_at, status) WHERE status = 'sent';
CREATE INDEX outbox_failed ON outbox (updated_at, id) WHERE status = 'failed';
CREATE INDEX outbox_dropped ON outbox (updated_at) WHERE status = 'dropped';

-- A session's messages: those a change of it drops or rewrites (its queued ones), and the
-- console's counts and lists. It keeps the status: with a partial index of queued messages by
-- session beside one by session alone, SQLite, which has no statistics unless ANALYZE runs,
-- took either one depending on the schema, and through the one by session alone a change of a
-- session with 40,000 messages read all of them (12 ms) to find its queued ones.
CREATE INDEX outbox_by_event ON outbox (event_id, status);
-- A subscription's or a registration's messages whatever their status (and the deletes that
-- cascade from those tables).
CREATE INDEX outbox_by_subscription ON outbox (subscription_id);
CREATE INDEX outbox_by_registration ON outbox (registration_id);
