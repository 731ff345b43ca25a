-- The modification log is history: a row, once written, is never changed. Every writer (the
-- account system, an admin script, `wrangler d1 execute`) meets this trigger.
CREATE TRIGGER modification_log_is_append_only
BEFORE UPDATE ON modification_log
BEGIN
    SELECT RAISE(ABORT, 'modification_log is append-only: rows cannot be updated');
END;
