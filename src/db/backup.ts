import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { schemaState } from './health.js';
import type { Db } from './index.js';
import { fsyncDir, fsyncFile, writeDurably } from './durable.js';

/**
 * A backup is a folder: the database (an online copy through SQLite's backup API), the photo
 * folders under the data folder, manifest.json (time, schema, row counts, files with SHA-256) and
 * SHA256SUMS (the same checksums, for `sha256sum -c`). It is written under a temporary name and
 * renamed when complete, so a folder with a manifest is always a whole backup.
 */
export const BACKUP_DB = 'mashang.sqlite';
export const MANIFEST = 'manifest.json';
export const SUMS = 'SHA256SUMS';
/** the folders under MASHANG_DATA_DIR that hold data (case photos, cadre photos) */
export const DATA_FOLDERS = ['photos', 'cadres'] as const;

export interface BackupFile {
  /** relative to the backup folder, with forward slashes */
  path: string;
  bytes: number;
  sha256: string;
}

export interface BackupManifest {
  format: 'mashang-backup';
  version: 1;
  createdAt: string;
  /** the last migration applied, and all of them */
  schemaVersion: string;
  migrations: string[];
  /** PRAGMA integrity_check of the copy */
  integrity: 'ok';
  tables: Record<string, number>;
  files: BackupFile[];
  /** photos the database names that were not in the data folder when the backup was taken */
  missingFiles: string[];
}

/** Something about a backup or a restore that the operator must fix; the message says what. */
export class BackupError extends Error {}

const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

/** Every table and its row count, integrity_check, and the schema, read from a database file. */
function describeCopy(
  file: string,
): Pick<BackupManifest, 'tables' | 'schemaVersion' | 'migrations'> & { integrity: string[]; referenced: Record<string, string[]> } {
  const copy = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const integrity = (copy.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).filter((r) => r !== 'ok');
    const names = copy.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
    const tables: Record<string, number> = {};
    for (const n of names)
      tables[n] = copy
        .prepare(`SELECT count(*) FROM "${n.replaceAll('"', '""')}"`)
        .pluck()
        .get() as number;
    const { applied } = schemaState(copy);
    const referenced: Record<string, string[]> = { photos: [], cadres: [] };
    if (names.includes('case_photos')) referenced.photos = copy.prepare('SELECT file_name FROM case_photos').pluck().all() as string[];
    if (names.includes('cadres')) referenced.cadres = copy.prepare('SELECT photo_path FROM cadres WHERE photo_path IS NOT NULL').pluck().all() as string[];
    return { integrity, tables, schemaVersion: applied.at(-1) ?? 'empty', migrations: applied, referenced };
  } finally {
    copy.close();
  }
}

/**
 * Takes a consistent backup of a live installation into `out` (which must not exist, or be an
 * empty folder). The database copy is one snapshot: with `pagesPerStep` unset it is copied in one
 * step (one read transaction: under WAL, writers go on meanwhile); a smaller step suits the server,
 * whose own writes SQLite carries into the copy as it goes. Photos are copied after the snapshot,
 * and a case's photos are on disk before its row is committed, so every photo the copy names is there.
 */
export async function takeBackup(db: Db, opts: { dataDir: string; out: string; pagesPerStep?: number; now?: () => Date }): Promise<BackupManifest> {
  const out = path.resolve(opts.out);
  if (fs.existsSync(out) && (!fs.statSync(out).isDirectory() || fs.readdirSync(out).length > 0)) {
    throw new BackupError(`${out} already exists and is not an empty folder; choose a new folder for the backup.`);
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.partial-${crypto.randomBytes(4).toString('hex')}`;
  fs.mkdirSync(tmp);
  try {
    const createdAt = (opts.now ?? (() => new Date()))().toISOString();
    const dbCopy = path.join(tmp, BACKUP_DB);
    const step = opts.pagesPerStep ?? 0x7fffffff;
    await db.backup(dbCopy, { progress: () => step });
    // The copy carries the live file's WAL flag; a backup is one self-contained file.
    const copy = new Database(dbCopy);
    copy.pragma('journal_mode = DELETE');
    copy.close();
    fsyncFile(dbCopy);
    const described = describeCopy(dbCopy);
    if (described.integrity.length) {
      throw new BackupError(`The copy of the database failed PRAGMA integrity_check: ${described.integrity.slice(0, 3).join('; ')}`);
    }
    const files: BackupFile[] = [];
    const dbBytes = fs.readFileSync(dbCopy);
    files.push({ path: BACKUP_DB, bytes: dbBytes.length, sha256: sha256(dbBytes) });

    const missingFiles: string[] = [];
    for (const folder of DATA_FOLDERS) {
      const from = path.resolve(opts.dataDir, folder);
      const to = path.join(tmp, folder);
      fs.mkdirSync(to);
      const names = fs.existsSync(from)
        ? fs
            .readdirSync(from, { withFileTypes: true })
            .filter((e) => e.isFile() && !e.name.startsWith('.'))
            .map((e) => e.name)
            .sort()
        : [];
      const copied = new Set<string>();
      for (const name of names) {
        let data: Buffer;
        try {
          data = fs.readFileSync(path.join(from, name));
        } catch (err) {
          // Removed since the listing (a failed upload cleaned up, a cadre photo replaced).
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw err;
        }
        writeDurably(path.join(to, name), data);
        files.push({ path: `${folder}/${name}`, bytes: data.length, sha256: sha256(data) });
        copied.add(name);
      }
      fsyncDir(to);
      for (const name of described.referenced[folder] ?? []) if (!copied.has(path.basename(name))) missingFiles.push(`${folder}/${name}`);
    }

    const manifest: BackupManifest = {
      format: 'mashang-backup',
      version: 1,
      createdAt,
      schemaVersion: described.schemaVersion,
      migrations: described.migrations,
      integrity: 'ok',
      tables: described.tables,
      files,
      missingFiles,
    };
    writeDurably(path.join(tmp, SUMS), files.map((f) => `${f.sha256}  ${f.path}\n`).join(''));
    writeDurably(path.join(tmp, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    fsyncDir(tmp);
    if (fs.existsSync(out)) fs.rmdirSync(out);
    fs.renameSync(tmp, out);
    fsyncDir(path.dirname(out));
    return manifest;
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Reads a backup's manifest and checks every file's size and SHA-256. */
export function verifyBackup(from: string): BackupManifest {
  const dir = path.resolve(from);
  const manifestFile = path.join(dir, MANIFEST);
  if (!fs.existsSync(manifestFile)) throw new BackupError(`${dir} holds no ${MANIFEST}: not a backup, or an unfinished one.`);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as BackupManifest;
  } catch (err) {
    throw new BackupError(`${manifestFile} cannot be read: ${(err as Error).message}`);
  }
  if (manifest.format !== 'mashang-backup' || manifest.version !== 1 || !Array.isArray(manifest.files)) {
    throw new BackupError(`${manifestFile} is not a Mashang backup manifest this version can read.`);
  }
  const bad: string[] = [];
  for (const f of manifest.files) {
    const file = path.join(dir, ...f.path.split('/'));
    if (path.relative(dir, file).startsWith('..')) throw new BackupError(`${manifestFile} names a file outside the backup: ${f.path}`);
    if (!fs.existsSync(file)) {
      bad.push(`${f.path} is missing`);
      continue;
    }
    const data = fs.readFileSync(file);
    if (data.length !== f.bytes || sha256(data) !== f.sha256) bad.push(`${f.path} does not match its checksum`);
  }
  if (!manifest.files.some((f) => f.path === BACKUP_DB)) bad.push(`${BACKUP_DB} is not listed`);
  if (bad.length)
    throw new BackupError(
      `The backup in ${dir} is damaged: ${bad.slice(0, 5).join('; ')}${bad.length > 5 ? ` (and ${bad.length - 5} more)` : ''}. Nothing was restored.`,
    );
  return manifest;
}

export interface RestoreResult {
  manifest: BackupManifest;
  /** where the replaced files were moved (only with force) */
  replaced: string[];
}

/**
 * Restores a backup into MASHANG_DB and MASHANG_DATA_DIR. Checks every checksum and the copy's
 * integrity first; refuses to replace an existing database (or photos) without `force`, and even
 * then keeps what it replaces under a `.replaced-TIME` name. Stop the server first.
 */
export function restoreBackup(opts: { from: string; dbFile: string; dataDir: string; force: boolean; now?: () => Date }): RestoreResult {
  const from = path.resolve(opts.from);
  const manifest = verifyBackup(from);
  const described = describeCopy(path.join(from, BACKUP_DB));
  if (described.integrity.length) throw new BackupError(`The database in ${from} fails PRAGMA integrity_check: ${described.integrity.slice(0, 3).join('; ')}`);

  const dbFile = path.resolve(opts.dbFile);
  const dataDir = path.resolve(opts.dataDir);
  const hasDb = [dbFile, `${dbFile}-wal`].some((f) => fs.existsSync(f) && fs.statSync(f).size > 0);
  const existing = [
    ...(hasDb ? [dbFile] : []),
    ...DATA_FOLDERS.map((f) => path.join(dataDir, f)).filter((d) => fs.existsSync(d) && fs.readdirSync(d).length > 0),
  ];
  if (!opts.force && existing.length) {
    throw new BackupError(
      `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}. ` +
        'Nothing was restored. Stop the server and add --force to replace them (the old files are kept with a .replaced-TIME suffix).',
    );
  }
  const stamp = stampOf((opts.now ?? (() => new Date()))());
  const replaced: string[] = [];
  const moveAside = (file: string, aside: string) => {
    if (!fs.existsSync(file)) return;
    fs.renameSync(file, aside);
    replaced.push(aside);
  };

  fs.mkdirSync(path.dirname(dbFile), { recursive: true });
  const incoming = `${dbFile}.restoring`;
  fs.rmSync(incoming, { force: true });
  fs.copyFileSync(path.join(from, BACKUP_DB), incoming);
  fsyncFile(incoming);
  // The -wal and -shm files belong to the database they sit beside: move them with it (SQLite
  // finds NAME-wal beside NAME, so the replaced copy stays openable).
  const aside = `${dbFile}.replaced-${stamp}`;
  moveAside(dbFile, aside);
  moveAside(`${dbFile}-wal`, `${aside}-wal`);
  moveAside(`${dbFile}-shm`, `${aside}-shm`);
  fs.renameSync(incoming, dbFile);
  fsyncDir(path.dirname(dbFile));

  fs.mkdirSync(dataDir, { recursive: true });
  for (const folder of DATA_FOLDERS) {
    const target = path.join(dataDir, folder);
    const staging = `${target}.restoring`;
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(staging);
    for (const f of manifest.files.filter((x) => x.path.startsWith(`${folder}/`))) {
      writeDurably(path.join(staging, path.basename(f.path)), fs.readFileSync(path.join(from, folder, path.basename(f.path))));
    }
    fsyncDir(staging);
    moveAside(target, `${target}.replaced-${stamp}`);
    fs.renameSync(staging, target);
  }
  fsyncDir(dataDir);

  const after = describeCopy(dbFile);
  const differs = Object.keys(manifest.tables).filter((t) => after.tables[t] !== manifest.tables[t]);
  if (after.integrity.length || differs.length) {
    throw new BackupError(`The restored database ${dbFile} does not match the backup${differs.length ? ` (tables ${differs.join(', ')})` : ''}.`);
  }
  return { manifest, replaced };
}

/** 20261130T061500Z: sorts by time, safe in file names everywhere. */
export function stampOf(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

const SCHEDULED = /^mashang-(\d{8}T\d{6}Z)$/;

/** The scheduled backups in `dir` that are complete, newest first. */
export function listBackups(dir: string): Array<{ name: string; path: string; at: Date }> {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => SCHEDULED.test(n) && fs.existsSync(path.join(dir, n, MANIFEST)))
    .sort()
    .reverse()
    .map((name) => {
      const s = SCHEDULED.exec(name)![1]!;
      const at = new Date(`${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`);
      return { name, path: path.join(dir, name), at };
    });
}

/**
 * One scheduled backup: a new `mashang-TIME` folder in `dir`, then only the newest `keep` are kept
 * (and the remains of interrupted ones are removed). Returns the new folder and what was removed.
 */
export async function runScheduledBackup(
  db: Db,
  opts: { dir: string; keep: number; dataDir: string; pagesPerStep?: number; now?: () => Date },
): Promise<{ path: string; manifest: BackupManifest; removed: string[] }> {
  const dir = path.resolve(opts.dir);
  fs.mkdirSync(dir, { recursive: true });
  const now = opts.now ?? (() => new Date());
  const out = path.join(dir, `mashang-${stampOf(now())}`);
  const manifest = await takeBackup(db, { dataDir: opts.dataDir, out, pagesPerStep: opts.pagesPerStep, now });
  const removed: string[] = [];
  for (const old of listBackups(dir).slice(opts.keep)) {
    fs.rmSync(old.path, { recursive: true, force: true });
    removed.push(old.path);
  }
  for (const n of fs.readdirSync(dir)) {
    if (/^mashang-\d{8}T\d{6}Z\.partial-[0-9a-f]+$/.test(n)) {
      fs.rmSync(path.join(dir, n), { recursive: true, force: true });
      removed.push(path.join(dir, n));
    }
  }
  return { path: out, manifest, removed };
}

/**
 * The server's backup schedule: every `everyMs`, counted from the newest backup already in the
 * folder (a restart does not take an extra one). Failures are logged and tried again next time.
 */
export function scheduleBackups(db: Db, opts: { dir: string; keep: number; everyMs: number; dataDir: string; logger: Logger; now?: () => Date }) {
  const now = opts.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;

  const run = async (): Promise<boolean> => {
    const started = Date.now();
    try {
      // 1000 pages (4 MB) a step keeps each pause of the server short.
      const r = await runScheduledBackup(db, { dir: opts.dir, keep: opts.keep, dataDir: opts.dataDir, pagesPerStep: 1000, now });
      opts.logger.info({ backup: r.path, files: r.manifest.files.length, ms: Date.now() - started, removed: r.removed.length }, 'backup written');
      if (r.manifest.missingFiles.length)
        opts.logger.warn({ backup: r.path, missing: r.manifest.missingFiles }, 'backup: files the database names are missing');
      return true;
    } catch (err) {
      opts.logger.error({ err, dir: opts.dir }, 'backup failed');
      return false;
    }
  };
  const plan = (failed = false) => {
    if (stopped) return;
    let wait: number;
    if (failed) wait = Math.min(opts.everyMs, 3600_000);
    else {
      try {
        const last = listBackups(path.resolve(opts.dir))[0];
        wait = last ? Math.max(0, last.at.getTime() + opts.everyMs - now().getTime()) : 0;
      } catch {
        wait = 0; // the backup itself will log what is wrong with the folder
      }
    }
    timer = setTimeout(
      () => {
        running = run().then((ok) => {
          running = undefined;
          plan(!ok);
        });
      },
      Math.min(wait, 0x7fffffff),
    );
    timer.unref();
  };
  plan();
  return {
    /** Stops the schedule; resolves when a backup under way has finished. */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
