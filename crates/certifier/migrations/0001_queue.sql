-- The intake queue. Personal data (claim values and salts) lives only in `sealed`,
-- encrypted under the queue key; the rest is the audit line that outlives it.
CREATE TABLE requests (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    chain_id        INTEGER NOT NULL,
    registry        TEXT    NOT NULL,
    certifier       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    root            TEXT    NOT NULL,
    nonce           INTEGER NOT NULL,
    deadline        INTEGER NOT NULL,
    signature       BLOB    NOT NULL,
    -- HMAC-SHA256 of the identity document under the queue's identity key.
    identity        BLOB,
    -- Nonce and ciphertext of the claims; NULL once deleted.
    sealed          BLOB,
    status          TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'approved', 'rejected', 'timed_out')),
    -- Why it was rejected or timed out, or the last error while pending.
    reason          TEXT,
    received_at     INTEGER NOT NULL,
    decided_at      INTEGER,
    data_deleted_at INTEGER,
    evidence        INTEGER,
    issued_at       INTEGER,
    expires_at      INTEGER,
    tx_hash         TEXT,
    block_number    INTEGER
);

-- One pending request per signed nonce: the same file added twice is refused.
CREATE UNIQUE INDEX requests_pending_nonce
    ON requests (chain_id, registry, certifier, subject, nonce) WHERE status = 'pending';
CREATE INDEX requests_identity ON requests (identity) WHERE identity IS NOT NULL;
CREATE INDEX requests_status ON requests (status);

CREATE TABLE queue_meta (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
