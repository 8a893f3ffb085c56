import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/commands.js';
import { openDb } from '../../src/db/index.js';
import { buildApp } from '../helpers/app.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';
import { JURISDICTION_ID } from '../helpers/open311.js';

const digest = (key: string) => crypto.createHash('sha256').update(key).digest('hex');

describe('API keys in the back office (/admin/apikeys)', () => {
  it('an admin creates a key, sees it once, sees its last use, and revokes it', async () => {
    const { app, sql, services } = buildApp();
    const admin = await aUser(services, { role: 'admin' });
    const agent = await signIn(app, admin.username);
    const page = await agent.get('/admin/apikeys').expect(200);
    expect(page.text).toContain('href="/admin/apikeys"');
    expect(page.headers['cache-control']).toBe('no-store');
    const csrf = await csrfFor(agent);
    const created = await agent.post('/admin/apikeys').type('form').send({ _csrf: csrf, name: '12345' }).expect(201);
    const key = /<code class="secret">(o311_[A-Za-z0-9_-]+)<\/code>/.exec(created.text)?.[1];
    expect(key).toBeDefined();
    // Kept as its digest only.
    const row = (await sql.get<{ hash: string; prefix: string }>("SELECT key_hash AS hash, prefix FROM api_keys WHERE name = '12345'"))!;
    expect(row.hash).toBe(digest(key!));
    expect(JSON.stringify(await sql.all('SELECT * FROM api_keys'))).not.toContain(key!);
    const again = await agent.get('/admin/apikeys').expect(200);
    expect(again.text).not.toContain(key!);
    expect(again.text).toContain('从未使用');

    await request(app).get(`/open311/v2/requests.json?api_key=${key}&jurisdiction_id=${JURISDICTION_ID}`).expect(200);
    const used = await agent.get('/admin/apikeys').expect(200);
    expect(used.text).not.toContain('从未使用');
    expect(await sql.value("SELECT uses FROM api_keys WHERE name = '12345'")).toBe(1);

    const taken = await agent.post('/admin/apikeys').type('form').send({ _csrf: csrf, name: '12345' }).expect(400);
    expect(taken.text).toContain('已有同名的密钥');
    await agent.post('/admin/apikeys').type('form').send({ _csrf: csrf, name: '   ' }).expect(400);

    const id = Number(await sql.value("SELECT id FROM api_keys WHERE name = '12345'"));
    await agent.post(`/admin/apikeys/${id}/revoke`).type('form').send({ _csrf: csrf }).expect(303);
    await request(app).get(`/open311/v2/requests.json?api_key=${key}&jurisdiction_id=${JURISDICTION_ID}`).expect(403);
    expect(await sql.column("SELECT action FROM audit_log WHERE action LIKE 'apikey_%' ORDER BY id")).toEqual(['apikey_created', 'apikey_revoked']);
  });

  it('a post without the CSRF token is refused and creates nothing', async () => {
    const { app, sql, services } = buildApp();
    const admin = await aUser(services, { role: 'admin' });
    const agent = await signIn(app, admin.username);
    const res = await agent.post('/admin/apikeys').type('form').send({ name: '伪造' });
    expect(res.status).toBe(403);
    expect(await sql.value('SELECT count(*) FROM api_keys')).toBe(0);
  });

  it('staff and cadres may not open the page, and do not see it in the menu', async () => {
    const { app, services } = buildApp();
    for (const role of ['staff', 'cadre'] as const) {
      const u = await aUser(services, { role, scopes: [{ level: 'district', code: '370812' }] });
      const agent = await signIn(app, u.username);
      await agent.get('/admin/apikeys').expect(403);
      expect((await agent.get('/admin/password').expect(200)).text).not.toContain('/admin/apikeys');
    }
  });
});

describe('mashang apikey', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    vi.restoreAllMocks();
  });

  it('adds a key (printed once, as the last line), lists and revokes it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-apikey-'));
    dirs.push(dir);
    const e = { MASHANG_DB: path.join(dir, 'm.sqlite'), LOG_LEVEL: 'silent' };
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void errors.push(args.join(' ')));

    expect(await main(['apikey', 'add', '12345'], e)).toBe(0);
    const key = lines.at(-1)!;
    expect(key).toMatch(/^o311_[A-Za-z0-9_-]{32}$/);
    expect(await main(['apikey', 'add', '12345'], e)).toBe(2);
    expect(await main(['apikey', 'add'], e)).toBe(2);
    // a key of one district, and a district that is not there
    expect(await main(['district', 'add', '370881', '曲阜市'], e)).toBe(0);
    expect(await main(['apikey', 'add', 'qufu-12345', '--district', '370881'], e)).toBe(0);
    expect(await main(['apikey', 'add', 'nowhere', '--district', '370899'], e)).toBe(2);
    lines.length = 0;
    expect(await main(['apikey', 'list'], e)).toBe(0);
    expect(lines.join('\n')).toContain('12345');
    expect(lines.join('\n')).toContain('active');
    expect(lines.join('\n')).not.toContain(key);
    expect(await main(['apikey', 'revoke', 'nobody'], e)).toBe(1);
    expect(await main(['apikey', 'revoke', '12345'], e)).toBe(0);
    // The command line on a SQLite file (MASHANG_DB), on either run: what it wrote, read from that file.
    const db = openDb(e.MASHANG_DB);
    expect(db.prepare("SELECT key_hash, revoked_at IS NOT NULL AS revoked FROM api_keys WHERE name = '12345'").get()).toEqual({
      key_hash: digest(key),
      revoked: 1,
    });
    expect(
      db.prepare("SELECT k.name || ':' || coalesce(d.code, 'city') FROM api_keys k LEFT JOIN districts d ON d.id = k.district_id ORDER BY k.id").pluck().all(),
    ).toEqual(['12345:city', 'qufu-12345:370881']);
    db.close();
  });
});
