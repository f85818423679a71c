-- The dispatcher claims due messages in (due_at, id) order. On SQLite every index already ends
-- with the rowid (id), so this only keeps the schema the same as PostgreSQL's, where id in the
-- index lets a claim read the rows it takes instead of sorting every due row.
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (status, due_at, id);
