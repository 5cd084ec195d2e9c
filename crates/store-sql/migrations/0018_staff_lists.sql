-- The staff's lists at 100,000 people and requests.

-- What moves the people list's version (`people_version`): each read as the end of an index.
-- Partial: a whole index of `anonymised_at` is what SQLite's planner picks for "anonymised_at
-- IS NULL" (nearly every row), over the e-mail and phone indexes of the call-back form's look-up.
CREATE INDEX people_anonymised ON people (anonymised_at) WHERE anonymised_at IS NOT NULL;
CREATE INDEX person_profiles_updated ON person_profiles (updated_at);

-- The requests' queues, each read in the order shown (call-back day, then id) from its index.
CREATE INDEX interests_status_due ON interests (status, callback_due, id);
CREATE INDEX interests_assigned_due ON interests (assigned_to, callback_due, id);

-- What moves the employers list's version (`employers_version`).
CREATE INDEX offers_updated ON offers (updated_at);
CREATE INDEX employers_updated ON employers (updated_at);
CREATE INDEX employers_created ON employers (created_at);

-- The requests nobody has taken, in the queue's order: PostgreSQL orders by the columns after an
-- equality, not after IS NULL, so it sorted every request without this one.
CREATE INDEX interests_unassigned_due ON interests (callback_due, id) WHERE assigned_to IS NULL;
