import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { Db } from './index.js';
import { migratePostgres, postgresSchemaState, syncIdentities } from './migrate-postgres.js';

/** One table's figures on both sides after the copy. */
export interface TableCopy {
  table: string;
  rows: number;
  /** order-independent digest of every row (see rowDigest), the same on both engines when the data is */
  checksum: string;
}

export interface CopyReport {
  tables: TableCopy[];
  photos: { checked: number; copied: number };
}

/** A copy that would lose or change data stops with this; nothing is left half-written. */
export class CopyProblem extends Error {}

const BATCH_PARAMS = 30_000;

/** The user tables of the SQLite file, parents before children (by their foreign keys). */
function tablesInOrder(db: Db): string[] {
  const names = (
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name")
      .all() as Array<{
      name: string;
    }>
  ).map((r) => r.name);
  const parents = new Map(
    names.map((n) => [
      n,
      (db.pragma(`foreign_key_list(${JSON.stringify(n)})`) as Array<{ table: string }>).map((f) => f.table).filter((t) => t !== n && names.includes(t)),
    ]),
  );
  const ordered: string[] = [];
  const visit = (n: string, seen: Set<string>) => {
    if (ordered.includes(n)) return;
    if (seen.has(n)) throw new CopyProblem(`foreign keys form a cycle at ${n}`);
    seen.add(n);
    for (const p of parents.get(n) ?? []) visit(p, seen);
    ordered.push(n);
  };
  for (const n of names) visit(n, new Set());
  return ordered;
}

const columnsOf = (db: Db, table: string) => (db.pragma(`table_info(${JSON.stringify(table)})`) as Array<{ name: string }>).map((c) => c.name);

/**
 * One row as text both engines give alike: columns by name, numbers as numbers, text as text,
 * bytes as hex. Its SHA-256, summed over the table (mod 2^64), is the table's checksum: the order
 * rows come back in (which collations make differ) does not matter.
 */
function rowDigest(row: Record<string, unknown>, columns: string[]): bigint {
  const parts = columns.map((c) => {
    const v = row[c];
    if (v === null || v === undefined) return 'N';
    if (typeof v === 'number' || typeof v === 'bigint') return `n${String(v)}`;
    if (Buffer.isBuffer(v)) return `b${v.toString('hex')}`;
    return `s${String(v)}`;
  });
  return crypto.createHash('sha256').update(JSON.stringify(parts)).digest().readBigUInt64BE(0);
}

const MASK = (1n << 64n) - 1n;
const hex = (sum: bigint) => sum.toString(16).padStart(16, '0');

function sqliteFigures(db: Db, table: string, columns: string[]): TableCopy {
  let sum = 0n;
  let rows = 0;
  for (const row of db.prepare(`SELECT * FROM "${table}"`).iterate() as IterableIterator<Record<string, unknown>>) {
    sum = (sum + rowDigest(row, columns)) & MASK;
    rows++;
  }
  return { table, rows, checksum: hex(sum) };
}

async function postgresFigures(client: pg.PoolClient, table: string, columns: string[]): Promise<TableCopy> {
  let sum = 0n;
  let rows = 0;
  // a server-side cursor: a million cases are read a slice at a time
  await client.query(`DECLARE figures NO SCROLL CURSOR FOR SELECT * FROM "${table}"`);
  for (;;) {
    const { rows: slice } = await client.query<Record<string, unknown>>('FETCH 5000 FROM figures');
    if (slice.length === 0) break;
    for (const row of slice) sum = (sum + rowDigest(row, columns)) & MASK;
    rows += slice.length;
  }
  await client.query('CLOSE figures');
  return { table, rows, checksum: hex(sum) };
}

/**
 * Copies a SQLite installation into an empty PostgreSQL database: migrates it, copies every table
 * (parents first, in batches, in one transaction), moves the identity sequences past the copied ids,
 * then compares row counts and checksums table by table, and checks the photos. Refuses a target
 * that already holds tables. On any difference the transaction is rolled back and nothing stays.
 */
export async function copyToPostgres(db: Db, pool: pg.Pool, opts: { dataDir: string; dataTo?: string; log?: (line: string) => void }): Promise<CopyReport> {
  const log = opts.log ?? (() => undefined);
  const client = await pool.connect();
  try {
    const { rows: existing } = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    );
    const n = existing[0]?.n ?? 0;
    if (n > 0) {
      throw new CopyProblem(`the target database already holds ${n} tables: migrate-to-postgres copies only into an empty database`);
    }
  } finally {
    client.release();
  }
  const sqliteApplied = db.prepare('SELECT name FROM schema_migrations ORDER BY name').pluck().all() as string[];
  await migratePostgres(pool);
  const { applied } = await postgresSchemaState(pool);
  const missing = sqliteApplied.filter((m) => !applied.includes(m));
  if (missing.length) throw new CopyProblem(`the SQLite database has migrations this version does not know: ${missing.join(', ')}`);
  log(`schema: ${applied.length} migrations applied`);

  const tables = tablesInOrder(db);
  const report: TableCopy[] = [];
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    // Counters, summaries and append-only guards are kept by triggers: the copy brings their rows as
    // they are, so the triggers stay off while it runs (this transaction only sees them off).
    for (const table of tables) await c.query(`ALTER TABLE "${table}" DISABLE TRIGGER USER`);
    // rows the migrations wrote (counters' single rows) make way for the installation's own
    for (const table of [...tables].reverse()) await c.query(`DELETE FROM "${table}"`);
    for (const table of tables) {
      const columns = columnsOf(db, table);
      const perBatch = Math.max(1, Math.floor(BATCH_PARAMS / columns.length));
      const names = columns.map((n) => `"${n}"`).join(', ');
      let batch: unknown[][] = [];
      const flush = async () => {
        if (!batch.length) return;
        const values = batch.map((_, r) => `(${columns.map((__, i) => `$${r * columns.length + i + 1}`).join(', ')})`).join(', ');
        await c.query(`INSERT INTO "${table}" (${names}) VALUES ${values}`, batch.flat());
        batch = [];
      };
      for (const row of db.prepare(`SELECT * FROM "${table}"`).raw().iterate() as IterableIterator<unknown[]>) {
        batch.push(row);
        if (batch.length >= perBatch) await flush();
      }
      await flush();
    }
    // identity columns continue after the copied ids
    await syncIdentities(c);
    for (const table of tables) await c.query(`ALTER TABLE "${table}" ENABLE TRIGGER USER`);
    for (const table of tables) {
      const columns = columnsOf(db, table);
      const from = sqliteFigures(db, table, columns);
      const to = await postgresFigures(c, table, columns);
      if (from.rows !== to.rows || from.checksum !== to.checksum) {
        throw new CopyProblem(`${table}: SQLite has ${from.rows} rows (checksum ${from.checksum}), PostgreSQL ${to.rows} (checksum ${to.checksum})`);
      }
      report.push(to);
      log(`${table}: ${to.rows} rows, checksum ${to.checksum}`);
    }
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    // the migrations ran outside the copy's transaction: leave the target as empty as it was found
    for (const table of [...tables, 'schema_migrations'].reverse()) await c.query(`DROP TABLE IF EXISTS "${table}" CASCADE`).catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
  const photos = copyPhotos(db, opts.dataDir, opts.dataTo);
  log(`photos: ${photos.checked} checked${opts.dataTo ? `, ${photos.copied} copied to ${opts.dataTo}` : ''}`);
  return { tables: report, photos };
}

/**
 * Photos stay files under the data folder, which every instance mounts: each one a case names must
 * be there with its recorded size (and is copied first when a new folder is given).
 */
function copyPhotos(db: Db, dataDir: string, dataTo: string | undefined): { checked: number; copied: number } {
  const rows = db.prepare('SELECT file_name AS name, bytes FROM case_photos').all() as Array<{ name: string; bytes: number }>;
  const from = path.resolve(dataDir, 'photos');
  const to = dataTo ? path.resolve(dataTo, 'photos') : from;
  let copied = 0;
  if (dataTo) fs.mkdirSync(to, { recursive: true });
  for (const { name, bytes } of rows) {
    const source = path.join(from, path.basename(name));
    const target = path.join(to, path.basename(name));
    if (dataTo && source !== target) {
      fs.copyFileSync(source, target);
      copied++;
    }
    const size = fs.statSync(target, { throwIfNoEntry: false })?.size;
    if (size !== bytes) throw new CopyProblem(`photo ${name}: expected ${bytes} bytes in ${to}, found ${size ?? 'no file'}`);
  }
  return { checked: rows.length, copied };
}
