import type { Services } from '../../src/services.js';
import type { Role, ScopeLevel } from '../../src/features/staff/repo.js';
import { agentFor, openForm, type Agent } from './forms.js';
import type { Express } from 'express';

export const PASSWORD = 'correct-horse-battery';
let seq = 0;

/** A back-office user with a known password. */
export async function aUser(
  services: Services,
  o: { role?: Role; scopes?: Array<{ level: ScopeLevel; code: string }>; cadreId?: number; username?: string } = {},
) {
  const username = o.username ?? `user${++seq}`;
  const id = await services.staff.createUser({
    username,
    displayName: `测试人员${seq}`,
    password: PASSWORD,
    role: o.role ?? 'cadre',
    cadreId: o.cadreId ?? null,
    scopes: o.scopes ?? [],
  });
  return { id, username };
}

/** Signs in through the real form; returns the agent holding the session. */
export async function signIn(app: Express, username: string, password = PASSWORD): Promise<Agent> {
  const agent = agentFor(app);
  const form = await openForm(agent, '/admin/login');
  await agent.post('/admin/login').type('form').send({ _csrf: form.csrf, username, password }).expect(303);
  return agent;
}

/** A CSRF token for this agent (any page with a form gives one). */
export async function csrfFor(agent: Agent): Promise<string> {
  return (await openForm(agent, '/admin/password')).csrf;
}
