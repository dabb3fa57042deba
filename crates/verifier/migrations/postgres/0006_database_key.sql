-- Facts about the database itself: `key_check`, a value sealed under the key that
-- seals disclosed claims, so a service started with another key file stops at once.
CREATE TABLE store_meta (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
