-- The GTFS static feed in use (one at a time: an import replaces it whole).
CREATE TABLE gtfs_agencies (id TEXT NOT NULL, name TEXT NOT NULL, timezone TEXT NOT NULL);
CREATE TABLE gtfs_routes (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL,
    short_name TEXT NOT NULL,
    long_name TEXT NOT NULL,
    route_type INTEGER NOT NULL,
    color TEXT NOT NULL,
    text_color TEXT NOT NULL
);
CREATE TABLE gtfs_stops (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    location_type INTEGER NOT NULL,
    parent_station TEXT NOT NULL
);
CREATE TABLE gtfs_trips (
    id TEXT PRIMARY KEY,
    route_id TEXT NOT NULL,
    service_id TEXT NOT NULL,
    shape_id TEXT NOT NULL,
    headsign TEXT NOT NULL,
    direction_id INTEGER NOT NULL
);
CREATE TABLE gtfs_stop_times (
    trip_id TEXT NOT NULL,
    stop_id TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    arrival INTEGER NOT NULL,
    departure INTEGER NOT NULL,
    PRIMARY KEY (trip_id, sequence)
);
CREATE TABLE gtfs_calendars (
    service_id TEXT PRIMARY KEY,
    days INTEGER NOT NULL,
    start_date INTEGER NOT NULL,
    end_date INTEGER NOT NULL
);
CREATE TABLE gtfs_calendar_dates (
    service_id TEXT NOT NULL,
    date INTEGER NOT NULL,
    added BOOLEAN NOT NULL,
    PRIMARY KEY (service_id, date)
);
CREATE TABLE gtfs_shapes (
    shape_id TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    PRIMARY KEY (shape_id, sequence)
);
