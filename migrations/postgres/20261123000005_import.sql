-- Sessions imported from files (the team's Eleventy posts): one row per source path, so a
-- file imported again updates its session instead of adding another. content_hash is the
-- SHA-256 of the file as last imported: an unchanged file changes nothing.
CREATE TABLE import_sources (
    source       TEXT PRIMARY KEY,
    event_id     TEXT NOT NULL UNIQUE REFERENCES events (id) ON DELETE CASCADE,
    content_hash TEXT NOT NULL,
    imported_at  BIGINT NOT NULL
);
