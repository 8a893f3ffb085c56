import pg from 'pg';
import { inject } from 'vitest';
import { postgresDatabase, postgresPool, type Database } from '../../src/db/database.js';

/**
 * Which engine this run of the suite uses. `npm test` runs the suite on SQLite, then again on
 * PostgreSQL when MASHANG_TEST_DATABASE_URL is set (scripts/test.sh sets MASHANG_TEST_ENGINE).
 */
export const ENGINE: 'sqlite' | 'postgres' = process.env.MASHANG_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
export const onPostgres = ENGINE === 'postgres';

/** The server's address with another database name. */
export function urlWithDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

let admin: pg.Pool | undefined;
let made = 0;

/**
 * A fresh PostgreSQL database copied from the run's seeded template (CREATE DATABASE … TEMPLATE,
 * a file copy): every app a test builds has its own, as every SQLite app has its own memory.
 * The pool waits for the copy before its first query, so building an app stays synchronous.
 */
export function freshPostgresDatabase(opts: { empty?: boolean } = {}): Database {
  const url = process.env.MASHANG_TEST_DATABASE_URL;
  const template = inject(opts.empty ? 'pgEmptyTemplate' : 'pgTemplate');
  if (!url || !template) throw new Error('MASHANG_TEST_ENGINE=postgres needs MASHANG_TEST_DATABASE_URL and the globalSetup templates');
  admin ??= new pg.Pool({ connectionString: url, max: 2 });
  const name = `mashang_t_${inject('pgRunTag')}_${process.pid}_${++made}`;
  const ready = admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  // Unhandled until a query awaits it: a failed copy surfaces at the first query instead of crashing the worker.
  ready.catch(() => undefined);
  return postgresDatabase(postgresPool(urlWithDatabase(url, name), { max: 4 }), ready);
}
