-- Sessions, speakers, series and organiser tokens.
-- Times: schedule instants in unix seconds; created/updated in unix microseconds.
-- Flags are 0/1 integers and lists are JSON text, the same on SQLite and PostgreSQL.

CREATE TABLE series (
    id          TEXT PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    description TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE speakers (
    id           TEXT PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    role         TEXT,
    organisation TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE events (
    id                    TEXT PRIMARY KEY,
    slug                  TEXT NOT NULL UNIQUE,
    slug_derived          BIGINT NOT NULL DEFAULT 1,
    kind                  TEXT NOT NULL CHECK (kind IN ('webinar', 'event', 'video')),
    status                TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'cancelled')),
    title                 TEXT NOT NULL,
    summary               TEXT,
    body                  TEXT NOT NULL DEFAULT '',
    timezone              TEXT NOT NULL,
    all_day               BIGINT NOT NULL DEFAULT 0,
    starts_at             BIGINT,
    ends_at               BIGINT,
    first_day             TEXT,
    last_day              TEXT,
    sort_at               BIGINT NOT NULL,
    published_on          TEXT,
    location              TEXT,
    series_id             TEXT REFERENCES series (id),
    episode               BIGINT,
    join_url              TEXT,
    registration_url      TEXT,
    recording_url         TEXT,
    video_url             TEXT,
    more_links            TEXT NOT NULL DEFAULT '[]',
    programme             TEXT NOT NULL DEFAULT '[]',
    tags                  TEXT NOT NULL DEFAULT '[]',
    image                 TEXT,
    registration_required BIGINT NOT NULL DEFAULT 0,
    capacity              BIGINT,
    recording_planned     BIGINT NOT NULL DEFAULT 0,
    sequence              BIGINT NOT NULL DEFAULT 0,
    published_at          BIGINT,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

CREATE INDEX events_by_time ON events (sort_at, id);
CREATE INDEX events_by_status ON events (status, sort_at, id);
CREATE INDEX events_by_kind ON events (kind, sort_at, id);
CREATE INDEX events_by_series ON events (series_id, sort_at, id);

-- sort_at is copied from the session so a tag's sessions are read in time order from one index.
CREATE TABLE event_tags (
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    tag      TEXT NOT NULL,
    sort_at  BIGINT NOT NULL,
    PRIMARY KEY (event_id, tag)
);
CREATE INDEX event_tags_by_tag ON event_tags (tag, sort_at, event_id);

-- Role and organisation are NULL when they are the directory's.
CREATE TABLE event_speakers (
    event_id     TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    speaker_id   TEXT NOT NULL REFERENCES speakers (id),
    role         TEXT,
    organisation TEXT,
    PRIMARY KEY (event_id, position)
);
CREATE INDEX event_speakers_by_speaker ON event_speakers (speaker_id);

-- What changed, when, at which sequence: the update history of each session.
CREATE TABLE event_changes (
    event_id   TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    changed_at BIGINT NOT NULL,
    sequence   BIGINT NOT NULL,
    action     TEXT NOT NULL,
    fields     TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX event_changes_by_event ON event_changes (event_id, changed_at);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;
