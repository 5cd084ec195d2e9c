-- The line of each display, kept when it is shown: figures by line survive a new GTFS feed.
ALTER TABLE impressions ADD COLUMN line TEXT;
CREATE INDEX impressions_shown ON impressions (shown_at);
UPDATE impressions SET line = (SELECT r.short_name FROM gtfs_trips t JOIN gtfs_routes r ON r.id = t.route_id
                               WHERE t.id = impressions.trip_id)
WHERE trip_id IS NOT NULL;
