-- The moment a message was planned for, kept when a temporary failure moves `due_at` to its
-- retry: a reminder is still the session's reminder if its planned moment is one of the
-- session's reminder times. NULL while `due_at` is still that moment (never retried).
ALTER TABLE outbox ADD COLUMN planned_at BIGINT;
