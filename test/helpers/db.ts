import fs from 'node:fs';
import Database from 'better-sqlite3';
import { inject } from 'vitest';
import { migrate, type Db } from '../../src/db/index.js';
import { TEST_TOKEN_KEY } from './seed-image.js';

export { TEST_TOKEN_KEY };

let image: Buffer | undefined;

/** A migrated, empty in-memory database. */
export function emptyDb(): Db {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

/**
 * A fresh in-memory database holding the demo district and catalogue. The demo is seeded once per
 * run (test/helpers/seed-image.ts); each call gets its
 * own copy, so tests cannot disturb each other.
 */
export function seededDb(): Db {
  if (!image) {
    const file = inject('seededImageFile');
    if (!file) throw new Error('the seeded demo is made by the globalSetup test/helpers/seed-image.ts: add it to the vitest config');
    image = fs.readFileSync(file);
  }
  const db = new Database(image);
  db.pragma('foreign_keys = ON');
  return db;
}
