-- Introductions (mises en relation) of a person to a post, and every step of each.
CREATE TABLE introductions (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id),
    offer_id INTEGER NOT NULL REFERENCES offers (id),
    status TEXT NOT NULL,
    score REAL NOT NULL,
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    due_at INTEGER,
    reason TEXT NOT NULL,
    feedback TEXT NOT NULL,
    hired_at INTEGER,
    followups_done INTEGER NOT NULL,
    UNIQUE (person_id, offer_id)
);
CREATE INDEX introductions_offer ON introductions (offer_id);
CREATE INDEX introductions_due ON introductions (due_at);
CREATE TABLE introduction_steps (
    id INTEGER PRIMARY KEY,
    introduction_id INTEGER NOT NULL REFERENCES introductions (id),
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX introduction_steps_intro ON introduction_steps (introduction_id)
