-- 1 when a credit's role and organisation are the session's whole affiliation (NULL meaning
-- none), as an imported post wrote them; 0 when NULL means the directory's.
ALTER TABLE event_speakers ADD COLUMN own_affiliation BIGINT NOT NULL DEFAULT 0;
