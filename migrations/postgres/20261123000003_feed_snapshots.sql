-- A feed rendered before a restart is served again after it if nothing changed meanwhile.
-- `content_version` moves with every committed write to published content (in the same
-- transaction), so a snapshot records the version it was rendered from and is used only while
-- that version is still current.
CREATE TABLE content_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO content_version (id, version) VALUES (1, 0);

-- One row per feed (key: a hash of the feed's filters, name, calendar settings and the program
-- version). `parts` lists each VEVENT of `body` in order, "id<TAB>updated_at<TAB>bytes" per
-- line, so the renderer's memo can be warmed from the body without writing anything again.
CREATE TABLE feed_snapshots (
    key TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    last_change BIGINT,
    expires BIGINT,
    body TEXT NOT NULL,
    parts TEXT NOT NULL,
    saved_at BIGINT NOT NULL
);
