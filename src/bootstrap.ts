import crypto from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { DatabaseProblem, migrate, openDb, optimize, type Db } from './db/index.js';
import { checkSchema, checkStorage, refuseOtherSchema, schemaState } from './db/health.js';
import { postgresDatabase, postgresPool, sqliteDatabase, type Database, type PostgresTimeouts } from './db/database.js';
import { migratePostgres, postgresSchemaState } from './db/migrate-postgres.js';
import { seedDemo, type SeedCounts } from './features/seed/service.js';
import { createServices, type Services } from './services.js';

export interface Prepared {
  /** the SQLite file's handle (absent on PostgreSQL): backups and PRAGMA optimize use it */
  db?: Db;
  database: Database;
  services: Services;
  seeded?: SeedCounts;
  /** set only when the admin was created now with a generated password: print it once */
  adminPassword?: string;
  adminCreated: boolean;
  /** the database file held no schema before this start: a new installation */
  createdDatabase: boolean;
  /** the database's full path, or PostgreSQL's address without the password, for the start-up message */
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
  const { database, createdDatabase, dbPath } = await openDatabase(config, logger);
  const db = database.sqlite;
  if (createdDatabase) logger.warn({ db: dbPath }, 'new empty database created');
  const services = createServices(database, config, { logger });
  // Instances starting together set up a new installation once: the others wait, then find it done.
  const setUp = await database.exclusively(
    'set-up',
    async () => {
      let seeded: SeedCounts | undefined;
      let emptyWithoutDemo = false;
      if (await services.places.isEmpty()) {
        if (config.demo) {
          const started = Date.now();
          // A fresh key per installation: the demo's plate tokens are unguessable, yet the seed stays
          // deterministic for a given key (tests pass their own).
          seeded = await seedDemo(services, { tokenKey: crypto.randomBytes(32).toString('base64url') });
          logger.info({ ...seeded, ms: Date.now() - started }, 'demo district seeded');
        } else {
          emptyWithoutDemo = true;
          logger.warn({ db: dbPath }, 'the database holds no households; the demo is not loaded (MASHANG_DEMO is off)');
        }
      }
      const admin = await services.staff.ensureAdmin(config.adminPassword);
      return { seeded, emptyWithoutDemo, admin };
    },
    { wait: true },
  );
  if (!setUp.ran) throw new Error('the set-up lock was not taken');
  const { seeded, emptyWithoutDemo, admin } = setUp.value;
  if (db) optimize(db);
  return { db, database, services, seeded, adminCreated: admin.created, adminPassword: admin.generatedPassword, createdDatabase, dbPath, emptyWithoutDemo };
}

export interface Opened {
  database: Database;
  createdDatabase: boolean;
  dbPath: string;
  /** the migrations this opening applied */
  applied: string[];
}

/**
 * The configured database, checked and migrated: PostgreSQL when MASHANG_DATABASE_URL is set, else
 * the SQLite file MASHANG_DB. The server and every command of the command line open it this way.
 */
export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dbFile'> & Partial<Pick<Config, 'databaseTimeouts'>>,
  logger: Logger,
): Promise<Opened> {
  return config.databaseUrl ? openPostgres(config.databaseUrl, logger, config.databaseTimeouts) : openSqlite(config.dbFile, logger);
}

function openSqlite(file: string, logger: Logger): Opened {
  const dbPath = file === ':memory:' ? file : path.resolve(file);
  const db = openDb(file);
  try {
    checkStorage(db, file);
    const createdDatabase = schemaState(db).applied.length === 0;
    const applied = migrate(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    checkSchema(db, file);
    return { database: sqliteDatabase(db), createdDatabase, dbPath, applied };
  } catch (err) {
    db.close();
    if (err instanceof DatabaseProblem) throw err;
    throw new DatabaseProblem(`Cannot use the database ${dbPath}: ${(err as Error).message}`);
  }
}

/** PostgreSQL's address as the start-up message and errors show it: never the password. */
export function describePostgres(url: string): string {
  const u = new URL(url);
  return `postgres://${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
}

async function openPostgres(url: string, logger: Logger, timeouts?: PostgresTimeouts): Promise<Opened> {
  const dbPath = describePostgres(url);
  const pool = postgresPool(url, { timeouts });
  try {
    const createdDatabase = (await postgresSchemaState(pool)).applied.length === 0;
    const applied = await migratePostgres(pool);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    refuseOtherSchema(dbPath, await postgresSchemaState(pool));
    return { database: postgresDatabase(pool), createdDatabase, dbPath, applied };
  } catch (err) {
    await pool.end().catch(() => undefined);
    if (err instanceof DatabaseProblem) throw err;
    throw new DatabaseProblem(`Cannot use the database ${dbPath}: ${(err as Error).message}`);
  }
}
