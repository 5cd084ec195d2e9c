-- Each change to an offer's row moves its revision. A large import prepares its change to an
-- existing offer as a hidden row (migration 0021) that keeps the revision it saw: at the
-- import's switch, an offer whose revision moved meanwhile (someone paused it, a hire took a
-- position) keeps that change instead of the import's.
ALTER TABLE offers ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
