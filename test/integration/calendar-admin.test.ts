import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';

describe('admins keep the working-day calendar', () => {
  it('adding a holiday moves due dates; bad dates are refused; staff may not edit; changes are audited', async () => {
    const { app, services, sql } = buildApp();
    const admin = await aUser(services, { role: 'admin' });
    const agent = await signIn(app, admin.username);
    const page = await agent.get('/admin/calendar?year=2026').expect(200);
    expect(page.text).toContain('2026-10-10');
    expect(page.text).toContain('调休上班');

    const friday = new Date('2027-01-01T02:00:00Z'); // no 2027 schedule yet: Friday 1 Jan is a working day
    expect((await services.calendar.dueAfter(friday, 1)).toISOString()).toBe('2027-01-04T15:59:59.999Z');
    let csrf = await csrfFor(agent);
    await agent.post('/admin/calendar').type('form').send({ _csrf: csrf, date: '2027-01-04', kind: 'holiday', note: '示意放假' }).expect(303);
    expect((await services.calendar.dueAfter(friday, 1)).toISOString()).toBe('2027-01-05T15:59:59.999Z');

    csrf = await csrfFor(agent);
    const bad = await agent.post('/admin/calendar').type('form').send({ _csrf: csrf, date: '2027-02-30', kind: 'holiday' }).expect(400);
    expect(bad.text).toContain('请填写正确的日期');
    csrf = await csrfFor(agent);
    await agent.post('/admin/calendar/2027-01-04/delete').type('form').send({ _csrf: csrf }).expect(303);
    expect((await services.calendar.dueAfter(friday, 1)).toISOString()).toBe('2027-01-04T15:59:59.999Z');
    expect(await sql.value("SELECT count(*) FROM audit_log WHERE action IN ('calendar_set', 'calendar_removed')")).toBe(2);

    const staff = await aUser(services, { role: 'staff', scopes: [{ level: 'district', code: '370812' }] });
    const staffAgent = await signIn(app, staff.username);
    await staffAgent.get('/admin/calendar').expect(403);
    csrf = await csrfFor(staffAgent);
    await staffAgent.post('/admin/calendar').type('form').send({ _csrf: csrf, date: '2027-01-05', kind: 'holiday' }).expect(403);
  });

  it('the calendar is the city’s: a district administrator reads it but changes nothing, on the page, its delete or the import', async () => {
    const { app, services, sql } = buildApp();
    const qufuId = (await services.places.districtByCode('370881'))!.id;
    await services.staff.createUser({ username: 'qufu.cal', displayName: '曲阜管理员', password: 'correct-horse-battery', role: 'admin', districtId: qufuId });
    const agent = await signIn(app, 'qufu.cal', 'correct-horse-battery');
    const page = (await agent.get('/admin/calendar?year=2026').expect(200)).text;
    expect(page).toContain('工作日历全市共用，由市级管理员维护。');
    expect(page).not.toContain('action="/admin/calendar"');
    const before = await sql.value<number>('SELECT count(*) FROM calendar_days');
    const day = await sql.value<string>('SELECT date FROM calendar_days ORDER BY date LIMIT 1');
    const csrf = await csrfFor(agent);
    await agent.post('/admin/calendar').type('form').send({ _csrf: csrf, date: '2027-01-05', kind: 'holiday' }).expect(403);
    await agent.post(`/admin/calendar/${day}/delete`).type('form').send({ _csrf: csrf }).expect(403);
    expect((await agent.get('/admin/data').expect(200)).text).not.toContain('/admin/data/calendar/');
    // reading it is harmless: its export; changing it through the import is not
    await agent.get('/admin/data/calendar/export.csv').expect(200);
    const upload = await agent
      .post('/admin/data/calendar/preview')
      .field('_csrf', await csrfFor(agent))
      .attach('file', Buffer.from('\uFEFF日期,类型,说明\r\n2027-01-05,放假,示意\r\n'), 'calendar.csv');
    expect(upload.status).toBe(403);
    // the same upload from the city's administrator is checked and previewed
    const city = await signIn(app, (await aUser(services, { role: 'admin' })).username);
    const cityUpload = await city
      .post('/admin/data/calendar/preview')
      .field('_csrf', await csrfFor(city))
      .attach('file', Buffer.from('\uFEFF日期,类型,说明\r\n2027-01-05,放假,示意\r\n'), 'calendar.csv');
    expect(cityUpload.status).toBe(200);
    expect(await sql.value<number>('SELECT count(*) FROM calendar_days')).toBe(before);
  });
});
