-- Sign-in and look-up throttling by key (an account, an account from one source, a tracking number):
-- growing delays instead of one lock anyone can trigger for everyone.
CREATE TABLE throttles (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  locked_until INTEGER,           -- ms since the epoch; null: not locked
  updated_at INTEGER NOT NULL     -- ms since the epoch of the last failure
);

-- Devices that signed in to an account recently (a random cookie, stored hashed): they are let
-- through while the account is under attack from elsewhere.
CREATE TABLE trusted_devices (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL,
  last_used INTEGER NOT NULL,
  PRIMARY KEY (user_id, token_hash)
);

-- Reply templates belong to a township (its staff keep them) or to the whole district (null:
-- admins and district staff keep them).
ALTER TABLE reply_templates ADD COLUMN town_code TEXT;
