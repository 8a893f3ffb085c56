-- /healthz commits a write to this one row (on PostgreSQL, where a server that answers reads may
-- still refuse writes: read-only, a standby, a role without write rights, no room for its WAL).
CREATE TABLE health_checks (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  checked_at TEXT NOT NULL
);
INSERT INTO health_checks (id, checked_at) VALUES (1, '');

-- A cadre is known by their phone: adding one with a phone already known links that cadre. Two
-- added at the same moment with one phone became two cadres; any such pair is merged into the
-- first (its villages and its user accounts), then the phone is unique.
INSERT INTO cadre_villages (cadre_id, village_id)
  SELECT (SELECT min(d.id) FROM cadres d WHERE d.phone = c.phone), cv.village_id
  FROM cadre_villages cv JOIN cadres c ON c.id = cv.cadre_id
  WHERE c.id > (SELECT min(d.id) FROM cadres d WHERE d.phone = c.phone)
  ON CONFLICT DO NOTHING;
UPDATE users SET cadre_id = (SELECT min(d.id) FROM cadres d JOIN cadres c ON c.phone = d.phone WHERE c.id = users.cadre_id)
  WHERE cadre_id IS NOT NULL;
DELETE FROM cadres WHERE id > (SELECT min(d.id) FROM cadres d WHERE d.phone = cadres.phone);
CREATE UNIQUE INDEX cadres_phone ON cadres(phone);
