-- Verified customers the watcher follows: one per subject, from its latest approved verdict.
CREATE TABLE customers (
    subject TEXT PRIMARY KEY NOT NULL,
    certifier TEXT NOT NULL,
    root TEXT NOT NULL,
    registration_id TEXT NOT NULL,
    status TEXT NOT NULL,
    block BIGINT NOT NULL,
    tx_hash TEXT,
    expires_at BIGINT NOT NULL,
    verified_at BIGINT NOT NULL,
    changed_at BIGINT NOT NULL
);

CREATE INDEX customers_by_certifier ON customers (certifier);
CREATE INDEX customers_by_block ON customers (block);
CREATE INDEX customers_by_expiry ON customers (expires_at) WHERE status = 'active';

-- The next block the watcher reads; -1 before its first pass.
CREATE TABLE watcher (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    next_block BIGINT NOT NULL
);

INSERT INTO watcher (id, next_block) VALUES (1, -1);

-- Events to deliver as webhooks, written in the transaction of the change they report.
CREATE TABLE outbox (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    delivered_at BIGINT
);

CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_by_status ON outbox (status, seq);
