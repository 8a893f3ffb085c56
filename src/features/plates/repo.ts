import { sql, type RawBuilder } from 'kysely';
import type { Database } from '../../db/database.js';
import { inList } from '../../db/dialect.js';

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

const FROM = sql`FROM plates p JOIN households h ON h.id = p.household_id JOIN villages v ON v.id = p.village_id JOIN towns t ON t.id = v.town_id`;
const SELECT = sql`SELECT p.id AS "plateId", p.token, h.id AS "householdId", h.address, v.id AS "villageId", v.code AS "villageCode",
    v.name AS "villageName", t.name AS "townName", t.code AS "townCode", p.issued_at AS "issuedAt"
  ${FROM}`;

export function createPlatesRepo(db: Database) {
  const where = (s: PlateSelection) => {
    const w: RawBuilder<unknown>[] = [sql`p.kind = 'household'`, sql`p.status = 'active'`, inList(db, sql`v.id`, s.villageIds)];
    if (s.villageCode) w.push(sql`v.code = ${s.villageCode}`);
    if (s.townCode) w.push(sql`t.code = ${s.townCode}`);
    if (s.householdIds) w.push(inList(db, sql`h.id`, s.householdIds));
    if (s.since) w.push(sql`p.issued_at >= ${s.since}`);
    return sql.join(w, sql` AND `);
  };
  return {
    count: async (s: PlateSelection) => (await db.get<{ n: number }>(sql`SELECT count(*) AS n ${FROM} WHERE ${where(s)}`))!.n,
    /**
     * The selection in print order (township, village, household) by slices: `slice(after, limit)`
     * gives the next `limit` plates after the one given (from the first when none), read whole. No
     * read stays open between slices, so the caller may wait between them while others write.
     */
    async sliceReader(s: PlateSelection): Promise<(after: PrintablePlate | undefined, limit: number) => Promise<PrintablePlate[]>> {
      const w = where(s);
      return (after, limit) =>
        db.all<PrintablePlate>(
          after
            ? sql`${SELECT} WHERE ${w} AND (t.code, v.code, h.id) > (${after.townCode}, ${after.villageCode}, ${after.householdId})
                ORDER BY t.code, v.code, h.id LIMIT ${limit}`
            : sql`${SELECT} WHERE ${w} ORDER BY t.code, v.code, h.id LIMIT ${limit}`,
        );
    },
    villagePlate: async (code: string) =>
      db.get<{ plateId: number; token: string; villageId: number; villageCode: string; villageName: string; townName: string }>(
        sql`SELECT p.id AS "plateId", p.token, v.id AS "villageId", v.code AS "villageCode", v.name AS "villageName", t.name AS "townName"
            FROM plates p JOIN villages v ON v.id = p.village_id JOIN towns t ON t.id = v.town_id
            WHERE p.kind = 'village' AND p.status = 'active' AND v.code = ${code}`,
      ),
    households: async (villageId: number) =>
      db.all<{
        id: number;
        address: string;
        token: string | null;
        plateId: number | null;
        issuedAt: string | null;
        replaced: number;
      }>(
        sql`SELECT h.id, h.address, p.token, p.id AS "plateId", p.issued_at AS "issuedAt",
              (SELECT count(*) FROM plates o WHERE o.household_id = h.id AND o.status = 'replaced') AS replaced
            FROM households h LEFT JOIN plates p ON p.household_id = h.id AND p.status = 'active' WHERE h.village_id = ${villageId} ORDER BY h.id`,
      ),
    householdVillage: async (id: number) =>
      (await db.get<{ villageId: number }>(sql`SELECT village_id AS "villageId" FROM households WHERE id = ${id}`))?.villageId,
  };
}

export type PlatesRepo = ReturnType<typeof createPlatesRepo>;
