-- Accounts and the history of changes to their basic information.
--
-- STRICT tables refuse values of the wrong type, so an ID number always stays text (an 18-digit
-- number would lose digits as a JavaScript number) and a time is always an integer.

-- One row per account of the larger account system.
--   id             the opaque account id that tokens name in `sub`; never the ID number
--   id_number      the national ID number, shown to its owner only masked
--   password_hash  PHC string: $pbkdf2-sha256$i=<iterations>,l=32$<salt>$<hash>
CREATE TABLE accounts (
    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 128),
    id_number TEXT NOT NULL,
    password_hash TEXT NOT NULL
) STRICT;

-- One row per change.
--   id             grows with every insert; among rows with equal times, the larger id was
--                  recorded later and is listed first
--   value_before   NULL when the field had no value before the change
--   value_after    NULL when the change removed the value
--   changed_at_ms  UTC instant in milliseconds since the Unix epoch, so SQL orders by instant;
--                  limited to the years 1970 to 9999, which the API can print
CREATE TABLE modification_log (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    data_type TEXT NOT NULL,
    value_before TEXT,
    value_after TEXT,
    changed_at_ms INTEGER NOT NULL CHECK (changed_at_ms BETWEEN 0 AND 253402300799999)
) STRICT;

-- Serves the list query in its own order: every SQLite index ends with the rowid (`id`), so a
-- backward scan yields (changed_at_ms DESC, id DESC) for one account with no sort step.
CREATE INDEX modification_log_by_account_time ON modification_log (account_id, changed_at_ms);

-- Password attempts per account in the current window; a row exists only while an account has
-- attempts that have not been cleared by a correct password.
CREATE TABLE password_attempts (
    account_id TEXT PRIMARY KEY NOT NULL REFERENCES accounts (id),
    attempts INTEGER NOT NULL CHECK (attempts >= 1),
    window_started_ms INTEGER NOT NULL
) STRICT;
