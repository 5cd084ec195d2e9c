-- OrientaKlik: the catalogue of orientation services and their sessions, registrations with a
-- waiting list, the before/after survey, events (Cafés de l'emploi, job bus stops, mobile-team
-- rounds), and the contacts mobile teams record.
CREATE TABLE orientation_services (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    audience TEXT NOT NULL,
    description TEXT NOT NULL,
    duration_min INTEGER NOT NULL,
    place_kind TEXT NOT NULL CHECK (place_kind IN ('adresse', 'bus_emploi', 'partenaire')),
    place TEXT NOT NULL,
    equipment TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    provider TEXT NOT NULL,
    fictional BOOLEAN NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE service_trades (
    service_id INTEGER NOT NULL REFERENCES orientation_services (id) ON DELETE CASCADE,
    rome TEXT NOT NULL,
    PRIMARY KEY (service_id, rome)
);
CREATE TABLE orientation_sessions (
    id INTEGER PRIMARY KEY,
    service_id INTEGER NOT NULL REFERENCES orientation_services (id),
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    place TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'cancelled')),
    created_at INTEGER NOT NULL
);
CREATE INDEX orientation_sessions_start ON orientation_sessions (starts_at);
CREATE TABLE registrations (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES orientation_sessions (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    status TEXT NOT NULL CHECK (status IN ('registered', 'waiting', 'cancelled', 'present', 'absent')),
    channel TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    reminded_at INTEGER,
    UNIQUE (session_id, person_id)
);
CREATE INDEX registrations_person ON registrations (person_id);
-- How the person sees the trade, before and after (1 to 5 for each of three questions).
CREATE TABLE surveys (
    registration_id INTEGER NOT NULL REFERENCES registrations (id),
    phase TEXT NOT NULL CHECK (phase IN ('before', 'after')),
    q1 INTEGER NOT NULL CHECK (q1 BETWEEN 1 AND 5),
    q2 INTEGER NOT NULL CHECK (q2 BETWEEN 1 AND 5),
    q3 INTEGER NOT NULL CHECK (q3 BETWEEN 1 AND 5),
    at INTEGER NOT NULL,
    PRIMARY KEY (registration_id, phase)
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('cafe_emploi', 'bus_emploi', 'tournee')),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    place TEXT NOT NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    status TEXT NOT NULL CHECK (status IN ('planned', 'cancelled')),
    created_at INTEGER NOT NULL
);
CREATE INDEX events_start ON events (starts_at);
CREATE TABLE event_employers (
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    employer_id INTEGER NOT NULL REFERENCES employers (id),
    PRIMARY KEY (event_id, employer_id)
);
CREATE TABLE event_offers (
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    offer_id INTEGER NOT NULL REFERENCES offers (id),
    PRIMARY KEY (event_id, offer_id)
);
CREATE TABLE event_registrations (
    event_id INTEGER NOT NULL REFERENCES events (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    at INTEGER NOT NULL,
    PRIMARY KEY (event_id, person_id)
);
-- One contact made by a mobile team; `submission` makes a form sent twice count once.
CREATE TABLE outreach_contacts (
    id INTEGER PRIMARY KEY,
    submission TEXT NOT NULL UNIQUE,
    at INTEGER NOT NULL,
    recorded_by INTEGER REFERENCES users (id),
    place_kind TEXT NOT NULL CHECK (place_kind IN ('neighbourhood', 'event', 'stop', 'other')),
    place_ref TEXT NOT NULL,
    place_label TEXT NOT NULL,
    channel TEXT NOT NULL,
    people_count INTEGER NOT NULL CHECK (people_count BETWEEN 1 AND 500),
    person_id INTEGER REFERENCES people (id),
    needs TEXT NOT NULL,
    next_step TEXT NOT NULL,
    notes TEXT NOT NULL
);
CREATE INDEX outreach_contacts_at ON outreach_contacts (at)
