-- The France Travail offers seen by the hourly synchronisation, by their France Travail id (the
-- offer's external id), with the last time each was in an answer: an offer no longer in a
-- complete answer is closed.
CREATE TABLE france_travail_seen (
    external_id TEXT PRIMARY KEY,
    last_seen BIGINT NOT NULL
);
