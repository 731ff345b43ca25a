-- History that needs no writer's cooperation, times written as text, and an index for pages of
-- one kind of change.

-- The basic information the account system keeps besides the ID number. NULL means no value.
ALTER TABLE accounts ADD COLUMN nickname TEXT;
ALTER TABLE accounts ADD COLUMN phone_number TEXT;
ALTER TABLE accounts ADD COLUMN email TEXT;

-- Capture: every UPDATE that changes a logged column writes one log row, whoever runs it (the
-- account system, another Worker, `wrangler d1 execute`, an admin script), with SQLite's own
-- clock to the millisecond. Creating an account records nothing: history begins with the first
-- change. password_hash and token_generation are never logged.
--
-- To log another column: add it above, then a trigger like these four naming it.
CREATE TRIGGER accounts_log_nickname
AFTER UPDATE OF nickname ON accounts
WHEN OLD.nickname IS NOT NEW.nickname
BEGIN
    INSERT INTO modification_log (account_id, data_type, value_before, value_after, changed_at_ms)
    VALUES (NEW.id, 'nickname', OLD.nickname, NEW.nickname,
            CAST(round(unixepoch('subsec') * 1000) AS INTEGER));
END;

CREATE TRIGGER accounts_log_phone_number
AFTER UPDATE OF phone_number ON accounts
WHEN OLD.phone_number IS NOT NEW.phone_number
BEGIN
    INSERT INTO modification_log (account_id, data_type, value_before, value_after, changed_at_ms)
    VALUES (NEW.id, 'phone_number', OLD.phone_number, NEW.phone_number,
            CAST(round(unixepoch('subsec') * 1000) AS INTEGER));
END;

CREATE TRIGGER accounts_log_email
AFTER UPDATE OF email ON accounts
WHEN OLD.email IS NOT NEW.email
BEGIN
    INSERT INTO modification_log (account_id, data_type, value_before, value_after, changed_at_ms)
    VALUES (NEW.id, 'email', OLD.email, NEW.email,
            CAST(round(unixepoch('subsec') * 1000) AS INTEGER));
END;

-- The Worker masks the values of id_number rows as it masks user_id.
CREATE TRIGGER accounts_log_id_number
AFTER UPDATE OF id_number ON accounts
WHEN OLD.id_number IS NOT NEW.id_number
BEGIN
    INSERT INTO modification_log (account_id, data_type, value_before, value_after, changed_at_ms)
    VALUES (NEW.id, 'id_number', OLD.id_number, NEW.id_number,
            CAST(round(unixepoch('subsec') * 1000) AS INTEGER));
END;

-- Writers that hold a time as ISO 8601 text insert here instead of into modification_log:
-- `changed_at` may be SQLite's own `datetime('now')` form (`2024-05-01 09:00:00`, read as
-- UTC) or ISO text with `T`, a fraction and `Z` or an offset (`2024-05-01T10:00:00.5+02:00`),
-- or NULL for now. It is stored as the UTC instant in milliseconds (digits past the third are
-- dropped), so rows order by instant whatever form they came in; changes within one
-- millisecond order by when they were recorded. Anything else (a date alone, `now`, a number)
-- is refused, and nothing is written. (D1 caps GLOB patterns, hence the checks by position;
-- unixepoch() refuses what is not a valid time in that shape.)
CREATE VIEW modification_log_entry AS
SELECT account_id, data_type, value_before, value_after, NULL AS changed_at
FROM modification_log
WHERE 0;

CREATE TRIGGER modification_log_entry_insert
INSTEAD OF INSERT ON modification_log_entry
BEGIN
    SELECT RAISE(ABORT, 'modification_log_entry: changed_at is not an ISO 8601 time')
    WHERE NEW.changed_at IS NOT NULL AND (
        typeof(NEW.changed_at) <> 'text'
        OR length(NEW.changed_at) < 19
        OR substr(NEW.changed_at, 5, 1) <> '-'
        OR substr(NEW.changed_at, 11, 1) NOT IN ('T', ' ')
        OR unixepoch(NEW.changed_at, 'subsec') IS NULL
    );

    INSERT INTO modification_log (account_id, data_type, value_before, value_after, changed_at_ms)
    VALUES (NEW.account_id, NEW.data_type, NEW.value_before, NEW.value_after,
            CAST(round(unixepoch(coalesce(NEW.changed_at, 'now'), 'subsec') * 1000) AS INTEGER));
END;

-- Serves pages of one data_type in the list's order, so such a page costs the same however
-- long the account's history is.
CREATE INDEX modification_log_by_account_type_time
ON modification_log (account_id, data_type, changed_at_ms);
