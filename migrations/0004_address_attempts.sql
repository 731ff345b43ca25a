-- Failed password attempts per client address, across accounts, in the current window: the
-- looser of the two attempt limits. The address is stored only as HMAC-SHA256 under the secret
-- ADDRESS_HASH_KEY, in hex, never in the clear. A correct password gives its own attempt back,
-- so `attempts` can fall to 0.
CREATE TABLE address_attempts (
    address_hash TEXT PRIMARY KEY NOT NULL CHECK (length(address_hash) = 64),
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    window_started_ms INTEGER NOT NULL
) STRICT;

-- Lets the Worker find expired counters to delete without scanning the table.
CREATE INDEX address_attempts_by_window ON address_attempts (window_started_ms);
