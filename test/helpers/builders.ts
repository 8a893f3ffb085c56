import type { Db } from '../../src/db/index.js';
import { newPlateToken } from '../../src/features/places/tokens.js';

let householdSeq = 0;

/** Test-data builders: defaults for everything, overrides for what a test is about. */

export function aVillage(db: Db, o: { code?: string; name?: string; townCode?: string } = {}) {
  const townCode = o.townCode ?? '370812103';
  const town = db.prepare('SELECT id FROM towns WHERE code = ?').get(townCode) as { id: number } | undefined;
  if (!town) throw new Error(`no town ${townCode}: use seededDb()`);
  const code = o.code ?? `${townCode}${String(900 - (db.prepare('SELECT count(*) FROM villages').pluck().get() as number)).padStart(3, '0')}`;
  const id = Number(db.prepare('INSERT INTO villages (town_id, code, name) VALUES (?, ?, ?)').run(town.id, code, o.name ?? '试验新村').lastInsertRowid);
  const token = newPlateToken();
  db.prepare("INSERT INTO plates (token, kind, village_id) VALUES (?, 'village', ?)").run(token, id);
  return { id, code, token };
}

export function aHousehold(db: Db, o: { villageId: number; address?: string; contactName?: string | null; plateStatus?: 'active' | 'replaced' }) {
  const address = o.address ?? `测试路${++householdSeq}号`;
  const id = Number(
    db
      .prepare('INSERT INTO households (village_id, address, contact_name, contact_phone) VALUES (?, ?, ?, ?)')
      .run(o.villageId, address, o.contactName ?? null, o.contactName ? '19900009999' : null).lastInsertRowid,
  );
  const token = newPlateToken();
  db.prepare(
    `INSERT INTO plates (token, kind, household_id, village_id, status, replaced_at)
     VALUES (?, 'household', ?, ?, ?, CASE WHEN ? = 'replaced' THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END)`,
  ).run(token, id, o.villageId, o.plateStatus ?? 'active', o.plateStatus ?? 'active');
  return { id, address, token };
}

export function aCadre(db: Db, o: { villageId: number; name?: string; role?: string; phone?: string; dutyHours?: string }) {
  const id = Number(
    db
      .prepare('INSERT INTO cadres (name, role, phone, duty_hours) VALUES (?, ?, ?, ?)')
      .run(o.name ?? '周明远', o.role ?? 'grid_worker', o.phone ?? '19900008888', o.dutyHours ?? '工作日 8:30-17:30').lastInsertRowid,
  );
  db.prepare('INSERT INTO cadre_villages (cadre_id, village_id) VALUES (?, ?)').run(id, o.villageId);
  return { id };
}

/** The demo's first active household plate, with its village. */
export function demoHousehold(db: Db) {
  return db
    .prepare(
      `SELECT p.token, h.id AS householdId, h.address, h.contact_name AS contactName, v.id AS villageId, v.name AS villageName, t.name AS townName
       FROM plates p JOIN households h ON h.id = p.household_id JOIN villages v ON v.id = p.village_id JOIN towns t ON t.id = v.town_id
       WHERE p.kind = 'household' AND p.status = 'active' AND h.contact_name IS NOT NULL ORDER BY p.id LIMIT 1`,
    )
    .get() as { token: string; householdId: number; address: string; contactName: string; villageId: number; villageName: string; townName: string };
}
