-- The 08:30 working-day digest to the cadres' channels (issue 16): a delivery that belongs to no case
-- event. event_id, case_id and village_id may now be NULL (a digest covers a channel's whole place);
-- scope_code is the channel's place (shown in the delivery log to whoever serves all of it) and
-- digest_day the China-time date: UNIQUE (channel_id, digest_day) makes it once per channel and day
-- whichever instance, round or restart makes it. SQLite cannot drop a NOT NULL in place, so the
-- table is rebuilt, with notification_attempts (which refers to it) rebuilt first so that no
-- foreign key ever points at a dropped table.

CREATE TABLE notification_deliveries_new (
  id INTEGER PRIMARY KEY,
  event_id INTEGER REFERENCES case_events(id),
  case_id INTEGER REFERENCES cases(id),
  village_id INTEGER REFERENCES villages(id),
  channel TEXT NOT NULL CHECK (channel IN ('sms', 'wecom', 'dingtalk', 'webhook')),
  channel_id INTEGER REFERENCES notification_channels(id),
  recipient TEXT NOT NULL,                     -- the phone (sms) or 'channel:ID'
  message TEXT NOT NULL,                       -- received, replied, … new_case, reopened, low_rating, digest
  body TEXT NOT NULL,                          -- the text as sent (sms) or the event's JSON
  params TEXT,                                 -- the SMS template's parameters (JSON)
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at TEXT NOT NULL,
  lease_until TEXT,                            -- a claimed row is another worker's until then
  last_code TEXT,
  last_answer TEXT,
  provider_id TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  sent_at TEXT,
  scope_code TEXT CHECK (scope_code IS NULL OR length(scope_code) IN (6, 9, 12)),
  digest_day TEXT,
  UNIQUE (event_id, channel, recipient),
  UNIQUE (channel_id, digest_day),
  -- a row is about a case event, or it is a channel's digest of a day
  CHECK ((event_id IS NOT NULL AND case_id IS NOT NULL AND village_id IS NOT NULL AND digest_day IS NULL)
    OR (event_id IS NULL AND case_id IS NULL AND digest_day IS NOT NULL AND channel_id IS NOT NULL AND scope_code IS NOT NULL))
);
INSERT INTO notification_deliveries_new (id, event_id, case_id, village_id, channel, channel_id, recipient, message, body, params, state, attempts,
  next_at, lease_until, last_code, last_answer, provider_id, created_at, updated_at, sent_at)
SELECT id, event_id, case_id, village_id, channel, channel_id, recipient, message, body, params, state, attempts,
  next_at, lease_until, last_code, last_answer, provider_id, created_at, updated_at, sent_at FROM notification_deliveries;

CREATE TABLE notification_attempts_new (
  id INTEGER PRIMARY KEY,
  delivery_id INTEGER NOT NULL REFERENCES notification_deliveries_new(id),
  at TEXT NOT NULL,
  ok INTEGER NOT NULL,
  code TEXT NOT NULL DEFAULT '',
  answer TEXT NOT NULL DEFAULT ''              -- the provider's answer, cut to 500 characters
);
INSERT INTO notification_attempts_new (id, delivery_id, at, ok, code, answer) SELECT id, delivery_id, at, ok, code, answer FROM notification_attempts;

DROP TABLE notification_attempts;
DROP TABLE notification_deliveries;
-- Renaming updates notification_attempts_new's reference to the new name.
ALTER TABLE notification_deliveries_new RENAME TO notification_deliveries;
ALTER TABLE notification_attempts_new RENAME TO notification_attempts;

CREATE INDEX notification_deliveries_due ON notification_deliveries(state, next_at);
CREATE INDEX notification_deliveries_case ON notification_deliveries(case_id, id);
CREATE INDEX notification_deliveries_village ON notification_deliveries(village_id, id);
CREATE INDEX notification_deliveries_recipient ON notification_deliveries(recipient, sent_at);
CREATE INDEX notification_deliveries_scope ON notification_deliveries(scope_code, id);
CREATE INDEX notification_attempts_delivery ON notification_attempts(delivery_id, id);

-- The digest's rounds: a day's digest was made for every channel up to last_channel_id, so later
-- rounds that day read no counts unless a channel was added since. A day with nothing open in a
-- channel's place sends that channel nothing.
CREATE TABLE notification_digest_runs (
  day TEXT PRIMARY KEY,
  last_channel_id INTEGER NOT NULL,
  at TEXT NOT NULL
);
