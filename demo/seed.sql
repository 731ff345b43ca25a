-- Demo data for local runs (scripts/dev.sh applies it after the migrations). Running it again
-- restores the same state.
--
-- Account "demo", password "demo-password"; account "demo-neighbour", password
-- "neighbour-password". The hashes were made with:
--   echo demo-password | cargo run -q -p user-info-log-admin -- hash-password

INSERT INTO accounts (id, id_number, password_hash)
VALUES
    ('demo', '110105199001011234', '$pbkdf2-sha256$i=600000,l=32$hpJ/WctBpUzys0kNIIeiDg$hDJxCOxNnLjWRafc/JALR/LQ/CnHsrjJTJKJlVC5SUY'),
    ('demo-neighbour', '310104198502023456', '$pbkdf2-sha256$i=600000,l=32$Djdvjq7ak3VwaMS0uBl0sA$P76ahVxLIafoQYRPgbuYRnE+AZ4KePUDSJfBYlcru60')
ON CONFLICT (id) DO UPDATE SET
    id_number = excluded.id_number,
    password_hash = excluded.password_hash;

DELETE FROM password_attempts WHERE account_id IN ('demo', 'demo-neighbour');
DELETE FROM modification_log WHERE account_id IN ('demo', 'demo-neighbour');

-- Times are UTC epoch milliseconds: 1771840800000 is 2026-02-23T10:00:00Z.
INSERT INTO modification_log (account_id, data_type, value_before, value_after, changed_at_ms)
VALUES
    ('demo', 'email', NULL, 'ann@example.com', 1767261600000),
    ('demo', 'nickname', 'ann', 'Ann Lee', 1769940000000),
    ('demo', 'phone_number', '13800000000', '13800000001', 1771840800000),
    ('demo', 'email', 'ann@example.com', 'ann.lee@example.com', 1772445600000),
    ('demo-neighbour', 'nickname', 'bo', 'Bo', 1771840800000);
