import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { migrate, openDb, type Db } from './db/index.js';
import { seedDemo, type SeedCounts } from './features/seed/service.js';
import { createServices, type Services } from './services.js';

export interface Prepared {
  db: Db;
  services: Services;
  seeded?: SeedCounts;
  /** set only when the admin was created now with a generated password: print it once */
  adminPassword?: string;
  adminCreated: boolean;
}

/**
 * Opens and migrates the database; on an empty one seeds the demo district and creates `admin`.
 * A restart finds the data there and changes nothing.
 */
export async function prepare(config: Config, logger: Logger): Promise<Prepared> {
  const db = openDb(config.dbFile);
  const applied = migrate(db);
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const services = createServices(db, config);
  let seeded: SeedCounts | undefined;
  if (services.places.isEmpty()) {
    const started = Date.now();
    // A fresh key per installation: the demo's plate tokens are unguessable, yet the seed stays
    // deterministic for a given key (tests pass their own).
    seeded = seedDemo(db, { tokenKey: crypto.randomBytes(32).toString('base64url') });
    logger.info({ ...seeded, ms: Date.now() - started }, 'demo district seeded');
  }
  const admin = await services.staff.ensureAdmin(config.adminPassword);
  return { db, services, seeded, adminCreated: admin.created, adminPassword: admin.generatedPassword };
}
