-- Back office: users' scopes and links to cadre profiles, sign-in throttling, sessions, audit.
ALTER TABLE users ADD COLUMN cadre_id INTEGER REFERENCES cadres(id);
ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TEXT;

-- What a user may see: the whole district, a township, or single villages (by code).
CREATE TABLE user_scopes (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  level TEXT NOT NULL CHECK (level IN ('district', 'town', 'village')),
  code TEXT NOT NULL,
  PRIMARY KEY (user_id, level, code)
);

-- Server-side sessions (express-session), so they survive a restart.
CREATE TABLE sessions (
  sid TEXT PRIMARY KEY,
  sess TEXT NOT NULL,
  expires INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions(expires);

-- Every back-office change outside the case event log: who, what, when, from where.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  user_id INTEGER REFERENCES users(id),
  ip TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log(at);

ALTER TABLE case_events ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN extension_reason TEXT;
