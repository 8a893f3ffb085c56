import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { agentFor, openForm } from '../helpers/forms.js';
import { aUser, PASSWORD, signIn } from '../helpers/staff.js';

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
    const res = await agent.post('/admin/login').set('Cookie', `mashang.sid=${planted}`).type('form').send({ _csrf: form.csrf, username: u.username, password: PASSWORD }).expect(303);
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

  it('locks an account after 5 failures: then even the right password fails', async () => {
    const { app, services, db } = buildApp();
    const u = await aUser(services);
    const agent = agentFor(app);
    for (let i = 0; i < 5; i++) {
      const form = await openForm(agent, '/admin/login');
      await agent.post('/admin/login').type('form').send({ _csrf: form.csrf, username: u.username, password: `wrong-${i}-password` }).expect(401);
    }
    expect(db.prepare('SELECT locked_until FROM users WHERE id = ?').pluck().get(u.id)).not.toBeNull();
    const form = await openForm(agent, '/admin/login');
    await agent.post('/admin/login').type('form').send({ _csrf: form.csrf, username: u.username, password: PASSWORD }).expect(401);
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
    const { app, services, db } = buildApp({ config: { idleMinutes: 1 } });
    const u = await aUser(services);
    const agent = await signIn(app, u.username);
    await agent.get('/admin').expect(200);
    db.prepare('UPDATE sessions SET expires = ?').run(Date.now() - 1000);
    await agent.get('/admin').expect(303);
  });

  it('sessions survive a restart (they live in the database)', async () => {
    const first = buildApp();
    const u = await aUser(first.services);
    const agent = await signIn(first.app, u.username);
    await agent.get('/admin').expect(200);
    const restarted = buildApp({ db: first.db });
    const jar = (agent as unknown as { jar: { getCookies: (o: unknown) => Array<{ name: string; value: string }> } }).jar.getCookies({ domain: '127.0.0.1', path: '/', secure: false, script: false });
    const sid = jar.find((c) => c.name === 'mashang.sid')!;
    await request(restarted.app).get('/admin').set('Cookie', `mashang.sid=${sid.value}`).expect(200);
  });

  it('changes the password: wrong current password and mismatches are refused beside the field', async () => {
    const { app, services } = buildApp();
    const u = await aUser(services);
    const agent = await signIn(app, u.username);
    let form = await openForm(agent, '/admin/password');
    const bad = await agent.post('/admin/password').type('form').send({ _csrf: form.csrf, current: 'not-it', next: 'new-password-123', confirm: 'new-password-123' }).expect(400);
    expect(bad.text).toContain('当前密码不正确');
    form = await openForm(agent, '/admin/password');
    const mismatch = await agent.post('/admin/password').type('form').send({ _csrf: form.csrf, current: PASSWORD, next: 'new-password-123', confirm: 'new-password-456' }).expect(400);
    expect(mismatch.text).toContain('两次输入的新密码不一致');
    form = await openForm(agent, '/admin/password');
    await agent.post('/admin/password').type('form').send({ _csrf: form.csrf, current: PASSWORD, next: 'new-password-123', confirm: 'new-password-123' }).expect(200);
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
