-- PostgreSQL translation of db/migrations/014_notification_digest.sql. PostgreSQL drops a NOT NULL
-- in place, so nothing is rebuilt; the columns, keys and CHECK mean what SQLite's do.

-- The 08:30 working-day digest to the cadres' channels (issue 16): a delivery that belongs to no case
-- event. event_id, case_id and village_id may now be NULL (a digest covers a channel's whole place);
-- scope_code is the channel's place (shown in the delivery log to whoever serves all of it) and
-- digest_day the China-time date: UNIQUE (channel_id, digest_day) makes it once per channel and day
-- whichever instance, round or restart makes it.
ALTER TABLE notification_deliveries ALTER COLUMN event_id DROP NOT NULL;
ALTER TABLE notification_deliveries ALTER COLUMN case_id DROP NOT NULL;
ALTER TABLE notification_deliveries ALTER COLUMN village_id DROP NOT NULL;
ALTER TABLE notification_deliveries ADD COLUMN scope_code text COLLATE "C" CHECK (scope_code IS NULL OR length(scope_code) IN (6, 9, 12));
ALTER TABLE notification_deliveries ADD COLUMN digest_day text COLLATE "C";
ALTER TABLE notification_deliveries ADD CONSTRAINT notification_deliveries_digest_key UNIQUE (channel_id, digest_day);
-- a row is about a case event, or it is a channel's digest of a day
ALTER TABLE notification_deliveries ADD CONSTRAINT notification_deliveries_about CHECK (
  (event_id IS NOT NULL AND case_id IS NOT NULL AND village_id IS NOT NULL AND digest_day IS NULL)
  OR (event_id IS NULL AND case_id IS NULL AND digest_day IS NOT NULL AND channel_id IS NOT NULL AND scope_code IS NOT NULL));
CREATE INDEX notification_deliveries_scope ON notification_deliveries(scope_code, id);

-- The digest's rounds: a day's digest was made for every channel up to last_channel_id, so later
-- rounds that day read no counts unless a channel was added since. A day with nothing open in a
-- channel's place sends that channel nothing.
CREATE TABLE notification_digest_runs (
  day text COLLATE "C" PRIMARY KEY,
  last_channel_id bigint NOT NULL,
  at text COLLATE "C" NOT NULL
);
