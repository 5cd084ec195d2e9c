-- Contacts a person proved they own (a code sent to them and used) or an advisor entered.
ALTER TABLE people ADD COLUMN email_verified_at BIGINT;
ALTER TABLE people ADD COLUMN phone_verified_at BIGINT;
-- A record merged into another keeps no data and points to the record that took it.
ALTER TABLE people ADD COLUMN merged_into BIGINT REFERENCES people (id);
-- A request attached to an existing record whose contact it matched: the advisor checks it.
ALTER TABLE interests ADD COLUMN unverified BOOLEAN NOT NULL DEFAULT FALSE;

-- A person's codes: to sign in, or to prove a new e-mail address. One live code per person
-- and purpose; the code is stored as an HMAC under the server's key; 5 wrong tries end it.
CREATE TABLE person_codes (
    id BIGSERIAL PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('login', 'email_change')),
    code_mac TEXT NOT NULL,
    new_email TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX person_codes_person ON person_codes (person_id, purpose, created_at);
-- Codes of the old kind (SHA-256 without a key) stop working.
UPDATE one_time_tokens SET used_at = created_at WHERE purpose = 'person_login' AND used_at IS NULL;

-- Failed staff logins per account and address: only that address is slowed down.
CREATE TABLE login_failures (
    email TEXT NOT NULL,
    addr TEXT NOT NULL,
    failures BIGINT NOT NULL,
    locked_until BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (email, addr)
);
CREATE INDEX login_failures_updated ON login_failures (updated_at);

-- Likely duplicates are looked for by first name too.
CREATE INDEX people_first_name ON people (lower(first_name));
