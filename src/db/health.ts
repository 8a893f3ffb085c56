import fs from 'node:fs';
import path from 'node:path';
import type { Database } from './database.js';
import { DatabaseProblem, migrationsDir, type Db } from './index.js';
import { postgresSchemaState } from './migrate-postgres.js';

/** Which migrations the code expects and which the database records. */
export function schemaState(db: Db, dir = migrationsDir): { expected: string[]; applied: string[]; missing: string[]; unknown: string[] } {
  const expected = fs
    .readdirSync(dir)
    .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
    .sort();
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined;
  const applied = hasTable ? (db.prepare('SELECT name FROM schema_migrations ORDER BY name').pluck().all() as string[]) : [];
  const have = new Set(applied);
  const known = new Set(expected);
  return { expected, applied, missing: expected.filter((m) => !have.has(m)), unknown: applied.filter((m) => !known.has(m)) };
}

/** The schema version: the last migration applied (or 'empty'). */
export function schemaVersion(db: Db): string {
  const { applied } = schemaState(db);
  return applied.at(-1) ?? 'empty';
}

/**
 * Commits a write that changes nothing (the header's user_version, set to itself): fails on a
 * read-only file or folder, a full disk or an I/O error, which a plain read (or BEGIN IMMEDIATE,
 * which a read-only connection accepts) would not show.
 */
export function probeWrite(db: Db): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  db.pragma(`user_version = ${Number(version)}`);
}

/** PRAGMA quick_check: the problems it finds (empty when the file is sound). */
export function quickCheck(db: Db): string[] {
  const rows = db.pragma('quick_check') as Array<{ quick_check: string }>;
  return rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
}

const fullPath = (file: string) => (file === ':memory:' ? file : path.resolve(file));

/** The start-up check of the file: sound (quick_check) and writable. Throws a DatabaseProblem naming it. */
export function checkStorage(db: Db, file: string): void {
  const where = fullPath(file);
  const damage = quickCheck(db);
  if (damage.length) {
    throw new DatabaseProblem(
      `The database ${where} is damaged (PRAGMA quick_check: ${damage.slice(0, 3).join('; ')}). ` +
        'Stop here and restore the latest backup: npm run mashang -- restore --from DIR --force',
    );
  }
  try {
    probeWrite(db);
  } catch (err) {
    throw new DatabaseProblem(
      `The database ${where} cannot be written (${(err as Error).message}). Check the permissions of the file and its folder, and the free disk space.`,
    );
  }
}

/** After migrating: the database holds exactly the migrations this code knows. */
export function checkSchema(db: Db, file: string): void {
  const where = fullPath(file);
  refuseOtherSchema(where, schemaState(db));
}

/** Stops start-up when the database's migrations are not exactly this version's, saying which differ. */
export function refuseOtherSchema(where: string, { missing, unknown }: { missing: string[]; unknown: string[] }): void {
  if (missing.length || unknown.length) {
    throw new DatabaseProblem(
      `The database ${where} does not have the schema this version expects` +
        (missing.length ? ` (missing migrations: ${missing.join(', ')})` : '') +
        (unknown.length ? ` (migrations this version does not know: ${unknown.join(', ')}; was it written by a newer version?)` : '') +
        '.',
    );
  }
}

/**
 * Error codes that mean the storage itself is in trouble, not the request: SQLite's result codes,
 * and PostgreSQL's classes 53 (insufficient resources: disk full, out of memory), 58 (system
 * error: I/O) and XX001/XX002 (a damaged page or index).
 */
const STORAGE_CODES = /^(SQLITE_(CORRUPT|NOTADB|READONLY|IOERR|FULL|CANTOPEN)|53\d{3}$|58\d{3}$|XX00[12]$)/;

export function isStorageError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && STORAGE_CODES.test(code);
}

export interface HealthReport {
  ok: boolean;
  /** the last migration applied */
  schema?: string;
  /** why not ok, in a word an operator can search the logs for */
  problem?: 'not_writable' | 'schema' | 'storage_error' | 'unavailable';
}

/** The schema's state and whether the database takes writes, on its engine. */
async function probeDatabase(database: Database, onStorageError: () => void): Promise<HealthReport> {
  let schema: string;
  try {
    const state = database.sqlite ? schemaState(database.sqlite) : await postgresSchemaState(database.pool!);
    schema = state.applied.at(-1) ?? 'empty';
    if (state.missing.length || state.unknown.length) return { ok: false, schema, problem: 'schema' };
  } catch {
    return { ok: false, problem: 'unavailable' };
  }
  try {
    if (database.sqlite) probeWrite(database.sqlite);
    else {
      // A committed write, not a look at settings: a standby, a server or database set read-only,
      // a role without write rights and a disk with no room for the WAL all answer reads but
      // refuse this (the one row of health_checks, migration 016).
      await database.pool!.query(`INSERT INTO health_checks (id, checked_at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`, [
        new Date().toISOString(),
      ]);
    }
  } catch (err) {
    if (isStorageError(err)) onStorageError();
    return { ok: false, schema, problem: 'not_writable' };
  }
  return { ok: true, schema };
}

/**
 * What /healthz answers: the schema version and whether the database takes writes, cached for a
 * few seconds so a busy monitor cannot turn it into load; and unhealthy for a while after a request
 * met a storage error (a damaged page shows up only when something reads it).
 */
export function createHealth(database: Database, opts: { ttlMs?: number; errorHoldMs?: number; now?: () => number } = {}) {
  const ttl = opts.ttlMs ?? 5000;
  const hold = opts.errorHoldMs ?? 60_000;
  const now = opts.now ?? Date.now;
  let cached: { at: number; report: Promise<HealthReport> } | undefined;
  let lastStorageError = -Infinity;

  return {
    async check(): Promise<HealthReport> {
      const t = now();
      // one probe at a time: monitors asking together share it
      if (!cached || t - cached.at >= ttl) cached = { at: t, report: probeDatabase(database, () => (lastStorageError = now())) };
      const report = await cached.report;
      if (report.ok && t - lastStorageError < hold) return { ok: false, schema: report.schema, problem: 'storage_error' };
      return report;
    },
    /** Called with every error a request ends in; remembers the ones that mean the storage failed. */
    noteError(err: unknown): boolean {
      if (!isStorageError(err)) return false;
      lastStorageError = now();
      return true;
    },
  };
}

export type Health = ReturnType<typeof createHealth>;
