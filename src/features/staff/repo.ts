import type { Db } from '../../db/index.js';
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
  active: number;
}

const USER = `SELECT id, username, display_name AS displayName, password_hash AS passwordHash, role, cadre_id AS cadreId,
  active FROM users`;

export function createStaffRepo(db: Db) {
  // The sessions table belongs to the session store: staff end and prune sessions through it.
  const sessions = createSessionsRepo(db);
  const s = {
    insert: db.prepare('INSERT INTO users (username, display_name, password_hash, role, cadre_id) VALUES (?, ?, ?, ?, ?)'),
    byName: db.prepare(`${USER} WHERE username = ?`),
    byId: db.prepare(`${USER} WHERE id = ?`),
    scopes: db.prepare('SELECT level, code FROM user_scopes WHERE user_id = ?'),
    addScope: db.prepare('INSERT OR IGNORE INTO user_scopes (user_id, level, code) VALUES (?, ?, ?)'),
    allVillages: db.prepare('SELECT id FROM villages').pluck(),
    districtVillages: db
      .prepare('SELECT v.id FROM villages v JOIN towns t ON t.id = v.town_id JOIN districts d ON d.id = t.district_id WHERE d.code = ?')
      .pluck(),
    townVillages: db.prepare('SELECT v.id FROM villages v JOIN towns t ON t.id = v.town_id WHERE t.code = ?').pluck(),
    village: db.prepare('SELECT id FROM villages WHERE code = ?').pluck(),
    cadreVillages: db.prepare('SELECT village_id FROM cadre_villages WHERE cadre_id = ?').pluck(),
    password: db.prepare('UPDATE users SET password_hash = ? WHERE id = ?'),
    list: db.prepare(`SELECT u.id, u.username, u.display_name AS displayName, u.role, u.active, c.name AS cadreName,
        (SELECT group_concat(level || ':' || code, ' ') FROM user_scopes s WHERE s.user_id = u.id) AS scopes
      FROM users u LEFT JOIN cadres c ON c.id = u.cadre_id ORDER BY u.role, u.username`),
    setActive: db.prepare('UPDATE users SET active = ? WHERE id = ?'),
    trusted: db.prepare('SELECT 1 FROM trusted_devices WHERE user_id = ? AND token_hash = ? AND last_used > ?').pluck(),
    trust: db.prepare(
      'INSERT INTO trusted_devices (user_id, token_hash, last_used) VALUES (?, ?, ?) ON CONFLICT(user_id, token_hash) DO UPDATE SET last_used = excluded.last_used',
    ),
    forgetDevices: db.prepare('DELETE FROM trusted_devices WHERE user_id = ?'),
    cadreByPhone: db.prepare('SELECT id FROM cadres WHERE phone = ?').pluck(),
    townExists: db.prepare('SELECT 1 FROM towns WHERE code = ?').pluck(),
    villageExists: db.prepare('SELECT 1 FROM villages WHERE code = ?').pluck(),
    districtExists: db.prepare('SELECT 1 FROM districts WHERE code = ?').pluck(),
    audit: db.prepare('INSERT INTO audit_log (at, user_id, ip, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)'),
    auditList: db.prepare(
      `SELECT a.id, a.at, a.ip, a.action, a.target, a.detail, u.username, u.display_name AS displayName FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
       ORDER BY a.id DESC LIMIT ? OFFSET ?`,
    ),
    // Each part is an indexed lookup from the villages: their codes, their townships' codes, their
    // cadres (user_scopes_level_code, users_cadre), and the few users of the whole district.
    usersInVillages: (n: number) =>
      db.prepare(
        `WITH vs AS (SELECT v.code, t.code AS townCode FROM villages v JOIN towns t ON t.id = v.town_id WHERE v.id IN (${Array(n).fill('?').join(',')}))
         SELECT u.id, u.display_name AS displayName, u.role FROM users u
         WHERE u.active = 1 AND u.role != 'admin' AND u.id IN (
           SELECT s.user_id FROM user_scopes s WHERE s.level = 'district'
           UNION SELECT s.user_id FROM vs JOIN user_scopes s ON s.level = 'town' AND s.code = vs.townCode
           UNION SELECT s.user_id FROM vs JOIN user_scopes s ON s.level = 'village' AND s.code = vs.code
           UNION SELECT cu.id FROM cadre_villages cv JOIN users cu ON cu.cadre_id = cv.cadre_id WHERE cv.village_id IN (${Array(n).fill('?').join(',')}))
         ORDER BY u.display_name`,
      ),
  };
  return {
    insert: (u: { username: string; displayName: string; passwordHash: string; role: Role; cadreId?: number | null }) =>
      Number(s.insert.run(u.username, u.displayName, u.passwordHash, u.role, u.cadreId ?? null).lastInsertRowid),
    findByUsername: (username: string) => s.byName.get(username) as UserRow | undefined,
    findById: (id: number) => s.byId.get(id) as UserRow | undefined,
    scopes: (userId: number) => s.scopes.all(userId) as Array<{ level: ScopeLevel; code: string }>,
    addScope: (userId: number, level: ScopeLevel, code: string) => s.addScope.run(userId, level, code),
    villageIdsFor(level: ScopeLevel | 'all' | 'cadre', code: string | number): number[] {
      if (level === 'all') return s.allVillages.all() as number[];
      if (level === 'district') return s.districtVillages.all(code) as number[];
      if (level === 'town') return s.townVillages.all(code) as number[];
      if (level === 'cadre') return s.cadreVillages.all(code) as number[];
      return s.village.all(code) as number[];
    },
    setPassword: (id: number, hash: string) => s.password.run(hash, id),
    audit: (e: { at: string; userId: number | null; ip: string; action: string; target: string; detail: string }) =>
      s.audit.run(e.at, e.userId, e.ip, e.action, e.target, e.detail),
    list: () =>
      s.list.all() as Array<{ id: number; username: string; displayName: string; role: Role; active: number; cadreName: string | null; scopes: string | null }>,
    setActive: (id: number, active: boolean) => s.setActive.run(active ? 1 : 0, id).changes === 1,
    pruneSessions: (now: number) => sessions.prune(now),
    /** Ends a user's sessions, all but `keepSid` when given. */
    endSessions: (userId: number, keepSid: string | null) => sessions.endForUser(userId, keepSid),
    isTrustedDevice: (userId: number, tokenHash: string, since: number) => s.trusted.get(userId, tokenHash, since) === 1,
    trustDevice: (userId: number, tokenHash: string, now: number) => s.trust.run(userId, tokenHash, now),
    forgetDevices: (userId: number) => s.forgetDevices.run(userId),
    cadreIdByPhone: (phone: string) => s.cadreByPhone.get(phone) as number | undefined,
    placeExists: (level: ScopeLevel, code: string) =>
      (level === 'district' ? s.districtExists : level === 'town' ? s.townExists : s.villageExists).get(code) === 1,
    auditList: (limit: number, offset: number) =>
      s.auditList.all(limit, offset) as Array<{
        id: number;
        at: string;
        ip: string;
        action: string;
        target: string;
        detail: string;
        username: string | null;
        displayName: string | null;
      }>,
    usersInVillages(villageIds: number[]): Array<{ id: number; displayName: string; role: Role }> {
      if (villageIds.length === 0) return [];
      return s.usersInVillages(villageIds.length).all(...villageIds, ...villageIds) as Array<{ id: number; displayName: string; role: Role }>;
    },
  };
}

export type StaffRepo = ReturnType<typeof createStaffRepo>;
