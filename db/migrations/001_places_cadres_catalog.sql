-- Places: district → town → village → household, and the plates that point at them.
CREATE TABLE districts (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE CHECK (length(code) = 6),
  name TEXT NOT NULL
);

CREATE TABLE towns (
  id INTEGER PRIMARY KEY,
  district_id INTEGER NOT NULL REFERENCES districts(id),
  code TEXT NOT NULL UNIQUE CHECK (length(code) = 9),
  name TEXT NOT NULL
);
CREATE INDEX towns_district ON towns(district_id);

CREATE TABLE villages (
  id INTEGER PRIMARY KEY,
  town_id INTEGER NOT NULL REFERENCES towns(id),
  code TEXT NOT NULL UNIQUE CHECK (length(code) = 12),
  name TEXT NOT NULL
);
CREATE INDEX villages_town ON villages(town_id);

CREATE TABLE households (
  id INTEGER PRIMARY KEY,
  village_id INTEGER NOT NULL REFERENCES villages(id),
  address TEXT NOT NULL,            -- door address within the village (门牌地址)
  contact_name TEXT,                -- household contact kept by staff; never shown on public pages
  contact_phone TEXT,
  notes TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (village_id, address)
);

-- A plate (门牌) carries a QR code with its token. Household plates and village plates
-- (notice board / service centre). Reissuing marks the old plate replaced and adds a new one.
CREATE TABLE plates (
  id INTEGER PRIMARY KEY,
  token TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('household', 'village')),
  household_id INTEGER REFERENCES households(id),
  village_id INTEGER NOT NULL REFERENCES villages(id),
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'replaced')),
  issued_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  replaced_at TEXT,
  CHECK ((kind = 'household') = (household_id IS NOT NULL))
);
CREATE INDEX plates_household ON plates(household_id);
CREATE INDEX plates_village ON plates(village_id, kind);
-- at most one active plate per household, and one active village plate per village
CREATE UNIQUE INDEX plates_one_active_household ON plates(household_id) WHERE status = 'active' AND kind = 'household';
CREATE UNIQUE INDEX plates_one_active_village ON plates(village_id) WHERE status = 'active' AND kind = 'village';

-- The app caches plate look-ups (every scan reads one) and checks this revision first, so a
-- change made by any process (reissue, import, rename) is seen on the next scan.
CREATE TABLE places_revision (id INTEGER PRIMARY KEY CHECK (id = 1), rev INTEGER NOT NULL);
INSERT INTO places_revision (id, rev) VALUES (1, 0);
CREATE TRIGGER plates_ai AFTER INSERT ON plates BEGIN UPDATE places_revision SET rev = rev + 1; END;
CREATE TRIGGER plates_au AFTER UPDATE ON plates BEGIN UPDATE places_revision SET rev = rev + 1; END;
CREATE TRIGGER plates_ad AFTER DELETE ON plates BEGIN UPDATE places_revision SET rev = rev + 1; END;
CREATE TRIGGER households_au AFTER UPDATE ON households BEGIN UPDATE places_revision SET rev = rev + 1; END;
CREATE TRIGGER households_ad AFTER DELETE ON households BEGIN UPDATE places_revision SET rev = rev + 1; END;
CREATE TRIGGER villages_au AFTER UPDATE ON villages BEGIN UPDATE places_revision SET rev = rev + 1; END;
CREATE TRIGGER towns_au AFTER UPDATE ON towns BEGIN UPDATE places_revision SET rev = rev + 1; END;
CREATE TRIGGER districts_au AFTER UPDATE ON districts BEGIN UPDATE places_revision SET rev = rev + 1; END;

-- Cadres who serve villages (码上帮).
CREATE TABLE cadres (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('first_secretary', 'party_secretary', 'committee_director', 'town_cadre', 'grid_worker')),
  phone TEXT NOT NULL,
  duty_hours TEXT NOT NULL DEFAULT '',
  photo_path TEXT,
  active INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE cadre_villages (
  cadre_id INTEGER NOT NULL REFERENCES cadres(id) ON DELETE CASCADE,
  village_id INTEGER NOT NULL REFERENCES villages(id),
  PRIMARY KEY (cadre_id, village_id)
);
CREATE INDEX cadre_villages_village ON cadre_villages(village_id);

-- Government service catalogue (政务服务事项).
CREATE TABLE catalog_themes (
  code TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  sort INTEGER NOT NULL
);

CREATE TABLE catalog_items (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,             -- 基本编码
  impl_code TEXT NOT NULL UNIQUE,        -- 实施编码
  name TEXT NOT NULL UNIQUE,             -- 事项名称
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
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX catalog_items_theme ON catalog_items(theme_code);

CREATE TABLE catalog_materials (
  id INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES catalog_items(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  name TEXT NOT NULL,
  necessity TEXT NOT NULL,
  form TEXT NOT NULL,
  source TEXT NOT NULL,
  copies INTEGER NOT NULL,
  notes TEXT NOT NULL DEFAULT ''
);
CREATE INDEX catalog_materials_item ON catalog_materials(item_id, seq);

CREATE TABLE catalog_fees (
  id INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES catalog_items(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  name TEXT NOT NULL,
  standard TEXT NOT NULL,
  basis TEXT NOT NULL,
  reducible INTEGER NOT NULL
);
CREATE INDEX catalog_fees_item ON catalog_fees(item_id, seq);

CREATE TABLE catalog_faqs (
  id INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES catalog_items(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  question TEXT NOT NULL,
  answer TEXT NOT NULL
);
CREATE INDEX catalog_faqs_item ON catalog_faqs(item_id, seq);

-- The search cache in the app checks this revision, so a change made by any process
-- (the command line, another server) is seen on the next search.
CREATE TABLE catalog_revision (id INTEGER PRIMARY KEY CHECK (id = 1), rev INTEGER NOT NULL);
INSERT INTO catalog_revision (id, rev) VALUES (1, 0);
CREATE TRIGGER catalog_items_ai AFTER INSERT ON catalog_items BEGIN UPDATE catalog_revision SET rev = rev + 1; END;
CREATE TRIGGER catalog_items_au AFTER UPDATE ON catalog_items BEGIN UPDATE catalog_revision SET rev = rev + 1; END;
CREATE TRIGGER catalog_items_ad AFTER DELETE ON catalog_items BEGIN UPDATE catalog_revision SET rev = rev + 1; END;

-- Working-day calendar: only exceptions are stored; other Saturdays and Sundays rest.
CREATE TABLE calendar_days (
  date TEXT PRIMARY KEY CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
  kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),  -- 放假 / 调休上班
  note TEXT NOT NULL DEFAULT ''
);

-- Back-office users. Scopes and sessions come with the back office.
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'cadre')),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Settings that belong to this installation (e.g. the demo seed's token key).
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
