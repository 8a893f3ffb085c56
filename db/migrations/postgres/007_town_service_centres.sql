-- PostgreSQL translation of db/migrations/007_town_service_centres.sql (see 001's notes). Nothing
-- here differs in meaning: existing towns get the defaults, as in SQLite.

-- Each 镇（街道）has a 便民服务中心 where villagers handle most items: item guides reached from a
-- plate name the villager's own centre, with its address, hours and telephone.
ALTER TABLE towns ADD COLUMN centre_address text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE towns ADD COLUMN centre_hours text COLLATE "C" NOT NULL DEFAULT '工作日 上午9:00-12:00，下午13:30-17:00';
ALTER TABLE towns ADD COLUMN centre_phone text COLLATE "C" NOT NULL DEFAULT '';
