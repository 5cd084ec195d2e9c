-- Requests that come by text message: what the person wrote (a message for the advisors, not
-- an offer code), kept with the request.
ALTER TABLE interests ADD COLUMN message TEXT;
-- A number's text-message requests of the last day (the limit per number, the OUI that follows).
CREATE INDEX interests_channel_created ON interests (channel, created_at);
