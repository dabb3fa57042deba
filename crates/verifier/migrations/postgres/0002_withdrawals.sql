-- When the person withdrew consent (a signed ConsentWithdrawal), told apart from retention.
ALTER TABLE sessions ADD COLUMN withdrawn_at BIGINT;
