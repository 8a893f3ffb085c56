-- PostgreSQL translation of db/migrations/006_security.sql (see 001's notes). The ms-since-epoch
-- columns are bigint. Nothing here differs in meaning.

-- Sign-in and look-up throttling by key (an account, an account from one source, a tracking number):
-- growing delays instead of one lock anyone can trigger for everyone.
CREATE TABLE throttles (
  key text COLLATE "C" PRIMARY KEY,
  failures bigint NOT NULL,
  locked_until bigint,           -- ms since the epoch; null: not locked
  updated_at bigint NOT NULL     -- ms since the epoch of the last failure
);

-- Devices that signed in to an account recently (a random cookie, stored hashed): they are let
-- through while the account is under attack from elsewhere.
CREATE TABLE trusted_devices (
  user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash text COLLATE "C" NOT NULL,
  last_used bigint NOT NULL,
  PRIMARY KEY (user_id, token_hash)
);

-- Reply templates belong to a township (its staff keep them) or to the whole district (null:
-- admins and district staff keep them).
ALTER TABLE reply_templates ADD COLUMN town_code text COLLATE "C";
