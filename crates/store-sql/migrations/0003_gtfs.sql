-- The GTFS static feed in use (one at a time: an import replaces it whole).
CREATE TABLE gtfs_agencies (id TEXT NOT NULL, name TEXT NOT NULL, timezone TEXT NOT NULL);
CREATE TABLE gtfs_routes (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL,
    short_name TEXT NOT NULL,
    long_name TEXT NOT NULL,
    route_type BIGINT NOT NULL,
    color TEXT NOT NULL,
    text_color TEXT NOT NULL
);
CREATE TABLE gtfs_stops (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    location_type BIGINT NOT NULL,
    parent_station TEXT NOT NULL
);
CREATE TABLE gtfs_trips (
    id TEXT PRIMARY KEY,
    route_id TEXT NOT NULL,
    service_id TEXT NOT NULL,
    shape_id TEXT NOT NULL,
    headsign TEXT NOT NULL,
    direction_id BIGINT NOT NULL
);
CREATE TABLE gtfs_stop_times (
    trip_id TEXT NOT NULL,
    stop_id TEXT NOT NULL,
    sequence BIGINT NOT NULL,
    arrival BIGINT NOT NULL,
    departure BIGINT NOT NULL,
    PRIMARY KEY (trip_id, sequence)
);
CREATE TABLE gtfs_calendars (
    service_id TEXT PRIMARY KEY,
    days BIGINT NOT NULL,
    start_date BIGINT NOT NULL,
    end_date BIGINT NOT NULL
);
CREATE TABLE gtfs_calendar_dates (
    service_id TEXT NOT NULL,
    date BIGINT NOT NULL,
    added BOOLEAN NOT NULL,
    PRIMARY KEY (service_id, date)
);
CREATE TABLE gtfs_shapes (
    shape_id TEXT NOT NULL,
    sequence BIGINT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (shape_id, sequence)
);
