-- Invitations: a session opened for one customer of a bank's list, with the bank's own
-- reference for the customer beside it (never in the registration code). The reference
-- is the key within a batch.
CREATE TABLE invitations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    batch TEXT NOT NULL,
    reference TEXT NOT NULL,
    registration_id TEXT NOT NULL UNIQUE,
    UNIQUE (batch, reference)
);
