import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type Db = Database.Database;

/** The folder holding package.json, whether running from src/ or from the build in dist/. */
export const projectRoot = findUp(path.dirname(fileURLToPath(import.meta.url)));

function findUp(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json'))) return d;
    if (path.dirname(d) === d) throw new Error(`package.json not found above ${dir}`);
  }
}
export const migrationsDir = path.join(projectRoot, 'db', 'migrations');

/** SQLite's page cache per connection, in KiB (the default is 2,000). */
const CACHE_KIB = 64 * 1024;
/** How much of the file SQLite reads through a memory map instead of read() calls. */
const MMAP_BYTES = 256 * 1024 * 1024;

/** The database cannot be used as it is: the message names the file and says what to do. */
export class DatabaseProblem extends Error {}

/**
 * Opens the database with the settings every connection needs. The folder must exist: a mistyped
 * MASHANG_DB must not quietly become a new, empty installation somewhere else. `lean`: SQLite's
 * default page cache (16 MB as better-sqlite3 builds it) and no memory map, for a connection that reads once through the file
 * (an export): its pages would otherwise stay in the process' memory, up to 320 MB.
 */
export function openDb(file: string, opts: { readonly?: boolean; lean?: boolean } = {}): Db {
  const where = file === ':memory:' ? file : path.resolve(file);
  if (file !== ':memory:' && !fs.existsSync(path.dirname(where))) {
    throw new DatabaseProblem(`MASHANG_DB: the folder of the database ${where} does not exist. Check the path, or create the folder first.`);
  }
  let db: Db | undefined;
  try {
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    if (file !== ':memory:' && !opts.readonly) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Durability under WAL: NORMAL syncs only at checkpoints, so the last commits before a power
    // cut or an OS crash can be lost (the file stays consistent). FULL syncs the WAL on every
    // commit: a case is on disk before its receipt is shown, for one fsync per write.
    db.pragma('synchronous = FULL');
    // Page cache and memory map, chosen with npm run bench:inbox (see DEVELOPERS.md): SQLite's 2 MB
    // default cache holds a fraction of the cases' indexes at city scale, so every inbox page and
    // dashboard went back to the file. Both grow only as pages are read.
    if (!opts.lean) {
      db.pragma(`cache_size = -${CACHE_KIB}`);
      if (file !== ':memory:') db.pragma(`mmap_size = ${MMAP_BYTES}`);
    }
    return db;
  } catch (err) {
    db?.close();
    throw new DatabaseProblem(`Cannot open the database ${where}: ${(err as Error).message}`);
  }
}

/** Applies db/migrations/NNN_name.sql in order, each in its own transaction. Returns the names applied. */
export function migrate(db: Db, dir = migrationsDir): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  )`);
  const done = new Set(db.prepare('SELECT name FROM schema_migrations').pluck().all() as string[]);
  const files = fs
    .readdirSync(dir)
    .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
    .sort();
  const applied: string[] = [];
  for (const file of files) {
    if (done.has(file)) continue;
    const sql = fs.readFileSync(path.join(dir, file), 'utf8');
    // A migration that rebuilds a table others refer to starts with `-- foreign_keys: off`: SQLite's
    // own procedure for that (foreign keys cannot be switched inside a transaction), with every key
    // checked before the migration commits.
    const keysOff = sql.startsWith('-- foreign_keys: off');
    if (keysOff) db.pragma('foreign_keys = OFF');
    try {
      transaction(db, () => {
        db.exec(sql);
        if (keysOff) {
          const broken = db.prepare('PRAGMA foreign_key_check').all();
          if (broken.length) throw new Error(`${file}: ${broken.length} rows would break a foreign key, e.g. ${JSON.stringify(broken[0])}`);
        }
        db.prepare('INSERT INTO schema_migrations (name) VALUES (?)').run(file);
      });
    } finally {
      if (keysOff) db.pragma('foreign_keys = ON');
    }
    applied.push(file);
  }
  return applied;
}

/**
 * Keeps the query planner's statistics current, so the indexes on cases are chosen at all (without
 * statistics SQLite guesses, and at city scale guesses wrong): analyses every table that has never
 * been analysed or whose size changed much since, reading at most `analysis_limit` rows of each
 * index, so it takes milliseconds whatever the size. Run after migrating and then periodically.
 */
export function optimize(db: Db): void {
  if (db.readonly) return;
  db.pragma('analysis_limit = 1000');
  // 0x10002: consider every table, not only the ones this connection has queried so far.
  db.pragma('optimize = 0x10002');
}

/** Runs fn in one transaction: all of it is written, or none of it. */
export function transaction<T>(db: Db, fn: () => T): T {
  return db.transaction(fn)();
}
