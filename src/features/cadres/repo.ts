import type { Db } from '../../db/index.js';

export type CadreRole = 'first_secretary' | 'party_secretary' | 'committee_director' | 'town_cadre' | 'grid_worker';

/** The order villagers see cadres in: who leads the village first, the grid worker next door last. */
export const CADRE_ROLE_ORDER: readonly CadreRole[] = ['first_secretary', 'party_secretary', 'committee_director', 'town_cadre', 'grid_worker'];

export interface Cadre {
  id: number;
  name: string;
  role: CadreRole;
  phone: string;
  dutyHours: string;
  photoPath: string | null;
}

/** One village a cadre serves, as the import file has it. */
export interface CadreServing {
  villageCode: string;
  villageId: number;
  name: string;
  role: CadreRole;
  phone: string;
  dutyHours: string;
}

export function createCadresRepo(db: Db) {
  const roleOrder = CADRE_ROLE_ORDER.map((r, i) => `WHEN '${r}' THEN ${i}`).join(' ');
  const forVillage = db.prepare(`
    SELECT c.id, c.name, c.role, c.phone, c.duty_hours AS dutyHours, c.photo_path AS photoPath
    FROM cadres c JOIN cadre_villages cv ON cv.cadre_id = c.id
    WHERE cv.village_id = ? AND c.active = 1
    ORDER BY CASE c.role ${roleOrder} END, c.id`);
  const byId = db.prepare('SELECT id, name, role, phone, duty_hours AS dutyHours, photo_path AS photoPath FROM cadres WHERE id = ?');
  const byPhone = db.prepare('SELECT id FROM cadres WHERE phone = ?').pluck();
  const villagesOf = db.prepare('SELECT village_id FROM cadre_villages WHERE cadre_id = ?').pluck();
  const villageCodesOf = db
    .prepare('SELECT v.code FROM cadre_villages cv JOIN villages v ON v.id = cv.village_id WHERE cv.cadre_id = ? ORDER BY v.code')
    .pluck();
  const insert = db.prepare('INSERT INTO cadres (name, role, phone, duty_hours) VALUES (?, ?, ?, ?)');
  const update = db.prepare('UPDATE cadres SET name = ?, role = ?, phone = ?, duty_hours = ?, active = 1 WHERE id = ?');
  const link = db.prepare('INSERT OR IGNORE INTO cadre_villages (cadre_id, village_id) VALUES (?, ?)');
  const unlink = db.prepare('DELETE FROM cadre_villages WHERE cadre_id = ? AND village_id = ?');
  const servingByPhones = db.prepare(`SELECT v.code AS villageCode, v.id AS villageId, c.name, c.role, c.phone, c.duty_hours AS dutyHours
    FROM cadres c JOIN cadre_villages cv ON cv.cadre_id = c.id JOIN villages v ON v.id = cv.village_id
    WHERE c.phone IN (SELECT value FROM json_each(?))`);
  const exportServing = db.prepare(`SELECT v.code AS villageCode, v.id AS villageId, c.name, c.role, c.phone, c.duty_hours AS dutyHours
    FROM cadres c JOIN cadre_villages cv ON cv.cadre_id = c.id JOIN villages v ON v.id = cv.village_id JOIN towns t ON t.id = v.town_id
    WHERE v.id IN (SELECT value FROM json_each(?)) AND c.active = 1 ORDER BY t.code, v.code, c.id`);
  const updateDetails = db.prepare('UPDATE cadres SET name = ?, role = ?, duty_hours = ? WHERE id = ?');
  const setPhoto = db.prepare('UPDATE cadres SET photo_path = ? WHERE id = ?');
  return {
    listForVillage: (villageId: number) => forVillage.all(villageId) as Cadre[],
    byId: (id: number) => byId.get(id) as Cadre | undefined,
    idByPhone: (phone: string) => byPhone.get(phone) as number | undefined,
    villagesOf: (id: number) => villagesOf.all(id) as number[],
    villageCodesOf: (id: number) => villageCodesOf.all(id) as string[],
    insert: (c: Omit<Cadre, 'id' | 'photoPath'>) => Number(insert.run(c.name, c.role, c.phone, c.dutyHours).lastInsertRowid),
    update: (id: number, c: Omit<Cadre, 'id' | 'photoPath'>) => update.run(c.name, c.role, c.phone, c.dutyHours, id),
    /** Every village served by the cadres with these phones (active or not). */
    servingByPhones: (phones: string[]) => servingByPhones.all(JSON.stringify(phones)) as CadreServing[],
    /** The active cadres of these villages, by township, village and age. */
    exportServing: (villageIds: number[]) => exportServing.all(JSON.stringify(villageIds)) as CadreServing[],
    /** Changes name, role and duty hours only (the phone is the key; being active is left as it is). */
    updateDetails: (id: number, c: { name: string; role: CadreRole; dutyHours: string }) => updateDetails.run(c.name, c.role, c.dutyHours, id),
    link: (id: number, villageId: number) => link.run(id, villageId),
    unlink: (id: number, villageId: number) => unlink.run(id, villageId).changes === 1,
    setPhoto: (id: number, file: string | null) => setPhoto.run(file, id),
  };
}

export type CadresRepo = ReturnType<typeof createCadresRepo>;
