-- One row per registration session; the verdict and the disclosed claims once it is answered.
CREATE TABLE sessions (
    registration_id TEXT PRIMARY KEY NOT NULL,
    service TEXT NOT NULL,
    name TEXT NOT NULL,
    callback TEXT NOT NULL,
    chain_id BIGINT NOT NULL,
    registry TEXT NOT NULL,
    fields TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    verdict TEXT,
    claims TEXT,
    claims_deleted BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE INDEX sessions_with_claims ON sessions (used_at) WHERE claims IS NOT NULL;
