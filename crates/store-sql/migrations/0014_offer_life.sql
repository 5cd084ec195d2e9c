-- Offers waiting for an advisor's review ('review') and paused ones ('paused').
-- SQLite cannot change a CHECK constraint with ALTER TABLE: `migrate.rs` widens the same list
-- in place there (lines marked "PostgreSQL only" are left out of SQLite's spelling).
ALTER TABLE offers DROP CONSTRAINT offers_status_check; -- PostgreSQL only
ALTER TABLE offers ADD CONSTRAINT offers_status_check CHECK (status IN ('draft', 'review', 'published', 'paused', 'filled', 'closed', 'expired')); -- PostgreSQL only

-- Per employer: its own new offers wait for an advisor's review before they are shown.
ALTER TABLE employers ADD COLUMN review_offers BOOLEAN NOT NULL DEFAULT FALSE;

-- An employer's contact invited by an advisor: the link (its token's hash) works once, for
-- 7 days, and makes an employer account.
CREATE TABLE invitations (
    token_hash TEXT PRIMARY KEY,
    employer_id BIGINT NOT NULL REFERENCES employers (id),
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    invited_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    user_id BIGINT REFERENCES users (id)
);
CREATE INDEX invitations_employer ON invitations (employer_id, created_at);

-- "Toujours d'actualité ?": each question sent about a published offer, its link's token's
-- hash (confirm or close, once, 14 days) and the answer.
CREATE TABLE offer_checks (
    token_hash TEXT PRIMARY KEY,
    offer_id BIGINT NOT NULL REFERENCES offers (id),
    sent_to TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    answered_at BIGINT,
    answer TEXT CHECK (answer IN ('confirmed', 'filled', 'closed', 'paused', 'republished'))
);
CREATE INDEX offer_checks_offer ON offer_checks (offer_id, sent_at);
