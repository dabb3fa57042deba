-- Claims stored in plain (JSON, before claims were sealed), found at every opening
-- through this index, which stays empty, rather than by reading every session.
CREATE INDEX sessions_unsealed ON sessions (registration_id) WHERE substr(claims, 1, 1) = '[';
