-- Translation of ../016_health_checks_cadre_phones.sql: INTEGER → bigint, text compared byte by
-- byte (COLLATE "C") as SQLite does.
CREATE TABLE health_checks (
  id bigint PRIMARY KEY CHECK (id = 1),
  checked_at text COLLATE "C" NOT NULL
);
INSERT INTO health_checks (id, checked_at) VALUES (1, '');

INSERT INTO cadre_villages (cadre_id, village_id)
  SELECT (SELECT min(d.id) FROM cadres d WHERE d.phone = c.phone), cv.village_id
  FROM cadre_villages cv JOIN cadres c ON c.id = cv.cadre_id
  WHERE c.id > (SELECT min(d.id) FROM cadres d WHERE d.phone = c.phone)
  ON CONFLICT DO NOTHING;
UPDATE users SET cadre_id = (SELECT min(d.id) FROM cadres d JOIN cadres c ON c.phone = d.phone WHERE c.id = users.cadre_id)
  WHERE cadre_id IS NOT NULL;
DELETE FROM cadres WHERE id > (SELECT min(d.id) FROM cadres d WHERE d.phone = cadres.phone);
CREATE UNIQUE INDEX cadres_phone ON cadres(phone);
