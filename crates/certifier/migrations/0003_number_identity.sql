-- The keyed hash of the canonical document number alone, so that a request that
-- leaves the issuer out is matched against the same number under any issuer. The
-- queue fills it for every request whose sealed claims it still holds when it opens.
ALTER TABLE requests ADD COLUMN number_identity BLOB;
CREATE INDEX requests_number_identity ON requests (number_identity)
    WHERE number_identity IS NOT NULL;
