-- The employers and sites a large offer import created (migration 0021) name it: an import
-- that fails, or whose process died, takes them away with its offers, unless something else
-- came to name them meanwhile (an offer, an account, an invitation, a fence…).
ALTER TABLE employers ADD COLUMN import_id BIGINT;
ALTER TABLE sites ADD COLUMN import_id BIGINT;
