-- When the person declined an open session (an unsigned Decline): the first one counts.
ALTER TABLE sessions ADD COLUMN declined_at BIGINT;
-- When the service recorded that the session expired unanswered (its session.expired event).
ALTER TABLE sessions ADD COLUMN expiry_recorded_at BIGINT;

CREATE INDEX sessions_expiring ON sessions (expires_at)
    WHERE used_at IS NULL AND expiry_recorded_at IS NULL;
