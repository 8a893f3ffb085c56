-- Many districts in one installation (issue 17): see db/migrations/018_districts.sql for the model.
-- On PostgreSQL the catalogue's UNIQUE keys are replaced in place.

ALTER TABLE districts ADD COLUMN hotline text COLLATE "C" NOT NULL DEFAULT '12345';
-- the resident pages keep the list of districts by the places revision: a new district moves it
CREATE TRIGGER districts_ai AFTER INSERT ON districts FOR EACH ROW EXECUTE FUNCTION places_revision_bump();

INSERT INTO districts (code, name) SELECT '370812', '兖州区'
  WHERE NOT EXISTS (SELECT 1 FROM districts) AND EXISTS (SELECT 1 FROM catalog_items);

ALTER TABLE catalog_items ADD COLUMN district_id bigint REFERENCES districts(id);
UPDATE catalog_items SET district_id = (SELECT min(id) FROM districts);
ALTER TABLE catalog_items ALTER COLUMN district_id SET NOT NULL;
ALTER TABLE catalog_items DROP CONSTRAINT catalog_items_code_key;
ALTER TABLE catalog_items DROP CONSTRAINT catalog_items_impl_code_key;
ALTER TABLE catalog_items DROP CONSTRAINT catalog_items_name_key;
ALTER TABLE catalog_items ADD CONSTRAINT catalog_items_district_code_key UNIQUE (district_id, code);
ALTER TABLE catalog_items ADD CONSTRAINT catalog_items_district_impl_code_key UNIQUE (district_id, impl_code);
ALTER TABLE catalog_items ADD CONSTRAINT catalog_items_district_name_key UNIQUE (district_id, name);
DROP INDEX catalog_items_theme;
CREATE INDEX catalog_items_theme ON catalog_items(district_id, theme_code);

ALTER TABLE cadres ADD COLUMN district_id bigint REFERENCES districts(id);
UPDATE cadres SET district_id = coalesce(
  (SELECT min(t.district_id) FROM cadre_villages cv JOIN villages v ON v.id = cv.village_id JOIN towns t ON t.id = v.town_id WHERE cv.cadre_id = cadres.id),
  (SELECT min(id) FROM districts));
CREATE INDEX cadres_district ON cadres(district_id);

ALTER TABLE users ADD COLUMN district_id bigint REFERENCES districts(id);
-- (an installation whose places import had made several districts: each user's by their places, or cadre)
UPDATE users SET district_id = coalesce(
  (SELECT min(d.id) FROM user_scopes s JOIN districts d ON d.code = substr(s.code, 1, 6) WHERE s.user_id = users.id),
  (SELECT c.district_id FROM cadres c WHERE c.id = users.cadre_id),
  (SELECT min(id) FROM districts)) WHERE role <> 'admin';
CREATE INDEX users_district ON users(district_id);

ALTER TABLE reply_templates ADD COLUMN district_id bigint REFERENCES districts(id);
UPDATE reply_templates SET district_id = coalesce(
  (SELECT t.district_id FROM towns t WHERE t.code = reply_templates.town_code),
  (SELECT min(id) FROM districts));
CREATE INDEX reply_templates_district ON reply_templates(district_id);

ALTER TABLE api_keys ADD COLUMN district_id bigint REFERENCES districts(id);
UPDATE api_keys SET district_id = (SELECT min(id) FROM districts);

ALTER TABLE audit_log ADD COLUMN district_id bigint REFERENCES districts(id);
UPDATE audit_log SET district_id = (SELECT min(id) FROM districts);
CREATE INDEX audit_log_district_at ON audit_log(district_id, at);

-- The shipped reply templates (migration 005) of an installation that had no district yet belong to
-- the first district made; each later district gets its own copies when it is added.
CREATE FUNCTION districts_claim_templates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE reply_templates SET district_id = NEW.id
    WHERE district_id IS NULL AND NOT EXISTS (SELECT 1 FROM districts WHERE id <> NEW.id);
  RETURN NULL;
END $$;
CREATE TRIGGER districts_claim_templates AFTER INSERT ON districts FOR EACH ROW EXECUTE FUNCTION districts_claim_templates();
