import type { Db } from '../../db/index.js';

export interface PrintablePlate {
  plateId: number;
  token: string;
  householdId: number;
  address: string;
  villageId: number;
  villageCode: string;
  villageName: string;
  townName: string;
  townCode: string;
  issuedAt: string;
}

export interface PlateSelection {
  /** the caller's villages: nothing outside them is ever selected */
  villageIds: number[];
  villageCode?: string;
  townCode?: string;
  householdIds?: number[];
  /** plates issued on or after this instant (reprint what changed) */
  since?: string;
}

const SELECT = `SELECT p.id AS plateId, p.token, h.id AS householdId, h.address, v.id AS villageId, v.code AS villageCode,
    v.name AS villageName, t.name AS townName, t.code AS townCode, p.issued_at AS issuedAt
  FROM plates p JOIN households h ON h.id = p.household_id JOIN villages v ON v.id = p.village_id JOIN towns t ON t.id = v.town_id`;

export function createPlatesRepo(db: Db) {
  const where = (s: PlateSelection) => {
    const w = ["p.kind = 'household'", "p.status = 'active'", 'v.id IN (SELECT value FROM json_each(?))'];
    const params: unknown[] = [JSON.stringify(s.villageIds)];
    if (s.villageCode) (w.push('v.code = ?'), params.push(s.villageCode));
    if (s.townCode) (w.push('t.code = ?'), params.push(s.townCode));
    if (s.householdIds) (w.push('h.id IN (SELECT value FROM json_each(?))'), params.push(JSON.stringify(s.householdIds)));
    if (s.since) (w.push('p.issued_at >= ?'), params.push(s.since));
    return { sql: w.join(' AND '), params };
  };
  const villagePlate = db.prepare(`SELECT p.id AS plateId, p.token, v.id AS villageId, v.code AS villageCode, v.name AS villageName, t.name AS townName
    FROM plates p JOIN villages v ON v.id = p.village_id JOIN towns t ON t.id = v.town_id
    WHERE p.kind = 'village' AND p.status = 'active' AND v.code = ?`);
  const households = db.prepare(`SELECT h.id, h.address, p.token, p.id AS plateId, p.issued_at AS issuedAt,
      (SELECT count(*) FROM plates o WHERE o.household_id = h.id AND o.status = 'replaced') AS replaced
    FROM households h LEFT JOIN plates p ON p.household_id = h.id AND p.status = 'active' WHERE h.village_id = ? ORDER BY h.id`);
  const householdVillage = db.prepare('SELECT village_id FROM households WHERE id = ?').pluck();
  return {
    count: (s: PlateSelection) => {
      const w = where(s);
      return db
        .prepare(`SELECT count(*) ${SELECT.slice(SELECT.indexOf('FROM'))} WHERE ${w.sql}`)
        .pluck()
        .get(...w.params) as number;
    },
    /**
     * The selection in print order (township, village, household) by slices: `slice(after, limit)`
     * gives the next `limit` plates after the one given (from the first when none), read whole. No
     * read stays open between slices, so the caller may wait between them while others write.
     */
    sliceReader(s: PlateSelection): (after: PrintablePlate | undefined, limit: number) => PrintablePlate[] {
      const w = where(s);
      const first = db.prepare(`${SELECT} WHERE ${w.sql} ORDER BY t.code, v.code, h.id LIMIT ?`);
      const next = db.prepare(`${SELECT} WHERE ${w.sql} AND (t.code, v.code, h.id) > (?, ?, ?) ORDER BY t.code, v.code, h.id LIMIT ?`);
      return (after, limit) =>
        (after ? next.all(...w.params, after.townCode, after.villageCode, after.householdId, limit) : first.all(...w.params, limit)) as PrintablePlate[];
    },
    villagePlate: (code: string) =>
      villagePlate.get(code) as { plateId: number; token: string; villageId: number; villageCode: string; villageName: string; townName: string } | undefined,
    households: (villageId: number) =>
      households.all(villageId) as Array<{
        id: number;
        address: string;
        token: string | null;
        plateId: number | null;
        issuedAt: string | null;
        replaced: number;
      }>,
    householdVillage: (id: number) => householdVillage.get(id) as number | undefined,
  };
}

export type PlatesRepo = ReturnType<typeof createPlatesRepo>;
