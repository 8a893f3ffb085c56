import { hashPassword, randomPassword, verifyPassword } from './passwords.js';
import type { Role, ScopeLevel, StaffRepo, UserRow } from './repo.js';

/** Failures on one account before it is locked for a while. */
export const MAX_FAILED_LOGINS = 5;
export const LOCK_MINUTES = 15;

/** The villages a user may see; every query that returns cases or households filters by it. */
export interface Scope {
  all: boolean;
  villageIds: ReadonlySet<number>;
}

export interface SignedInUser {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  cadreId: number | null;
  scope: Scope;
}

// Spent on unknown usernames too, so timing does not tell which accounts exist.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export function createStaffService(repo: StaffRepo, now: () => Date = () => new Date()) {
  const scopeOf = (u: UserRow): Scope => {
    if (u.role === 'admin') return { all: true, villageIds: new Set(repo.villageIdsFor('all', 0)) };
    const ids = new Set<number>();
    let all = false;
    for (const s of repo.scopes(u.id)) {
      if (s.level === 'district') all = true;
      for (const id of repo.villageIdsFor(s.level, s.code)) ids.add(id);
    }
    if (u.cadreId !== null) for (const id of repo.villageIdsFor('cadre', u.cadreId)) ids.add(id);
    return { all, villageIds: ids };
  };

  const toSignedIn = (u: UserRow): SignedInUser => ({
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    role: u.role,
    cadreId: u.cadreId,
    scope: scopeOf(u),
  });

  return {
    /**
     * Creates user `admin` when there is none. Returns the password only when it was generated
     * here (so it can be printed once); never touches an existing admin.
     */
    async ensureAdmin(password: string | undefined): Promise<{ created: boolean; generatedPassword?: string }> {
      if (repo.findByUsername('admin')) return { created: false };
      const pw = password ?? randomPassword();
      repo.insert({ username: 'admin', displayName: '系统管理员', passwordHash: await hashPassword(pw), role: 'admin' });
      return { created: true, generatedPassword: password ? undefined : pw };
    },

    async createUser(u: {
      username: string;
      displayName: string;
      password: string;
      role: Role;
      cadreId?: number | null;
      scopes?: Array<{ level: ScopeLevel; code: string }>;
    }): Promise<number> {
      const id = repo.insert({ ...u, passwordHash: await hashPassword(u.password) });
      for (const s of u.scopes ?? []) repo.addScope(id, s.level, s.code);
      return id;
    },

    findUser: (username: string) => repo.findByUsername(username),
    list: () => repo.list(),
    setActive: (id: number, active: boolean) => repo.setActive(id, active),
    /** Removes expired back-office sessions; returns how many. */
    pruneSessions: () => repo.pruneSessions(now().getTime()),
    cadreIdByPhone: (phone: string) => repo.cadreIdByPhone(phone),
    placeExists: (level: ScopeLevel, code: string) => repo.placeExists(level, code),

    /** The signed-in user behind a session's user id, or undefined if gone or deactivated. */
    sessionUser(id: number): SignedInUser | undefined {
      const u = repo.findById(id);
      return u && u.active === 1 ? toSignedIn(u) : undefined;
    },

    /**
     * Checks a password. One generic failure for unknown users, wrong passwords and locked
     * accounts; an account is locked for LOCK_MINUTES after MAX_FAILED_LOGINS failures.
     */
    async authenticate(username: string, password: string): Promise<SignedInUser | undefined> {
      const u = repo.findByUsername(username.trim());
      if (!u || u.active !== 1) {
        await verifyPassword(password, DUMMY_HASH);
        return undefined;
      }
      if (u.lockedUntil && Date.parse(u.lockedUntil) > now().getTime()) {
        await verifyPassword(password, DUMMY_HASH);
        return undefined;
      }
      if (!(await verifyPassword(password, u.passwordHash))) {
        const failures = u.failedLogins + 1;
        repo.recordFailure(u.id, failures >= MAX_FAILED_LOGINS ? new Date(now().getTime() + LOCK_MINUTES * 60_000).toISOString() : null);
        return undefined;
      }
      repo.recordSuccess(u.id);
      return toSignedIn(u);
    },

    async changePassword(userId: number, current: string, next: string): Promise<boolean> {
      const u = repo.findById(userId);
      if (!u || !(await verifyPassword(current, u.passwordHash))) return false;
      repo.setPassword(userId, await hashPassword(next));
      return true;
    },

    async setPassword(username: string, password: string): Promise<boolean> {
      const u = repo.findByUsername(username);
      if (!u) return false;
      repo.setPassword(u.id, await hashPassword(password));
      repo.recordSuccess(u.id);
      return true;
    },

    audit(e: { userId: number | null; ip: string; action: string; target?: string; detail?: string }): void {
      repo.audit({ at: now().toISOString(), userId: e.userId, ip: e.ip, action: e.action, target: e.target ?? '', detail: e.detail ?? '' });
    },
    auditList: (page: number) => repo.auditList(50, (page - 1) * 50),

    /** People a case in these villages can be assigned to. */
    assignable: (villageIds: number[]) => repo.usersInVillages(villageIds),
  };
}

export type StaffService = ReturnType<typeof createStaffService>;
