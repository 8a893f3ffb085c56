import { AsyncLocalStorage } from 'node:async_hooks';
import crypto from 'node:crypto';
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
  /**
   * A read without parameters asked on every request (a revision counter): compiled once. On
   * SQLite it runs at once on a statement of its own, on the same terms as `get`'s short way (no
   * other context's transaction open on the connection), else as `get` does; on PostgreSQL it
   * reads the database each time, like any query, so another instance's write shows at once.
   */
  fixed<R>(query: RawBuilder<R>): () => Promise<R | undefined>;
  /** fn's queries all happen or none; a transaction inside another becomes a savepoint */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** whether the caller runs inside a transaction */
  inTransaction(): boolean;
  /**
   * Runs a background job on one instance at a time: when another instance (or this one) is already
   * running the job of that name, returns `{ ran: false }` at once. On PostgreSQL an advisory lock
   * held by a connection of its own (no transaction stays open while fn runs); on SQLite, whose
   * file one server uses, a lock in this process. With `wait`, waits for the other run to end
   * instead (setting up a new installation: one instance does it, the others then find it done).
   */
  exclusively<T>(job: string, fn: () => Promise<T>, opts?: { wait?: boolean }): Promise<{ ran: true; value: T } | { ran: false }>;
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
  return wrap('sqlite', new Kysely<Record<string, never>>({ dialect: new SqliteDialect({ database }) }), { sqlite: handle, prepare: database.prepare });
}

/** PostgreSQL's bigint and numeric come back as numbers, as SQLite's integers and reals do. */
const pgTypes = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return (v: string) => (v === null ? null : Number(v));
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** How long PostgreSQL may take, in ms (0: no limit). The server's are configurable (MASHANG_DATABASE_*_TIMEOUT_MS). */
export interface PostgresTimeouts {
  /** a connection being opened (the server unreachable, or not answering) */
  connectMs: number;
  /** one statement: a runaway query is cancelled (57014) instead of holding its connection */
  statementMs: number;
  /** a transaction left open with nothing running: the server ends that session */
  idleInTransactionMs: number;
}

export const DEFAULT_POSTGRES_TIMEOUTS: PostgresTimeouts = { connectMs: 10_000, statementMs: 30_000, idleInTransactionMs: 60_000 };

/** Lifts the statement and idle-in-transaction limits for the rest of the transaction just begun (migrations, the copy). */
export const UNLIMITED_IN_TRANSACTION = 'SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0';

/**
 * A pool on `url`; `schema` puts every connection's tables in that schema, `settings` are set on
 * each connection (tests: `synchronous_commit: 'off'`, as their databases are thrown away).
 * `timeouts` (default DEFAULT_POSTGRES_TIMEOUTS) are set with SET on each new connection rather
 * than as start-up parameters, which PgBouncer refuses.
 */
export function postgresPool(
  url: string,
  opts: { schema?: string; max?: number; idleMs?: number; settings?: Record<string, string>; timeouts?: Partial<PostgresTimeouts> } = {},
): pg.Pool {
  const settings = { ...(opts.schema ? { search_path: opts.schema } : {}), ...opts.settings };
  const options = Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');
  const timeouts = { ...DEFAULT_POSTGRES_TIMEOUTS, ...opts.timeouts };
  const limits = `SET statement_timeout = ${Math.max(0, Math.round(timeouts.statementMs))}; SET idle_in_transaction_session_timeout = ${Math.max(0, Math.round(timeouts.idleInTransactionMs))}`;
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    types: pgTypes,
    options: options || undefined,
    connectionTimeoutMillis: timeouts.connectMs,
    // how long an unused connection stays open (pg's default, 10 s, unless given)
    ...(opts.idleMs === undefined ? {} : { idleTimeoutMillis: opts.idleMs }),
    // Run before a new connection is handed out (pg-pool awaits the promise, though its types say
    // void), so every statement runs under the limits; should the SET fail, the connection is
    // closed and the query it was for fails.
    // eslint-disable-next-line @typescript-eslint/no-misused-promises
    onConnect: async (client: pg.ClientBase) => {
      // A connection in use that the server ends (a query under way, a job's advisory lock): the
      // pool stops listening to it when it hands it out, and the query or the job sees the failure
      // itself. Without a listener its error would end the process.
      client.on('error', () => undefined);
      await client.query(limits);
    },
  });
  // An idle connection the server ended (a restart, a failover, an administrator) leaves the pool;
  // the next query opens a new one.
  pool.on('error', () => undefined);
  poolTimeouts.set(pool, timeouts);
  return pool;
}

const poolTimeouts = new WeakMap<pg.Pool, PostgresTimeouts>();

/** The limits a pool made by postgresPool sets on its connections (for another connection opened alike). */
export const timeoutsOf = (pool: pg.Pool): PostgresTimeouts => poolTimeouts.get(pool) ?? DEFAULT_POSTGRES_TIMEOUTS;

/**
 * PostgreSQL through Kysely. `ready`, when given, is awaited before the first connection is taken
 * (tests create each app's database from a template while the app is being built).
 */
export function postgresDatabase(pool: pg.Pool, ready?: Promise<unknown>): Database {
  const dialect = new PostgresDialect({ pool: ready ? async () => (await ready, pool) : pool });
  return wrap('postgres', new Kysely<Record<string, never>>({ dialect }), { pool });
}

/** A job's advisory lock key: a fixed number per name, the same in every instance and version. */
export function jobLockKey(job: string): bigint {
  return crypto.createHash('sha256').update(`mashang-job:${job}`).digest().readBigInt64BE(0);
}

type Statement = ReturnType<Db['prepare']>;

function wrap(engine: Engine, root: QueryBuilder, raw: { sqlite?: Db; pool?: pg.Pool; prepare?: (text: string) => Statement }): Database {
  const open = new AsyncLocalStorage<Open>();
  /**
   * Transactions open in this process. An AsyncLocalStorage in use makes Node run a hook on every
   * promise and every socket of the process, requests that never write included: it is switched
   * off whenever no transaction is open (getStore() then answers undefined: the pool's builder),
   * and on again by the next transaction.
   */
  let transactions = 0;
  /** jobs running in this process, each with the promise that resolves when it ends */
  const running = new Map<string, Promise<void>>();
  const current = (): QueryBuilder => open.getStore()?.trx ?? root;
  /**
   * SQLite's short way: better-sqlite3 is synchronous, so a query written with the `sql` tag runs
   * on its cached statement at once, without Kysely's driver (a fifth of the cost of a page's
   * query). Only when this context holds the connection's transaction, or nobody does: a query of
   * another request while a transaction is open takes Kysely's way, which waits for the connection.
   */
  const direct = (query: RawBuilder<unknown>): { statement: Statement; parameters: readonly unknown[] } | undefined => {
    if (!raw.sqlite || !raw.prepare) return undefined;
    if (raw.sqlite.inTransaction && !open.getStore()) return undefined;
    const compiled = query.compile(current());
    return { statement: raw.prepare(compiled.sql), parameters: compiled.parameters };
  };
  return {
    engine,
    get q() {
      return current();
    },
    all: async <R>(query: RawBuilder<R>) => {
      const d = direct(query);
      if (d) return (d.statement.reader ? d.statement.all(d.parameters) : (d.statement.run(d.parameters), [])) as R[];
      return (await query.execute(current())).rows;
    },
    get: async <R>(query: RawBuilder<R>) => {
      const d = direct(query);
      if (d) return (d.statement.reader ? d.statement.get(d.parameters) : (d.statement.run(d.parameters), undefined)) as R | undefined;
      return (await query.execute(current())).rows[0];
    },
    run: async (query: RawBuilder<unknown>) => {
      const d = direct(query);
      if (d) return { changes: d.statement.reader ? d.statement.all(d.parameters).length : d.statement.run(d.parameters).changes };
      return { changes: Number((await query.execute(current())).numAffectedRows ?? 0) };
    },
    fixed: <R>(query: RawBuilder<R>) => {
      const sqlite = raw.sqlite;
      if (!sqlite) return async () => (await query.execute(current())).rows[0];
      // prepared on first use: the table may not exist before the migrations have run
      let statement: Statement | undefined;
      return async () => {
        if (sqlite.inTransaction && !open.getStore()) return (await query.execute(current())).rows[0];
        statement ??= sqlite.prepare(query.compile(root).sql);
        return statement.get([]) as R | undefined;
      };
    },
    transaction: async <T>(fn: () => Promise<T>): Promise<T> => {
      const outer = open.getStore();
      if (!outer) {
        transactions++;
        try {
          return await root.transaction().execute((trx) => open.run({ trx, savepoints: 0 }, fn));
        } finally {
          if (--transactions === 0) open.disable();
        }
      }
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
    exclusively: async <T>(job: string, fn: () => Promise<T>, opts: { wait?: boolean } = {}): Promise<{ ran: true; value: T } | { ran: false }> => {
      while (running.has(job)) {
        if (!opts.wait) return { ran: false };
        await running.get(job);
      }
      let done!: () => void;
      running.set(job, new Promise<void>((resolve) => (done = resolve)));
      try {
        if (!raw.pool) return { ran: true, value: await fn() };
        const client = await raw.pool.connect();
        const key = String(jobLockKey(job));
        try {
          if (opts.wait) {
            // Waiting for another instance's run (a new installation being set up) may take longer
            // than any statement should: the limit is lifted for this one wait. A session-level
            // lock taken in a transaction outlives its commit.
            try {
              await client.query(`BEGIN; SET LOCAL statement_timeout = 0; SELECT pg_advisory_lock(${key}::bigint); COMMIT`);
            } catch (err) {
              await client.query('ROLLBACK').catch(() => undefined);
              throw err;
            }
          } else {
            const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [key]);
            if (!rows[0]?.locked) return { ran: false };
          }
          try {
            return { ran: true, value: await fn() };
          } finally {
            await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
          }
        } finally {
          client.release();
        }
      } finally {
        running.delete(job);
        done();
      }
    },
    sqlite: raw.sqlite,
    pool: raw.pool,
    close: async () => {
      await root.destroy();
      // Kysely closes only a driver it has used: a database closed before its first query closes here
      raw.sqlite?.close();
      if (raw.pool && !raw.pool.ending) await raw.pool.end();
    },
  };
}

/** Whether err is a unique-key violation, on either engine (SQLite's SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY, PostgreSQL's 23505). */
export function isUniqueViolation(err: unknown): boolean {
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
