import { hashPassword, randomPassword } from './passwords.js';
import type { StaffRepo } from './repo.js';

export function createStaffService(repo: StaffRepo) {
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
    findUser: (username: string) => repo.findByUsername(username),
  };
}

export type StaffService = ReturnType<typeof createStaffService>;
