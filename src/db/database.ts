import { AsyncLocalStorage } from 'node:async_hooks';
import { Kysely, PostgresDialect, SqliteDialect, sql, type RawBuilder } from 'kysely';
import pg from 'pg';
import type { Db } from './index.js';

export type Engine = 'sqlite' | 'postgres';

/**
 * Kysely without a declared schema: each repo names the type of the rows it reads, as it did with
 * prepared statements, rather than keeping a second copy of the schema in TypeScript.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type QueryBuilder = Kysely<any>;

/** What a write reports: the rows it changed, and on SQLite the rowid of the row it inserted. */
export interface WriteResult {
  changes: number;
}

/**
 * The one data layer over both engines. Repos build their queries with Kysely (`db.q`, or the `sql`
 * tag for hand-written SQL) and never see a driver. Queries inside `transaction(fn)` run on that
 * transaction's connection without being passed it: `q` is the open transaction's builder when
 * there is one (carried through awaits by AsyncLocalStorage), else the pool's.
 */
export interface Database {
  readonly engine: Engine;
  /** the open transaction's query builder, else the shared one */
  readonly q: QueryBuilder;
  /** the rows of a query written with the `sql` tag */
  all<R>(query: RawBuilder<R>): Promise<R[]>;
  /** the first row, or undefined */
  get<R>(query: RawBuilder<R>): Promise<R | undefined>;
  /** a write: how many rows it changed */
  run(query: RawBuilder<unknown>): Promise<WriteResult>;
  /** fn's queries all happen or none; a transaction inside another becomes a savepoint */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** whether the caller runs inside a transaction */
  inTransaction(): boolean;
  /** SQLite's own handle, for what only SQLite does (online backup, PRAGMA optimize) */
  readonly sqlite?: Db;
  /** PostgreSQL's pool, for its statistics and for what only PostgreSQL does */
  readonly pool?: pg.Pool;
  close(): Promise<void>;
}

interface Open {
  trx: QueryBuilder;
  savepoints: number;
}

/**
 * SQLite through Kysely, on the handle openDb made. Prepared statements are kept by their text (the
 * same few dozen queries serve every page), so a query is compiled by SQLite once, not on every call.
 */
export function sqliteDatabase(handle: Db): Database {
  const cache = new Map<string, ReturnType<Db['prepare']>>();
  const database = {
    close: () => handle.close(),
    prepare: (text: string) => {
      const kept = cache.get(text);
      // a statement still being iterated (a streamed export) cannot run again until it is done
      if (kept && !kept.busy) return kept;
      const statement = handle.prepare(text);
      if (!kept) {
        if (cache.size >= 1000) cache.clear();
        cache.set(text, statement);
      }
      return statement;
    },
  };
  return wrap('sqlite', new Kysely<Record<string, never>>({ dialect: new SqliteDialect({ database }) }), { sqlite: handle });
}

/** PostgreSQL's bigint and numeric come back as numbers, as SQLite's integers and reals do. */
const pgTypes = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return (v: string) => (v === null ? null : Number(v));
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** A pool on `url`; `schema` puts every connection's tables in that schema (tests give each file its own). */
export function postgresPool(url: string, opts: { schema?: string; max?: number } = {}): pg.Pool {
  return new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    types: pgTypes,
    options: opts.schema ? `-c search_path=${opts.schema}` : undefined,
  });
}

/**
 * PostgreSQL through Kysely. `ready`, when given, is awaited before the first connection is taken
 * (tests create each app's database from a template while the app is being built).
 */
export function postgresDatabase(pool: pg.Pool, ready?: Promise<unknown>): Database {
  const dialect = new PostgresDialect({ pool: ready ? async () => (await ready, pool) : pool });
  return wrap('postgres', new Kysely<Record<string, never>>({ dialect }), { pool });
}

function wrap(engine: Engine, root: QueryBuilder, raw: { sqlite?: Db; pool?: pg.Pool }): Database {
  const open = new AsyncLocalStorage<Open>();
  const current = (): QueryBuilder => open.getStore()?.trx ?? root;
  return {
    engine,
    get q() {
      return current();
    },
    all: async <R>(query: RawBuilder<R>) => (await query.execute(current())).rows,
    get: async <R>(query: RawBuilder<R>) => (await query.execute(current())).rows[0],
    run: async (query: RawBuilder<unknown>) => ({ changes: Number((await query.execute(current())).numAffectedRows ?? 0) }),
    transaction: async <T>(fn: () => Promise<T>): Promise<T> => {
      const outer = open.getStore();
      if (!outer) return root.transaction().execute((trx) => open.run({ trx, savepoints: 0 }, fn));
      const name = sql.raw(`sp_${++outer.savepoints}`);
      await sql`SAVEPOINT ${name}`.execute(outer.trx);
      try {
        const result = await fn();
        await sql`RELEASE SAVEPOINT ${name}`.execute(outer.trx);
        return result;
      } catch (err) {
        await sql`ROLLBACK TO SAVEPOINT ${name}`.execute(outer.trx);
        await sql`RELEASE SAVEPOINT ${name}`.execute(outer.trx);
        throw err;
      }
    },
    inTransaction: () => open.getStore() !== undefined,
    sqlite: raw.sqlite,
    pool: raw.pool,
    close: () => root.destroy(),
  };
}

/** Whether err is a unique-key violation, on either engine (SQLite's SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY, PostgreSQL's 23505). */
export function isUniqueViolation(err: unknown): boolean {
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
