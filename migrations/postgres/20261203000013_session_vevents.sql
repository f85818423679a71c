-- Each session's VEVENT as last written, beside the session: a feed rendered from scratch (a
-- first start, or content changed while no process ran, e.g. an import) joins these instead of
-- writing every VEVENT again. Written in the transaction of the change that made it, for
-- `updated_at` and under `key` (the calendar settings and eventail version it depends on); a
-- row whose `updated_at` or `key` differs from the session's is out of date and not used.
-- Only a cache: losing it costs a render.
CREATE TABLE session_vevents (
    event_id TEXT PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    body TEXT NOT NULL
);
