import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCadre, aHousehold, aVillage } from '../helpers/builders.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';

async function setup() {
  const stack = buildApp();
  const v = await aVillage(stack.sql, { name: '档案村' });
  const other = await aVillage(stack.sql, { name: '别的村' });
  const h = await aHousehold(stack.sql, { villageId: v.id, address: '2胡同7号', contactName: '韩玉珍' });
  const cadre = await aCadre(stack.sql, { villageId: v.id });
  const user = await aUser(stack.services, { role: 'cadre', cadreId: cadre.id });
  const otherCadre = await aCadre(stack.sql, { villageId: other.id, phone: '19900008887' });
  const outsider = await aUser(stack.services, { role: 'cadre', cadreId: otherCadre.id });
  return { ...stack, v, h, user, outsider };
}

describe('household file 走访记录', () => {
  it('a signed-in cadre of the village who opens the plate sees the file; anyone else sees the public page', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.user.username);
    const file = await agent.get(`/p/${s.h.token}`).expect(200);
    expect(file.text).toContain('户档案');
    expect(file.text).toContain('韩玉珍');
    expect(file.text).toContain(`href="/p/${s.h.token}?public=1"`);
    const publicView = await agent.get(`/p/${s.h.token}?public=1`).expect(200);
    expect(publicView.text).not.toContain('韩玉珍');
    const anonymous = await request(s.app).get(`/p/${s.h.token}`).expect(200);
    expect(anonymous.text).not.toContain('户档案');
    expect(anonymous.text).not.toContain('韩玉珍');
    const outsider = await signIn(s.app, s.outsider.username);
    const theirs = await outsider.get(`/p/${s.h.token}`).expect(200);
    expect(theirs.text).not.toContain('韩玉珍');
  });

  it('records a visit; bad input is refused beside the field; another village’s cadre gets 404', async () => {
    const s = await setup();
    const agent = await signIn(s.app, s.user.username);
    let csrf = await csrfFor(agent);
    const bad = await agent.post(`/admin/households/${s.h.id}/visits`).type('form').send({ _csrf: csrf, visitedOn: '2999-01-01', notes: '' }).expect(400);
    expect(bad.text).toContain('走访日期不能晚于今天');
    expect(bad.text).toContain('请写下走访情况');
    csrf = await csrfFor(agent);
    await agent
      .post(`/admin/households/${s.h.id}/visits`)
      .type('form')
      .send({ _csrf: csrf, visitedOn: '2026-11-20', notes: '老人身体不错，提醒办理高龄津贴' })
      .expect(303);
    const file = await agent.get(`/p/${s.h.token}`).expect(200);
    expect(file.text).toContain('提醒办理高龄津贴');
    const outsider = await signIn(s.app, s.outsider.username);
    csrf = await csrfFor(outsider);
    await outsider.post(`/admin/households/${s.h.id}/visits`).type('form').send({ _csrf: csrf, visitedOn: '2026-11-20', notes: '不该写进来' }).expect(404);
    await agent.post(`/admin/households/${s.h.id}/visits`).type('form').send({ visitedOn: '2026-11-20', notes: '没有令牌' }).expect(403);
    expect(await s.sql.value('SELECT count(*) FROM household_visits')).toBe(1);
  });
});
