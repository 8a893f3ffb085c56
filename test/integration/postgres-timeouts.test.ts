import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_POSTGRES_TIMEOUTS, postgresDatabase, postgresPool, type Database, type PostgresTimeouts } from '../../src/db/database.js';
import { migratePostgres } from '../../src/db/migrate-postgres.js';
import { urlWithDatabase } from '../helpers/engine.js';
import { openReadConnection, readConnectionOf } from '../../src/workers/connection.js';

/**
 * PostgreSQL's limits: a connection that cannot be opened, a statement that runs away and a
 * transaction left open each fail within their limit instead of holding a connection for ever;
 * what must run longer (migrations, a job waiting for another instance's run) is not cut short.
 */
const PG_URL = process.env.MASHANG_TEST_DATABASE_URL;
if (!PG_URL) console.warn('PostgreSQL tests not run: MASHANG_TEST_DATABASE_URL is not set');

const name = `mashang_to_${process.pid}_${Date.now().toString(36)}`;
const admin = PG_URL ? new pg.Pool({ connectionString: PG_URL, max: 1 }) : undefined;
const opened: Database[] = [];
const open = (timeouts: Partial<PostgresTimeouts>, max = 2): Database => {
  const database = postgresDatabase(postgresPool(urlWithDatabase(PG_URL!, name), { max, timeouts }));
  opened.push(database);
  return database;
};

beforeAll(async () => {
  if (!admin) return;
  await admin.query(`CREATE DATABASE ${name}`);
}, 60_000);

afterAll(async () => {
  for (const d of opened) await d.close().catch(() => undefined);
  if (!admin) return;
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}, 60_000);

/** How long fn takes to settle, and how. */
async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; error?: Error & { code?: string } }> {
  const start = Date.now();
  try {
    await fn();
    return { ms: Date.now() - start };
  } catch (err) {
    return { ms: Date.now() - start, error: err as Error & { code?: string } };
  }
}

describe('the PostgreSQL settings in the environment', () => {
  it('have defaults, take milliseconds (0: no limit) and refuse anything else naming the variable', () => {
    expect(loadConfig({}).databaseTimeouts).toEqual(DEFAULT_POSTGRES_TIMEOUTS);
    expect(
      loadConfig({
        MASHANG_DATABASE_STATEMENT_TIMEOUT_MS: '5000',
        MASHANG_DATABASE_CONNECT_TIMEOUT_MS: '2000',
        MASHANG_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '0',
      }).databaseTimeouts,
    ).toEqual({ statementMs: 5000, connectMs: 2000, idleInTransactionMs: 0 });
    expect(() => loadConfig({ MASHANG_DATABASE_STATEMENT_TIMEOUT_MS: '30s' })).toThrow(/MASHANG_DATABASE_STATEMENT_TIMEOUT_MS/);
    expect(() => loadConfig({ MASHANG_DATABASE_CONNECT_TIMEOUT_MS: '-1' })).toThrow(/MASHANG_DATABASE_CONNECT_TIMEOUT_MS/);
  });
});

describe.skipIf(!PG_URL)('PostgreSQL timeouts', () => {
  it('when a statement runs longer than the statement timeout, then it is cancelled with 57014 at the limit, and the pool goes on', async () => {
    const database = open({ statementMs: 300 });
    const slow = await timed(() => database.get(sql`SELECT pg_sleep(5)`));
    expect(slow.error?.code).toBe('57014');
    expect(slow.error?.message).toMatch(/statement timeout/);
    expect(slow.ms).toBeLessThan(3000);
    expect(await database.get(sql<{ one: number }>`SELECT 1 AS one`)).toEqual({ one: 1 });
    // and the limit is on every connection of the pool, not only the first
    const both = await Promise.all([0, 1].map(() => timed(() => database.transaction(() => database.get(sql`SELECT pg_sleep(5)`)))));
    expect(both.map((r) => r.error?.code)).toEqual(['57014', '57014']);
  });

  it('a worker’s own connection (an export’s) runs under the same limits as the server’s pool', async () => {
    const server = open({ statementMs: 1234, idleInTransactionMs: 4321 });
    const connection = readConnectionOf(server)!;
    expect(connection).toMatchObject({ engine: 'postgres', timeouts: { statementMs: 1234, idleInTransactionMs: 4321 } });
    const worker = openReadConnection(connection);
    opened.push(worker);
    expect((await sql<{ statement_timeout: string }>`SHOW statement_timeout`.execute(worker.q)).rows[0]!.statement_timeout).toBe('1234ms');
    expect((await sql<{ v: string }>`SHOW idle_in_transaction_session_timeout`.execute(worker.q)).rows[0]).toEqual({
      idle_in_transaction_session_timeout: '4321ms',
    });
  });

  it('when the limit is 0, then a statement may take its time', async () => {
    const database = open({ statementMs: 0 });
    expect((await timed(() => database.get(sql`SELECT pg_sleep(0.5)`))).error).toBeUndefined();
  });

  it('when a transaction is left open doing nothing, then the server ends it and its changes are gone', async () => {
    const database = open({ idleInTransactionMs: 200 });
    const idle = await timed(() =>
      database.transaction(async () => {
        await database.run(sql`CREATE TABLE IF NOT EXISTS idle_probe (n int)`);
        await new Promise((r) => setTimeout(r, 800));
        await database.get(sql`SELECT 1`);
      }),
    );
    expect(idle.error).toBeDefined();
    expect(await database.get(sql<{ t: string | null }>`SELECT to_regclass('idle_probe')::text AS t`)).toEqual({ t: null });
  });

  it('when the server accepts the connection but never answers, then connecting fails within the connect timeout', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    const pool = postgresPool(`postgres://nobody@127.0.0.1:${port}/nothing`, { max: 1, timeouts: { connectMs: 300 } });
    try {
      const attempt = await timed(() => pool.query('SELECT 1'));
      expect(attempt.error?.message).toMatch(/timeout/i);
      expect(attempt.ms).toBeLessThan(3000);
    } finally {
      await pool.end().catch(() => undefined);
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('when nothing listens on the port, then connecting fails at once', async () => {
    const free = net.createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const port = (free.address() as net.AddressInfo).port;
    await new Promise((r) => free.close(r));
    const pool = postgresPool(`postgres://nobody@127.0.0.1:${port}/nothing`, { max: 1, timeouts: { connectMs: 300 } });
    try {
      const attempt = await timed(() => pool.query('SELECT 1'));
      expect(attempt.error).toMatchObject({ code: 'ECONNREFUSED' });
      expect(attempt.ms).toBeLessThan(3000);
    } finally {
      await pool.end().catch(() => undefined);
    }
  });

  it('a migration longer than the statement timeout is applied, not cancelled', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-slow-migration-'));
    try {
      fs.writeFileSync(path.join(dir, '001_slow.sql'), 'SELECT pg_sleep(0.6); CREATE TABLE slow_migration (n int);');
      const database = open({ statementMs: 200, idleInTransactionMs: 200 });
      expect(await migratePostgres(database.pool!, dir)).toEqual(['001_slow.sql']);
      expect(await database.get(sql<{ t: string | null }>`SELECT to_regclass('slow_migration')::text AS t`)).toEqual({ t: 'slow_migration' });
      // the limits are back for what follows on that connection
      expect((await timed(() => database.get(sql`SELECT pg_sleep(2)`))).error?.code).toBe('57014');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a job that waits for another instance’s run of it waits past the statement timeout, then runs', async () => {
    const one = open({ statementMs: 200 });
    const two = open({ statementMs: 200 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const first = one.exclusively(
      'timeout-test-job',
      async () => {
        started();
        await held;
        return 'first';
      },
      { wait: true },
    );
    await running;
    const second = two.exclusively('timeout-test-job', async () => 'second', { wait: true });
    await new Promise((r) => setTimeout(r, 700));
    release();
    expect(await first).toEqual({ ran: true, value: 'first' });
    expect(await second).toEqual({ ran: true, value: 'second' });
    // the limit is back on the connection that waited
    expect((await timed(() => two.get(sql`SELECT pg_sleep(2)`))).error?.code).toBe('57014');
  });
});
