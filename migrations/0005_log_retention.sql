-- Retention: the one way rows leave modification_log. The scheduled job (README, "Retention")
-- records the policy it applies in log_retention and deletes rows older than it; this trigger
-- refuses every other DELETE, so a careless `DELETE FROM modification_log` from any writer fails
-- as a whole instead of losing history. With no policy row, nothing can be deleted.
--   keep_days  rows changed more than this many days ago may be deleted
CREATE TABLE log_retention (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    keep_days INTEGER NOT NULL CHECK (keep_days BETWEEN 1 AND 36500)
) STRICT;

-- Both this check and the job's DELETE compute the cutoff from SQLite's own clock, which stays
-- fixed for the length of a statement, so they always agree on which rows are old enough.
CREATE TRIGGER modification_log_leaves_only_by_retention
BEFORE DELETE ON modification_log
WHEN NOT EXISTS (
    SELECT 1 FROM log_retention
    WHERE OLD.changed_at_ms < (unixepoch() - keep_days * 86400) * 1000
)
BEGIN
    SELECT RAISE(ABORT, 'modification_log rows leave only through retention, once old enough');
END;

-- Lets the job find the oldest rows of all accounts without scanning the table.
CREATE INDEX modification_log_by_time ON modification_log (changed_at_ms);
