import crypto from 'node:crypto';
import { dummyHash, hashPassword as hashAt, randomPassword, SCRYPT_COST, verifyPassword } from './passwords.js';
import type { Districts, Role, ScopeLevel, StaffRepo, UserRow } from './repo.js';
import type { Scope } from '../../domain/scope.js';
import type { UnitOfWork } from '../../db/unit-of-work.js';

export type { Role } from './repo.js';
import type { ThrottleService } from '../throttle/service.js';

/**
 * Sign-in throttling. Failures count per account *and* source (a trusted device, else the address):
 * after FREE_TRIES the pair waits 1 minute, then 2, 4, … up to an hour, so a guesser slows down
 * without locking anyone else out. Failures on one account from everywhere together lock it for
 * ACCOUNT_LOCK_MINUTES after ACCOUNT_MAX_FAILURES (a distributed guess), except for devices that
 * signed in to it within TRUSTED_DAYS; the count starts again once that lock has expired, and any
 * count is forgotten after a quiet day. Unknown usernames are throttled the same way, so the answers
 * never tell which accounts exist.
 */
export const FREE_TRIES = 5;
export const MAX_DELAY_MINUTES = 60;
export const ACCOUNT_MAX_FAILURES = 20;
export const ACCOUNT_LOCK_MINUTES = 15;
export const TRUSTED_DAYS = 30;

export type SignInResult = { ok: true; user: SignedInUser; deviceToken: string } | { ok: false; retryAfterMinutes?: number };

/** Where a sign-in attempt comes from: the address, and the device cookie if the browser has one. */
export interface SignInSource {
  ip: string;
  deviceToken?: string;
}

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('base64url');

export interface SignedInUser {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  cadreId: number | null;
  /** the district the user works in; null for a city administrator */
  districtId: number | null;
  scope: Scope;
}

/**
 * The name a sign-in is counted under: as the database finds the account (on PostgreSQL a username
 * matches whatever its case, width or letter variant, ａｄｍｉｎ or 𝐚dmin), so those spellings share one count.
 */
export const accountName = (username: string): string => username.normalize('NFKC').trim().toLowerCase();

export function createStaffService(repo: StaffRepo, throttle: ThrottleService, uow: UnitOfWork, now: () => Date = () => new Date(), scryptCost = SCRYPT_COST) {
  const hashPassword = (password: string) => hashAt(password, scryptCost);
  // Spent on unknown usernames too, so timing does not tell which accounts exist.
  const DUMMY_HASH = dummyHash(scryptCost);
  /**
   * The villages of a place, read once and kept while the villages stay as they were (repo's
   * villagesStamp, one cheap read): every signed-in request builds its user's scope, and a district
   * administrator's is thousands of villages.
   */
  const keptLists = new Map<string, { stamp: string; ids: readonly number[] }>();
  const keptVillageIds = async (stamp: string, level: Parameters<StaffRepo['villageIdsFor']>[0], code: string | number) => {
    const key = `${level}:${code}`;
    const kept = keptLists.get(key);
    if (kept?.stamp === stamp) return kept.ids;
    const ids = await repo.villageIdsFor(level, code);
    if (keptLists.size >= 1000) keptLists.clear();
    keptLists.set(key, { stamp, ids });
    return ids;
  };
  /**
   * A city administrator (an admin of no district) serves every village; a district administrator
   * every village of their district; others the places of their scopes and their cadre's villages,
   * and only inside their own district (a scope naming another district's place gives nothing).
   */
  const scopeOf = async (u: UserRow): Promise<Scope> => {
    if (u.districtId === null && u.role !== 'admin') return { all: false, districtIds: new Set(), villageIds: new Set() };
    const stamp = await repo.villagesStamp();
    const villageIdsFor = (level: Parameters<StaffRepo['villageIdsFor']>[0], code: string | number) => keptVillageIds(stamp, level, code);
    // past the first line, a user of no district is the city's administrator
    if (u.districtId === null) return { all: true, districtIds: new Set(await repo.allDistrictIds()), villageIds: new Set(await villageIdsFor('all', 0)) };
    if (u.role === 'admin') return { all: false, districtIds: new Set([u.districtId]), villageIds: new Set(await villageIdsFor('districtId', u.districtId)) };
    // a place's code starts with its district's: a scope naming another district's place is skipped unread
    const code = await repo.districtCode(u.districtId);
    const ids = new Set<number>();
    const districtIds = new Set<number>();
    for (const s of await repo.scopes(u.id)) {
      if (code === undefined || !s.code.startsWith(code)) continue;
      if (s.level === 'district') districtIds.add(u.districtId);
      for (const id of await villageIdsFor(s.level, s.code)) ids.add(id);
    }
    if (u.cadreId !== null) for (const id of await repo.cadreVillagesIn(u.cadreId, u.districtId)) ids.add(id);
    return { all: false, districtIds, villageIds: ids };
  };

  /** The one district that a user's places (district, township or village codes) and cadre lie in, or null. */
  const districtOfPlaces = async (scopes: ReadonlyArray<{ code: string }>, cadreId: number | null): Promise<number | null> => {
    const found = new Set<number>(await repo.districtIdsByCode([...new Set(scopes.map((s) => s.code.slice(0, 6)))]));
    if (cadreId !== null) {
      const d = await repo.cadreDistrict(cadreId);
      if (d !== null) found.add(d);
    }
    if (found.size === 0) {
      // no place named yet: the installation's only district, when it has one
      const all = await repo.allDistrictIds();
      return all.length === 1 ? all[0]! : null;
    }
    return found.size === 1 ? [...found][0]! : null;
  };

  /** Whose users and audit entries a scope lists. */
  const listed = (scope: Scope): Districts => (scope.all ? 'all' : [...scope.districtIds]);

  /**
   * The throttle in front of every password check (see FREE_TRIES). The attempt is counted before
   * the slow hash, in one statement, so attempts sent at the same moment each see their own number
   * and those past the limit are not even checked. `wait` > 0: refused, try again in that many
   * minutes. `succeeded()` lifts this source's count (and the account's, unless it is locked).
   */
  const passGate = async (username: string, ip: string, trustedDevice: string | undefined) => {
    const name = accountName(username);
    const pairKey = `login:${name}:${trustedDevice ? `device:${sha256(trustedDevice)}` : `ip:${ip}`}`;
    const accountKey = `login:${name}`;
    const refused = (wait: number) => ({ wait, succeeded: async () => undefined });
    const waiting = Math.max(
      throttle.waitMinutes(await throttle.current(pairKey, { afreshAfterLock: false })),
      trustedDevice ? 0 : throttle.waitMinutes(await throttle.current(accountKey, { afreshAfterLock: true })),
    );
    if (waiting > 0) return refused(waiting);
    const pairAttempts = await throttle.hit(pairKey, { afreshAfterLock: false }, (n) =>
      n >= FREE_TRIES ? Math.min(MAX_DELAY_MINUTES, 2 ** (n - FREE_TRIES)) : 0,
    );
    const accountAttempts =
      trustedDevice || pairAttempts === 'locked'
        ? 0
        : await throttle.hit(accountKey, { afreshAfterLock: true }, (n) => (n >= ACCOUNT_MAX_FAILURES ? ACCOUNT_LOCK_MINUTES : 0));
    // Locked by an attempt that overlapped this one: refused unchecked, like any locked attempt.
    if (pairAttempts === 'locked' || accountAttempts === 'locked') {
      return refused(
        Math.max(
          1,
          throttle.waitMinutes(await throttle.current(pairKey, { afreshAfterLock: false })),
          trustedDevice ? 0 : throttle.waitMinutes(await throttle.current(accountKey, { afreshAfterLock: true })),
        ),
      );
    }
    return {
      wait: 0,
      succeeded: async () => {
        await throttle.clear(pairKey);
        if (!trustedDevice) await throttle.clear(accountKey);
      },
    };
  };

  const toSignedIn = async (u: UserRow): Promise<SignedInUser> => ({
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    role: u.role,
    cadreId: u.cadreId,
    districtId: u.districtId,
    scope: await scopeOf(u),
  });

  return {
    /**
     * Creates user `admin` when there is none. Returns the password only when it was generated
     * here (so it can be printed once); never touches an existing admin.
     */
    async ensureAdmin(password: string | undefined): Promise<{ created: boolean; generatedPassword?: string }> {
      if (await repo.findByUsername('admin')) return { created: false };
      const pw = password ?? randomPassword();
      // the installation's first administrator serves the whole city
      await repo.insert({ username: 'admin', displayName: '系统管理员', passwordHash: await hashPassword(pw), role: 'admin', districtId: null });
      return { created: true, generatedPassword: password ? undefined : pw };
    },

    async createUser(u: {
      username: string;
      displayName: string;
      password: string;
      role: Role;
      cadreId?: number | null;
      /**
       * The district the user works in; null only for a city administrator. When not given, an
       * administrator serves the city and anyone else the district of their places (or cadre), or
       * the installation's only one. A user other than an administrator with no district sees nothing.
       */
      districtId?: number | null;
      scopes?: Array<{ level: ScopeLevel; code: string }>;
    }): Promise<number> {
      const districtId = u.districtId !== undefined ? u.districtId : u.role === 'admin' ? null : await districtOfPlaces(u.scopes ?? [], u.cadreId ?? null);
      // hashed before the transaction: it holds nothing open while scrypt runs
      const passwordHash = await hashPassword(u.password);
      return uow.run(async () => {
        const id = await repo.insert({ ...u, districtId, passwordHash });
        for (const s of u.scopes ?? []) await repo.addScope(id, s.level, s.code);
        return id;
      });
    },

    findUser: (username: string) => repo.findByUsername(username),
    /** The users a scope manages: every one for a city administrator, else those of its districts. */
    list: (scope: Scope) => repo.list(listed(scope)),
    /** Activates or deactivates a user the scope manages; a deactivated user's sessions end at once. */
    async setActive(id: number, active: boolean, scope: Scope): Promise<boolean> {
      return uow.run(async () => {
        const changed = await repo.setActive(id, active, listed(scope));
        if (changed && !active) {
          await repo.endSessions(id, null);
          await repo.forgetDevices(id);
        }
        return changed;
      });
    },
    /** Removes expired back-office sessions and forgotten throttles; returns how many sessions. */
    async pruneSessions(): Promise<number> {
      await throttle.prune();
      return repo.pruneSessions(now().getTime());
    },
    cadreIdByPhone: (phone: string) => repo.cadreIdByPhone(phone),
    placeExists: (level: ScopeLevel, code: string) => repo.placeExists(level, code),
    districtOfPlaces,

    /** The signed-in user behind a session's user id, or undefined if gone or deactivated. */
    async sessionUser(id: number): Promise<SignedInUser | undefined> {
      const u = await repo.findById(id);
      return u && u.active === 1 ? toSignedIn(u) : undefined;
    },

    /**
     * Checks a password, throttled per account and source (see FREE_TRIES). One generic failure for
     * unknown users, wrong passwords and deactivated accounts; a throttled attempt says how long to
     * wait, for known and unknown names alike, and its password is not even checked.
     */
    async authenticate(username: string, password: string, source: SignInSource): Promise<SignInResult> {
      const u = await repo.findByUsername(username.trim());
      const t = now().getTime();
      const trusted = !!u && !!source.deviceToken && (await repo.isTrustedDevice(u.id, sha256(source.deviceToken), t - TRUSTED_DAYS * 86_400_000));
      const gate = await passGate(username, source.ip, trusted ? source.deviceToken! : undefined);
      if (gate.wait > 0) return { ok: false, retryAfterMinutes: gate.wait };
      const valid = u && u.active === 1 ? await verifyPassword(password, u.passwordHash) : (await verifyPassword(password, DUMMY_HASH), false);
      if (!valid || !u) return { ok: false };
      await gate.succeeded();
      const deviceToken = trusted ? source.deviceToken! : crypto.randomBytes(18).toString('base64url');
      await repo.trustDevice(u.id, sha256(deviceToken), t);
      return { ok: true, user: await toSignedIn(u), deviceToken };
    },

    /**
     * Changes one's own password, checking the current one under the same throttle as sign-in (a
     * session left open must not be a free guessing machine). Every other session of the user ends
     * (this one, `keepSid`, stays) and no device is trusted any more.
     */
    async changePassword(
      userId: number,
      currentPassword: string,
      next: string,
      keepSid: string,
      ip: string,
    ): Promise<'changed' | 'wrong' | { retryAfterMinutes: number }> {
      const u = await repo.findById(userId);
      if (!u) return 'wrong';
      const gate = await passGate(u.username, ip, undefined);
      if (gate.wait > 0) return { retryAfterMinutes: gate.wait };
      if (!(await verifyPassword(currentPassword, u.passwordHash))) return 'wrong';
      await gate.succeeded();
      const passwordHash = await hashPassword(next);
      await uow.run(async () => {
        await repo.setPassword(userId, passwordHash);
        await repo.endSessions(userId, keepSid);
        await repo.forgetDevices(userId);
      });
      return 'changed';
    },

    /** Sets a password (the command line): every session ends, no device is trusted, the sign-in throttle is lifted. */
    async setPassword(username: string, password: string): Promise<boolean> {
      const u = await repo.findByUsername(username);
      if (!u) return false;
      const passwordHash = await hashPassword(password);
      await uow.run(async () => {
        await repo.setPassword(u.id, passwordHash);
        await repo.endSessions(u.id, null);
        await repo.forgetDevices(u.id);
        await throttle.clear(`login:${accountName(u.username)}`);
      });
      return true;
    },

    /** Records a change under its district: the one given, else the acting user's (none for a city administrator's own). */
    async audit(e: { userId: number | null; districtId?: number | null; ip: string; action: string; target?: string; detail?: string }): Promise<void> {
      await repo.audit({
        at: now().toISOString(),
        userId: e.userId,
        districtId: e.districtId ?? null,
        ip: e.ip,
        action: e.action,
        target: e.target ?? '',
        detail: e.detail ?? '',
      });
    },
    /** The audit log a scope may read: all of it for a city administrator, else its districts' entries. */
    auditList: (scope: Scope, page: number) => repo.auditList(listed(scope), 50, (page - 1) * 50),

    /** People a case in these villages can be assigned to. */
    assignable: (villageIds: number[]) => repo.usersInVillages(villageIds),
  };
}

export type StaffService = ReturnType<typeof createStaffService>;
