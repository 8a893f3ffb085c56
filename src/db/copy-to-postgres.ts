import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Db } from './index.js';
import { migratePostgres, postgresSchemaState, syncIdentities } from './migrate-postgres.js';
import { UNLIMITED_IN_TRANSACTION } from './database.js';

/** One table's figures on both sides after the copy. */
export interface TableCopy {
  table: string;
  rows: number;
  /** order-independent digest of every row (see rowDigest), the same on both engines when the data is */
  checksum: string;
}

export interface CopyReport {
  tables: TableCopy[];
  /** case photos (dataDir/photos) and cadre photos (dataDir/cadres) the database names */
  photos: { checked: number; copied: number };
}

/** A copy that would lose or change data stops with this; nothing is left half-written. */
export class CopyProblem extends Error {}

/** PostgreSQL allows 65,535 parameters in one statement: a batch stays well below. */
const BATCH_PARAMS = 30_000;

const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The user tables of the SQLite file, parents before children (by their foreign keys). */
function tablesInOrder(db: Db): string[] {
  const names = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name")
    .pluck()
    .all() as string[];
  const parents = new Map(
    names.map((n) => [
      n,
      foreignKeys(db, n)
        .map((f) => f.table)
        .filter((t) => t !== n && names.includes(t)),
    ]),
  );
  const ordered: string[] = [];
  const visit = (n: string, path: Set<string>) => {
    if (ordered.includes(n)) return;
    if (path.has(n)) throw new CopyProblem(`foreign keys form a cycle at ${n}`);
    path.add(n);
    for (const p of parents.get(n) ?? []) visit(p, path);
    path.delete(n);
    ordered.push(n);
  };
  for (const n of names) visit(n, new Set());
  return ordered;
}

const foreignKeys = (db: Db, table: string) => db.pragma(`foreign_key_list(${q(table)})`) as Array<{ table: string; from: string; to: string | null }>;

const columnsOf = (db: Db, table: string) => db.pragma(`table_info(${q(table)})`) as Array<{ name: string; pk: number }>;

/**
 * One row as text both engines give alike: columns by name, integers as integers (exact, as
 * BigInt on both sides), reals as JavaScript prints them, text as text, bytes as hex. Its SHA-256,
 * summed over the table (mod 2^64), is the table's checksum: the order rows come back in (which
 * collations make differ) does not matter, and a duplicated row counts twice.
 */
function rowDigest(row: Record<string, unknown>, columns: string[]): bigint {
  const parts = columns.map((c) => {
    const v = row[c];
    if (v === null || v === undefined) return 'N';
    if (typeof v === 'number' || typeof v === 'bigint') return `n${String(v)}`;
    if (Buffer.isBuffer(v)) return `b${v.toString('hex')}`;
    if (typeof v === 'string') return `s${v}`;
    // a type the copy does not know how to compare: refuse rather than compare "[object Object]"
    throw new CopyProblem(`column ${c}: a value of a type the copy cannot compare (${Object.prototype.toString.call(v)})`);
  });
  return crypto.createHash('sha256').update(JSON.stringify(parts)).digest().readBigUInt64BE(0);
}

const MASK = (1n << 64n) - 1n;
const hex = (sum: bigint) => sum.toString(16).padStart(16, '0');

/**
 * How the checksum reads PostgreSQL's values, whatever parsers the pool was made with: integers
 * exactly (as better-sqlite3's safeIntegers gives SQLite's), reals as numbers, text as text.
 */
const figureTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    const b = pg.types.builtins;
    if (oid === b.INT2 || oid === b.INT4 || oid === b.INT8) return (v: string) => BigInt(v);
    if (oid === b.FLOAT4 || oid === b.FLOAT8) return (v: string) => Number(v);
    if (oid === b.NUMERIC) return (v: string) => (/^-?\d+$/.test(v) ? BigInt(v) : Number(v));
    if (oid === b.BYTEA) return pg.types.getTypeParser(oid, format);
    return (v: string) => v;
  }) as typeof pg.types.getTypeParser,
};

function sqliteFigures(db: Db, table: string, columns: string[]): TableCopy {
  let sum = 0n;
  let rows = 0;
  const select = db.prepare(`SELECT ${columns.map(q).join(', ')} FROM ${q(table)}`).safeIntegers(true);
  for (const row of select.iterate() as IterableIterator<Record<string, unknown>>) {
    sum = (sum + rowDigest(row, columns)) & MASK;
    rows++;
  }
  return { table, rows, checksum: hex(sum) };
}

async function postgresFigures(client: pg.PoolClient, table: string, columns: string[]): Promise<TableCopy> {
  let sum = 0n;
  let rows = 0;
  // a server-side cursor: a million cases are read a slice at a time
  await client.query(`DECLARE figures NO SCROLL CURSOR FOR SELECT ${columns.map(q).join(', ')} FROM ${q(table)}`);
  for (;;) {
    const { rows: slice } = await client.query<Record<string, unknown>>({ text: 'FETCH 5000 FROM figures', types: figureTypes });
    if (slice.length === 0) break;
    for (const row of slice) sum = (sum + rowDigest(row, columns)) & MASK;
    rows += slice.length;
  }
  await client.query('CLOSE figures');
  return { table, rows, checksum: hex(sum) };
}

/** The objects of the target's schema, by kind and name: what the copy made is what was not there before. */
async function schemaObjects(client: pg.PoolClient | pg.Pool): Promise<Array<{ key: string; drop: string }>> {
  const { rows } = await client.query<{ key: string; drop: string }>(`
    SELECT 'rel:' || c.oid::regclass::text AS key,
           CASE c.relkind WHEN 'v' THEN 'DROP VIEW IF EXISTS ' WHEN 'm' THEN 'DROP MATERIALIZED VIEW IF EXISTS '
             WHEN 'S' THEN 'DROP SEQUENCE IF EXISTS ' WHEN 'f' THEN 'DROP FOREIGN TABLE IF EXISTS ' ELSE 'DROP TABLE IF EXISTS ' END
             || c.oid::regclass::text || ' CASCADE' AS drop
      FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
    UNION ALL
    SELECT 'fn:' || p.oid::regprocedure::text, 'DROP ROUTINE IF EXISTS ' || p.oid::regprocedure::text || ' CASCADE'
      FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace
    UNION ALL
    SELECT 'coll:' || quote_ident(collname), 'DROP COLLATION IF EXISTS ' || quote_ident(collname) || ' CASCADE'
      FROM pg_collation WHERE collnamespace = current_schema()::regnamespace
    UNION ALL
    SELECT 'type:' || t.oid::regtype::text, 'DROP TYPE IF EXISTS ' || t.oid::regtype::text || ' CASCADE'
      FROM pg_type t WHERE t.typnamespace = current_schema()::regnamespace AND t.typtype IN ('e', 'd')`);
  // tables first (their triggers, identity sequences and row types go with them), then the rest
  return rows.sort((a, b) => Number(!a.key.startsWith('rel:')) - Number(!b.key.startsWith('rel:')));
}

/**
 * Copies a SQLite installation into an empty PostgreSQL database: checks the photos, migrates the
 * target, copies every table (parents first, in batches, in one transaction, user triggers off),
 * moves the identity sequences past the copied ids, then compares row counts and checksums table by
 * table before committing. Refuses a target that already holds tables. On any difference, or any
 * error, the copy is rolled back and what the migrations made is dropped: the target is left as it
 * was found. The SQLite side is read in one read transaction, so the copy and its checks see one
 * state of the file even if the server is still writing to it.
 */
export async function copyToPostgres(
  db: Db,
  pool: pg.Pool,
  opts: {
    dataDir: string;
    dataTo?: string;
    log?: (line: string) => void;
    /** rows per INSERT; by default as many as PostgreSQL's parameter limit allows with room to spare */
    batchRows?: number;
  },
): Promise<CopyReport> {
  const log = opts.log ?? (() => undefined);
  {
    const client = await pool.connect();
    try {
      const { rows } = await client.query<{ n: number | string }>(
        "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
      );
      const n = Number(rows[0]?.n ?? 0);
      if (n > 0) throw new CopyProblem(`the target database already holds ${n} tables: migrate-to-postgres copies only into an empty database`);
    } finally {
      client.release();
    }
  }

  const began = !db.inTransaction;
  if (began) db.exec('BEGIN');
  try {
    // the read transaction's snapshot starts at its first read
    const sqliteApplied = db.prepare('SELECT name FROM schema_migrations ORDER BY name').pluck().all() as string[];
    const { expected } = await postgresSchemaState(pool);
    const behind = expected.filter((m) => !sqliteApplied.includes(m));
    const ahead = sqliteApplied.filter((m) => !expected.includes(m));
    if (ahead.length)
      throw new CopyProblem(`the SQLite database has migrations this version does not know: ${ahead.join(', ')} (use the version that wrote it)`);
    if (behind.length) throw new CopyProblem(`the SQLite database lacks migrations ${behind.join(', ')}: run \`mashang migrate\` on it first`);

    // before anything is written: a photo missing here would be missing after the move too
    const photos = photoFiles(db, opts.dataDir);
    log(`photos: ${photos.length} named by the database, all present in ${path.resolve(opts.dataDir)}`);

    const tables = tablesInOrder(db);
    const before = new Set((await schemaObjects(pool)).map((o) => o.key));
    const written: string[] = [];
    const c = await pool.connect();
    try {
      await migratePostgres(c);
      log(`schema: ${expected.length} migrations applied`);
      const report = await copyTables(db, c, tables, log, opts.batchRows);
      const copied = copyPhotos(photos, opts.dataTo, written);
      await c.query('COMMIT');
      return { tables: report, photos: { checked: photos.length, copied } };
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      // the migrations committed on their own: drop what they made, so the target is as it was
      for (const o of await schemaObjects(c).catch(() => [])) if (!before.has(o.key)) await c.query(o.drop).catch(() => undefined);
      for (const f of written) fs.rmSync(f, { force: true });
      throw err;
    } finally {
      c.release();
    }
  } finally {
    if (began && db.inTransaction) db.exec('COMMIT');
  }
}

/** Copies the rows and checks them, inside a transaction it opens and leaves open for the caller to commit. */
async function copyTables(db: Db, c: pg.PoolClient, tables: string[], log: (line: string) => void, batchRows?: number): Promise<TableCopy[]> {
  // the schema this version makes must be the one the file has, table by table and column by column
  const { rows: pgColumns } = await c.query<{ table_name: string; column_name: string }>(
    "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> 'schema_migrations'",
  );
  const pgTables = new Map<string, Set<string>>();
  for (const r of pgColumns) pgTables.set(r.table_name, (pgTables.get(r.table_name) ?? new Set()).add(r.column_name));
  for (const t of pgTables.keys()) if (!tables.includes(t)) throw new CopyProblem(`table ${t} exists on PostgreSQL but not in the SQLite file`);
  for (const t of tables) {
    const cols = columnsOf(db, t).map((x) => x.name);
    const there = pgTables.get(t);
    if (!there) throw new CopyProblem(`table ${t} of the SQLite file does not exist on PostgreSQL`);
    const differ = [...cols.filter((x) => !there.has(x)), ...[...there].filter((x) => !cols.includes(x))];
    if (differ.length) throw new CopyProblem(`table ${t}: the columns ${differ.join(', ')} are not on both sides`);
  }

  // one transaction for the whole copy: its statements (a million rows' checksum) and the pauses
  // between them (reading the SQLite file, copying photos) may outlast the pool's limits
  await c.query(`BEGIN; ${UNLIMITED_IN_TRANSACTION}`);
  // Counters, summaries and append-only guards are kept by triggers: the copy brings their rows as
  // they are, so the triggers stay off while it runs. Foreign keys stay on (they are not user triggers).
  for (const table of tables) await c.query(`ALTER TABLE ${q(table)} DISABLE TRIGGER USER`);
  // rows the migrations wrote (counters' single rows, default reply templates) make way for the installation's own
  for (const table of [...tables].reverse()) await c.query(`DELETE FROM ${q(table)}`);
  for (const table of tables) {
    log(`copying ${table}…`);
    await copyTable(db, c, table, batchRows);
  }
  // identity columns continue after the copied ids
  await syncIdentities(c);
  for (const table of tables) await c.query(`ALTER TABLE ${q(table)} ENABLE TRIGGER USER`);

  const report: TableCopy[] = [];
  for (const table of tables) {
    const columns = columnsOf(db, table).map((x) => x.name);
    const from = sqliteFigures(db, table, columns);
    const to = await postgresFigures(c, table, columns);
    if (from.rows !== to.rows || from.checksum !== to.checksum) {
      throw new CopyProblem(`${table}: SQLite has ${from.rows} rows (checksum ${from.checksum}), PostgreSQL ${to.rows} (checksum ${to.checksum})`);
    }
    report.push(to);
  }
  return report;
}

/**
 * One table's rows, in batches. A column referring to its own table (a case merged into another,
 * perhaps a later one) is written NULL first and set once every row of the table is in, so the
 * foreign key finds its row whatever the order.
 */
async function copyTable(db: Db, c: pg.PoolClient, table: string, batchRows?: number): Promise<void> {
  const info = columnsOf(db, table);
  const columns = info.map((x) => x.name);
  const selfRefs = foreignKeys(db, table)
    .filter((f) => f.table === table)
    .map((f) => columns.indexOf(f.from))
    .filter((i) => i >= 0);
  const keys = info.filter((x) => x.pk > 0);
  if (selfRefs.length && keys.length !== 1) throw new CopyProblem(`table ${table} refers to itself without a one-column primary key`);
  const keyIndex = keys.length === 1 ? columns.indexOf(keys[0]!.name) : -1;
  const later: unknown[][] = [];

  const perBatch = Math.max(1, Math.min(batchRows ?? Infinity, Math.floor(BATCH_PARAMS / columns.length)));
  const names = columns.map(q).join(', ');
  let batch: unknown[][] = [];
  const flush = async () => {
    if (!batch.length) return;
    const values = batch.map((_, r) => `(${columns.map((__, i) => `$${r * columns.length + i + 1}`).join(', ')})`).join(', ');
    await c.query(`INSERT INTO ${q(table)} (${names}) VALUES ${values}`, batch.flat());
    batch = [];
  };
  // integers exactly (BigInt), as they are in the file
  const select = db
    .prepare(`SELECT ${names} FROM ${q(table)}`)
    .raw()
    .safeIntegers(true);
  for (const row of select.iterate() as IterableIterator<unknown[]>) {
    if (selfRefs.some((i) => row[i] !== null)) {
      later.push([row[keyIndex], ...selfRefs.map((i) => row[i])]);
      for (const i of selfRefs) row[i] = null;
    }
    batch.push(row);
    if (batch.length >= perBatch) await flush();
  }
  await flush();
  if (!later.length) return;
  const { rows: types } = await c.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
    [q(table)],
  );
  const typeOf = (name: string) => types.find((t) => t.name === name)?.type ?? 'text';
  const key = columns[keyIndex]!;
  const refs = selfRefs.map((i) => columns[i]!);
  const sets = refs.map((r, j) => `${q(r)} = v.c${j}`).join(', ');
  const unnest = [key, ...refs].map((col, j) => `unnest($${j + 1}::${typeOf(col)}[]) AS ${j === 0 ? 'k' : `c${j - 1}`}`).join(', ');
  for (let i = 0; i < later.length; i += 10_000) {
    const slice = later.slice(i, i + 10_000);
    await c.query(
      `UPDATE ${q(table)} AS t SET ${sets} FROM (SELECT ${unnest}) AS v WHERE t.${q(key)} = v.k`,
      [key, ...refs].map((_, j) => slice.map((r) => (r[j] === null ? null : String(r[j])))),
    );
  }
}

interface PhotoFile {
  /** photos (a case's) or cadres (a cadre's) */
  folder: 'photos' | 'cadres';
  source: string;
  name: string;
  /** the size the database recorded (case photos); cadre photos record none */
  bytes?: number;
}

/**
 * Photos stay files under the data folder, which every instance mounts: each one the database names
 * must be there (a case photo with its recorded size), or the copy does not start.
 */
function photoFiles(db: Db, dataDir: string): PhotoFile[] {
  const files: PhotoFile[] = [];
  const missing: string[] = [];
  const check = (f: PhotoFile) => {
    const size = fs.statSync(f.source, { throwIfNoEntry: false });
    if (!size?.isFile()) missing.push(`${f.folder}/${f.name}: no file`);
    else if (f.bytes !== undefined && size.size !== f.bytes) missing.push(`${f.folder}/${f.name}: ${size.size} bytes, the database says ${f.bytes}`);
    files.push(f);
  };
  const caseDir = path.resolve(dataDir, 'photos');
  for (const r of db.prepare('SELECT file_name AS name, bytes FROM case_photos ORDER BY id').safeIntegers(false).all() as Array<{
    name: string;
    bytes: number;
  }>) {
    const name = path.basename(r.name);
    check({ folder: 'photos', source: path.join(caseDir, name), name, bytes: r.bytes });
  }
  const cadreDir = path.resolve(dataDir, 'cadres');
  for (const p of db.prepare('SELECT photo_path FROM cadres WHERE photo_path IS NOT NULL ORDER BY id').pluck().all() as string[]) {
    const name = path.basename(p);
    check({ folder: 'cadres', source: path.join(cadreDir, name), name });
  }
  if (missing.length) {
    throw new CopyProblem(
      `${missing.length} photo(s) the database names are not as recorded under ${path.resolve(dataDir)} (MASHANG_DATA_DIR): ` +
        `${missing.slice(0, 5).join('; ')}${missing.length > 5 ? '; …' : ''}`,
    );
  }
  return files;
}

/** Copies the photos into dataTo (when given and not the same folder); the files it created go into `written`. */
function copyPhotos(files: PhotoFile[], dataTo: string | undefined, written: string[]): number {
  if (!dataTo) return 0;
  let copied = 0;
  for (const f of files) {
    const dir = path.resolve(dataTo, f.folder);
    const target = path.join(dir, f.name);
    if (target === f.source) continue;
    fs.mkdirSync(dir, { recursive: true });
    const existed = fs.existsSync(target);
    fs.copyFileSync(f.source, target);
    if (!existed) written.push(target);
    const size = fs.statSync(target).size;
    const expected = f.bytes ?? fs.statSync(f.source).size;
    if (size !== expected) throw new CopyProblem(`photo ${f.folder}/${f.name}: ${size} bytes in ${dir} after copying, expected ${expected}`);
    copied++;
  }
  return copied;
}
