import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { inject } from 'vitest';
import { migrate, openDb, type Db } from '../../src/db/index.js';
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

/**
 * The seeded demo in a SQLite file of its own (a temporary folder), opened as the server opens it:
 * for what needs a second connection to the same database (the back office's reader threads).
 * `remove` closes it and deletes the folder.
 */
export function seededFileDb(): { db: Db; file: string; remove: () => void } {
  const memory = seededDb();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-test-file-'));
  const file = path.join(dir, 'test.sqlite');
  fs.writeFileSync(file, memory.serialize());
  memory.close();
  const db = openDb(file);
  return {
    db,
    file,
    remove: () => {
      if (db.open) db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
