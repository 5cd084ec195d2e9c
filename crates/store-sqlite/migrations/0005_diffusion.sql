-- What the programme team sets for the bus screens: campaigns, GPS fences around sites,
-- the registry of physical screens, and the messages shown when no offer is near.
CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    from_day TEXT NOT NULL,
    to_day TEXT NOT NULL,
    from_minute INTEGER NOT NULL,
    to_minute INTEGER NOT NULL,
    weight REAL NOT NULL,
    lines TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE campaign_offers (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    offer_id INTEGER NOT NULL REFERENCES offers (id),
    PRIMARY KEY (campaign_id, offer_id)
);
CREATE TABLE fences (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL UNIQUE REFERENCES sites (id),
    radius_m REAL NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE screens (
    id TEXT PRIMARY KEY,
    vehicle TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX screens_vehicle ON screens (vehicle);
CREATE TABLE screen_messages (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    from_day TEXT NOT NULL,
    to_day TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
-- Impressions reported by other players name their physical screen and their own slide id.
ALTER TABLE impressions ADD COLUMN screen TEXT;
ALTER TABLE impressions ADD COLUMN source TEXT NOT NULL DEFAULT 'dklik'
