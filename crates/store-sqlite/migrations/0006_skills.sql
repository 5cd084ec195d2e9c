-- Skills: the advisor's record of a person, their skills with evidence, tests, observed
-- activities (Job Labo, immersion), endorsements, the public questionnaire, and the journey
-- timeline every step writes to.

-- What ROME says an item means (savoir-être and macro-competences have a definition).
ALTER TABLE rome_items ADD COLUMN definition TEXT NOT NULL DEFAULT '';

-- Neighbourhoods people live in. `qpv` marks the priority neighbourhoods (quartiers
-- prioritaires de la politique de la ville). The point is where journeys start from
CREATE TABLE neighbourhoods (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    commune TEXT NOT NULL,
    insee TEXT NOT NULL,
    qpv BOOLEAN NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    fictional BOOLEAN NOT NULL,
    UNIQUE (insee, name)
);
-- What an advisor records beyond the contact fields of `people`. No social-security number.
-- Erasure deletes the row but keeps the neighbourhood and the QPV flag on `people` for figures.
CREATE TABLE person_profiles (
    person_id INTEGER PRIMARY KEY REFERENCES people (id),
    last_name TEXT NOT NULL,
    commune TEXT NOT NULL,
    mobility TEXT NOT NULL,
    days INTEGER NOT NULL,
    periods INTEGER NOT NULL,
    constraints TEXT NOT NULL,
    notes TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
ALTER TABLE people ADD COLUMN neighbourhood_id INTEGER REFERENCES neighbourhoods (id);
ALTER TABLE people ADD COLUMN qpv BOOLEAN;

-- Every step of a person's path, for the timeline and the figures.
CREATE TABLE journey_events (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id),
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    summary TEXT NOT NULL,
    ref TEXT NOT NULL,
    actor TEXT NOT NULL
);
CREATE INDEX journey_events_person ON journey_events (person_id, at);

-- A person's skill, one row per piece of evidence; the strongest evidence wins.
CREATE TABLE person_skills (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id),
    item INTEGER NOT NULL REFERENCES rome_items (code),
    level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),
    evidence TEXT NOT NULL CHECK (evidence IN ('suggested', 'declared', 'self', 'observed', 'tested')),
    source TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX person_skills_person ON person_skills (person_id, item);
CREATE TABLE endorsements (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id),
    item INTEGER NOT NULL REFERENCES rome_items (code),
    token_hash TEXT NOT NULL UNIQUE,
    context TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    endorser_name TEXT,
    endorser_role TEXT,
    comment TEXT
);
CREATE INDEX endorsements_person ON endorsements (person_id);

-- The test catalogue: a test assesses items (ROME items, or MRS habiletés through the
-- crosswalk), with a rubric per item.
CREATE TABLE skill_tests (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    modality TEXT NOT NULL CHECK (modality IN ('practical', 'simulation', 'quiz')),
    duration_min INTEGER NOT NULL,
    capacity INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE skill_test_items (
    test_id INTEGER NOT NULL REFERENCES skill_tests (id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    label TEXT NOT NULL,
    rubric TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (test_id, target)
);
CREATE TABLE skill_test_employers (
    test_id INTEGER NOT NULL REFERENCES skill_tests (id) ON DELETE CASCADE,
    employer_id INTEGER NOT NULL REFERENCES employers (id),
    PRIMARY KEY (test_id, employer_id)
);
CREATE TABLE test_sessions (
    id INTEGER PRIMARY KEY,
    test_id INTEGER NOT NULL REFERENCES skill_tests (id),
    starts_at INTEGER NOT NULL,
    place TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE test_attendance (
    session_id INTEGER NOT NULL REFERENCES test_sessions (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    status TEXT NOT NULL CHECK (status IN ('registered', 'present', 'absent')),
    at INTEGER NOT NULL,
    PRIMARY KEY (session_id, person_id)
);
CREATE TABLE test_results (
    session_id INTEGER NOT NULL REFERENCES test_sessions (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    target TEXT NOT NULL,
    level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),
    evaluator TEXT NOT NULL,
    on_day TEXT NOT NULL,
    notes TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (session_id, person_id, target)
);

-- Observed evidence: a person's Job Labo session or week of immersion at the training worksite.
CREATE TABLE observed_activities (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id),
    kind TEXT NOT NULL CHECK (kind IN ('job_labo', 'immersion')),
    title TEXT NOT NULL,
    place TEXT NOT NULL,
    tutor TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    review TEXT,
    reviewed_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX observed_activities_person ON observed_activities (person_id);
CREATE TABLE activity_days (
    activity_id INTEGER NOT NULL REFERENCES observed_activities (id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    present BOOLEAN NOT NULL,
    PRIMARY KEY (activity_id, day)
);
CREATE TABLE observations (
    id INTEGER PRIMARY KEY,
    activity_id INTEGER NOT NULL REFERENCES observed_activities (id) ON DELETE CASCADE,
    item INTEGER NOT NULL REFERENCES rome_items (code),
    level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),
    comment TEXT NOT NULL,
    observer TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX observations_activity ON observations (activity_id);

-- The public soft-skills questionnaire: one row per finished questionnaire, idempotent by the
-- token carried through its pages. No personal data unless sent to an advisor with consent.
CREATE TABLE questionnaire_results (
    token TEXT PRIMARY KEY,
    answers TEXT NOT NULL,
    skills TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    person_id INTEGER REFERENCES people (id)
)
