import { newPlateToken } from '../../src/features/places/tokens.js';
import type { TestSql } from './sql.js';

let householdSeq = 0;

/** Test-data builders: defaults for everything, overrides for what a test is about. On either engine. */

export async function aVillage(sql: TestSql, o: { code?: string; name?: string; townCode?: string } = {}) {
  const townCode = o.townCode ?? '370812103';
  const town = await sql.get<{ id: number }>('SELECT id FROM towns WHERE code = ?', townCode);
  if (!town) throw new Error(`no town ${townCode}: build the app on the seeded demo`);
  const code = o.code ?? `${townCode}${String(900 - Number(await sql.value('SELECT count(*) FROM villages'))).padStart(3, '0')}`;
  const { id } = (await sql.get<{ id: number }>(
    'INSERT INTO villages (town_id, code, name) VALUES (?, ?, ?) RETURNING id',
    town.id,
    code,
    o.name ?? '试验新村',
  ))!;
  const token = newPlateToken();
  await sql.run("INSERT INTO plates (token, kind, village_id) VALUES (?, 'village', ?)", token, id);
  return { id, code, token };
}

export async function aHousehold(sql: TestSql, o: { villageId: number; address?: string; contactName?: string | null; plateStatus?: 'active' | 'replaced' }) {
  const address = o.address ?? `测试路${++householdSeq}号`;
  const { id } = (await sql.get<{ id: number }>(
    'INSERT INTO households (village_id, address, contact_name, contact_phone) VALUES (?, ?, ?, ?) RETURNING id',
    o.villageId,
    address,
    o.contactName ?? null,
    o.contactName ? '19900009999' : null,
  ))!;
  const token = newPlateToken();
  const status = o.plateStatus ?? 'active';
  await sql.run(
    "INSERT INTO plates (token, kind, household_id, village_id, status, replaced_at) VALUES (?, 'household', ?, ?, ?, ?)",
    token,
    id,
    o.villageId,
    status,
    status === 'replaced' ? new Date().toISOString() : null,
  );
  return { id, address, token };
}

/** Phones of builders' cadres, one each: a cadre is known by their phone (a unique key). */
let cadrePhones = 0;

export async function aCadre(sql: TestSql, o: { villageId: number; name?: string; role?: string; phone?: string; dutyHours?: string }) {
  const { id } = (await sql.get<{ id: number }>(
    `INSERT INTO cadres (name, role, phone, duty_hours, district_id)
     VALUES (?, ?, ?, ?, (SELECT t.district_id FROM villages v JOIN towns t ON t.id = v.town_id WHERE v.id = ?)) RETURNING id`,
    o.name ?? '周明远',
    o.role ?? 'grid_worker',
    o.phone ?? `1995${String(++cadrePhones).padStart(7, '0')}`,
    o.dutyHours ?? '工作日 8:30-17:30',
    o.villageId,
  ))!;
  await sql.run('INSERT INTO cadre_villages (cadre_id, village_id) VALUES (?, ?)', id, o.villageId);
  return { id };
}

/** The demo's first active household plate, with its village. */
export async function demoHousehold(sql: TestSql) {
  return (await sql.get<{ token: string; householdId: number; address: string; contactName: string; villageId: number; villageName: string; townName: string }>(
    `SELECT p.token, h.id AS "householdId", h.address, h.contact_name AS "contactName", v.id AS "villageId", v.name AS "villageName", t.name AS "townName"
     FROM plates p JOIN households h ON h.id = p.household_id JOIN villages v ON v.id = p.village_id JOIN towns t ON t.id = v.town_id
     WHERE p.kind = 'household' AND p.status = 'active' AND h.contact_name IS NOT NULL ORDER BY p.id LIMIT 1`,
  ))!;
}
