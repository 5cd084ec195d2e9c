-- Proof of display: one row per slide shown on a vehicle's screens, idempotent by its code.
CREATE TABLE impressions (
    code TEXT PRIMARY KEY,
    vehicle TEXT NOT NULL,
    trip_id TEXT,
    stop_id TEXT,
    stop_name TEXT NOT NULL,
    offer_id BIGINT REFERENCES offers (id),
    slide TEXT NOT NULL,
    shown_at BIGINT NOT NULL,
    duration_s BIGINT NOT NULL,
    scans BIGINT NOT NULL DEFAULT 0,
    first_scan_at BIGINT
);
CREATE INDEX impressions_offer ON impressions (offer_id, shown_at);
