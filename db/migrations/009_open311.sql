-- Open311 GeoReport v2: the keys other systems (the county's 12345 platform, city apps) file and
-- read cases with, and where each case came from.
CREATE TABLE api_keys (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,             -- shown as the case's source (来源), e.g. 12345
  key_hash TEXT NOT NULL UNIQUE,         -- SHA-256 of the key (hex); the key itself is shown once
  prefix TEXT NOT NULL,                  -- the key's first characters, to tell keys apart
  created_at TEXT NOT NULL,
  created_by INTEGER REFERENCES users(id),
  revoked_at TEXT,
  last_used_at TEXT,
  uses INTEGER NOT NULL DEFAULT 0
);

-- Null for a case filed from a plate; the key's name for one filed through Open311.
ALTER TABLE cases ADD COLUMN source TEXT;
-- A link to a photo or document the filing system holds (Open311 media_url); never fetched.
ALTER TABLE cases ADD COLUMN media_url TEXT;
CREATE INDEX cases_updated ON cases(updated_at);
