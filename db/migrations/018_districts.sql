-- foreign_keys: off
-- Many districts in one installation (issue 17). The district becomes the boundary of what it owns:
--   * users.district_id: the district a user works in; NULL only for a city administrator (role
--     admin), who sees and manages every district. Existing administrators become city
--     administrators (they saw everything before and still do); every other user gets the district
--     of their places (or cadre), which in an installation of one district is the one there was.
--   * cadres, reply templates, API keys and the audit log carry their district the same way.
--   * catalogue items belong to a district: each county publishes its own list, so an item's codes and
--     name are unique within its district only. SQLite cannot drop a UNIQUE in place, so the table is
--     rebuilt (the runner turns foreign keys off for this file and checks them all before committing;
--     materials, fees, FAQs and cases keep pointing at the same ids).
--   * districts.hotline: the number in the resident pages' footer.
-- Households, plates, cases and their summaries carry the district through their village and
-- township (villages → towns.district_id); the national working-day calendar stays shared.

ALTER TABLE districts ADD COLUMN hotline TEXT NOT NULL DEFAULT '12345';
-- the resident pages keep the list of districts by the places revision: a new district moves it
CREATE TRIGGER districts_ai AFTER INSERT ON districts BEGIN UPDATE places_revision SET rev = rev + 1; END;

-- A catalogue loaded before any place (only the shipped 兖州区 list could be): its district is made.
INSERT INTO districts (code, name) SELECT '370812', '兖州区'
  WHERE NOT EXISTS (SELECT 1 FROM districts) AND EXISTS (SELECT 1 FROM catalog_items);

CREATE TABLE catalog_items_new (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL,             -- 基本编码
  impl_code TEXT NOT NULL,        -- 实施编码
  name TEXT NOT NULL,             -- 事项名称
  keywords TEXT NOT NULL DEFAULT '',     -- space-separated words villagers use
  type_code TEXT NOT NULL,               -- 事项类型
  type_name TEXT NOT NULL,
  theme_code TEXT NOT NULL REFERENCES catalog_themes(code),
  level TEXT NOT NULL,                   -- 行使层级
  basis TEXT NOT NULL,                   -- 设定依据
  department TEXT NOT NULL,              -- 实施主体
  department_code TEXT NOT NULL,
  handling_type TEXT NOT NULL,           -- 办件类型
  target TEXT NOT NULL,                  -- 服务对象
  conditions TEXT NOT NULL,              -- 受理条件
  legal_limit INTEGER NOT NULL,          -- 法定办结时限
  legal_limit_unit TEXT NOT NULL,
  promised_limit INTEGER NOT NULL,       -- 承诺办结时限
  promised_limit_unit TEXT NOT NULL,
  visits INTEGER NOT NULL CHECK (visits BETWEEN 0 AND 3),
  charged INTEGER NOT NULL,
  forms TEXT NOT NULL,                   -- 办理形式
  process TEXT NOT NULL,                 -- JSON array of steps
  place TEXT NOT NULL,
  hours TEXT NOT NULL,
  consult_phone TEXT NOT NULL,
  complaint_phone TEXT NOT NULL,
  online INTEGER NOT NULL,
  online_depth INTEGER NOT NULL CHECK (online_depth BETWEEN 1 AND 4),
  pc_url TEXT,
  mobile_url TEXT,
  appointment INTEGER NOT NULL,
  express INTEGER NOT NULL,
  scope TEXT NOT NULL,                   -- 通办范围
  high_frequency INTEGER NOT NULL DEFAULT 0,
  can_apply INTEGER NOT NULL DEFAULT 0,
  published INTEGER NOT NULL DEFAULT 1,
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  district_id INTEGER NOT NULL REFERENCES districts(id),   -- last, as PostgreSQL adds it
  UNIQUE (district_id, code),
  UNIQUE (district_id, impl_code),
  UNIQUE (district_id, name)
);

INSERT INTO catalog_items_new (district_id, id, code, impl_code, name, keywords, type_code, type_name, theme_code, level, basis, department, department_code, handling_type, target, conditions, legal_limit, legal_limit_unit, promised_limit, promised_limit_unit, visits, charged, forms, process, place, hours, consult_phone, complaint_phone, online, online_depth, pc_url, mobile_url, appointment, express, scope, high_frequency, can_apply, published, updated_at)
  SELECT (SELECT min(id) FROM districts), id, code, impl_code, name, keywords, type_code, type_name, theme_code, level, basis, department, department_code, handling_type, target, conditions, legal_limit, legal_limit_unit, promised_limit, promised_limit_unit, visits, charged, forms, process, place, hours, consult_phone, complaint_phone, online, online_depth, pc_url, mobile_url, appointment, express, scope, high_frequency, can_apply, published, updated_at FROM catalog_items;
DROP TABLE catalog_items;
ALTER TABLE catalog_items_new RENAME TO catalog_items;
CREATE INDEX catalog_items_theme ON catalog_items(district_id, theme_code);
CREATE TRIGGER catalog_items_ai AFTER INSERT ON catalog_items BEGIN UPDATE catalog_revision SET rev = rev + 1; END;
CREATE TRIGGER catalog_items_au AFTER UPDATE ON catalog_items BEGIN UPDATE catalog_revision SET rev = rev + 1; END;
CREATE TRIGGER catalog_items_ad AFTER DELETE ON catalog_items BEGIN UPDATE catalog_revision SET rev = rev + 1; END;

ALTER TABLE cadres ADD COLUMN district_id INTEGER REFERENCES districts(id);
UPDATE cadres SET district_id = coalesce(
  (SELECT min(t.district_id) FROM cadre_villages cv JOIN villages v ON v.id = cv.village_id JOIN towns t ON t.id = v.town_id WHERE cv.cadre_id = cadres.id),
  (SELECT min(id) FROM districts));
CREATE INDEX cadres_district ON cadres(district_id);

ALTER TABLE users ADD COLUMN district_id INTEGER REFERENCES districts(id);
-- (an installation whose places import had made several districts: each user's by their places, or cadre)
UPDATE users SET district_id = coalesce(
  (SELECT min(d.id) FROM user_scopes s JOIN districts d ON d.code = substr(s.code, 1, 6) WHERE s.user_id = users.id),
  (SELECT c.district_id FROM cadres c WHERE c.id = users.cadre_id),
  (SELECT min(id) FROM districts)) WHERE role <> 'admin';
CREATE INDEX users_district ON users(district_id);

ALTER TABLE reply_templates ADD COLUMN district_id INTEGER REFERENCES districts(id);
UPDATE reply_templates SET district_id = coalesce(
  (SELECT t.district_id FROM towns t WHERE t.code = reply_templates.town_code),
  (SELECT min(id) FROM districts));
CREATE INDEX reply_templates_district ON reply_templates(district_id);

ALTER TABLE api_keys ADD COLUMN district_id INTEGER REFERENCES districts(id);
UPDATE api_keys SET district_id = (SELECT min(id) FROM districts);

ALTER TABLE audit_log ADD COLUMN district_id INTEGER REFERENCES districts(id);
UPDATE audit_log SET district_id = (SELECT min(id) FROM districts);
CREATE INDEX audit_log_district_at ON audit_log(district_id, at);

-- The shipped reply templates (migration 005) of an installation that had no district yet belong to
-- the first district made; each later district gets its own copies when it is added. (A template a
-- city administrator files for every district has no district, and keeps none.)
CREATE TRIGGER districts_claim_templates AFTER INSERT ON districts BEGIN
  UPDATE reply_templates SET district_id = NEW.id
    WHERE district_id IS NULL AND NOT EXISTS (SELECT 1 FROM districts WHERE id <> NEW.id);
END;
