import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { onPostgres } from '../helpers/engine.js';
import type { TestSql } from '../helpers/sql.js';
import { demoHousehold, aVillage } from '../helpers/builders.js';
import { agentFor, openForm, postMultipart } from '../helpers/forms.js';
import { jpegWithGps, png } from '../helpers/images.js';

const dirs: string[] = [];
const dataDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-data-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const applicableCode = async (sql: TestSql) => (await sql.value<string>("SELECT code FROM catalog_items WHERE name = '最低生活保障'"))!;

const good = { name: '张秀兰', phone: '139 1234 5678', content: '我家老人想申请低保，请问需要准备什么材料？', callbackTime: 'morning' };

describe('码上办: applying from a household plate', () => {
  it('files an application with its household and village, and shows a receipt with the tracking number', async () => {
    const { app, sql } = buildApp({ config: { dataDir: dataDir() } });
    const h = await demoHousehold(sql);
    const code = await applicableCode(sql);
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/apply?item=${code}`);
    expect(form.html).toContain('最低生活保障');
    const res = await postMultipart(agent, `/p/${h.token}/apply`, { ...good, item: code, _csrf: form.csrf, idempotencyKey: form.idempotencyKey }).expect(303);
    expect(res.headers.location).toMatch(/^\/track\/[A-Za-z0-9_-]{22}\?new=1$/);
    const row = (await sql.get('SELECT * FROM cases'))!;
    expect(row).toMatchObject({
      kind: 'apply',
      household_id: h.householdId,
      village_id: h.villageId,
      phone: '13912345678',
      state: 'submitted',
      name: '张秀兰',
    });
    expect(row.tracking_no).toMatch(/^\d{8}-0001$/);
    const receipt = await agent.get(res.headers.location!).expect(200);
    expect(receipt.text).toContain('提交成功');
    expect(receipt.text).toContain(String(row.tracking_no));
    expect(receipt.text).toContain('1个工作日内答复');
    expect(receipt.text).toMatch(/办结时限：\d+个/);
    expect(receipt.text).toContain(`/track/${String(row.token)}`);
  });

  it('without an item, shows a picker of high-frequency items', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const res = await request(app).get(`/p/${h.token}/apply`).expect(200);
    const links = [...res.text.matchAll(/apply\?item=(\w+)/g)];
    expect(links.length).toBeGreaterThanOrEqual(60);
  });

  it('refuses an item that cannot be applied for, keeping what was typed', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const notApplicable = (await sql.value<string>('SELECT code FROM catalog_items WHERE can_apply = 0 ORDER BY id LIMIT 1'))!;
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/apply?item=${await applicableCode(sql)}`);
    const res = await postMultipart(agent, `/p/${h.token}/apply`, {
      ...good,
      item: notApplicable,
      _csrf: form.csrf,
      idempotencyKey: form.idempotencyKey,
    }).expect(400);
    expect(res.text).toContain('这个事项不能在线申请');
    expect(res.text).toContain('张秀兰');
    expect(await sql.value('SELECT count(*) FROM cases')).toBe(0);
  });
});

describe('form validation', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['missing name', { name: '' }, '请填写姓名'],
    ['name too long', { name: '名'.repeat(21) }, '姓名不能超过 20 个字'],
    ['missing phone', { phone: '' }, '请填写手机号'],
    ['landline phone', { phone: '0537-1234567' }, '手机号应为 11 位数字'],
    ['phone with 10 digits', { phone: '1391234567' }, '手机号应为 11 位数字'],
    ['phone starting 12', { phone: '12912345678' }, '手机号应为 11 位数字'],
    ['content too long', { content: '长'.repeat(1001) }, '内容太长了，请不超过 1000 个字'],
    ['bad call-back time', { callbackTime: 'midnight' }, '请选择方便接电话的时间'],
  ];
  for (const [what, change, message] of cases) {
    it(`${what}: says so beside the field and in the summary, keeps the input, saves nothing`, async () => {
      const { app, sql } = buildApp();
      const h = await demoHousehold(sql);
      const code = await applicableCode(sql);
      const agent = agentFor(app);
      const form = await openForm(agent, `/p/${h.token}/apply?item=${code}`);
      const res = await postMultipart(agent, `/p/${h.token}/apply`, {
        ...good,
        ...change,
        item: code,
        _csrf: form.csrf,
        idempotencyKey: form.idempotencyKey,
      }).expect(400);
      expect(res.text).toContain('请修改下面标红的地方');
      expect(res.text).toContain(`class="field-error"`);
      expect(res.text).toContain(message);
      expect(res.text).toContain('aria-invalid="true"');
      if (!('content' in change)) expect(res.text).toContain(good.content);
      expect(await sql.value('SELECT count(*) FROM cases')).toBe(0);
    });
  }

  it('accepts +86 and 0086 prefixes, spaces and dashes', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    for (const phone of ['+86 139-1234-5678', '0086 13912345678']) {
      const agent = agentFor(app);
      const form = await openForm(agent, `/p/${h.token}/help/request`);
      await postMultipart(agent, `/p/${h.token}/help/request`, { ...good, phone, _csrf: form.csrf, idempotencyKey: form.idempotencyKey }).expect(303);
    }
    expect(await sql.column('SELECT DISTINCT phone FROM cases')).toEqual(['13912345678']);
  });
});

describe('form errors a villager can act on', () => {
  it('码上说 shows every mistake at once: what to write, name and phone, on the first try', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/speak`);
    const res = await postMultipart(agent, `/p/${h.token}/speak`, {
      category: 'complaint',
      content: '',
      name: '',
      phone: '',
      _csrf: form.csrf,
      idempotencyKey: form.idempotencyKey,
    }).expect(400);
    expect(res.text).toContain('请写下您想说的事');
    expect(res.text).toContain('请填写姓名');
    expect(res.text).toContain('请填写手机号');
    expect(res.text).not.toContain('太短了');
  });

  it('a short 码上说 is asked for a little more, in words that say why', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/speak`);
    const res = await postMultipart(agent, `/p/${h.token}/speak`, {
      category: 'complaint',
      content: '路灯',
      name: '张秀兰',
      phone: '13912345678',
      _csrf: form.csrf,
      idempotencyKey: form.idempotencyKey,
    }).expect(400);
    expect(res.text).toContain('再多写几句吧（至少 5 个字）');
  });

  it('码上办 and the call-back need no description: the item or the call-back already says what', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const code = await applicableCode(sql);
    const agent = agentFor(app);
    let form = await openForm(agent, `/p/${h.token}/apply?item=${code}`);
    await postMultipart(agent, `/p/${h.token}/apply`, { ...good, content: '', item: code, _csrf: form.csrf, idempotencyKey: form.idempotencyKey }).expect(303);
    form = await openForm(agent, `/p/${h.token}/help/request`);
    await postMultipart(agent, `/p/${h.token}/help/request`, { ...good, content: '', _csrf: form.csrf, idempotencyKey: form.idempotencyKey }).expect(303);
    expect(await sql.value('SELECT count(*) FROM cases')).toBe(2);
  });

  it('photos chosen with a mistake elsewhere are not lost silently: the page asks to choose them again', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/speak`);
    const res = await postMultipart(
      agent,
      `/p/${h.token}/speak`,
      { category: 'complaint', content: '村口路灯坏了三天了', name: '张秀兰', phone: '123', _csrf: form.csrf, idempotencyKey: form.idempotencyKey },
      [{ name: 'lamp.png', data: await png() }],
    ).expect(400);
    expect(res.text).toContain('您选的 1 张照片还没有上传');
    expect(res.text).toContain('请重新选择照片');
  });
});

describe('码上说 and help requests', () => {
  it('files a complaint with name and phone', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/speak`);
    await postMultipart(agent, `/p/${h.token}/speak`, {
      category: 'complaint',
      content: '村东头路灯坏了半个月了',
      name: '王建国',
      phone: '13812345678',
      _csrf: form.csrf,
      idempotencyKey: form.idempotencyKey,
    }).expect(303);
    expect(await sql.get('SELECT kind, category, name FROM cases')).toEqual({ kind: 'speak', category: 'complaint', name: '王建国' });
  });

  it('anonymous feedback keeps no name, phone or door: only the village', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/speak`);
    await postMultipart(agent, `/p/${h.token}/speak`, {
      category: 'complaint',
      content: '有人在河边倒垃圾',
      anonymous: '1',
      _csrf: form.csrf,
      idempotencyKey: form.idempotencyKey,
    }).expect(303);
    expect(await sql.get('SELECT household_id, plate_id, village_id FROM cases')).toEqual({ household_id: null, plate_id: null, village_id: h.villageId });
  });

  it('anonymous feedback needs no phone and keeps none', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/speak`);
    await postMultipart(agent, `/p/${h.token}/speak`, {
      category: 'suggestion',
      content: '建议在村口装个健身器材',
      anonymous: '1',
      name: '会被忽略',
      phone: '13812345678',
      _csrf: form.csrf,
      idempotencyKey: form.idempotencyKey,
    }).expect(303);
    expect(await sql.get('SELECT anonymous, name, phone FROM cases')).toEqual({ anonymous: 1, name: null, phone: null });
  });

  it('feedback that is not anonymous needs a name and a phone', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/speak`);
    const res = await postMultipart(agent, `/p/${h.token}/speak`, {
      category: 'praise',
      content: '网格员小李很负责',
      _csrf: form.csrf,
      idempotencyKey: form.idempotencyKey,
    }).expect(400);
    expect(res.text).toContain('请填写姓名');
    expect(res.text).toContain('请填写手机号');
    expect(res.text).toContain('网格员小李很负责');
  });

  it('refuses an unknown category', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/speak`);
    const res = await postMultipart(agent, `/p/${h.token}/speak`, {
      category: 'spam',
      content: '内容内容内容',
      anonymous: '1',
      _csrf: form.csrf,
      idempotencyKey: form.idempotencyKey,
    }).expect(400);
    expect(res.text).toContain('请选择类别');
  });

  it('a help request from a village plate records the village and no household', async () => {
    const { app, sql } = buildApp();
    const v = await aVillage(sql);
    const agent = agentFor(app);
    const form = await openForm(agent, `/v/${v.token}/help/request`);
    await postMultipart(agent, `/v/${v.token}/help/request`, { ...good, _csrf: form.csrf, idempotencyKey: form.idempotencyKey }).expect(303);
    expect(await sql.get('SELECT kind, village_id, household_id FROM cases')).toEqual({ kind: 'help', village_id: v.id, household_id: null });
  });
});

describe('abuse', () => {
  it('a post without a CSRF token is refused with 403 and saves nothing', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    await openForm(agent, `/p/${h.token}/help/request`);
    const res = await postMultipart(agent, `/p/${h.token}/help/request`, { ...good }).expect(403);
    expect(res.text).toContain('页面已过期');
    expect(await sql.value('SELECT count(*) FROM cases')).toBe(0);
  });

  it('a token from another browser is refused', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const { csrf } = await openForm(agentFor(app), `/p/${h.token}/help/request`);
    const other = agentFor(app);
    await openForm(other, `/p/${h.token}/help/request`);
    await postMultipart(other, `/p/${h.token}/help/request`, { ...good, _csrf: csrf }).expect(403);
    expect(await sql.value('SELECT count(*) FROM cases')).toBe(0);
  });

  it('a forged token is refused', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    await openForm(agent, `/p/${h.token}/help/request`);
    await postMultipart(agent, `/p/${h.token}/help/request`, { ...good, _csrf: 'forged-token' }).expect(403);
  });

  it('the honeypot field filled in saves nothing', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/help/request`);
    await postMultipart(agent, `/p/${h.token}/help/request`, {
      ...good,
      website: 'http://spam.example',
      _csrf: form.csrf,
      idempotencyKey: form.idempotencyKey,
    }).expect(400);
    expect(await sql.value('SELECT count(*) FROM cases')).toBe(0);
  });

  it('only filed cases count against an address: mistakes and junk do not use the budget, and the 429 keeps what was typed and says the real wait', async () => {
    const stack = buildApp({ rateLimits: { submitPerIp: 2 } });
    const h = await demoHousehold(stack.sql);
    const agent = agentFor(stack.app);
    // A villager's mistakes, and junk without a CSRF token, cost nothing here.
    for (let i = 0; i < 5; i++) {
      const form = await openForm(agent, `/p/${h.token}/help/request`);
      await postMultipart(agent, `/p/${h.token}/help/request`, { ...good, phone: '123', _csrf: form.csrf, idempotencyKey: form.idempotencyKey }).expect(400);
      await postMultipart(agent, `/p/${h.token}/help/request`, { ...good }).expect(403);
    }
    for (let i = 0; i < 2; i++) {
      const form = await openForm(agent, `/p/${h.token}/help/request`);
      await postMultipart(agent, `/p/${h.token}/help/request`, { ...good, _csrf: form.csrf, idempotencyKey: form.idempotencyKey }).expect(303);
    }
    const form = await openForm(agent, `/p/${h.token}/help/request`);
    const res = await postMultipart(agent, `/p/${h.token}/help/request`, {
      ...good,
      content: '第三件事：路灯不亮了',
      _csrf: form.csrf,
      idempotencyKey: form.idempotencyKey,
    }).expect(429);
    const wait = Number(res.headers['retry-after']);
    expect(wait).toBeGreaterThan(3500);
    expect(res.text).toContain(`请 ${Math.ceil(wait / 60)} 分钟后再提交`);
    expect(res.text).toContain('第三件事：路灯不亮了');
    expect(await stack.sql.value('SELECT count(*) FROM cases')).toBe(2);
  });

  it('a flood of rejected posts from one address is stopped by its own, higher, limit', async () => {
    const stack = buildApp({ rateLimits: { invalidPerIp: 3 } });
    const h = await demoHousehold(stack.sql);
    const agent = agentFor(stack.app);
    for (let i = 0; i < 3; i++) await postMultipart(agent, `/p/${h.token}/help/request`, { ...good }).expect(403);
    const res = await postMultipart(agent, `/p/${h.token}/help/request`, { ...good }).expect(429);
    expect(res.text).toContain('操作太频繁了');
    expect(res.text).toMatch(/请 \d+ 分钟后再试/);
  });

  it('junk posts without a token do not use up a plate’s allowance', async () => {
    const stack = buildApp({ rateLimits: { submitPerPlate: 2, submitPerIp: 100 } });
    const h = await demoHousehold(stack.sql);
    const agent = agentFor(stack.app);
    for (let i = 0; i < 5; i++) await postMultipart(agent, `/p/${h.token}/help/request`, { ...good }).expect(403);
    const form = await openForm(agent, `/p/${h.token}/help/request`);
    await postMultipart(agent, `/p/${h.token}/help/request`, { ...good, _csrf: form.csrf, idempotencyKey: form.idempotencyKey }).expect(303);
  });

  it('too many submissions on one plate get 429 even from different addresses', async () => {
    const stack = buildApp({ rateLimits: { submitPerPlate: 1 }, config: { trustProxy: 'loopback' } });
    const h = await demoHousehold(stack.sql);
    const agent = agentFor(stack.app);
    const form1 = await openForm(agent, `/p/${h.token}/help/request`);
    await postMultipart(agent, `/p/${h.token}/help/request`, { ...good, _csrf: form1.csrf, idempotencyKey: form1.idempotencyKey })
      .set('X-Forwarded-For', '10.0.0.1')
      .expect(303);
    const form2 = await openForm(agent, `/p/${h.token}/help/request`);
    await postMultipart(agent, `/p/${h.token}/help/request`, { ...good, _csrf: form2.csrf, idempotencyKey: form2.idempotencyKey })
      .set('X-Forwarded-For', '10.0.0.2')
      .expect(429);
  });
});

describe('idempotency', () => {
  it('the same idempotency key twice (double tap, refresh, back and resubmit) makes one case', async () => {
    const { app, sql } = buildApp();
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/help/request`);
    const fields = { ...good, _csrf: form.csrf, idempotencyKey: form.idempotencyKey };
    const [a, b] = await Promise.all([postMultipart(agent, `/p/${h.token}/help/request`, fields), postMultipart(agent, `/p/${h.token}/help/request`, fields)]);
    const again = await postMultipart(agent, `/p/${h.token}/help/request`, fields);
    expect([a.status, b.status, again.status]).toEqual([303, 303, 303]);
    expect(new Set([a.headers.location, b.headers.location, again.headers.location]).size).toBe(1);
    expect(await sql.value('SELECT count(*) FROM cases')).toBe(1);
    expect(await sql.value('SELECT count(*) FROM case_events')).toBe(1);
  });
});

describe('idempotency under a race', () => {
  it('when a second request with the same key slips past the first check, the unique key still makes one case', async () => {
    const { sql, services, database } = buildApp();
    const h = await demoHousehold(sql);
    const plate = await services.places.plateByToken(h.token);
    const input = {
      kind: 'help' as const,
      category: null,
      item: null,
      villageId: plate.villageId,
      householdId: plate.householdId,
      plateId: plate.plateId,
      name: '赵大娘',
      phone: '13612345678',
      anonymous: false,
      content: '想问问高龄补贴',
      callbackTime: 'any',
      idempotencyKey: 'RaceRaceRaceRaceRace01',
      photos: [],
    };
    const first = await services.cases.submit(input);
    // The other request read the table before the first one committed: its check found nothing.
    const { createCasesService } = await import('../../src/features/cases/service.js');
    const { createCasesRepo } = await import('../../src/features/cases/repo.js');
    const { createPhotoStore } = await import('../../src/features/cases/photos.js');
    const { createUnitOfWork } = await import('../../src/db/unit-of-work.js');
    const repo = createCasesRepo(database);
    let checks = 0;
    const racing = createCasesService({
      uow: createUnitOfWork(database),
      repo: { ...repo, findByIdempotencyKey: async (k: string) => (checks++ === 0 ? undefined : await repo.findByIdempotencyKey(k)) },
      calendar: services.calendar,
      throttle: services.throttle,
      photos: createPhotoStore(services.config.dataDir),
    });
    const second = await racing.submit(input);
    expect(second).toEqual({ ...first, created: false });
    expect(await sql.value('SELECT count(*) FROM cases')).toBe(1);
  });
});

describe('photos', () => {
  it('a photo with GPS EXIF is stored re-encoded without it, and shown only through the private link', async () => {
    const dir = dataDir();
    const { app, sql } = buildApp({ config: { dataDir: dir } });
    const h = await demoHousehold(sql);
    const original = await jpegWithGps();
    expect((await sharp(original).metadata()).exif).toBeDefined();
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/speak`);
    const res = await postMultipart(
      agent,
      `/p/${h.token}/speak`,
      { category: 'request', content: '门前排水沟堵了', anonymous: '1', _csrf: form.csrf, idempotencyKey: form.idempotencyKey },
      [
        { name: 'IMG_0001.jpg', data: original },
        { name: 'shot.png', data: await png() },
      ],
    ).expect(303);
    const photos = await sql.all<{ id: number; fileName: string; mime: string }>('SELECT id, file_name AS "fileName", mime FROM case_photos ORDER BY id');
    expect(photos).toHaveLength(2);
    const stored = fs.readFileSync(path.join(dir, 'photos', photos[0]!.fileName));
    const meta = await sharp(stored).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.exif).toBeUndefined();
    expect(stored.includes(Buffer.from('TestPhone'))).toBe(false);
    expect(photos[0]!.fileName).toMatch(/^[0-9a-f]{32}\.jpg$/);

    const token = /\/track\/([^?]+)/.exec(res.headers.location!)![1]!;
    const img = await request(app).get(`/track/${token}/photos/${photos[0]!.id}`).expect(200);
    expect(img.headers['content-type']).toBe('image/jpeg');
    // The photo id alone, or another case's token, opens nothing.
    const other = await sql.run(
      "INSERT INTO cases (token, tracking_no, kind, category, village_id, anonymous, content, first_response_due, resolution_due, created_at, updated_at) VALUES ('BBBBBBBBBBBBBBBBBBBBBB', '20990101-0001', 'speak', 'praise', ?, 1, '好', 'x', 'x', 'x', 'x')",
      h.villageId,
    );
    expect(other).toBe(1);
    await request(app).get(`/track/BBBBBBBBBBBBBBBBBBBBBB/photos/${photos[0]!.id}`).expect(404);
    await request(app).get(`/static/../data/photos/${photos[0]!.fileName}`).expect(404);
  });

  it('a file that claims to be a JPEG but is not gets a clear error and nothing is saved', async () => {
    const dir = dataDir();
    const { app, sql } = buildApp({ config: { dataDir: dir } });
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/speak`);
    const res = await postMultipart(
      agent,
      `/p/${h.token}/speak`,
      { category: 'request', content: '门前排水沟堵了', anonymous: '1', _csrf: form.csrf, idempotencyKey: form.idempotencyKey },
      [{ name: 'photo.jpg', data: Buffer.from('%PDF-1.4 this is not a picture at all') }],
    ).expect(400);
    expect(res.text).toContain('只能上传照片');
    expect(res.text).toContain('门前排水沟堵了');
    expect(await sql.value('SELECT count(*) FROM cases')).toBe(0);
    expect(fs.existsSync(path.join(dir, 'photos')) ? fs.readdirSync(path.join(dir, 'photos')) : []).toEqual([]);
  });

  it('more than 3 photos, or one over 8 MB, is refused beside the field', async () => {
    const { app, sql } = buildApp({ config: { dataDir: dataDir() } });
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    const p = await png();
    const form = await openForm(agent, `/p/${h.token}/speak`);
    const many = await postMultipart(
      agent,
      `/p/${h.token}/speak`,
      { category: 'request', content: '门前排水沟堵了', anonymous: '1', _csrf: form.csrf, idempotencyKey: form.idempotencyKey },
      [1, 2, 3, 4].map((i) => ({ name: `${i}.png`, data: p })),
    ).expect(400);
    expect(many.text).toContain('最多上传 3 张照片');
    const form2 = await openForm(agent, `/p/${h.token}/speak`);
    const big = await postMultipart(
      agent,
      `/p/${h.token}/speak`,
      { category: 'request', content: '门前排水沟堵了', anonymous: '1', _csrf: form2.csrf, idempotencyKey: form2.idempotencyKey },
      [{ name: 'big.jpg', data: Buffer.alloc(8 * 1024 * 1024 + 1) }],
    ).expect(400);
    expect(big.text).toContain('照片太大了');
    expect(await sql.value('SELECT count(*) FROM cases')).toBe(0);
  });

  it('a failure forced mid-submission leaves no case, no event and no orphan photo', async () => {
    const dir = dataDir();
    const stack = buildApp({ config: { dataDir: dir } });
    const h = await demoHousehold(stack.sql);
    // Break the photo table so the insert fails after the case and its event were written.
    await stack.sql.run(
      onPostgres
        ? "CREATE TRIGGER fail_photo BEFORE INSERT ON case_photos FOR EACH ROW EXECUTE FUNCTION refuse_change('disk full')"
        : "CREATE TRIGGER fail_photo BEFORE INSERT ON case_photos BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
    );
    const agent = agentFor(stack.app);
    const form = await openForm(agent, `/p/${h.token}/speak`);
    await postMultipart(
      agent,
      `/p/${h.token}/speak`,
      { category: 'request', content: '门前排水沟堵了', anonymous: '1', _csrf: form.csrf, idempotencyKey: form.idempotencyKey },
      [{ name: 'a.jpg', data: await jpegWithGps() }],
    ).expect(500);
    expect(await stack.sql.value('SELECT count(*) FROM cases')).toBe(0);
    expect(await stack.sql.value('SELECT count(*) FROM case_events')).toBe(0);
    expect(await stack.sql.value('SELECT count(*) FROM tracking_sequences')).toBe(0);
    expect(fs.readdirSync(path.join(dir, 'photos'))).toEqual([]);
  });
});
