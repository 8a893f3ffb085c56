import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { TestProject } from 'vitest/node';
import { testConfig } from '../../src/config.js';
import { migrate } from '../../src/db/index.js';
import { seedDemo } from '../../src/features/seed/service.js';
import { createServices } from '../../src/services.js';

export const TEST_TOKEN_KEY = 'test-token-key';

declare module 'vitest' {
  export interface ProvidedContext {
    /** a file holding the seeded demo database (see seededImage) */
    seededImageFile: string;
  }
}

/** The demo seeded with the tests' token key, as the bytes of a database. */
export async function seededImage(): Promise<Buffer> {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db);
  await seedDemo(createServices(db, testConfig()), { tokenKey: TEST_TOKEN_KEY });
  const image = db.serialize();
  db.close();
  return image;
}

/** Seeds the demo once per run (vitest globalSetup): each test file opens copies of it. */
export default async function setup(project: TestProject): Promise<() => void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-seed-'));
  const file = path.join(dir, 'seeded.sqlite');
  fs.writeFileSync(file, await seededImage());
  project.provide('seededImageFile', file);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
