import request from 'supertest';
import type { Express } from 'express';

export type Agent = ReturnType<typeof request.agent>;

/** Opens a page as a browser would (keeping cookies) and returns the form's hidden fields. */
export async function openForm(agent: Agent, url: string): Promise<{ csrf: string; idempotencyKey: string; html: string }> {
  const res = await agent.get(url).expect(200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(res.text)?.[1];
  if (!csrf) throw new Error(`no CSRF token on ${url}`);
  const idempotencyKey = /name="idempotencyKey" value="([^"]+)"/.exec(res.text)?.[1] ?? '';
  return { csrf, idempotencyKey, html: res.text };
}

export function agentFor(app: Express): Agent {
  return request.agent(app);
}

/** A multipart post of fields and photos, as the forms send it. */
export function postMultipart(agent: Agent, url: string, fields: Record<string, string>, files: Array<{ name: string; data: Buffer }> = []) {
  let req = agent.post(url);
  for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
  for (const f of files) req = req.attach('photos', f.data, f.name);
  return req;
}
