import type { Db } from '../../db/index.js';

export type Role = 'admin' | 'staff' | 'cadre';

export interface UserRow {
  id: number;
  username: string;
  displayName: string;
  passwordHash: string;
  role: Role;
}

export function createStaffRepo(db: Db) {
  const insert = db.prepare('INSERT INTO users (username, display_name, password_hash, role) VALUES (?, ?, ?, ?)');
  const byName = db.prepare(
    'SELECT id, username, display_name AS displayName, password_hash AS passwordHash, role FROM users WHERE username = ?',
  );
  return {
    insert: (u: Omit<UserRow, 'id'>) => Number(insert.run(u.username, u.displayName, u.passwordHash, u.role).lastInsertRowid),
    findByUsername: (username: string) => byName.get(username) as UserRow | undefined,
  };
}

export type StaffRepo = ReturnType<typeof createStaffRepo>;
