import crypto from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { DatabaseProblem, migrate, openDb, optimize, type Db } from './db/index.js';
import { checkSchema, checkStorage, schemaState } from './db/health.js';
import { seedDemo, type SeedCounts } from './features/seed/service.js';
import { createServices, type Services } from './services.js';

export interface Prepared {
  db: Db;
  services: Services;
  seeded?: SeedCounts;
  /** set only when the admin was created now with a generated password: print it once */
  adminPassword?: string;
  adminCreated: boolean;
  /** the database file held no schema before this start: a new installation */
  createdDatabase: boolean;
  /** the database's full path, for the start-up message */
  dbPath: string;
  /** the database holds no households and the demo was not loaded (production without MASHANG_DEMO=1) */
  emptyWithoutDemo: boolean;
}

/**
 * Opens, checks and migrates the database; on an empty one seeds the demo district (outside
 * production, or with MASHANG_DEMO=1) and creates `admin`. A restart finds the data there and
 * changes nothing. A damaged, read-only or unexpected database stops here with a DatabaseProblem
 * naming the file.
 */
export async function prepare(config: Config, logger: Logger): Promise<Prepared> {
  const dbPath = config.dbFile === ':memory:' ? config.dbFile : path.resolve(config.dbFile);
  const db = openDb(config.dbFile);
  let createdDatabase: boolean;
  try {
    checkStorage(db, config.dbFile);
    createdDatabase = schemaState(db).applied.length === 0;
    const applied = migrate(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    checkSchema(db, config.dbFile);
  } catch (err) {
    db.close();
    if (err instanceof DatabaseProblem) throw err;
    throw new DatabaseProblem(`Cannot use the database ${dbPath}: ${(err as Error).message}`);
  }
  if (createdDatabase) logger.warn({ db: dbPath }, 'new empty database created');
  const services = createServices(db, config, { logger });
  let seeded: SeedCounts | undefined;
  let emptyWithoutDemo = false;
  if (services.places.isEmpty()) {
    if (config.demo) {
      const started = Date.now();
      // A fresh key per installation: the demo's plate tokens are unguessable, yet the seed stays
      // deterministic for a given key (tests pass their own).
      seeded = seedDemo(db, services, { tokenKey: crypto.randomBytes(32).toString('base64url') });
      logger.info({ ...seeded, ms: Date.now() - started }, 'demo district seeded');
    } else {
      emptyWithoutDemo = true;
      logger.warn({ db: dbPath }, 'the database holds no households; the demo is not loaded (MASHANG_DEMO is off)');
    }
  }
  const admin = await services.staff.ensureAdmin(config.adminPassword);
  optimize(db);
  return { db, services, seeded, adminCreated: admin.created, adminPassword: admin.generatedPassword, createdDatabase, dbPath, emptyWithoutDemo };
}
