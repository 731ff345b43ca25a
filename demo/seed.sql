-- Demo data for local runs (scripts/dev.sh applies it after the migrations). Running it again
-- restores the accounts and clears their attempt counters; the history is written only while
-- an account has none, because log rows cannot be deleted (migrations 0005) and changes made
-- since, through the capture triggers, are history too.
--
-- Account "demo", password "demo-password"; account "demo-neighbour", password
-- "neighbour-password". The hashes were made with:
--   echo demo-password | cargo run -q -p user-info-log-admin -- hash-password

-- Inserting an account records no history; the columns hold the values after the changes below.
INSERT INTO accounts (id, id_number, password_hash, nickname, phone_number, email)
VALUES
    ('demo', '110105199001011234', '$pbkdf2-sha256$i=600000,l=32$hpJ/WctBpUzys0kNIIeiDg$hDJxCOxNnLjWRafc/JALR/LQ/CnHsrjJTJKJlVC5SUY',
     'Ann Lee', '13800000001', 'ann.lee@example.com'),
    ('demo-neighbour', '310104198502023456', '$pbkdf2-sha256$i=600000,l=32$Djdvjq7ak3VwaMS0uBl0sA$P76ahVxLIafoQYRPgbuYRnE+AZ4KePUDSJfBYlcru60',
     'Bo', NULL, NULL)
ON CONFLICT (id) DO UPDATE SET
    password_hash = excluded.password_hash,
    token_generation = 0;

DELETE FROM password_attempts WHERE account_id IN ('demo', 'demo-neighbour');

-- Times are UTC epoch milliseconds: 1771840800000 is 2026-02-23T10:00:00Z.
INSERT INTO modification_log (account_id, data_type, value_before, value_after, changed_at_ms)
SELECT column1, column2, column3, column4, column5
FROM (VALUES
    ('demo', 'email', NULL, 'ann@example.com', 1767261600000),
    ('demo', 'nickname', 'ann', 'Ann Lee', 1769940000000),
    ('demo', 'phone_number', '13800000000', '13800000001', 1771840800000),
    ('demo', 'email', 'ann@example.com', 'ann.lee@example.com', 1772445600000),
    ('demo-neighbour', 'nickname', 'bo', 'Bo', 1771840800000)) AS seed
WHERE NOT EXISTS (SELECT 1 FROM modification_log WHERE account_id = seed.column1);
