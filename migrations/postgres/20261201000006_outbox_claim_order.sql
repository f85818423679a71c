-- The dispatcher claims due messages in (due_at, id) order: with id in the index a claim reads
-- the rows it takes, in order, instead of sorting every due row (a burst of 100,000 reminders
-- made each claim of 100 sort all of them). The rebuild locks the outbox while it runs: seconds
-- for a few million rows.
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (status, due_at, id);
