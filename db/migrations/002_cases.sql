-- Cases (诉求): help requests (码上帮), applications (码上办) and feedback (码上说).
CREATE TABLE cases (
  id INTEGER PRIMARY KEY,
  token TEXT NOT NULL UNIQUE,                -- the villager's private link: 128 random bits
  tracking_no TEXT NOT NULL UNIQUE,          -- human-friendly: YYYYMMDD + daily sequence; never enough alone
  kind TEXT NOT NULL CHECK (kind IN ('help', 'apply', 'speak')),
  category TEXT CHECK (category IN ('suggestion', 'complaint', 'enquiry', 'request', 'praise')),
  item_id INTEGER REFERENCES catalog_items(id),
  village_id INTEGER NOT NULL REFERENCES villages(id),
  household_id INTEGER REFERENCES households(id),
  plate_id INTEGER REFERENCES plates(id),
  name TEXT,                                 -- null when anonymous
  phone TEXT,                                -- null when anonymous
  anonymous INTEGER NOT NULL DEFAULT 0,
  content TEXT NOT NULL,
  callback_time TEXT,                        -- preferred call-back time (applications, help)
  state TEXT NOT NULL DEFAULT 'submitted'
    CHECK (state IN ('submitted', 'accepted', 'in_progress', 'resolved', 'closed', 'rejected', 'merged')),
  assigned_user_id INTEGER REFERENCES users(id),
  merged_into_id INTEGER REFERENCES cases(id),
  version INTEGER NOT NULL DEFAULT 1,        -- optimistic concurrency: every change bumps it
  first_response_due TEXT NOT NULL,
  resolution_due TEXT NOT NULL,
  first_responded_at TEXT,
  extended INTEGER NOT NULL DEFAULT 0,
  resolved_at TEXT,
  closed_at TEXT,
  rating INTEGER CHECK (rating BETWEEN 1 AND 5),
  rating_comment TEXT,
  reopen_count INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT UNIQUE,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  CHECK ((kind = 'apply') = (item_id IS NOT NULL)),
  CHECK ((kind = 'speak') = (category IS NOT NULL)),
  CHECK (anonymous = 0 OR (name IS NULL AND phone IS NULL))
);
CREATE INDEX cases_village_state ON cases(village_id, state);
CREATE INDEX cases_household ON cases(household_id);
CREATE INDEX cases_created ON cases(created_at);

-- Append-only log: who, when, what, public or internal.
CREATE TABLE case_events (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  at TEXT NOT NULL,
  actor TEXT NOT NULL CHECK (actor IN ('villager', 'user', 'system')),
  user_id INTEGER REFERENCES users(id),
  type TEXT NOT NULL,
  from_state TEXT,
  to_state TEXT,
  public INTEGER NOT NULL,
  body TEXT NOT NULL DEFAULT '',
  data TEXT                                  -- JSON, for details such as a rating or the kept case
);
CREATE INDEX case_events_case ON case_events(case_id, id);
CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;

CREATE TABLE case_photos (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  file_name TEXT NOT NULL UNIQUE,            -- random name under the data folder
  mime TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX case_photos_case ON case_photos(case_id);

-- Daily sequence behind tracking numbers (China-time date).
CREATE TABLE tracking_sequences (
  day TEXT PRIMARY KEY,
  last INTEGER NOT NULL
);
