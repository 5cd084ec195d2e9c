-- A GTFS import writes its feed beside the one in use, in short steps (SQLite has one writer:
-- one long transaction would make people's requests wait), then switches to it in one short
-- transaction. Every row names the feed it belongs to; `gtfs_version.feed` names the one in use.
-- The tables are made again with the feed first in their keys; the rows of the feed in use are
-- kept, as feed 0.
ALTER TABLE gtfs_version ADD COLUMN feed BIGINT NOT NULL DEFAULT 0;
CREATE TABLE gtfs_agencies_kept AS SELECT * FROM gtfs_agencies;
DROP TABLE gtfs_agencies;
CREATE TABLE gtfs_agencies (
    feed BIGINT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL
);
INSERT INTO gtfs_agencies (feed, id, name, timezone) SELECT 0, id, name, timezone FROM gtfs_agencies_kept;
DROP TABLE gtfs_agencies_kept;
CREATE TABLE gtfs_routes_kept AS SELECT * FROM gtfs_routes;
DROP TABLE gtfs_routes;
CREATE TABLE gtfs_routes (
    feed BIGINT NOT NULL,
    id TEXT NOT NULL,
    agency_id TEXT NOT NULL,
    short_name TEXT NOT NULL,
    long_name TEXT NOT NULL,
    route_type BIGINT NOT NULL,
    color TEXT NOT NULL,
    text_color TEXT NOT NULL,
    PRIMARY KEY (feed, id)
);
INSERT INTO gtfs_routes (feed, id, agency_id, short_name, long_name, route_type, color, text_color) SELECT 0, id, agency_id, short_name, long_name, route_type, color, text_color FROM gtfs_routes_kept;
DROP TABLE gtfs_routes_kept;
CREATE TABLE gtfs_stops_kept AS SELECT * FROM gtfs_stops;
DROP TABLE gtfs_stops;
CREATE TABLE gtfs_stops (
    feed BIGINT NOT NULL,
    id TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    location_type BIGINT NOT NULL,
    parent_station TEXT NOT NULL,
    PRIMARY KEY (feed, id)
);
INSERT INTO gtfs_stops (feed, id, code, name, lat, lon, location_type, parent_station) SELECT 0, id, code, name, lat, lon, location_type, parent_station FROM gtfs_stops_kept;
DROP TABLE gtfs_stops_kept;
CREATE TABLE gtfs_trips_kept AS SELECT * FROM gtfs_trips;
DROP TABLE gtfs_trips;
CREATE TABLE gtfs_trips (
    feed BIGINT NOT NULL,
    id TEXT NOT NULL,
    route_id TEXT NOT NULL,
    service_id TEXT NOT NULL,
    shape_id TEXT NOT NULL,
    headsign TEXT NOT NULL,
    direction_id BIGINT NOT NULL,
    PRIMARY KEY (feed, id)
);
INSERT INTO gtfs_trips (feed, id, route_id, service_id, shape_id, headsign, direction_id) SELECT 0, id, route_id, service_id, shape_id, headsign, direction_id FROM gtfs_trips_kept;
DROP TABLE gtfs_trips_kept;
CREATE TABLE gtfs_stop_times_kept AS SELECT * FROM gtfs_stop_times;
DROP TABLE gtfs_stop_times;
CREATE TABLE gtfs_stop_times (
    feed BIGINT NOT NULL,
    trip_id TEXT NOT NULL,
    stop_id TEXT NOT NULL,
    sequence BIGINT NOT NULL,
    arrival BIGINT NOT NULL,
    departure BIGINT NOT NULL,
    PRIMARY KEY (feed, trip_id, sequence)
);
INSERT INTO gtfs_stop_times (feed, trip_id, stop_id, sequence, arrival, departure) SELECT 0, trip_id, stop_id, sequence, arrival, departure FROM gtfs_stop_times_kept;
DROP TABLE gtfs_stop_times_kept;
CREATE TABLE gtfs_calendars_kept AS SELECT * FROM gtfs_calendars;
DROP TABLE gtfs_calendars;
CREATE TABLE gtfs_calendars (
    feed BIGINT NOT NULL,
    service_id TEXT NOT NULL,
    days BIGINT NOT NULL,
    start_date BIGINT NOT NULL,
    end_date BIGINT NOT NULL,
    PRIMARY KEY (feed, service_id)
);
INSERT INTO gtfs_calendars (feed, service_id, days, start_date, end_date) SELECT 0, service_id, days, start_date, end_date FROM gtfs_calendars_kept;
DROP TABLE gtfs_calendars_kept;
CREATE TABLE gtfs_calendar_dates_kept AS SELECT * FROM gtfs_calendar_dates;
DROP TABLE gtfs_calendar_dates;
CREATE TABLE gtfs_calendar_dates (
    feed BIGINT NOT NULL,
    service_id TEXT NOT NULL,
    date BIGINT NOT NULL,
    added BOOLEAN NOT NULL,
    PRIMARY KEY (feed, service_id, date)
);
INSERT INTO gtfs_calendar_dates (feed, service_id, date, added) SELECT 0, service_id, date, added FROM gtfs_calendar_dates_kept;
DROP TABLE gtfs_calendar_dates_kept;
CREATE TABLE gtfs_shapes_kept AS SELECT * FROM gtfs_shapes;
DROP TABLE gtfs_shapes;
CREATE TABLE gtfs_shapes (
    feed BIGINT NOT NULL,
    shape_id TEXT NOT NULL,
    sequence BIGINT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (feed, shape_id, sequence)
);
INSERT INTO gtfs_shapes (feed, shape_id, sequence, lat, lon) SELECT 0, shape_id, sequence, lat, lon FROM gtfs_shapes_kept;
DROP TABLE gtfs_shapes_kept;
CREATE INDEX gtfs_agencies_feed ON gtfs_agencies (feed);
