-- Why the organisers cancelled a session, in their words: shown on its page, in the
-- cancellation notice and in calendars. NULL when none was given, and for every session that
-- is not cancelled (it is cleared when the session is scheduled again).
ALTER TABLE events ADD COLUMN cancel_reason TEXT;
