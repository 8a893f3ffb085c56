import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/db/index.js';
import { plateCode } from '../../src/features/plates/sizes.js';
import { buildApp, type TestApp } from '../helpers/app.js';
import { aVillage, demoHousehold } from '../helpers/builders.js';
import { agentFor, openForm, postMultipart } from '../helpers/forms.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';
import { JURISDICTION_ID } from '../helpers/open311.js';

/**
 * U+0000 (NUL) cannot be stored in PostgreSQL's text. It is refused in one place, wherever a form,
 * a query or a path is read: a page in plain Chinese for people, the spec's error shape for Open311;
 * nothing reaches the database (on SQLite too, so both engines answer alike).
 */
const NUL_TEXT = '空字符';

let t: TestApp;
let household: Awaited<ReturnType<typeof demoHousehold>>;
beforeAll(async () => {
  t = buildApp();
  household = await demoHousehold(t.sql);
});

const casesNow = async () => Number(await t.sql.value('SELECT count(*) FROM cases'));

describe('a villager’s input with U+0000', () => {
  it('when the 码上说 form (multipart) carries a NUL, then 400 with a page saying what to fix, and nothing is filed', async () => {
    const before = await casesNow();
    const agent = agentFor(t.app);
    const form = await openForm(agent, `/p/${household.token}/speak`);
    const res = await postMultipart(agent, `/p/${household.token}/speak`, {
      category: 'complaint',
      content: '村东头路灯\u0000坏了半个月了',
      name: '王建国',
      phone: '13812345678',
      _csrf: form.csrf,
      idempotencyKey: form.idempotencyKey,
    }).expect(400);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain(NUL_TEXT);
    expect(await casesNow()).toBe(before);
  });

  it('when the same form has no NUL, then it is filed (the guard refuses only the NUL)', async () => {
    const before = await casesNow();
    const agent = agentFor(t.app);
    const form = await openForm(agent, `/p/${household.token}/speak`);
    await postMultipart(agent, `/p/${household.token}/speak`, {
      category: 'complaint',
      content: '村东头路灯坏了半个月了',
      name: '王建国',
      phone: '13812345678',
      _csrf: form.csrf,
      idempotencyKey: form.idempotencyKey,
    }).expect(303);
    expect(await casesNow()).toBe(before + 1);
  });

  it('when the case look-up form (urlencoded) carries a NUL, then 400 with the page', async () => {
    const agent = agentFor(t.app);
    const form = await openForm(agent, '/track');
    const res = await agent.post('/track').type('form').send({ _csrf: form.csrf, trackingNo: '20261130\u00000001', phoneLast4: '5678' }).expect(400);
    expect(res.text).toContain(NUL_TEXT);
  });

  it('when a search, or a path, carries %00, then 400 with the page', async () => {
    expect((await request(t.app).get('/services?q=%E4%BD%8F%00').expect(400)).text).toContain(NUL_TEXT);
    expect((await request(t.app).get('/services/%00abc').expect(400)).text).toContain(NUL_TEXT);
    expect((await request(t.app).get(`/p/${household.token}%00`).expect(400)).text).toContain(NUL_TEXT);
    // a percent sign that is only text is no NUL
    await request(t.app).get('/services?q=%2500').expect(200);
  });
});

describe('back-office input with U+0000', () => {
  it('when a household form carries a NUL, then 400 in the back office’s look, and nothing is written', async () => {
    const v = await aVillage(t.sql, { townCode: '370812103' });
    const staff = await aUser(t.services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const agent = await signIn(t.app, staff.username);
    const csrf = await csrfFor(agent);
    const res = await agent
      .post(`/admin/villages/${v.code}/households`)
      .type('form')
      .send({ _csrf: csrf, address: '零号\u0000路', contactName: '', contactPhone: '', notes: '' })
      .expect(400);
    expect(res.text).toContain(NUL_TEXT);
    expect(res.text).toContain('/admin/logout');
    expect(await t.sql.value('SELECT count(*) FROM households WHERE village_id = ?', v.id)).toBe(0);
  });

  it('when a post with a NUL has no CSRF token either, then it is refused and nothing is written', async () => {
    const admin = await aUser(t.services, { role: 'admin' });
    const agent = await signIn(t.app, admin.username);
    await agent.post('/admin/places/villages').type('form').send({ code: '370812103555', name: '新\u0000村' }).expect(400);
    expect(await t.sql.value('SELECT count(*) FROM villages WHERE code = ?', '370812103555')).toBe(0);
  });

  it('when the sign-in form carries a NUL, then 400, and it counts as no attempt on the account', async () => {
    const agent = agentFor(t.app);
    const form = await openForm(agent, '/admin/login');
    const throttles = await t.sql.value<number>('SELECT count(*) FROM throttles');
    const res = await agent.post('/admin/login').type('form').send({ _csrf: form.csrf, username: 'ad\u0000min', password: 'whatever-it-is' }).expect(400);
    expect(res.text).toContain(NUL_TEXT);
    expect(await t.sql.value('SELECT count(*) FROM throttles')).toBe(throttles);
  });

  it('when a back-office query carries %00, then 400', async () => {
    const admin = await aUser(t.services, { role: 'admin' });
    const agent = await signIn(t.app, admin.username);
    expect((await agent.get('/admin/cases?q=%00').expect(400)).text).toContain(NUL_TEXT);
  });
});

describe('Open311 input with U+0000', () => {
  let key: string;
  let plateId: number;
  beforeAll(async () => {
    key = (await t.services.open311.createKey(`nul-${Date.now()}`, null)).key;
    plateId = (await t.services.places.plateByToken(household.token)).plateId;
  });
  const fields = (description: string) => ({
    api_key: key,
    jurisdiction_id: JURISDICTION_ID,
    service_code: 'help-callback',
    address_id: plateCode(plateId),
    first_name: '桂芳',
    last_name: '李',
    phone: '+86 139 1234 5678',
    description,
    'attribute[callback_time]': 'morning',
  });

  it('when a request is filed with a NUL in its description, then 400 in the spec’s JSON error shape, and nothing is filed', async () => {
    const before = await casesNow();
    const res = await request(t.app).post('/open311/v2/requests.json').type('form').send(fields('排水沟\u0000堵了')).expect(400);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual([{ code: 400, description: expect.stringContaining(NUL_TEXT) }]);
    expect(await casesNow()).toBe(before);
  });

  it('when the same is asked in XML, then the error is XML', async () => {
    const res = await request(t.app).post('/open311/v2/requests.xml').type('form').send(fields('排水沟\u0000堵了')).expect(400);
    expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(res.text).toMatch(/<errors><error><code>400<\/code><description>[^<]*空字符/);
  });

  it('when a query carries %00, then 400 in the spec’s shape', async () => {
    const res = await request(t.app).get(`/open311/v2/requests.json?api_key=${key}&jurisdiction_id=${JURISDICTION_ID}&status=open%00`).expect(400);
    expect(res.body).toEqual([{ code: 400, description: expect.stringContaining(NUL_TEXT) }]);
  });

  it('without a NUL the same request is filed', async () => {
    await request(t.app).post('/open311/v2/requests.json').type('form').send(fields('排水沟堵了')).expect(200);
  });
});

describe('every form body is read through the guarded readers', () => {
  it('express.urlencoded is called only in src/http/input.ts (readForm); multipart bodies go through receiveUpload', () => {
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) walk(full);
        else if (e.name.endsWith('.ts') && /express\.urlencoded|urlencoded\(\{/.test(fs.readFileSync(full, 'utf8')))
          found.push(path.relative(projectRoot, full));
      }
    };
    walk(path.join(projectRoot, 'src'));
    expect(found).toEqual([path.join('src', 'http', 'input.ts')]);
  });
});
