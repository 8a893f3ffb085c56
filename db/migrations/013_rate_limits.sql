-- Rate-limit windows kept in the database, so that instances without Redis count together
-- (used on PostgreSQL when MASHANG_REDIS_URL is not set): hits of a key in its current window.
CREATE TABLE rate_limits (
  key TEXT PRIMARY KEY,
  hits INTEGER NOT NULL CHECK (hits >= 0),
  reset_at INTEGER NOT NULL                   -- ms since the epoch: the window ends then
);
CREATE INDEX rate_limits_reset ON rate_limits(reset_at);
