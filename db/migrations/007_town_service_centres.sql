-- Each 镇（街道）has a 便民服务中心 where villagers handle most items: item guides reached from a
-- plate name the villager's own centre, with its address, hours and telephone.
ALTER TABLE towns ADD COLUMN centre_address TEXT NOT NULL DEFAULT '';
ALTER TABLE towns ADD COLUMN centre_hours TEXT NOT NULL DEFAULT '工作日 上午9:00-12:00，下午13:30-17:00';
ALTER TABLE towns ADD COLUMN centre_phone TEXT NOT NULL DEFAULT '';
