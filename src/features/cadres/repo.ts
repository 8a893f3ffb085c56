import type { Db } from '../../db/index.js';

export type CadreRole = 'first_secretary' | 'party_secretary' | 'committee_director' | 'town_cadre' | 'grid_worker';

/** The order villagers see cadres in: who leads the village first, the grid worker next door last. */
export const CADRE_ROLE_ORDER: readonly CadreRole[] = [
  'first_secretary',
  'party_secretary',
  'committee_director',
  'town_cadre',
  'grid_worker',
];

export interface Cadre {
  id: number;
  name: string;
  role: CadreRole;
  phone: string;
  dutyHours: string;
  photoPath: string | null;
}

export function createCadresRepo(db: Db) {
  const roleOrder = CADRE_ROLE_ORDER.map((r, i) => `WHEN '${r}' THEN ${i}`).join(' ');
  const forVillage = db.prepare(`
    SELECT c.id, c.name, c.role, c.phone, c.duty_hours AS dutyHours, c.photo_path AS photoPath
    FROM cadres c JOIN cadre_villages cv ON cv.cadre_id = c.id
    WHERE cv.village_id = ? AND c.active = 1
    ORDER BY CASE c.role ${roleOrder} END, c.id`);
  return {
    listForVillage: (villageId: number) => forVillage.all(villageId) as Cadre[],
  };
}

export type CadresRepo = ReturnType<typeof createCadresRepo>;
