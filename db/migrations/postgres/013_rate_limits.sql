-- Translation of ../013_rate_limits.sql: INTEGER → bigint (ms since the epoch), text compared
-- byte by byte (COLLATE "C") as SQLite does.
CREATE TABLE rate_limits (
  key text COLLATE "C" PRIMARY KEY,
  hits bigint NOT NULL CHECK (hits >= 0),
  reset_at bigint NOT NULL
);
CREATE INDEX rate_limits_reset ON rate_limits(reset_at);
