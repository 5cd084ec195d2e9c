-- Requests that come by text message: what the person wrote (a message for the advisors, not
-- an offer code), kept with the request.
ALTER TABLE interests ADD COLUMN message TEXT;
-- A number's text-message requests of the last day (the limit per number, the OUI that follows).
CREATE INDEX interests_channel_created ON interests (channel, created_at);
-- How a person wants the programme's messages: 'sms', 'email', or NULL for both (each only
-- where known); chosen by the person in "Mon espace" or recorded by an advisor.
ALTER TABLE people ADD COLUMN contact_by TEXT CHECK (contact_by IN ('sms', 'email'));
CREATE INDEX consents_person_purpose ON consents (person_id, purpose);
-- Event registrations are reminded the day before, once.
ALTER TABLE event_registrations ADD COLUMN reminded_at BIGINT;
-- The information texts a person was sent (one a week at most).
CREATE INDEX sms_person ON sms_messages (person_id, purpose, created_at);
