import { sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { inList } from '../../db/dialect.js';

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

// the role names are constants of this file, not input
const ROLE_ORDER = sql.raw(CADRE_ROLE_ORDER.map((r, i) => `WHEN '${r}' THEN ${i}`).join(' '));
const SERVING = sql`SELECT v.code AS "villageCode", v.id AS "villageId", c.name, c.role, c.phone, c.duty_hours AS "dutyHours"
  FROM cadres c JOIN cadre_villages cv ON cv.cadre_id = c.id JOIN villages v ON v.id = cv.village_id`;

export function createCadresRepo(db: Database) {
  return {
    listForVillage: async (villageId: number) =>
      db.all<Cadre>(sql`
        SELECT c.id, c.name, c.role, c.phone, c.duty_hours AS "dutyHours", c.photo_path AS "photoPath"
        FROM cadres c JOIN cadre_villages cv ON cv.cadre_id = c.id
        WHERE cv.village_id = ${villageId} AND c.active = 1
        ORDER BY CASE c.role ${ROLE_ORDER} END, c.id`),
    byId: async (id: number) =>
      db.get<Cadre>(sql`SELECT id, name, role, phone, duty_hours AS "dutyHours", photo_path AS "photoPath" FROM cadres WHERE id = ${id}`),
    idByPhone: async (phone: string) => (await db.get<{ id: number }>(sql`SELECT id FROM cadres WHERE phone = ${phone}`))?.id,
    villagesOf: async (id: number) =>
      (await db.all<{ villageId: number }>(sql`SELECT village_id AS "villageId" FROM cadre_villages WHERE cadre_id = ${id}`)).map((r) => r.villageId),
    villageCodesOf: async (id: number) =>
      (
        await db.all<{ code: string }>(
          sql`SELECT v.code FROM cadre_villages cv JOIN villages v ON v.id = cv.village_id WHERE cv.cadre_id = ${id} ORDER BY v.code`,
        )
      ).map((r) => r.code),
    insert: async (c: Omit<Cadre, 'id' | 'photoPath'>) =>
      (await db.get<{ id: number }>(
        sql`INSERT INTO cadres (name, role, phone, duty_hours) VALUES (${c.name}, ${c.role}, ${c.phone}, ${c.dutyHours}) RETURNING id`,
      ))!.id,
    update: async (id: number, c: Omit<Cadre, 'id' | 'photoPath'>) =>
      db.run(sql`UPDATE cadres SET name = ${c.name}, role = ${c.role}, phone = ${c.phone}, duty_hours = ${c.dutyHours}, active = 1 WHERE id = ${id}`),
    /** Every village served by the cadres with these phones (active or not). */
    servingByPhones: async (phones: string[]) =>
      phones.length === 0 ? [] : db.all<CadreServing>(sql`${SERVING} WHERE ${inList(db, sql`c.phone`, phones, 'text')}`),
    /** The active cadres of these villages, by township, village and age. */
    exportServing: async (villageIds: number[]) =>
      villageIds.length === 0
        ? []
        : db.all<CadreServing>(
            sql`${SERVING} JOIN towns t ON t.id = v.town_id WHERE ${inList(db, sql`v.id`, villageIds)} AND c.active = 1 ORDER BY t.code, v.code, c.id`,
          ),
    /** Changes name, role and duty hours only (the phone is the key; being active is left as it is). */
    updateDetails: async (id: number, c: { name: string; role: CadreRole; dutyHours: string }) =>
      db.run(sql`UPDATE cadres SET name = ${c.name}, role = ${c.role}, duty_hours = ${c.dutyHours} WHERE id = ${id}`),
    /** Links a cadre to a village; a cadre new to any village takes the village's district. */
    async link(id: number, villageId: number): Promise<void> {
      await db.run(sql`INSERT INTO cadre_villages (cadre_id, village_id) VALUES (${id}, ${villageId}) ON CONFLICT DO NOTHING`);
      await db.run(
        sql`UPDATE cadres SET district_id = (SELECT t.district_id FROM villages v JOIN towns t ON t.id = v.town_id WHERE v.id = ${villageId})
            WHERE id = ${id} AND district_id IS NULL`,
      );
    },
    unlink: async (id: number, villageId: number) =>
      (await db.run(sql`DELETE FROM cadre_villages WHERE cadre_id = ${id} AND village_id = ${villageId}`)).changes === 1,
    setPhoto: async (id: number, file: string | null) => db.run(sql`UPDATE cadres SET photo_path = ${file} WHERE id = ${id}`),
  };
}

export type CadresRepo = ReturnType<typeof createCadresRepo>;
