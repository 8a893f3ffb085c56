import Database from 'better-sqlite3';
import { migrate, type Db } from '../../src/db/index.js';
import { seedDemo } from '../../src/features/seed/service.js';

export const TEST_TOKEN_KEY = 'test-token-key';

let seededImage: Buffer | undefined;

/** A migrated, empty in-memory database. */
export function emptyDb(): Db {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

/**
 * A fresh in-memory database holding the demo district and catalogue. Seeding runs once per test
 * file; each call gets its own copy, so tests cannot disturb each other.
 */
export function seededDb(): Db {
  if (!seededImage) {
    const db = emptyDb();
    seedDemo(db, { tokenKey: TEST_TOKEN_KEY });
    seededImage = db.serialize();
    db.close();
  }
  const db = new Database(seededImage);
  db.pragma('foreign_keys = ON');
  return db;
}
