-- When the GTFS feed in use was imported (one row): servers compare it to rebuild their
-- timetables after an import, without a restart.
CREATE TABLE gtfs_version (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    imported_at BIGINT NOT NULL
);
