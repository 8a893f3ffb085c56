-- Notifications: SMS to villagers who asked for it, and messages to the cadres' group channels.
-- case_events is the outbox: deliveries are made from its committed rows by a cursor, so a crash
-- between a case's commit and its delivery loses nothing and sends nothing twice.

-- 用短信通知我办理进展: the phone already stored on the case gets messages only when this is 1.
ALTER TABLE cases ADD COLUMN notify_sms INTEGER NOT NULL DEFAULT 0 CHECK (notify_sms IN (0, 1));

-- Group robots and webhooks of a village, a township or the district: scope_code is the place's
-- code (12, 9 or 6 digits), and a village's code begins with its township's and district's.
CREATE TABLE notification_channels (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('wecom', 'dingtalk', 'webhook')),
  url TEXT NOT NULL,
  secret TEXT,
  scope_code TEXT NOT NULL CHECK (length(scope_code) IN (6, 9, 12)),
  created_at TEXT NOT NULL,
  removed_at TEXT                              -- kept for the delivery log; nothing more is sent
);
CREATE INDEX notification_channels_scope ON notification_channels(scope_code);

-- One row per (event, channel, recipient): made once from the cursor, delivered once.
CREATE TABLE notification_deliveries (
  id INTEGER PRIMARY KEY,
  event_id INTEGER NOT NULL REFERENCES case_events(id),
  case_id INTEGER NOT NULL REFERENCES cases(id),
  village_id INTEGER NOT NULL REFERENCES villages(id),
  channel TEXT NOT NULL CHECK (channel IN ('sms', 'wecom', 'dingtalk', 'webhook')),
  channel_id INTEGER REFERENCES notification_channels(id),
  recipient TEXT NOT NULL,                     -- the phone (sms) or 'channel:ID'
  message TEXT NOT NULL,                       -- received, replied, … new_case, reopened, low_rating
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
  UNIQUE (event_id, channel, recipient)
);
CREATE INDEX notification_deliveries_due ON notification_deliveries(state, next_at);
CREATE INDEX notification_deliveries_case ON notification_deliveries(case_id, id);
CREATE INDEX notification_deliveries_village ON notification_deliveries(village_id, id);
CREATE INDEX notification_deliveries_recipient ON notification_deliveries(recipient, sent_at);

CREATE TABLE notification_attempts (
  id INTEGER PRIMARY KEY,
  delivery_id INTEGER NOT NULL REFERENCES notification_deliveries(id),
  at TEXT NOT NULL,
  ok INTEGER NOT NULL,
  code TEXT NOT NULL DEFAULT '',
  answer TEXT NOT NULL DEFAULT ''              -- the provider's answer, cut to 500 characters
);
CREATE INDEX notification_attempts_delivery ON notification_attempts(delivery_id, id);

-- How far through case_events deliveries have been made.
CREATE TABLE notification_cursor (
  name TEXT PRIMARY KEY,
  last_event_id INTEGER NOT NULL
);
-- Events before notifications existed are not announced.
INSERT INTO notification_cursor (name, last_event_id) SELECT 'case_events', coalesce(max(id), 0) FROM case_events;
