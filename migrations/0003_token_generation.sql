-- Revocation: every token carries the account's generation at the time it was issued (claim
-- `gen`, absent meaning 0). The Worker refuses tokens of an older generation, so raising this
-- number (on a password change, or "sign out everywhere") invalidates every earlier token. It is
-- read with the account row the request already needs, at no extra query.
ALTER TABLE accounts ADD COLUMN token_generation INTEGER NOT NULL DEFAULT 0
    CHECK (token_generation >= 0);
