import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/commands.js';
import { openDb } from '../../src/db/index.js';
import { DEMO_DATA_DIR } from '../../src/features/seed/service.js';
import { verifyPassword } from '../../src/features/staff/passwords.js';
import { onPostgres } from '../helpers/engine.js';

const dirs: string[] = [];
const env = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-cli-'));
  dirs.push(dir);
  return { MASHANG_DB: path.join(dir, 'm.sqlite'), LOG_LEVEL: 'silent' };
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  vi.restoreAllMocks();
});

// The command line opens the SQLite file MASHANG_DB (it does not read MASHANG_DATABASE_URL): the SQLite run only.
describe.runIf(!onPostgres)('the mashang command', () => {
  it('seeds an empty database once, adds a user with scopes, changes a password, runs the jobs and prints plates', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const e = env();
    expect(await main(['seed', '--key', 'k'], e)).toBe(0);
    expect(await main(['seed'], e)).toBe(1);
    expect(
      await main(['user', 'add', 'kong', '--role', 'staff', '--name', '孔干事', '--town', '370812103'], { ...e, MASHANG_NEW_PASSWORD: 'town-password-9' }),
    ).toBe(0);
    expect(await main(['user', 'add', 'bad', '--role', 'boss'], e)).toBe(2);
    // an admin of one district, an admin of the city, and a district that is not there
    expect(await main(['user', 'add', 'qufu', '--role', 'admin', '--district', '370881'], { ...e, MASHANG_NEW_PASSWORD: 'lu-cheng-secret-9' })).toBe(0);
    expect(await main(['user', 'add', 'city', '--role', 'admin'], { ...e, MASHANG_NEW_PASSWORD: 'ji-ning-secret-9' })).toBe(0);
    expect(await main(['user', 'add', 'nowhere', '--role', 'admin', '--district', '370899'], e)).toBe(2);
    const users = openDb(e.MASHANG_DB);
    expect(
      users
        .prepare("SELECT u.username || ':' || coalesce(d.code, 'city') FROM users u LEFT JOIN districts d ON d.id = u.district_id ORDER BY u.username")
        .pluck()
        .all(),
    ).toEqual(['city:city', 'kong:370812', 'qufu:370881']);
    users.close();
    expect(await main(['user', 'passwd', 'nobody'], e)).toBe(1);
    expect(await main(['user', 'passwd', 'kong'], e)).toBe(0);
    const printed = log.mock.calls.map((c) => String(c[0])).find((l) => l.includes('password:'))!;
    const password = /password: (\S+)/.exec(printed)![1]!;
    expect(await main(['jobs', 'run'], e)).toBe(0);
    const out = path.join(path.dirname(e.MASHANG_DB), 'shi.pdf');
    const seeded = openDb(e.MASHANG_DB);
    const shi = seeded.prepare("SELECT code FROM villages WHERE name = '史村'").pluck().get() as string;
    seeded.close();
    expect(await main(['plates', '--village', shi, '--size', 'sticker', '--out', out], e)).toBe(0);
    expect(fs.readFileSync(out).subarray(0, 5).toString()).toBe('%PDF-');
    expect(await main(['plates', '--village', '370812999999', '--out', out], e)).toBe(1);
    expect(await main(['plates', '--village', shi], e)).toBe(2);

    // export → import round trip, a dry run, and a bad file that exits non-zero and writes nothing
    const exported = path.join(path.dirname(e.MASHANG_DB), 'households.xlsx');
    expect(await main(['export', 'households', '--out', exported], e)).toBe(0);
    expect(await main(['import', 'households', exported, '--dry-run'], e)).toBe(0);
    expect(await main(['import', 'households', exported], e)).toBe(0);
    expect(log.mock.calls.map((c) => String(c[0])).some((l) => /0 to add, 0 to change, \d+ unchanged/.test(l))).toBe(true);
    const badFile = path.join(path.dirname(e.MASHANG_DB), 'bad.csv');
    fs.writeFileSync(badFile, `村居代码,门牌地址\n${shi},99胡同1号\n123,1号\n`);
    expect(await main(['import', 'households', badFile], e)).toBe(1);
    expect(error.mock.calls.map((c) => String(c[0])).some((l) => l.includes('row 3, 村居代码: 应为 12 位数字'))).toBe(true);
    expect(await main(['import', 'nonsense', badFile], e)).toBe(2);
    expect(await main(['nonsense'], e)).toBe(2);
    expect(error).toHaveBeenCalled();

    const db = openDb(e.MASHANG_DB);
    const user = db.prepare("SELECT id, role, password_hash AS hash FROM users WHERE username = 'kong'").get() as { id: number; role: string; hash: string };
    expect(user.role).toBe('staff');
    expect(await verifyPassword(password, user.hash)).toBe(true);
    expect(db.prepare('SELECT level, code FROM user_scopes WHERE user_id = ?').all(user.id)).toEqual([{ level: 'town', code: '370812103' }]);
    expect(db.prepare("SELECT action FROM audit_log WHERE ip = 'cli' ORDER BY id").pluck().all()).toEqual([
      'user_added',
      'user_added',
      'user_added',
      'password_set',
      'plates_printed',
      'imported',
    ]);
    expect(db.prepare("SELECT count(*) FROM households WHERE address = '99胡同1号'").pluck().get()).toBe(0);
    db.close();
  });

  it('imports and exports townships and villages: the demo’s own places file finds everything there', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const e = env();
    expect(await main(['seed', '--key', 'k'], e)).toBe(0);
    expect(await main(['import', 'places', path.join(DEMO_DATA_DIR, 'places.csv'), '--dry-run'], e)).toBe(0);
    expect(log.mock.calls.map((c) => String(c[0])).some((l) => l.includes('0 to add, 0 to change, 37 unchanged'))).toBe(true);
    const out = path.join(path.dirname(e.MASHANG_DB), 'places.csv');
    expect(await main(['export', 'places', '--out', out], e)).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toContain('"370812103","颜店镇"');
  });
});
