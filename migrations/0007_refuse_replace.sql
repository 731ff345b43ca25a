-- REPLACE (`REPLACE INTO`, `INSERT OR REPLACE`, `UPDATE OR REPLACE`) removes a row it conflicts
-- with without firing that table's DELETE or UPDATE triggers, so it could rewrite or move a log
-- row past the append-only guards and change an account with no history written. These
-- triggers refuse it. An upsert (`INSERT ... ON CONFLICT (id) DO UPDATE`) is an UPDATE and is
-- still logged.

-- An insert cannot take the id of a row that is present, so REPLACE cannot overwrite one. (An
-- id freed by retention may be given again. Before the insert, an id that SQLite has still to
-- choose reads as -1; the next trigger keeps real ids positive.)
CREATE TRIGGER modification_log_ids_are_never_reused
BEFORE INSERT ON modification_log
WHEN NEW.id > 0 AND EXISTS (SELECT 1 FROM modification_log WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'modification_log is append-only: a row id cannot be reused');
END;

-- Ids stay between 1 and 2^53 - 1, the largest integer the Worker's JavaScript side reads
-- exactly: one larger id would make SQLite number every later row past it.
CREATE TRIGGER modification_log_ids_fit_javascript
AFTER INSERT ON modification_log
WHEN NEW.id NOT BETWEEN 1 AND 9007199254740991
BEGIN
    SELECT RAISE(ABORT, 'modification_log: row ids must be between 1 and 2^53 - 1');
END;

-- Accounts that a running INSERT found already present. Only meaningful within one statement:
-- a REPLACE leaves its mark here before the insert and meets it after; an upsert that turns
-- into an UPDATE leaves a row behind that the next insert for the account clears.
CREATE TABLE account_insert_conflicts (id TEXT PRIMARY KEY NOT NULL) STRICT;

CREATE TRIGGER accounts_note_insert_conflict
BEFORE INSERT ON accounts
BEGIN
    DELETE FROM account_insert_conflicts WHERE id = NEW.id;
    INSERT INTO account_insert_conflicts (id)
    SELECT NEW.id WHERE EXISTS (SELECT 1 FROM accounts WHERE id = NEW.id);
END;

CREATE TRIGGER accounts_refuse_replace
AFTER INSERT ON accounts
WHEN EXISTS (SELECT 1 FROM account_insert_conflicts WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'accounts: REPLACE would change an account unlogged; use UPDATE or upsert');
END;

-- An account's id is what its tokens name and what its history belongs to: it never changes.
-- Otherwise `UPDATE OR REPLACE accounts SET id = ...` could put one account's values in place of
-- another's, through no logged column.
CREATE TRIGGER accounts_id_is_fixed
BEFORE UPDATE OF id ON accounts
WHEN NEW.id IS NOT OLD.id
BEGIN
    SELECT RAISE(ABORT, 'accounts: an account id cannot change');
END;

-- An account with history is never deleted, not even with foreign-key checks deferred to the
-- end of a transaction, which would let a new row under the same id take the history over.
CREATE TRIGGER accounts_with_history_stay
BEFORE DELETE ON accounts
WHEN EXISTS (SELECT 1 FROM modification_log WHERE account_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'accounts: an account with history cannot be deleted');
END;

-- The ISO-text entry point checks the whole text, not only what unixepoch() reads: the date
-- and the hour must exist as written (unixepoch() would move 2026-02-30 to March and 24:00 to
-- the next day), nothing may follow the offset (not even a NUL), and the instant must lie within
-- 1970 to 9999.
-- Digits of a fraction past the third are cut, as userlog-admin import cuts them, so one
-- instant is stored the same whichever path wrote it.
DROP TRIGGER modification_log_entry_insert;

CREATE TRIGGER modification_log_entry_insert
INSTEAD OF INSERT ON modification_log_entry
BEGIN
    INSERT INTO modification_log (account_id, data_type, value_before, value_after, changed_at_ms)
    SELECT NEW.account_id, NEW.data_type, NEW.value_before, NEW.value_after,
        CASE
            WHEN NEW.changed_at IS NULL
                THEN CAST(round(unixepoch('now', 'subsec') * 1000) AS INTEGER)
            WHEN typeof(NEW.changed_at) = 'text'
                AND length(NEW.changed_at) >= 19
                -- ASCII only, and no NUL, which ends the text for length() and substr().
                AND length(CAST(NEW.changed_at AS BLOB)) = length(NEW.changed_at)
                AND substr(NEW.changed_at, 11, 1) IN ('T', ' ')
                AND date(unixepoch(substr(NEW.changed_at, 1, 10)), 'unixepoch')
                    IS substr(NEW.changed_at, 1, 10)
                AND substr(NEW.changed_at, 12, 2) BETWEEN '00' AND '23'
                AND time(substr(NEW.changed_at, 12, 8)) IS substr(NEW.changed_at, 12, 8)
                AND (fraction <> '' OR substr(NEW.changed_at, 20, 1) IS NOT '.')
                AND (zone IN ('', 'Z', 'z')
                    OR (zone GLOB '[+-][0-9][0-9]:[0-9][0-9]'
                        AND substr(zone, 2, 2) <= '14' AND substr(zone, 5, 2) <= '59'))
                AND round(unixepoch(normalized, 'subsec') * 1000)
                    BETWEEN 0 AND 253402300799999
                THEN CAST(round(unixepoch(normalized, 'subsec') * 1000) AS INTEGER)
            ELSE RAISE(ABORT, 'modification_log_entry: changed_at is not an ISO 8601 time')
        END
    FROM (
        SELECT fraction, zone,
            substr(NEW.changed_at, 1, 10) || 'T' || substr(NEW.changed_at, 12, 8)
                || CASE WHEN fraction = '' THEN '' ELSE '.' || substr(fraction, 1, 3) END
                || zone AS normalized
        FROM (
            -- After the seconds: an optional '.' and digits (the fraction), then the zone.
            SELECT
                CASE WHEN substr(rest, 1, 1) = '.'
                    THEN substr(rest, 2, length(rest) - 1
                        - length(ltrim(substr(rest, 2), '0123456789')))
                    ELSE '' END AS fraction,
                CASE WHEN substr(rest, 1, 1) = '.'
                    THEN ltrim(substr(rest, 2), '0123456789')
                    ELSE rest END AS zone
            FROM (SELECT substr(NEW.changed_at, 20) AS rest)
        )
    );
END;
