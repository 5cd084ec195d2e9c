-- Impact: every step of a person's path says which funnel stage it is, which offer it is
-- about and, when it came from a bus screen, which display (vehicle, trip's line, stop).
ALTER TABLE journey_events ADD COLUMN stage TEXT NOT NULL DEFAULT '';
ALTER TABLE journey_events ADD COLUMN offer_id INTEGER REFERENCES offers (id);
ALTER TABLE journey_events ADD COLUMN impression TEXT;
CREATE INDEX journey_events_at ON journey_events (at);

-- Age band and gender: kept only when the person agreed to give them for the figures.
ALTER TABLE people ADD COLUMN age_band TEXT;
ALTER TABLE people ADD COLUMN gender TEXT;

-- Visits through a poster's QR code or a short link: when and to what, nothing personal.
CREATE TABLE link_visits (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    channel TEXT NOT NULL,
    offer_id INTEGER REFERENCES offers (id),
    target TEXT NOT NULL
);
CREATE INDEX link_visits_at ON link_visits (at);

-- Call-back requests made before this version become steps of their people's paths.
INSERT INTO journey_events (person_id, at, kind, channel, summary, ref, actor, stage, offer_id, impression)
SELECT person_id, created_at, 'interest', channel, 'Demande de rappel', 'interest:' || id,
       'la personne elle-même', 'interest', offer_id, NULL
FROM interests;

-- Introduction steps already recorded get their stage and their offer.
UPDATE journey_events SET
    stage = COALESCE((SELECT CASE s.to_status WHEN 'sent' THEN 'introduction'
                                              WHEN 'interview' THEN 'interview'
                                              WHEN 'hired' THEN 'hire' ELSE '' END
                      FROM introduction_steps s
                      WHERE 'introduction:' || s.introduction_id = journey_events.ref
                        AND s.at = journey_events.at
                      ORDER BY s.id DESC LIMIT 1), ''),
    offer_id = (SELECT i.offer_id FROM introductions i WHERE 'introduction:' || i.id = journey_events.ref)
WHERE kind = 'introduction';
