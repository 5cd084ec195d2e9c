-- DKLIK schema, SQLite. Dates are ISO text (YYYY-MM-DD), instants are Unix seconds.
CREATE TABLE rome_domains (code TEXT PRIMARY KEY, label TEXT NOT NULL);
CREATE TABLE rome_jobs (code TEXT PRIMARY KEY, label TEXT NOT NULL, parent TEXT);
CREATE TABLE rome_appellations (
    code INTEGER PRIMARY KEY,
    label TEXT NOT NULL,
    short_label TEXT NOT NULL,
    rome TEXT NOT NULL REFERENCES rome_jobs (code)
);
CREATE INDEX rome_appellations_rome ON rome_appellations (rome);
CREATE TABLE rome_items (
    code INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('savoir_faire', 'savoir_etre', 'savoir', 'macro_competence', 'context')),
    label TEXT NOT NULL,
    macro_code INTEGER,
    category TEXT NOT NULL
);
CREATE INDEX rome_items_kind ON rome_items (kind);
CREATE TABLE rome_job_items (
    rome TEXT NOT NULL REFERENCES rome_jobs (code),
    item INTEGER NOT NULL REFERENCES rome_items (code),
    core BOOLEAN NOT NULL,
    PRIMARY KEY (rome, item)
);
CREATE INDEX rome_job_items_item ON rome_job_items (item);
CREATE TABLE rome_mobility (
    from_rome TEXT NOT NULL REFERENCES rome_jobs (code),
    to_rome TEXT NOT NULL REFERENCES rome_jobs (code),
    rank INTEGER NOT NULL,
    PRIMARY KEY (from_rome, to_rome)
);

CREATE TABLE employers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    fictional BOOLEAN NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE sites (
    id INTEGER PRIMARY KEY,
    employer_id INTEGER NOT NULL REFERENCES employers (id),
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    commune TEXT NOT NULL,
    insee TEXT NOT NULL,
    lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
    UNIQUE (employer_id, insee, address, name)
);
CREATE TABLE offers (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    employer_id INTEGER NOT NULL REFERENCES employers (id),
    site_id INTEGER NOT NULL REFERENCES sites (id),
    external_id TEXT UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    rome TEXT NOT NULL REFERENCES rome_jobs (code),
    appellation INTEGER REFERENCES rome_appellations (code),
    appellation_label TEXT NOT NULL,
    shifts TEXT NOT NULL,
    shift_periods INTEGER NOT NULL,
    contract TEXT NOT NULL,
    weekly_hours REAL,
    positions INTEGER NOT NULL CHECK (positions >= 0),
    no_diploma BOOLEAN NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'filled', 'closed', 'expired')),
    created_on TEXT NOT NULL,
    published_on TEXT,
    ended_on TEXT,
    expires_on TEXT,
    search_text TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX offers_status ON offers (status, published_on);
CREATE INDEX offers_employer ON offers (employer_id);
CREATE TABLE offer_items (
    offer_id INTEGER NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    code INTEGER NOT NULL REFERENCES rome_items (code),
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),
    importance TEXT NOT NULL CHECK (importance IN ('must', 'nice')),
    position INTEGER NOT NULL,
    PRIMARY KEY (offer_id, code)
);

-- A person known to the programme. Erasure empties the personal fields and keeps the row,
-- so that anonymous figures stay right.
CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    first_name TEXT,
    phone TEXT,
    email TEXT,
    created_at INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL,
    anonymised_at INTEGER
);
CREATE INDEX people_email ON people (email);
CREATE INDEX people_phone ON people (phone);
CREATE INDEX people_activity ON people (last_activity_at);

-- "Ça m'intéresse": the personal data lives in people, never here.
CREATE TABLE interests (
    id INTEGER PRIMARY KEY,
    offer_id INTEGER REFERENCES offers (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    best_time TEXT NOT NULL,
    consent_version TEXT NOT NULL,
    channel TEXT NOT NULL,
    channel_detail TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    assigned_to INTEGER,
    callback_due TEXT,
    updated_at INTEGER NOT NULL
);
CREATE INDEX interests_created ON interests (created_at);
CREATE INDEX interests_person ON interests (person_id);
