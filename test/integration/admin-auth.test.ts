import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { agentFor, openForm } from '../helpers/forms.js';
import { aUser, PASSWORD, signIn } from '../helpers/staff.js';
import type { Agent } from '../helpers/forms.js';

describe('sign-in /admin/login', () => {
  it('anonymous visitors to the back office are sent to sign in', async () => {
    const { app } = buildApp();
    for (const url of ['/admin', '/admin/cases', '/admin/cases/1', '/admin/cases.csv', '/admin/audit']) {
      const res = await request(app).get(url).expect(303);
      expect(res.headers.location).toMatch(/^\/admin\/login/);
    }
  });

  it('signs in with the right password, gets a new session id, and signs out', async () => {
    const { app, services } = buildApp();
    const u = await aUser(services, { role: 'staff', scopes: [{ level: 'district', code: '370812' }] });
    const agent = agentFor(app);
    const form = await openForm(agent, '/admin/login');
    const planted = 's%3Aplanted-session-id.signature';
    const res = await agent
      .post('/admin/login')
      .set('Cookie', `mashang.sid=${planted}`)
      .type('form')
      .send({ _csrf: form.csrf, username: u.username, password: PASSWORD })
      .expect(303);
    expect(res.headers.location).toBe('/admin');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/mashang\.sid=s%3A/);
    expect(cookie).not.toContain('planted-session-id');
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    await agent.get('/admin').expect(200);
    const logout = await openForm(agent, '/admin/password');
    await agent.post('/admin/logout').type('form').send({ _csrf: logout.csrf }).expect(303);
    await agent.get('/admin').expect(303);
  });

  it('one generic message for an unknown user and a wrong password', async () => {
    const { app, services } = buildApp();
    const u = await aUser(services);
    const agent = agentFor(app);
    let form = await openForm(agent, '/admin/login');
    const wrong = await agent.post('/admin/login').type('form').send({ _csrf: form.csrf, username: u.username, password: 'nope-nope-nope' }).expect(401);
    form = await openForm(agent, '/admin/login');
    const unknown = await agent.post('/admin/login').type('form').send({ _csrf: form.csrf, username: 'nobody', password: 'nope-nope-nope' }).expect(401);
    const msg = (html: string) => /<p class="error" role="alert">([^<]+)<\/p>/.exec(html)?.[1];
    expect(msg(wrong.text)).toContain('用户名或密码不正确');
    expect(msg(wrong.text)).toBe(msg(unknown.text));
    expect(wrong.text).toContain(`value="${u.username}"`);
  });

  it('throttles sign-in attempts per address with a 429', async () => {
    const { app } = buildApp({ rateLimits: { loginPerIp: 2 } });
    const agent = agentFor(app);
    for (let i = 0; i < 2; i++) {
      const form = await openForm(agent, '/admin/login');
      await agent.post('/admin/login').type('form').send({ _csrf: form.csrf, username: 'x', password: 'y' }).expect(401);
    }
    const form = await openForm(agent, '/admin/login');
    await agent.post('/admin/login').type('form').send({ _csrf: form.csrf, username: 'x', password: 'y' }).expect(429);
  });

  it('refuses a sign-in post without a CSRF token', async () => {
    const { app, services } = buildApp();
    const u = await aUser(services);
    await request(app).post('/admin/login').type('form').send({ username: u.username, password: PASSWORD }).expect(403);
  });

  it('a session idle for longer than the timeout is no longer signed in', async () => {
    const { app, services, sql } = buildApp({ config: { idleMinutes: 1 } });
    const u = await aUser(services);
    const agent = await signIn(app, u.username);
    await agent.get('/admin').expect(200);
    await sql.run('UPDATE sessions SET expires = ?', Date.now() - 1000);
    await agent.get('/admin').expect(303);
  });

  it('sessions survive a restart (they live in the database)', async () => {
    const first = buildApp();
    const u = await aUser(first.services);
    const agent = await signIn(first.app, u.username);
    await agent.get('/admin').expect(200);
    const restarted = buildApp({ db: first.database });
    const jar = (agent as unknown as { jar: { getCookies: (o: unknown) => Array<{ name: string; value: string }> } }).jar.getCookies({
      domain: '127.0.0.1',
      path: '/',
      secure: false,
      script: false,
    });
    const sid = jar.find((c) => c.name === 'mashang.sid')!;
    await request(restarted.app).get('/admin').set('Cookie', `mashang.sid=${sid.value}`).expect(200);
  });

  it('changes the password: wrong current password and mismatches are refused beside the field', async () => {
    const { app, services } = buildApp();
    const u = await aUser(services);
    const agent = await signIn(app, u.username);
    let form = await openForm(agent, '/admin/password');
    const bad = await agent
      .post('/admin/password')
      .type('form')
      .send({ _csrf: form.csrf, current: 'not-it', next: 'new-password-123', confirm: 'new-password-123' })
      .expect(400);
    expect(bad.text).toContain('当前密码不正确');
    form = await openForm(agent, '/admin/password');
    const mismatch = await agent
      .post('/admin/password')
      .type('form')
      .send({ _csrf: form.csrf, current: PASSWORD, next: 'new-password-123', confirm: 'new-password-456' })
      .expect(400);
    expect(mismatch.text).toContain('两次输入的新密码不一致');
    form = await openForm(agent, '/admin/password');
    await agent
      .post('/admin/password')
      .type('form')
      .send({ _csrf: form.csrf, current: PASSWORD, next: 'new-password-123', confirm: 'new-password-123' })
      .expect(200);
    await signIn(app, u.username, 'new-password-123');
  });

  it('the audit log records sign-ins and is for admins only', async () => {
    const { app, services } = buildApp();
    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
    const admin = await aUser(services, { role: 'admin' });
    const staffAgent = await signIn(app, staff.username);
    await staffAgent.get('/admin/audit').expect(403);
    const adminAgent = await signIn(app, admin.username);
    const res = await adminAgent.get('/admin/audit').expect(200);
    expect(res.text).toContain(staff.username);
    expect(res.text).toContain('<td>登录</td>');
  });
});

describe('sign-in throttling per account and source, not a lock anyone can pull', () => {
  const attempt = async (agent: Agent, username: string, password: string, from: string) => {
    const form = await openForm(agent, '/admin/login');
    return agent.post('/admin/login').set('X-Forwarded-For', from).type('form').send({ _csrf: form.csrf, username, password });
  };
  const stack = () => buildApp({ config: { trustProxy: 'loopback' }, rateLimits: { loginPerIp: 1000 } });

  it('five wrong passwords from one address make that address wait a minute, and say so; the owner elsewhere still signs in', async () => {
    const { app, services } = stack();
    const u = await aUser(services);
    const guesser = agentFor(app);
    for (let i = 0; i < 5; i++) expect((await attempt(guesser, u.username, `wrong-${i}-password`, '10.1.1.1')).status).toBe(401);
    const waiting = await attempt(guesser, u.username, PASSWORD, '10.1.1.1');
    expect(waiting.status).toBe(429);
    expect(waiting.headers['retry-after']).toBe('60');
    expect(waiting.text).toContain('尝试次数太多，请 1 分钟后再试');
    // The owner, from the office, is not locked out by the guesser.
    expect((await attempt(agentFor(app), u.username, PASSWORD, '10.2.2.2')).status).toBe(303);
  });

  it('the wait grows with each further failure: 1 minute, then 2, then 4', async () => {
    const { app, services, sql } = stack();
    const u = await aUser(services);
    const guesser = agentFor(app);
    const expire = () => sql.run('UPDATE throttles SET locked_until = ? WHERE locked_until IS NOT NULL', Date.now() - 1);
    for (let i = 0; i < 5; i++) await attempt(guesser, u.username, `wrong-${i}-password`, '10.1.1.1');
    for (const minutes of [2, 4]) {
      expect(await expire()).toBeGreaterThan(0);
      expect((await attempt(guesser, u.username, 'wrong-again-password', '10.1.1.1')).status).toBe(401);
      const res = await attempt(guesser, u.username, 'wrong-again-password', '10.1.1.1');
      expect(res.status).toBe(429);
      expect(res.text).toContain(`请 ${minutes} 分钟后再试`);
    }
  });

  it('an unknown username is throttled the same way, so the answers tell nothing about which accounts exist', async () => {
    const { app, services } = stack();
    const u = await aUser(services);
    const known = agentFor(app);
    const unknown = agentFor(app);
    const statuses = async (agent: Agent, name: string, from: string) => {
      const out: number[] = [];
      for (let i = 0; i < 6; i++) out.push((await attempt(agent, name, `wrong-${i}-password`, from)).status);
      return out;
    };
    expect(await statuses(known, u.username, '10.3.3.3')).toEqual(await statuses(unknown, 'no-such-user', '10.4.4.4'));
  });

  it('many failures from many addresses lock the account, except for a device that signed in to it recently; the count starts afresh when the lock expires', async () => {
    const { app, services, sql } = stack();
    const u = await aUser(services);
    // The owner's browser signed in yesterday, then signed out.
    const owner = agentFor(app);
    expect((await attempt(owner, u.username, PASSWORD, '10.9.0.1')).status).toBe(303);
    const out = await openForm(owner, '/admin/password');
    await owner.post('/admin/logout').type('form').send({ _csrf: out.csrf }).expect(303);

    for (let i = 0; i < 20; i++) await attempt(agentFor(app), u.username, `wrong-${i}-password`, `10.8.${i}.1`);
    // A new address with the right password: the account is locked for 15 minutes.
    const locked = await attempt(agentFor(app), u.username, PASSWORD, '10.7.7.7');
    expect(locked.status).toBe(429);
    expect(locked.text).toContain('请 15 分钟后再试');
    // The owner's own browser gets through.
    expect((await attempt(owner, u.username, PASSWORD, '10.9.0.2')).status).toBe(303);

    expect(await sql.run('UPDATE throttles SET locked_until = ? WHERE key = ?', Date.now() - 1, `login:${u.username}`)).toBe(1);
    // After the lock, one more failure does not lock it again at once: the count started afresh.
    expect((await attempt(agentFor(app), u.username, 'wrong-once-more', '10.6.6.6')).status).toBe(401);
    expect((await attempt(agentFor(app), u.username, PASSWORD, '10.5.5.5')).status).toBe(303);
  });

  // PostgreSQL's username collation finds `admin` under any of these; SQLite's NOCASE under some.
  // Counted apart, each spelling would get its own 20 tries at the one account.
  const SPELLINGS = ['ＡＤＭＩＮ', 'Admin', 'ａｄｍｉｎ', 'ADMIN', 'ａdmin', 'ＡDMIN', ' admin ', 'aＤmin', 'ａＤｍＩｎ', 'ADMIn'];

  it('failed sign-ins spelled with full-width letters or other cases lock the account admin as plain ones do', async () => {
    const { app, services, sql } = stack();
    await aUser(services, { role: 'admin', username: 'admin' });
    for (let i = 0; i < 20; i++) {
      const res = await attempt(agentFor(app), SPELLINGS[i % SPELLINGS.length]!, `wrong-${i}-password`, `10.8.${i}.1`);
      expect(res.status, SPELLINGS[i % SPELLINGS.length]).toBe(401);
    }
    // one count, under the plain name
    expect(await sql.value('SELECT failures FROM throttles WHERE key = ?', 'login:admin')).toBe(20);
    // the right password from a new address, in any spelling, now waits
    for (const name of ['admin', 'ＡＤＭＩＮ']) {
      const locked = await attempt(agentFor(app), name, PASSWORD, '10.7.7.7');
      expect(locked.status, name).toBe(429);
      expect(locked.text).toContain('请 15 分钟后再试');
    }
  });

  it('nineteen failures in mixed spellings do not lock admin yet: the plain name then signs in', async () => {
    const { app, services } = stack();
    await aUser(services, { role: 'admin', username: 'admin' });
    for (let i = 0; i < 19; i++) await attempt(agentFor(app), SPELLINGS[i % SPELLINGS.length]!, `wrong-${i}-password`, `10.8.${i}.1`);
    expect((await attempt(agentFor(app), 'admin', PASSWORD, '10.7.7.7')).status).toBe(303);
  });
});

describe('sessions end when they should', () => {
  it('changing the password ends the user’s other sessions, not this one', async () => {
    const { app, services } = buildApp();
    const u = await aUser(services);
    const phone = await signIn(app, u.username);
    const desk = await signIn(app, u.username);
    const form = await openForm(desk, '/admin/password');
    await desk
      .post('/admin/password')
      .type('form')
      .send({ _csrf: form.csrf, current: PASSWORD, next: 'a-new-long-secret', confirm: 'a-new-long-secret' })
      .expect(200);
    await desk.get('/admin').expect(200);
    await phone.get('/admin').expect(303);
  });

  it('a deactivated user is signed out everywhere at once', async () => {
    const { app, services } = buildApp();
    const u = await aUser(services);
    const agent = await signIn(app, u.username);
    await services.staff.setActive(u.id, false, { all: true, districtIds: new Set<number>(), villageIds: new Set<number>() });
    await agent.get('/admin').expect(303);
  });

  it('a session ends 12 hours after sign-in however active it is, and says why', async () => {
    const { app, services, sql } = buildApp();
    const u = await aUser(services);
    const agent = await signIn(app, u.username);
    await agent.get('/admin').expect(200);
    // The session as signed in 12 hours ago (moved back in JavaScript: both engines keep it as JSON text).
    const sessions = await sql.all<{ sid: string; sess: string }>('SELECT sid, sess FROM sessions ORDER BY sid');
    expect(sessions.length).toBeGreaterThan(0);
    for (const { sid, sess } of sessions) {
      await sql.run('UPDATE sessions SET sess = ? WHERE sid = ?', JSON.stringify({ ...JSON.parse(sess), signedInAt: Date.now() - 12 * 3600_000 - 1000 }), sid);
    }
    const res = await agent.get('/admin').expect(303);
    expect(res.headers.location).toMatch(/^\/admin\/login\?expired=1&/);
    const page = await agent.get(String(res.headers.location)).expect(200);
    expect(page.text).toContain('登录已过期');
  });

  it('over https the session cookie is __Host-: Secure, whole site, no Domain', async () => {
    const { app, services } = buildApp({ config: { publicBaseUrl: 'https://mashang.example.gov.cn', trustProxy: 'loopback' } });
    const u = await aUser(services);
    // The test client does not send Secure cookies back over plain http: carry them by hand.
    const form = await request(app).get('/admin/login').set('X-Forwarded-Proto', 'https').expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
    const jar = (form.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
    const res = await request(app)
      .post('/admin/login')
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', jar)
      .type('form')
      .send({ _csrf: csrf, username: u.username, password: PASSWORD })
      .expect(303);
    const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.includes('mashang.sid'))!;
    expect(cookie).toMatch(/^__Host-mashang\.sid=/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; Secure/i);
    expect(cookie).not.toMatch(/Domain=/i);
  });
});

describe('new passwords follow one rule', () => {
  it('refuses ten spaces, a run of digits, a common password and one containing the username, beside the field', async () => {
    const { app, services } = buildApp();
    const u = await aUser(services, { username: 'wangfang' });
    const agent = await signIn(app, u.username);
    for (const [next, message] of [
      ['          ', '不能全是空格'],
      ['1234567890', '常见密码'],
      ['password12', '常见密码'],
      ['qwertyuiop', '常见密码'],
      ['aaaaaaaaaaaa', '同一个字符重复'],
      ['wangfang-2026!', '不能包含用户名'],
    ]) {
      const form = await openForm(agent, '/admin/password');
      const res = await agent.post('/admin/password').type('form').send({ _csrf: form.csrf, current: PASSWORD, next, confirm: next }).expect(400);
      expect(res.text, next).toContain(message);
      expect(res.text).toMatch(/href="#next"/);
    }
    // The old password still works: nothing was changed.
    await signIn(app, u.username);
  });
});

describe('the sign-in throttle holds under pressure', () => {
  it('wrong passwords sent at the same moment from one address: only 5 are checked, the rest are refused unchecked', async () => {
    const { services, sql } = buildApp();
    const u = await aUser(services);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => services.staff.authenticate(u.username, `wrong-${i}-password`, { ip: '10.1.1.1' })));
    expect(results.filter((r) => !r.ok && r.retryAfterMinutes).length).toBeGreaterThanOrEqual(7);
    expect(await sql.value('SELECT failures FROM throttles WHERE key = ?', `login:${u.username}:ip:10.1.1.1`)).toBe(5);
    expect((await services.staff.authenticate(u.username, PASSWORD, { ip: '10.1.1.1' })).ok).toBe(false);
  });

  it('wrong passwords sent at the same moment from many addresses still lock the account', async () => {
    const { services } = buildApp();
    const u = await aUser(services);
    await Promise.all(Array.from({ length: 25 }, (_, i) => services.staff.authenticate(u.username, `wrong-${i}-password`, { ip: `10.2.${i}.1` })));
    const later = await services.staff.authenticate(u.username, PASSWORD, { ip: '10.3.3.3' });
    expect(later).toEqual({ ok: false, retryAfterMinutes: 15 });
  });

  it('a password change, a new password from the command line or deactivation forgets every trusted device', async () => {
    const { app, services, sql } = buildApp();
    const u = await aUser(services);
    const devices = () => sql.value('SELECT count(*) FROM trusted_devices WHERE user_id = ?', u.id);
    const agent = await signIn(app, u.username);
    expect(await devices()).toBe(1);
    const form = await openForm(agent, '/admin/password');
    await agent
      .post('/admin/password')
      .type('form')
      .send({ _csrf: form.csrf, current: PASSWORD, next: 'a-new-long-secret', confirm: 'a-new-long-secret' })
      .expect(200);
    expect(await devices()).toBe(0);
    await signIn(app, u.username, 'a-new-long-secret');
    expect(await devices()).toBe(1);
    await services.staff.setPassword(u.username, 'another-long-secret');
    expect(await devices()).toBe(0);
    await signIn(app, u.username, 'another-long-secret');
    await services.staff.setActive(u.id, false, { all: true, districtIds: new Set<number>(), villageIds: new Set<number>() });
    expect(await devices()).toBe(0);
  });

  it('guessing the current password on the password page is throttled like sign-in', async () => {
    const { app, services } = buildApp();
    const u = await aUser(services);
    const agent = await signIn(app, u.username);
    for (let i = 0; i < 5; i++) {
      const form = await openForm(agent, '/admin/password');
      await agent
        .post('/admin/password')
        .type('form')
        .send({ _csrf: form.csrf, current: `guess-${i}-password`, next: 'a-new-long-secret', confirm: 'a-new-long-secret' })
        .expect(400);
    }
    const form = await openForm(agent, '/admin/password');
    const res = await agent
      .post('/admin/password')
      .type('form')
      .send({ _csrf: form.csrf, current: PASSWORD, next: 'a-new-long-secret', confirm: 'a-new-long-secret' })
      .expect(429);
    expect(res.text).toContain('请 1 分钟后再试');
  });
});
