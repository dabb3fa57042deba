-- Identities are now the keyed hash of the issuer and the canonical document number
-- (the type left out), so that the ways of writing one number are one identity.
-- The first schema's hashes (raw type, issuer and number) move to legacy_identity:
-- the queue recomputes the identity of every request whose sealed claims it still
-- holds when it opens; the others keep matching requests that write the document
-- exactly as they did.
ALTER TABLE requests ADD COLUMN legacy_identity BLOB;
UPDATE requests SET legacy_identity = identity, identity = NULL;
CREATE INDEX requests_legacy_identity ON requests (legacy_identity)
    WHERE legacy_identity IS NOT NULL;
