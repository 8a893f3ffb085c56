import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { prepare } from '../../src/bootstrap.js';
import { main } from '../../src/cli/commands.js';
import { loadConfig, testConfig } from '../../src/config.js';
import { listBackups, runScheduledBackup, scheduleBackups, takeBackup, type BackupManifest } from '../../src/db/backup.js';
import type { Db } from '../../src/db/index.js';
import { buildApp } from '../helpers/app.js';
import { seededFile, tempDirs } from '../helpers/files.js';
import { agentFor, openForm, postMultipart } from '../helpers/forms.js';
import { jpegWithGps } from '../helpers/images.js';

const dirs = tempDirs();
afterEach(() => {
  vi.restoreAllMocks();
  dirs.cleanUp();
});
const quiet = () => {
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  return vi.spyOn(console, 'error').mockImplementation(() => undefined);
};

/** A live installation: the demo in a database file, photos under a data folder, the real app. */
function installation() {
  const root = dirs.make();
  const dbFile = path.join(root, 'mashang.sqlite');
  const dataDir = path.join(root, 'data');
  const db = seededFile(dbFile);
  const { app } = buildApp({ db, config: { dbFile, dataDir }, rateLimits: { submitPerIp: 1000, submitPerPlate: 1000 } });
  return { root, dbFile, dataDir, db, app, env: { MASHANG_DB: dbFile, MASHANG_DATA_DIR: dataDir, LOG_LEVEL: 'silent' } };
}

/** Villagers filing cases at once from different plates, every third with a photo. */
async function burst(app: Parameters<typeof agentFor>[0], db: Db, n: number, onHalf: () => void): Promise<number> {
  const tokens = db.prepare("SELECT token FROM plates WHERE kind = 'household' AND status = 'active' ORDER BY id LIMIT ?").pluck().all(n) as string[];
  const photo = await jpegWithGps();
  const forms = await Promise.all(
    tokens.map(async (token) => {
      const agent = agentFor(app);
      return { agent, token, form: await openForm(agent, `/p/${token}/speak`) };
    }),
  );
  let done = 0;
  await Promise.all(
    forms.map(({ agent, token, form }, i) =>
      postMultipart(
        agent,
        `/p/${token}/speak`,
        {
          category: 'suggestion',
          content: `第${i + 1}户：村口的路灯晚上不亮，请安排检修`,
          name: '王建国',
          phone: '13812345678',
          _csrf: form.csrf,
          idempotencyKey: form.idempotencyKey,
        },
        i % 3 === 0 ? [{ name: 'lamp.jpg', data: photo }] : [],
      )
        .expect(303)
        .then(() => {
          if (++done === Math.floor(n / 2)) onHalf();
        }),
    ),
  );
  return done;
}

const tables = (db: Database.Database) =>
  db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
const rowsOf = (db: Database.Database, table: string) => db.prepare(`SELECT * FROM "${table}" ORDER BY rowid`).all();
const filesOf = (dir: string) =>
  fs.existsSync(dir)
    ? Object.fromEntries(
        fs
          .readdirSync(dir)
          .sort()
          .map((n) => [n, fs.readFileSync(path.join(dir, n)).toString('base64')]),
      )
    : {};

describe('backup and restore of a live installation', () => {
  it('backs up during a burst of villager submissions and restores to an identical, integrity-checked installation', async () => {
    const live = installation();
    const cliOut = path.join(live.root, 'backups', 'by-hand');
    const scheduledDir = path.join(live.root, 'backups', 'scheduled');
    const during: Array<Promise<unknown>> = [];
    let casesAtStart = -1;
    quiet();
    const filed = await burst(live.app, live.db, 30, () => {
      casesAtStart = live.db.prepare('SELECT count(*) FROM cases').pluck().get() as number;
      // the operator's command, on its own connection, and the server's schedule, a few pages at a time
      during.push(main(['backup', '--out', cliOut], live.env).then((code) => expect(code).toBe(0)));
      during.push(runScheduledBackup(live.db, { dir: scheduledDir, keep: 3, dataDir: live.dataDir, pagesPerStep: 8 }));
    });
    await Promise.all(during);
    expect(filed).toBe(30);
    expect(casesAtStart).toBeGreaterThan(0);
    const liveDb = new Database(live.dbFile, { readonly: true });
    expect(liveDb.prepare('SELECT count(*) FROM cases').pluck().get()).toBe(30);

    for (const from of [cliOut, listBackups(scheduledDir)[0]!.path]) {
      const manifest = JSON.parse(fs.readFileSync(path.join(from, 'manifest.json'), 'utf8')) as BackupManifest;
      expect(manifest).toMatchObject({ format: 'mashang-backup', integrity: 'ok', missingFiles: [] });
      expect(manifest.schemaVersion).toMatch(/^\d{3}_\w+\.sql$/);
      expect(fs.readFileSync(path.join(from, 'SHA256SUMS'), 'utf8')).toContain('  mashang.sqlite\n');
      // a snapshot from the middle of the burst: whole cases, each exactly as the live one
      expect(manifest.tables.cases).toBeGreaterThanOrEqual(casesAtStart);
      expect(manifest.tables.cases).toBeLessThanOrEqual(30);

      const target = dirs.make();
      const env = { MASHANG_DB: path.join(target, 'mashang.sqlite'), MASHANG_DATA_DIR: path.join(target, 'data'), LOG_LEVEL: 'silent' };
      expect(await main(['restore', '--from', from], env)).toBe(0);
      const restored = new Database(env.MASHANG_DB, { readonly: true });
      expect(restored.pragma('integrity_check', { simple: true })).toBe('ok');
      for (const t of tables(restored)) expect(restored.prepare(`SELECT count(*) FROM "${t}"`).pluck().get(), t).toBe(manifest.tables[t]);
      const get = liveDb.prepare('SELECT * FROM cases WHERE id = ?');
      for (const c of rowsOf(restored, 'cases') as Array<{ id: number }>) expect(c).toEqual(get.get(c.id));
      const events = rowsOf(restored, 'case_events') as Array<{ case_id: number }>;
      expect(new Set(events.map((e) => e.case_id)).size).toBe(manifest.tables.cases);
      for (const p of restored.prepare('SELECT file_name FROM case_photos').pluck().all() as string[]) {
        expect(fs.readFileSync(path.join(env.MASHANG_DATA_DIR, 'photos', p)).equals(fs.readFileSync(path.join(live.dataDir, 'photos', p)))).toBe(true);
      }
      restored.close();
    }

    // Once the burst is over, a backup restores to the very same installation: every row, every photo.
    const after = path.join(live.root, 'backups', 'after');
    expect(await main(['backup', '--out', after], live.env)).toBe(0);
    const target = dirs.make();
    const env = { MASHANG_DB: path.join(target, 'mashang.sqlite'), MASHANG_DATA_DIR: path.join(target, 'data'), LOG_LEVEL: 'silent' };
    expect(await main(['restore', '--from', after], env)).toBe(0);
    const restored = new Database(env.MASHANG_DB, { readonly: true });
    expect(restored.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(tables(restored)).toEqual(tables(liveDb));
    for (const t of tables(liveDb)) expect(rowsOf(restored, t), t).toEqual(rowsOf(liveDb, t));
    restored.close();
    expect(filesOf(path.join(env.MASHANG_DATA_DIR, 'photos'))).toEqual(filesOf(path.join(live.dataDir, 'photos')));
    expect(Object.keys(filesOf(path.join(env.MASHANG_DATA_DIR, 'photos')))).toHaveLength(10);

    // and the restored installation starts and shows a villager's case with its photo
    const started = await prepare(testConfig({ dbFile: env.MASHANG_DB, dataDir: env.MASHANG_DATA_DIR }), pino({ level: 'silent' }));
    expect(started.createdDatabase).toBe(false);
    // a database file: SQLite's handle is there
    const startedDb = started.db!;
    const { app } = buildApp({ db: startedDb, config: { dataDir: env.MASHANG_DATA_DIR } });
    const withPhoto = startedDb.prepare('SELECT c.token, p.id FROM cases c JOIN case_photos p ON p.case_id = c.id LIMIT 1').get() as {
      token: string;
      id: number;
    };
    await request(app).get(`/track/${withPhoto.token}`).expect(200);
    await request(app)
      .get(`/track/${withPhoto.token}/photos/${withPhoto.id}`)
      .expect(200)
      .expect('content-type', /image\/jpeg/);
    startedDb.close();
    liveDb.close();
  });

  it('restore refuses to replace an existing database without --force, and keeps what --force replaces', async () => {
    const live = installation();
    const error = quiet();
    const out = path.join(live.root, 'backup');
    expect(await main(['backup', '--out', out], live.env)).toBe(0);
    live.db.prepare("UPDATE households SET address = '改过的地址' WHERE id = 1").run();

    expect(await main(['restore', '--from', out], live.env)).toBe(1);
    expect(error.mock.calls.map((c) => String(c[0])).join('\n')).toContain(`${live.dbFile} already exists. Nothing was restored.`);
    expect(live.db.prepare('SELECT address FROM households WHERE id = 1').pluck().get()).toBe('改过的地址');

    live.db.close();
    expect(await main(['restore', '--from', out, '--force'], live.env)).toBe(0);
    const restored = new Database(live.dbFile, { readonly: true });
    expect(restored.prepare('SELECT address FROM households WHERE id = 1').pluck().get()).not.toBe('改过的地址');
    restored.close();
    const kept = fs.readdirSync(live.root).filter((n) => /^mashang\.sqlite\.replaced-\d{8}T\d{6}Z$/.test(n));
    expect(kept).toHaveLength(1);
    const old = new Database(path.join(live.root, kept[0]!), { readonly: true });
    expect(old.prepare('SELECT address FROM households WHERE id = 1').pluck().get()).toBe('改过的地址');
    old.close();
  });

  it('restore refuses a backup whose files do not match their checksums, and a folder that is not a backup', async () => {
    const live = installation();
    const error = quiet();
    const out = path.join(live.root, 'backup');
    await takeBackup(live.db, { dataDir: live.dataDir, out });
    const db = path.join(out, 'mashang.sqlite');
    const bytes = fs.readFileSync(db);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
    fs.writeFileSync(db, bytes);
    const target = dirs.make();
    const env = { MASHANG_DB: path.join(target, 'mashang.sqlite'), MASHANG_DATA_DIR: path.join(target, 'data'), LOG_LEVEL: 'silent' };
    expect(await main(['restore', '--from', out], env)).toBe(1);
    expect(await main(['restore', '--from', target], env)).toBe(1);
    const said = error.mock.calls.map((c) => String(c[0])).join('\n');
    expect(said).toContain('mashang.sqlite does not match its checksum');
    expect(said).toContain('holds no manifest.json');
    expect(fs.readdirSync(target)).toEqual([]);
  });

  it('backup refuses a folder that already holds files', async () => {
    const live = installation();
    const error = quiet();
    fs.writeFileSync(path.join(live.root, 'note.txt'), 'x');
    expect(await main(['backup', '--out', live.root], live.env)).toBe(1);
    expect(error.mock.calls.map((c) => String(c[0])).join('\n')).toContain('already exists and is not an empty folder');
    expect(await main(['backup'], live.env)).toBe(2);
  });
});

describe('scheduled backups', () => {
  it('keeps the newest MASHANG_BACKUP_KEEP backups and removes the remains of interrupted ones', async () => {
    const live = installation();
    const dir = path.join(live.root, 'backups');
    fs.mkdirSync(path.join(dir, 'mashang-20261101T000000Z.partial-0a1b2c3d'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'keep-me'));
    let t = Date.parse('2026-11-30T00:00:00Z');
    for (let i = 0; i < 4; i++) {
      await runScheduledBackup(live.db, { dir, keep: 2, dataDir: live.dataDir, now: () => new Date(t) });
      t += 3600_000;
    }
    expect(fs.readdirSync(dir).sort()).toEqual(['keep-me', 'mashang-20261130T020000Z', 'mashang-20261130T030000Z']);
  });

  it('the server takes the first backup soon after start when none is recent, then waits its interval', async () => {
    const live = installation();
    const dir = path.join(live.root, 'backups');
    const schedule = scheduleBackups(live.db, { dir, keep: 7, everyMs: 3600_000, dataDir: live.dataDir, logger: pino({ level: 'silent' }) });
    for (let i = 0; i < 100 && listBackups(dir).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    await schedule.stop();
    expect(listBackups(dir)).toHaveLength(1);

    // a restart within the interval takes no extra backup
    const again = scheduleBackups(live.db, { dir, keep: 7, everyMs: 3600_000, dataDir: live.dataDir, logger: pino({ level: 'silent' }) });
    await new Promise((r) => setTimeout(r, 300));
    await again.stop();
    expect(listBackups(dir)).toHaveLength(1);
  });

  it('reads MASHANG_BACKUP_DIR, MASHANG_BACKUP_KEEP and MASHANG_BACKUP_HOURS, naming a bad one', () => {
    expect(loadConfig({}).backup).toBeUndefined();
    expect(loadConfig({ MASHANG_BACKUP_DIR: '/srv/backups' }).backup).toEqual({ dir: '/srv/backups', keep: 7, everyMs: 24 * 3600_000 });
    expect(loadConfig({ MASHANG_BACKUP_DIR: '/b', MASHANG_BACKUP_KEEP: '30', MASHANG_BACKUP_HOURS: '6' }).backup).toEqual({
      dir: '/b',
      keep: 30,
      everyMs: 6 * 3600_000,
    });
    expect(() => loadConfig({ MASHANG_BACKUP_KEEP: '0' })).toThrow(/MASHANG_BACKUP_KEEP/);
    expect(() => loadConfig({ MASHANG_BACKUP_HOURS: 'daily' })).toThrow(/MASHANG_BACKUP_HOURS/);
  });
});
