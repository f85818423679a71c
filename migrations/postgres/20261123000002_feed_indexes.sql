-- Calendar feeds read the ids and change times of every published session in start order, and
-- the latest change and latest ageing-out of any session (Last-Modified). These indexes answer
-- both without reading the sessions' rows.

-- Feed order, covering what the feed's id list reads.
CREATE INDEX events_feed ON events (starts_at, id, updated_at, status, ends_at, kind, series_id)
    WHERE starts_at IS NOT NULL;

-- Latest change per status.
CREATE INDEX events_status_updated ON events (status, updated_at);

-- Latest end per status (a session with no end ends when it starts).
CREATE INDEX events_status_end ON events (status, (COALESCE(ends_at, starts_at)));
