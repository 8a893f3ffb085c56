import { transaction, type Db } from '../../db/index.js';
import { buildCatalog } from '../../../db/seed/catalog.js';
import { buildDistrict } from '../../../db/seed/district.js';
import { calendar2026 } from '../../../db/seed/calendar.js';
import { THEMES } from '../../../db/seed/themes.js';
import type { CatalogItemSeed, DistrictSeed } from '../../../db/seed/types.js';
import { derivedPlateToken } from '../places/tokens.js';

export interface SeedCounts {
  towns: number;
  villages: number;
  households: number;
  cadres: number;
  items: number;
  calendarDays: number;
}

export interface SeedOptions {
  /** secret from which the demo plates' tokens are derived: the same key gives the same rows */
  tokenKey: string;
  district?: DistrictSeed;
  catalog?: CatalogItemSeed[];
}

/**
 * Writes the demo district, its plates and cadres, the catalogue and the 2026 calendar,
 * all in one transaction. The database must be migrated and hold no places yet.
 */
export function seedDemo(db: Db, opts: SeedOptions): SeedCounts {
  const district = opts.district ?? buildDistrict();
  const catalog = opts.catalog ?? buildCatalog();
  const counts: SeedCounts = { towns: 0, villages: 0, households: 0, cadres: 0, items: 0, calendarDays: 0 };

  const s = {
    district: db.prepare('INSERT INTO districts (code, name) VALUES (?, ?)'),
    town: db.prepare('INSERT INTO towns (district_id, code, name, centre_address, centre_phone) VALUES (?, ?, ?, ?, ?)'),
    village: db.prepare('INSERT INTO villages (town_id, code, name) VALUES (?, ?, ?)'),
    household: db.prepare('INSERT INTO households (village_id, address, contact_name, contact_phone) VALUES (?, ?, ?, ?)'),
    plate: db.prepare('INSERT INTO plates (token, kind, household_id, village_id) VALUES (?, ?, ?, ?)'),
    cadre: db.prepare('INSERT INTO cadres (name, role, phone, duty_hours) VALUES (?, ?, ?, ?)'),
    serves: db.prepare('INSERT INTO cadre_villages (cadre_id, village_id) VALUES (?, ?)'),
    theme: db.prepare('INSERT INTO catalog_themes (code, name, sort) VALUES (?, ?, ?)'),
    item: db.prepare(`INSERT INTO catalog_items (
        code, impl_code, name, keywords, type_code, type_name, theme_code, level, basis, department, department_code,
        handling_type, target, conditions, legal_limit, legal_limit_unit, promised_limit, promised_limit_unit, visits,
        charged, forms, process, place, hours, consult_phone, complaint_phone, online, online_depth, pc_url, mobile_url,
        appointment, express, scope, high_frequency, can_apply)
      VALUES (@code, @implCode, @name, @keywords, @typeCode, @typeName, @themeCode, @level, @basis, @department, @departmentCode,
        @handlingType, @target, @conditions, @legalLimit, @legalLimitUnit, @promisedLimit, @promisedLimitUnit, @visits,
        @charged, @forms, @process, @place, @hours, @consultPhone, @complaintPhone, @online, @onlineDepth, @pcUrl, @mobileUrl,
        @appointment, @express, @scope, @highFrequency, @canApply)`),
    material: db.prepare(
      'INSERT INTO catalog_materials (item_id, seq, name, necessity, form, source, copies, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    fee: db.prepare('INSERT INTO catalog_fees (item_id, seq, name, standard, basis, reducible) VALUES (?, ?, ?, ?, ?, ?)'),
    faq: db.prepare('INSERT INTO catalog_faqs (item_id, seq, question, answer) VALUES (?, ?, ?, ?)'),
    day: db.prepare('INSERT INTO calendar_days (date, kind, note) VALUES (?, ?, ?)'),
  };
  const id = (r: { lastInsertRowid: number | bigint }) => Number(r.lastInsertRowid);

  transaction(db, () => {
    const districtId = id(s.district.run(district.code, district.name));
    for (const town of district.towns) {
      const townId = id(s.town.run(districtId, town.code, town.name, town.centre.address, town.centre.phone));
      counts.towns++;
      const villageIds = new Map<string, number>();
      for (const village of town.villages) {
        const villageId = id(s.village.run(townId, village.code, village.name));
        villageIds.set(village.code, villageId);
        counts.villages++;
        s.plate.run(derivedPlateToken(opts.tokenKey, `v:${village.code}`), 'village', null, villageId);
        for (const h of village.households) {
          const householdId = id(s.household.run(villageId, h.address, h.contactName, h.contactPhone));
          s.plate.run(derivedPlateToken(opts.tokenKey, `h:${village.code}:${h.address}`), 'household', householdId, villageId);
          counts.households++;
        }
        for (const c of village.cadres) {
          const cadreId = id(s.cadre.run(c.name, c.role, c.phone, c.dutyHours));
          s.serves.run(cadreId, villageId);
          counts.cadres++;
        }
      }
      for (const c of town.townCadres) {
        const cadreId = id(s.cadre.run(c.name, c.role, c.phone, c.dutyHours));
        counts.cadres++;
        for (const code of c.villageCodes) {
          const villageId = villageIds.get(code);
          if (villageId === undefined) throw new Error(`town cadre ${c.name} serves unknown village ${code}`);
          s.serves.run(cadreId, villageId);
        }
      }
    }

    THEMES.forEach((t, i) => s.theme.run(t.code, t.name, i));
    for (const item of catalog) {
      const itemId = id(
        s.item.run({
          ...item,
          keywords: item.keywords.join(' '),
          charged: item.charged ? 1 : 0,
          process: JSON.stringify(item.process),
          online: item.online ? 1 : 0,
          appointment: item.appointment ? 1 : 0,
          express: item.express ? 1 : 0,
          highFrequency: item.highFrequency ? 1 : 0,
          canApply: item.canApply ? 1 : 0,
        }),
      );
      item.materials.forEach((m, i) => s.material.run(itemId, i, m.name, m.necessity, m.form, m.source, m.copies, m.notes));
      item.fees.forEach((f, i) => s.fee.run(itemId, i, f.name, f.standard, f.basis, f.reducible ? 1 : 0));
      item.faqs.forEach((f, i) => s.faq.run(itemId, i, f.q, f.a));
      counts.items++;
    }

    for (const d of calendar2026()) {
      s.day.run(d.date, d.kind, d.note);
      counts.calendarDays++;
    }
  });
  return counts;
}
