import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { prepare } from '../../src/bootstrap.js';
import { loadConfig, testConfig } from '../../src/config.js';
import { verifyPassword } from '../../src/features/staff/passwords.js';
import { DatabaseProblem } from '../../src/db/index.js';
import { blankPostgresUrl, onPostgres } from '../helpers/engine.js';
import { damagePage, seededFile } from '../helpers/files.js';
import { testSql } from '../helpers/sql.js';

const silent = pino({ level: 'silent' });
const dirs: string[] = [];
const tempDb = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-'));
  dirs.push(dir);
  return path.join(dir, 'mashang.sqlite');
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Where a first start finds an empty installation: a new SQLite file, or a blank PostgreSQL database. */
const emptyInstallation = async () => (onPostgres ? { databaseUrl: await blankPostgresUrl() } : { dbFile: tempDb() });
const households = async (p: { database: Parameters<typeof testSql>[0] }) => Number(await testSql(p.database).value('SELECT count(*) FROM households'));

describe('first start and restart', () => {
  it('on an empty database migrates, seeds the demo and creates admin with a printed random password', async () => {
    const target = await emptyInstallation();
    const first = await prepare(testConfig({ ...target, adminPassword: undefined }), silent);
    expect(first.createdDatabase).toBe(true);
    // 兖州区's 862 items and 曲阜市's 11
    expect(first.seeded?.items).toBe(873);
    expect(first.adminCreated).toBe(true);
    expect(first.adminPassword).toMatch(/^\S{16}$/);
    const user = (await first.services.staff.findUser('admin'))!;
    expect(user.role).toBe('admin');
    expect(await verifyPassword(first.adminPassword!, user.passwordHash)).toBe(true);
    const seeded = await households(first);
    expect(seeded).toBeGreaterThan(0);
    await first.database.close();

    const again = await prepare(testConfig({ ...target, adminPassword: 'another-password-1' }), silent);
    expect(again.createdDatabase).toBe(false);
    expect(again.seeded).toBeUndefined();
    expect(again.adminCreated).toBe(false);
    expect(again.adminPassword).toBeUndefined();
    expect(await households(again)).toBe(seeded);
    expect((await again.services.staff.findUser('admin'))!.passwordHash).toBe(user.passwordHash);
    await again.database.close();
  });

  it('uses MASHANG_ADMIN_PASSWORD when given and prints no password', async () => {
    const first = await prepare(testConfig({ ...(await emptyInstallation()), adminPassword: 'county-secret-2026' }), silent);
    expect(first.adminCreated).toBe(true);
    expect(first.adminPassword).toBeUndefined();
    expect(await verifyPassword('county-secret-2026', (await first.services.staff.findUser('admin'))!.passwordHash)).toBe(true);
    await first.database.close();
  });
});

// A database file's folder and the file as the installation: MASHANG_DB, the SQLite engine only.
describe.runIf(!onPostgres)('a mistyped database path in production', () => {
  it('when the database folder does not exist, then start-up stops naming the path and creates nothing', async () => {
    const file = path.join(path.dirname(tempDb()), 'no-such-folder', 'mashang.sqlite');
    await expect(prepare(testConfig({ env: 'production', dbFile: file, demo: false }), silent)).rejects.toThrow(
      `MASHANG_DB: the folder of the database ${file} does not exist`,
    );
    expect(fs.existsSync(path.dirname(file))).toBe(false);
  });

  it('when production starts on a new empty database without MASHANG_DEMO, then no demo is loaded and the new database is announced', async () => {
    const file = tempDb();
    const p = await prepare(testConfig({ env: 'production', dbFile: file, demo: false, adminPassword: 'county-secret-2026' }), silent);
    expect(p.createdDatabase).toBe(true);
    expect(p.dbPath).toBe(path.resolve(file));
    expect(p.seeded).toBeUndefined();
    expect(p.emptyWithoutDemo).toBe(true);
    expect(p.db!.prepare('SELECT count(*) FROM households').pluck().get()).toBe(0);
    expect(p.adminCreated).toBe(true);
    p.db!.close();
  });

  it('reads MASHANG_DEMO: off by default in production, on in development, 1 loads the demo in production', () => {
    const prod = { NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://mashang.example.gov.cn', TRUST_PROXY: '1' };
    expect(loadConfig(prod).demo).toBe(false);
    expect(loadConfig({ ...prod, MASHANG_DEMO: '1' }).demo).toBe(true);
    expect(loadConfig({}).demo).toBe(true);
    expect(loadConfig({ MASHANG_DEMO: '0' }).demo).toBe(false);
    expect(() => loadConfig({ MASHANG_DEMO: 'maybe' })).toThrow(/MASHANG_DEMO/);
  });

  it('with MASHANG_DEMO=1 in production, then the demo is loaded', async () => {
    const file = tempDb();
    const p = await prepare(testConfig({ env: 'production', dbFile: file, demo: true, adminPassword: 'county-secret-2026' }), silent);
    expect(p.seeded?.households).toBeGreaterThan(0);
    p.db!.close();
  });
});

// A damaged or foreign SQLite file: the SQLite engine only.
describe.runIf(!onPostgres)('a broken database stops start-up with a message naming the file', () => {
  it('when a page of the file is damaged, then PRAGMA quick_check stops start-up', async () => {
    const file = tempDb();
    const db = seededFile(file);
    const index = db
      .prepare("SELECT rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = 'catalog_items' ORDER BY rootpage LIMIT 1")
      .pluck()
      .get() as number;
    db.close();
    damagePage(file, index);
    const started = prepare(testConfig({ dbFile: file }), silent);
    await expect(started).rejects.toBeInstanceOf(DatabaseProblem);
    await expect(started).rejects.toThrow(`The database ${path.resolve(file)} is damaged (PRAGMA quick_check:`);
  });

  it('when the file is not a database at all, then start-up stops naming it', async () => {
    const file = tempDb();
    fs.writeFileSync(file, 'this is a spreadsheet, not a database '.repeat(200));
    await expect(prepare(testConfig({ dbFile: file }), silent)).rejects.toThrow(`Cannot open the database ${path.resolve(file)}: file is not a database`);
  });

  it('when the database has migrations this version does not know, then start-up stops', async () => {
    const file = tempDb();
    const db = seededFile(file);
    db.prepare("INSERT INTO schema_migrations (name) VALUES ('999_from_the_future.sql')").run();
    db.close();
    await expect(prepare(testConfig({ dbFile: file }), silent)).rejects.toThrow(
      /does not have the schema this version expects \(migrations this version does not know: 999_from_the_future.sql/,
    );
  });
});
