-- Whether an account's password was chosen by the account itself (a change of its own)
-- rather than set by an admin who therefore knows it. Granting a role that reads answer
-- keys to an account whose password an admin set makes it choose its own first.
ALTER TABLE users ADD COLUMN password_chosen BOOLEAN NOT NULL DEFAULT FALSE;

-- The audit chain becomes keyed (HMAC-SHA-256 with a key derived from the master key,
-- which is not in the database): on the first start after this migration the chain is
-- checked under plain SHA-256 and, if intact, recomputed keyed (audit.chain_keyed).
ALTER TABLE audit_head ADD COLUMN alg TEXT NOT NULL DEFAULT 'sha256';
UPDATE audit_head SET alg = 'hmac-sha256' WHERE seq = 0;
