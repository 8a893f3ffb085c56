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
 * Its connections close a quarter of a second after their last use: tests rarely close the apps
 * they build, and a file's apps holding theirs for pg's default 10 s ran the server out of its 100.
 */
export function freshPostgresDatabase(opts: { empty?: boolean } = {}): Database {
  const url = process.env.MASHANG_TEST_DATABASE_URL;
  const template = inject(opts.empty ? 'pgEmptyTemplate' : 'pgTemplate');
  if (!url || !template) throw new Error('MASHANG_TEST_ENGINE=postgres needs MASHANG_TEST_DATABASE_URL and the globalSetup templates');
  admin ??= new pg.Pool({ connectionString: url, max: 2 });
  const name = `mashang_t_${inject('pgRunTag')}_${process.pid}_${++made}`;
  // FILE_COPY: a copy of the files, faster for a small template than writing it all to the WAL
  const ready = admin.query(`CREATE DATABASE ${name} TEMPLATE ${template} STRATEGY FILE_COPY`);
  // Unhandled until a query awaits it: a failed copy surfaces at the first query instead of crashing the worker.
  ready.catch(() => undefined);
  return postgresDatabase(afterReady(postgresPool(urlWithDatabase(url, name), { max: 4, idleMs: 250, settings: { synchronous_commit: 'off' } }), ready), ready);
}

/**
 * The pool's connections wait for `ready` too, not only Kysely's: what reads the pool itself (the
 * health check, the schema state) would otherwise ask for a database not yet copied. pg's own
 * pool.query calls connect with a callback, so both forms wait.
 */
function afterReady(pool: pg.Pool, ready: Promise<unknown>): pg.Pool {
  const connect = pool.connect.bind(pool) as (cb?: (err: Error | undefined, client?: pg.PoolClient, done?: () => void) => void) => unknown;
  const waiting = (cb?: (err: Error | undefined, client?: pg.PoolClient, done?: () => void) => void) => {
    if (!cb) return ready.then(() => connect());
    ready.then(
      () => connect(cb),
      (err: Error) => cb(err),
    );
    return undefined;
  };
  pool.connect = waiting as typeof pool.connect;
  return pool;
}

/**
 * The address of a new, blank PostgreSQL database (no schema, no data), for tests of a first start:
 * what the app does on an empty installation. Dropped with the run's other databases.
 */
export async function blankPostgresUrl(): Promise<string> {
  const url = process.env.MASHANG_TEST_DATABASE_URL;
  if (!url) throw new Error('MASHANG_TEST_ENGINE=postgres needs MASHANG_TEST_DATABASE_URL');
  admin ??= new pg.Pool({ connectionString: url, max: 2 });
  const name = `mashang_t_${inject('pgRunTag')}_${process.pid}_${++made}`;
  await admin.query(`CREATE DATABASE ${name}`);
  return urlWithDatabase(url, name);
}
