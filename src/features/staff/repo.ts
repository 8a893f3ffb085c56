import { sql, type RawBuilder } from 'kysely';
import type { Database } from '../../db/database.js';
import { groupConcat, inList } from '../../db/dialect.js';
import { createSessionsRepo } from '../../db/sessions.js';

export type Role = 'admin' | 'staff' | 'cadre';
export type ScopeLevel = 'district' | 'town' | 'village';

export interface UserRow {
  id: number;
  username: string;
  displayName: string;
  passwordHash: string;
  role: Role;
  cadreId: number | null;
  /** the district the user works in; null only for a city administrator */
  districtId: number | null;
  active: number;
}

const USER = sql`SELECT id, username, display_name AS "displayName", password_hash AS "passwordHash", role, cadre_id AS "cadreId",
  district_id AS "districtId", active FROM users`;

/** Which users or audit entries a list shows: every district's (a city administrator), or these districts'. */
export type Districts = 'all' | number[];

export function createStaffRepo(db: Database) {
  // The sessions table belongs to the session store: staff end and prune sessions through it.
  const sessions = createSessionsRepo(db);
  const ids = async (query: RawBuilder<{ id: number }>) => (await db.all(query)).map((r) => r.id);
  const exists = async (query: RawBuilder<{ one: number }>) => (await db.get(query)) !== undefined;
  return {
    insert: async (u: { username: string; displayName: string; passwordHash: string; role: Role; cadreId?: number | null; districtId: number | null }) =>
      (await db.get<{ id: number }>(
        sql`INSERT INTO users (username, display_name, password_hash, role, cadre_id, district_id)
            VALUES (${u.username}, ${u.displayName}, ${u.passwordHash}, ${u.role}, ${u.cadreId ?? null}, ${u.districtId}) RETURNING id`,
      ))!.id,
    findByUsername: async (username: string) => db.get<UserRow>(sql`${USER} WHERE username = ${username}`),
    findById: async (id: number) => db.get<UserRow>(sql`${USER} WHERE id = ${id}`),
    scopes: async (userId: number) => db.all<{ level: ScopeLevel; code: string }>(sql`SELECT level, code FROM user_scopes WHERE user_id = ${userId}`),
    addScope: async (userId: number, level: ScopeLevel, code: string) =>
      db.run(sql`INSERT INTO user_scopes (user_id, level, code) VALUES (${userId}, ${level}, ${code}) ON CONFLICT DO NOTHING`),
    async villageIdsFor(level: ScopeLevel | 'all' | 'districtId', code: string | number): Promise<number[]> {
      if (level === 'all') return ids(sql`SELECT id FROM villages`);
      if (level === 'districtId') return ids(sql`SELECT v.id FROM villages v JOIN towns t ON t.id = v.town_id WHERE t.district_id = ${code}`);
      if (level === 'district')
        return ids(sql`SELECT v.id FROM villages v JOIN towns t ON t.id = v.town_id JOIN districts d ON d.id = t.district_id WHERE d.code = ${code}`);
      if (level === 'town') return ids(sql`SELECT v.id FROM villages v JOIN towns t ON t.id = v.town_id WHERE t.code = ${code}`);
      return ids(sql`SELECT id FROM villages WHERE code = ${code}`);
    },
    /**
     * What changes when the villages of a place may have: the places' revision (a village or township
     * moved, a district added), and the villages' number and highest id (one added or removed).
     */
    villagesStamp: async () => {
      const r = (await db.get<{ rev: number; n: number; top: number }>(
        sql`SELECT (SELECT rev FROM places_revision WHERE id = 1) AS rev, (SELECT count(*) FROM villages) AS n, (SELECT coalesce(max(id), 0) FROM villages) AS top`,
      ))!;
      return `${r.rev}:${r.n}:${r.top}`;
    },
    setPassword: async (id: number, hash: string) => db.run(sql`UPDATE users SET password_hash = ${hash} WHERE id = ${id}`),
    districtCode: async (id: number) => (await db.get<{ code: string }>(sql`SELECT code FROM districts WHERE id = ${id}`))?.code,
    /** The villages a cadre serves inside one district. */
    cadreVillagesIn: async (cadreId: number, districtId: number) =>
      ids(
        sql`SELECT cv.village_id AS id FROM cadre_villages cv JOIN villages v ON v.id = cv.village_id JOIN towns t ON t.id = v.town_id
            WHERE cv.cadre_id = ${cadreId} AND t.district_id = ${districtId}`,
      ),
    /** Every district's id, and the ids of the districts with these codes. */
    allDistrictIds: async () => ids(sql`SELECT id FROM districts ORDER BY code`),
    districtIdsByCode: async (codes: string[]) => (codes.length ? ids(sql`SELECT id FROM districts WHERE ${inList(db, sql`code`, codes, 'text')}`) : []),
    audit: async (e: { at: string; userId: number | null; districtId: number | null; ip: string; action: string; target: string; detail: string }) =>
      db.run(
        sql`INSERT INTO audit_log (at, user_id, district_id, ip, action, target, detail)
            VALUES (${e.at}, ${e.userId}, coalesce(${e.districtId}, (SELECT district_id FROM users WHERE id = ${e.userId})), ${e.ip}, ${e.action},
                    ${e.target}, ${e.detail})`,
      ),
    list: async (districts: Districts) =>
      db.all<{
        id: number;
        username: string;
        displayName: string;
        role: Role;
        districtId: number | null;
        active: number;
        cadreName: string | null;
        scopes: string | null;
      }>(
        sql`SELECT u.id, u.username, u.display_name AS "displayName", u.role, u.district_id AS "districtId", u.active, c.name AS "cadreName",
              (SELECT ${groupConcat(db, sql`s.level || ':' || s.code`, ' ', sql`s.level, s.code`)} FROM user_scopes s WHERE s.user_id = u.id) AS scopes
            FROM users u LEFT JOIN cadres c ON c.id = u.cadre_id
            WHERE ${districts === 'all' ? sql`TRUE` : inList(db, sql`u.district_id`, districts)} ORDER BY u.role, u.username`,
      ),
    setActive: async (id: number, active: boolean, districts: Districts) =>
      (
        await db.run(
          sql`UPDATE users SET active = ${active ? 1 : 0} WHERE id = ${id} AND ${districts === 'all' ? sql`TRUE` : inList(db, sql`district_id`, districts)}`,
        )
      ).changes === 1,
    pruneSessions: async (now: number) => sessions.prune(now),
    /** Ends a user's sessions, all but `keepSid` when given. */
    endSessions: async (userId: number, keepSid: string | null) => sessions.endForUser(userId, keepSid),
    isTrustedDevice: async (userId: number, tokenHash: string, since: number) =>
      exists(sql`SELECT 1 AS one FROM trusted_devices WHERE user_id = ${userId} AND token_hash = ${tokenHash} AND last_used > ${since}`),
    trustDevice: async (userId: number, tokenHash: string, now: number) =>
      db.run(
        sql`INSERT INTO trusted_devices (user_id, token_hash, last_used) VALUES (${userId}, ${tokenHash}, ${now})
            ON CONFLICT (user_id, token_hash) DO UPDATE SET last_used = excluded.last_used`,
      ),
    forgetDevices: async (userId: number) => db.run(sql`DELETE FROM trusted_devices WHERE user_id = ${userId}`),
    cadreDistrict: async (cadreId: number) => (await db.get<{ d: number | null }>(sql`SELECT district_id AS d FROM cadres WHERE id = ${cadreId}`))?.d ?? null,
    cadreIdByPhone: async (phone: string) => (await db.get<{ id: number }>(sql`SELECT id FROM cadres WHERE phone = ${phone}`))?.id,
    placeExists: async (level: ScopeLevel, code: string) =>
      exists(
        level === 'district'
          ? sql`SELECT 1 AS one FROM districts WHERE code = ${code}`
          : level === 'town'
            ? sql`SELECT 1 AS one FROM towns WHERE code = ${code}`
            : sql`SELECT 1 AS one FROM villages WHERE code = ${code}`,
      ),
    auditList: async (districts: Districts, limit: number, offset: number) =>
      db.all<{
        id: number;
        at: string;
        ip: string;
        action: string;
        target: string;
        detail: string;
        username: string | null;
        displayName: string | null;
      }>(
        sql`SELECT a.id, a.at, a.ip, a.action, a.target, a.detail, u.username, u.display_name AS "displayName"
            FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
            WHERE ${districts === 'all' ? sql`TRUE` : inList(db, sql`a.district_id`, districts)}
            ORDER BY a.id DESC LIMIT ${limit} OFFSET ${offset}`,
      ),
    // Each part is an indexed lookup from the villages: their codes, their townships' codes, their
    // cadres (user_scopes_level_code, users_cadre), and the few users of their whole district.
    async usersInVillages(villageIds: number[]): Promise<Array<{ id: number; displayName: string; role: Role }>> {
      if (villageIds.length === 0) return [];
      return db.all<{ id: number; displayName: string; role: Role }>(
        sql`WITH vs AS (SELECT v.code, t.code AS town_code FROM villages v JOIN towns t ON t.id = v.town_id WHERE ${inList(db, sql`v.id`, villageIds)})
            SELECT u.id, u.display_name AS "displayName", u.role FROM users u
            WHERE u.active = 1 AND u.role != 'admin' AND u.id IN (
              SELECT s.user_id FROM vs JOIN user_scopes s ON s.level = 'district' AND s.code = substr(vs.town_code, 1, 6)
              UNION SELECT s.user_id FROM vs JOIN user_scopes s ON s.level = 'town' AND s.code = vs.town_code
              UNION SELECT s.user_id FROM vs JOIN user_scopes s ON s.level = 'village' AND s.code = vs.code
              UNION SELECT cu.id FROM cadre_villages cv JOIN users cu ON cu.cadre_id = cv.cadre_id WHERE ${inList(db, sql`cv.village_id`, villageIds)})
            ORDER BY u.display_name`,
      );
    },
  };
}

export type StaffRepo = ReturnType<typeof createStaffRepo>;
