-- Translation of ../015_village_coordinates_case_email.sql: REAL → double precision (SQLite's REAL
-- is an 8-byte float), text compared byte by byte (COLLATE "C") as SQLite does.

-- Where a village is (its committee's seat), for Open311 requests that give only lat/long: WGS-84
-- decimal degrees, both or neither.
ALTER TABLE villages ADD COLUMN latitude double precision CHECK (latitude BETWEEN -90 AND 90);
ALTER TABLE villages ADD COLUMN longitude double precision CHECK (longitude BETWEEN -180 AND 180 AND (latitude IS NULL) = (longitude IS NULL));

-- The e-mail address another system gave for the person (Open311 `email`); never for anonymous cases.
ALTER TABLE cases ADD COLUMN email text COLLATE "C" CHECK (email IS NULL OR anonymous = 0);
