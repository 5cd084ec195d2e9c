-- A call-back request kept on disk during an outage is written when the database is back,
-- exactly once: its key is unique.
ALTER TABLE interests ADD COLUMN submission TEXT;
CREATE UNIQUE INDEX interests_submission ON interests (submission) WHERE submission IS NOT NULL;
