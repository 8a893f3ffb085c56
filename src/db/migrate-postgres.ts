import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { migrationsDir } from './index.js';
import { UNLIMITED_IN_TRANSACTION } from './database.js';

/** A pool, or one connection already taken from it (or a client of its own). */
export type PgConnectable = pg.Pool | pg.PoolClient | pg.Client;

/**
 * The key of the transaction-level advisory lock under which migrations are applied: instances
 * starting together wait for each other, and each file is applied once. A fixed number, so that
 * every version of the app takes the same lock.
 */
export const MIGRATION_LOCK_KEY = 7_262_731_101;

const NOW_UTC = `to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

function isPool(db: PgConnectable): db is pg.Pool {
  return typeof (db as pg.Pool).totalCount === 'number';
}

/**
 * Applies db/migrations/postgres/NNN_name.sql in order, each in its own transaction, under the
 * advisory lock; a file another instance applied meanwhile is skipped. Each file runs as one simple
 * query (all its statements), then its name goes into schema_migrations. Returns the names applied.
 */
export async function migratePostgres(db: PgConnectable, dir = path.join(migrationsDir, 'postgres')): Promise<string[]> {
  const files = fs
    .readdirSync(dir)
    .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
    .sort();
  const client = isPool(db) ? await db.connect() : db;
  const applied: string[] = [];
  try {
    const inTransaction = async <T>(fn: () => Promise<T>): Promise<T> => {
      // a migration (an index over a million cases), or the wait for another instance's, may take
      // longer than any request's statement should
      await client.query(`BEGIN; ${UNLIMITED_IN_TRANSACTION}`);
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
        const result = await fn();
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    };
    // Created under the lock: two CREATE TABLE IF NOT EXISTS at once can both try to create it.
    const done = await inTransaction(async () => {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        name text COLLATE "C" PRIMARY KEY,
        applied_at text COLLATE "C" NOT NULL DEFAULT ${NOW_UTC}
      )`);
      const { rows } = await client.query<{ name: string }>('SELECT name FROM schema_migrations');
      return new Set(rows.map((r) => r.name));
    });
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = fs.readFileSync(path.join(dir, file), 'utf8');
      const ran = await inTransaction(async () => {
        const { rowCount } = await client.query('SELECT 1 FROM schema_migrations WHERE name = $1', [file]);
        if (rowCount) return false;
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
        return true;
      });
      if (ran) applied.push(file);
    }
    return applied;
  } finally {
    if (isPool(db)) (client as pg.PoolClient).release();
  }
}

/**
 * Moves every identity column's sequence of the current schema past the largest id in its table.
 * SQLite gives a row without an id max(id) + 1; PostgreSQL takes the sequence's next value, which
 * knows nothing of ids inserted explicitly (an import, a copy from SQLite): run this after such
 * inserts, so that the next row without an id gets max(id) + 1 here too.
 */
export async function syncIdentities(db: PgConnectable): Promise<void> {
  await db.query(`DO $$
    DECLARE r record;
    BEGIN
      FOR r IN SELECT table_schema, table_name, column_name FROM information_schema.columns
        WHERE table_schema = current_schema() AND is_identity = 'YES'
      LOOP
        EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), coalesce((SELECT max(%I) FROM %I.%I), 0) + 1, false)',
          quote_ident(r.table_schema) || '.' || quote_ident(r.table_name), r.column_name, r.column_name, r.table_schema, r.table_name);
      END LOOP;
    END $$`);
}

/** Which migrations the code expects and which the database records (as schemaState does for SQLite). */
export async function postgresSchemaState(
  db: PgConnectable,
  dir = path.join(migrationsDir, 'postgres'),
): Promise<{ expected: string[]; applied: string[]; missing: string[]; unknown: string[] }> {
  const expected = fs
    .readdirSync(dir)
    .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
    .sort();
  const { rows: present } = await db.query<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
  const applied = present[0]?.present ? (await db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name')).rows.map((r) => r.name) : [];
  const have = new Set(applied);
  const known = new Set(expected);
  return { expected, applied, missing: expected.filter((m) => !have.has(m)), unknown: applied.filter((m) => !known.has(m)) };
}
