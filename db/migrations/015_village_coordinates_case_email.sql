-- Where a village is (its committee's seat), for Open311 requests that give only lat/long: WGS-84
-- decimal degrees, both or neither. The places service keeps them inside China's range; the
-- CHECKs keep any writer to the globe and to pairs.
ALTER TABLE villages ADD COLUMN latitude REAL CHECK (latitude BETWEEN -90 AND 90);
ALTER TABLE villages ADD COLUMN longitude REAL CHECK (longitude BETWEEN -180 AND 180 AND (latitude IS NULL) = (longitude IS NULL));

-- The e-mail address another system gave for the person (Open311 `email`); never for anonymous cases.
ALTER TABLE cases ADD COLUMN email TEXT CHECK (email IS NULL OR anonymous = 0);
