import type { Db } from '../../db/index.js';

/** Installation-wide values kept in the settings table (key → value). */
export function createSettingsRepo(db: Db) {
  const get = db.prepare('SELECT value FROM settings WHERE key = ?').pluck();
  const insertIfAbsent = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING');
  return {
    get: (key: string) => get.get(key) as string | undefined,
    /** Stores the value unless the key already has one (another process may have been first). */
    insertIfAbsent: (key: string, value: string) => {
      insertIfAbsent.run(key, value);
    },
  };
}

export type SettingsRepo = ReturnType<typeof createSettingsRepo>;
