import { sql } from 'kysely';
import type { Database } from '../../db/database.js';

/** Installation-wide values kept in the settings table (key → value). */
export function createSettingsRepo(db: Database) {
  return {
    get: async (key: string) => (await db.get<{ value: string }>(sql`SELECT value FROM settings WHERE key = ${key}`))?.value,
    /** Stores the value unless the key already has one (another process may have been first). */
    insertIfAbsent: async (key: string, value: string) => {
      await db.run(sql`INSERT INTO settings (key, value) VALUES (${key}, ${value}) ON CONFLICT (key) DO NOTHING`);
    },
  };
}

export type SettingsRepo = ReturnType<typeof createSettingsRepo>;
