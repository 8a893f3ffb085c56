import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/commands.js';
import { openDb } from '../../src/db/index.js';
import { postgresDatabase, postgresPool, sqliteDatabase, type Database } from '../../src/db/database.js';
import { DEMO_DATA_DIR } from '../../src/features/seed/service.js';
import { parseTableNow } from '../../src/features/transfer/parse-table.js';
import { blankPostgresUrl, onPostgres } from '../helpers/engine.js';
import { testSql, type TestSql } from '../helpers/sql.js';

// The command line on the suite's engine: MASHANG_DATABASE_URL (a blank PostgreSQL database) on the
// PostgreSQL run, a SQLite file otherwise. The demo is seeded once, through the command; each test
// adds the districts it works with.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-cli-districts-'));
let env: NodeJS.ProcessEnv;
let database: Database;
let db: TestSql;

beforeAll(async () => {
  env = onPostgres ? { MASHANG_DATABASE_URL: await blankPostgresUrl(), LOG_LEVEL: 'silent' } : { MASHANG_DB: path.join(dir, 'm.sqlite'), LOG_LEVEL: 'silent' };
  const quiet = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  expect(await main(['seed', '--key', 'k'], env)).toBe(0);
  quiet.mockRestore();
  database = onPostgres ? postgresDatabase(postgresPool(env.MASHANG_DATABASE_URL!, { max: 2, idleMs: 250 })) : sqliteDatabase(openDb(env.MASHANG_DB!));
  db = testSql(database);
}, 120_000);
afterAll(async () => {
  await database?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs one command; what it printed and its exit code. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await main(args, env);
    const text = (m: typeof log) => m.mock.calls.map((c) => c.map(String).join(' ')).join('\n');
    return { code, out: text(log), err: text(error) };
  } finally {
    log.mockRestore();
    error.mockRestore();
    stderr.mockRestore();
  }
}

/** The rows of a file the export wrote (CSV), as the import reads them. */
function rowsOf(file: string): string[][] {
  return parseTableNow(fs.readFileSync(file), 'utf8').rows;
}

const file = (name: string) => path.join(dir, name);
const districtId = async (code: string) => (await db.value<number>('SELECT id FROM districts WHERE code = ?', code)) as number;

describe('district add', () => {
  it('adds a county-level district with the default reply templates, and says so', async () => {
    const r = await run('district', 'add', '370883', '邹城市');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain('370883 邹城市');
    expect(r.out).toContain('hotline 12345');
    const id = await districtId('370883');
    expect(await db.get('SELECT code, name, hotline FROM districts WHERE id = ?', id)).toEqual({ code: '370883', name: '邹城市', hotline: '12345' });
    expect(await db.column('SELECT title FROM reply_templates WHERE district_id = ? AND town_code IS NULL ORDER BY id', id)).toEqual([
      '已收到，正在核实',
      '材料齐全，代办中',
      '请补充材料',
      '已安排处理',
      '感谢表扬',
      '已电话联系',
    ]);
    expect(await db.get("SELECT action, target, detail, district_id AS \"districtId\" FROM audit_log WHERE ip = 'cli' AND action = 'district_added'")).toEqual({
      action: 'district_added',
      target: '370883',
      detail: '邹城市',
      districtId: id,
    });
    // the district is there for the commands after it: its (empty) catalogue exports
    expect((await run('export', 'catalog', '--district', '370883', '--out', file('zou.csv'))).code).toBe(0);
    expect(rowsOf(file('zou.csv'))).toEqual([]);
  });

  it('refuses a code that is not a county’s, one in use, a bad name, and a missing argument, in Chinese, with exit code 2, adding nothing', async () => {
    const before = await db.value('SELECT count(*) FROM districts');
    const templates = await db.value('SELECT count(*) FROM reply_templates');
    const refused = async (args: string[], message: string) => {
      const r = await run('district', 'add', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toContain(message);
    };
    for (const code of ['37088', '3708811', '37o881', '070881', '990881', '370800', '370000', ' 370881']) {
      await refused([code, '某县'], `区县代码 ${code} 不对`);
    }
    await refused(['370881', '曲阜'], '区县代码 370881 已经在用（曲阜市）');
    await refused(['370812', '兖州区'], '区县代码 370812 已经在用（兖州区）');
    await refused(['370829', ''], '区县名称应为 1 到 20 个字');
    await refused(['370829', '  '], '区县名称应为 1 到 20 个字');
    await refused(['370829', '嘉'.repeat(21)], '区县名称应为 1 到 20 个字');
    await refused(['370829'], '用法：district add 区县代码 区县名称');
    await refused([], '用法');
    await refused(['370829', '嘉祥县', 'extra'], '用法');
    expect(await db.value('SELECT count(*) FROM districts')).toBe(before);
    expect(await db.value('SELECT count(*) FROM reply_templates')).toBe(templates);
    // twenty characters are enough
    expect((await run('district', 'add', '370829', '嘉'.repeat(20))).code).toBe(0);
  });
});

describe('import and export with --district', () => {
  it('needs --district for the catalogue when there are several districts, and refuses an unknown one or one on the calendar', async () => {
    for (const args of [
      ['export', 'catalog', '--out', file('c.csv')],
      ['import', 'catalog', path.join(DEMO_DATA_DIR, '370881', 'catalog.csv'), '--dry-run'],
    ]) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toContain('请用 --district 区县代码');
      // the districts there are, to choose from
      expect(r.err).toContain('370812 兖州区、');
      expect(r.err).toContain('370881 曲阜市');
    }
    const unknown = await run('export', 'households', '--district', '370899', '--out', file('h.csv'));
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('没有代码为 370899 的区县');
    expect(fs.existsSync(file('h.csv'))).toBe(false);
    const calendar = await run('export', 'calendar', '--district', '370812', '--out', file('cal.csv'));
    expect(calendar.code).toBe(2);
    expect(calendar.err).toContain('工作日历全市共用');
    // without --district the shared calendar and the places of every district export as before
    expect((await run('export', 'calendar', '--out', file('cal.csv'))).code).toBe(0);
    expect(rowsOf(file('cal.csv'))).toHaveLength(39);
  });

  it('exports one district’s catalogue, places, households and cadres only', async () => {
    expect((await run('export', 'catalog', '--district', '370881', '--out', file('qufu-catalog.csv'))).code).toBe(0);
    const qufu = rowsOf(file('qufu-catalog.csv'));
    expect(qufu).toHaveLength(11);
    for (const r of qufu) expect(r[1]).toMatch(/^11370881/);
    expect((await run('export', 'catalog', '--district', '370812', '--out', file('yanzhou-catalog.xlsx'))).code).toBe(0);
    expect(fs.readFileSync(file('yanzhou-catalog.xlsx')).subarray(0, 2).toString()).toBe('PK');

    for (const [dataset, all, inQufu] of [
      ['places', 37 + 4, 4],
      ['households', 3207 + 32, 32],
      ['cadres', 164 - 1 + 5, 5],
    ] as const) {
      expect((await run('export', dataset, '--out', file(`${dataset}-all.csv`))).code).toBe(0);
      expect(rowsOf(file(`${dataset}-all.csv`)), dataset).toHaveLength(all);
      expect((await run('export', dataset, '--district', '370881', '--out', file(`${dataset}-qufu.csv`))).code).toBe(0);
      const rows = rowsOf(file(`${dataset}-qufu.csv`));
      expect(rows, dataset).toHaveLength(inQufu);
      const village = dataset === 'places' ? 7 : 0;
      for (const r of rows) expect(r[village], dataset).toMatch(/^370881/);
      expect((await run('export', dataset, '--district', '370812', '--out', file(`${dataset}-yanzhou.csv`))).code).toBe(0);
      expect(rowsOf(file(`${dataset}-yanzhou.csv`)), dataset).toHaveLength(all - inQufu);
    }
  });

  it('imports a catalogue into the district named and never touches another’s', async () => {
    const yanzhou = await districtId('370812');
    const qufu = await districtId('370881');
    const snapshot = (id: number) =>
      db.all(
        `SELECT i.code, i.impl_code, i.name, i.keywords, i.department, i.promised_limit, i.published, i.updated_at,
                (SELECT count(*) FROM catalog_materials m WHERE m.item_id = i.id) AS materials
         FROM catalog_items i WHERE i.district_id = ? ORDER BY i.code`,
        id,
      );
    const yanzhouBefore = await snapshot(yanzhou);
    const qufuBefore = await snapshot(qufu);
    expect(yanzhouBefore).toHaveLength(862);
    // a new district's catalogue: five of 兖州区's items (the same codes and names), one of them renamed
    expect((await run('district', 'add', '370826', '微山县')).code).toBe(0);
    const weishan = await districtId('370826');
    expect((await run('export', 'catalog', '--district', '370812', '--out', file('yanzhou.csv'))).code).toBe(0);
    const text = fs.readFileSync(file('yanzhou.csv'), 'utf8');
    const lines = text.split('\r\n"');
    const five = [lines[0], ...lines.slice(1, 6)]
      .join('\r\n"')
      .replaceAll('11370812', '11370826')
      .replace('《出生医学证明》首次签发', '出生医学证明首次签发（微山）');
    fs.writeFileSync(file('weishan.csv'), `${five}\r\n`);
    const shipped = rowsOf(file('weishan.csv'));
    expect(shipped).toHaveLength(5);

    const dry = await run('import', 'catalog', file('weishan.csv'), '--district', '370826', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('5 to add, 0 to change, 0 unchanged, 0 error(s); dry run');
    const r = await run('import', 'catalog', file('weishan.csv'), '--district', '370826');
    expect(r.code).toBe(0);
    expect(r.out).toContain('5 to add, 0 to change');

    // 兖州区 and 曲阜市 are as they were, row for row; 微山县 holds exactly the file's items
    expect(await snapshot(yanzhou)).toEqual(yanzhouBefore);
    expect(await snapshot(qufu)).toEqual(qufuBefore);
    expect((await run('export', 'catalog', '--district', '370826', '--out', file('weishan-out.csv'))).code).toBe(0);
    expect(rowsOf(file('weishan-out.csv'))).toEqual(shipped);
    expect(await db.column('SELECT name FROM catalog_items WHERE district_id = ? ORDER BY code', weishan)).toEqual(
      [...shipped].sort((a, b) => a[0]!.localeCompare(b[0]!)).map((row) => row[2]),
    );
    // the same file again into 微山县 changes nothing; into 兖州区, the renamed item and the implementation codes would change 兖州区's
    expect((await run('import', 'catalog', file('weishan.csv'), '--district', '370826', '--dry-run')).out).toContain('0 to add, 0 to change, 5 unchanged');
    expect((await run('import', 'catalog', file('weishan.csv'), '--district', '370812', '--dry-run')).out).toMatch(/0 to add, [1-5] to change/);
    expect(await snapshot(yanzhou)).toEqual(yanzhouBefore);
  });

  it('refuses rows of another district in a places, households or cadres file imported with --district', async () => {
    const households = await db.value('SELECT count(*) FROM households');
    const qufuPlaces = path.join(DEMO_DATA_DIR, '370881', 'places.csv');
    const places = await run('import', 'places', qufuPlaces, '--district', '370812');
    expect(places.code).toBe(1);
    expect(places.err).toContain('row 2, 区县代码: 这一行属于另一个区县');
    expect(places.err).toContain('4 error(s); nothing written');
    expect((await run('import', 'places', qufuPlaces, '--district', '370881', '--dry-run')).out).toContain('0 to add, 0 to change, 4 unchanged');

    fs.writeFileSync(file('mixed-households.csv'), '村居代码,门牌地址,户联系人,联系电话,备注\n370881004291,后街1号,,,\n370812103202,99胡同1号,,,\n');
    const mixed = await run('import', 'households', file('mixed-households.csv'), '--district', '370881');
    expect(mixed.code).toBe(1);
    expect(mixed.err).toContain('row 3, 村居代码: 没有这个村居，或不在您的管理范围内');
    expect(mixed.err).not.toContain('row 2');
    expect(await db.value('SELECT count(*) FROM households')).toBe(households);
    // the file's own district takes it; without --district the city administrator takes every row
    fs.writeFileSync(file('qufu-households.csv'), '村居代码,门牌地址,户联系人,联系电话,备注\n370881004291,后街1号,,,\n');
    expect((await run('import', 'households', file('qufu-households.csv'), '--district', '370881')).code).toBe(0);
    expect((await run('import', 'households', file('mixed-households.csv'), '--dry-run')).out).toContain('1 to add, 0 to change, 1 unchanged');

    fs.writeFileSync(file('cadres.csv'), '村居代码,姓名,职务,手机号,值班时间\n370812103202,韦小东,网格员,19900000990,\n');
    const cadres = await run('import', 'cadres', file('cadres.csv'), '--district', '370881');
    expect(cadres.code).toBe(1);
    expect(cadres.err).toContain('row 2, 村居代码: 没有这个村居，或不在您的管理范围内');
    expect(await db.value("SELECT count(*) FROM cadres WHERE phone = '19900000990'")).toBe(0);
  });
});
