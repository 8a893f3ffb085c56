-- 走访记录: cadres' visits to a household.
CREATE TABLE household_visits (
  id INTEGER PRIMARY KEY,
  household_id INTEGER NOT NULL REFERENCES households(id),
  user_id INTEGER NOT NULL REFERENCES users(id),
  visited_on TEXT NOT NULL CHECK (visited_on GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
  notes TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX household_visits_household ON household_visits(household_id, visited_on);
