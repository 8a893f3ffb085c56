import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { demoHousehold } from '../helpers/builders.js';
import { agentFor, openForm, postMultipart } from '../helpers/forms.js';
import { aUser, PASSWORD } from '../helpers/staff.js';
import type { Express } from 'express';

/** Signs in with plain requests and returns the Cookie header the session needs. */
async function sessionCookie(app: Express, username: string): Promise<string> {
  const cookiesOf = (res: request.Response) => ((res.headers['set-cookie'] as unknown as string[] | undefined) ?? []).map((c) => c.split(';')[0]!);
  const page = await request(app).get('/admin/login').expect(200);
  const jar = cookiesOf(page);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
  const login = await request(app)
    .post('/admin/login')
    .set('Cookie', jar.join('; '))
    .type('form')
    .send({ _csrf: csrf, username, password: PASSWORD })
    .expect(303);
  const merged = new Map([...jar, ...cookiesOf(login)].map((c) => [c.slice(0, c.indexOf('=')), c]));
  return [...merged.values()].join('; ');
}

describe('printing plates never blocks villagers', () => {
  it('while a township’s PDF waits for a client that reads slowly, a villager files a case and gets a receipt', { timeout: 60_000 }, async () => {
    const { app, sql, services } = buildApp();
    // The township with the most plates in the demo: a PDF of many megabytes, more than the sockets hold.
    const town = (await sql.value(`SELECT t.code FROM plates p JOIN villages v ON v.id = p.village_id JOIN towns t ON t.id = v.town_id
        WHERE p.kind = 'household' AND p.status = 'active' GROUP BY t.code ORDER BY count(*) DESC, t.code LIMIT 1`)) as string;
    const admin = await aUser(services, { role: 'admin' });
    const cookie = await sessionCookie(app, admin.username);
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      // The slow client: reads the first bytes, then stops reading while the server keeps producing.
      const pdf: Buffer[] = [];
      const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: `/admin/plates.pdf?town=${town}&size=sticker`, headers: { Cookie: cookie }, agent: false }, resolve)
          .on('error', reject);
      });
      expect(response.statusCode).toBe(200);
      const ended = new Promise<void>((resolve, reject) => {
        response.on('end', resolve);
        response.on('error', reject);
      });
      await new Promise<void>((resolve) =>
        response.on('data', (c: Buffer) => {
          pdf.push(c);
          if (pdf.length === 1) {
            response.pause();
            resolve();
          }
        }),
      );
      // Let the server fill the sockets and wait for the client, with the PDF far from finished.
      await new Promise((resolve) => setTimeout(resolve, 500));

      const h = await demoHousehold(sql);
      const villager = agentFor(app);
      const form = await openForm(villager, `/p/${h.token}/help/request`);
      const filed = await postMultipart(villager, `/p/${h.token}/help/request`, {
        name: '王大爷',
        phone: '13912345678',
        content: '路灯坏了很久没人修',
        callbackTime: 'any',
        _csrf: form.csrf,
        idempotencyKey: form.idempotencyKey,
      });
      expect(filed.status).toBe(303);
      expect(filed.headers.location).toMatch(/^\/track\//);
      expect(await sql.value('SELECT count(*) FROM cases WHERE household_id = ?', h.householdId)).toBe(1);

      // The PDF then finishes whole, every plate of the township in it.
      response.resume();
      await ended;
      const text = Buffer.concat(pdf).toString('latin1');
      expect(text.startsWith('%PDF-')).toBe(true);
      expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
      const plates = (await sql.value(
        `SELECT count(*) FROM plates p JOIN villages v ON v.id = p.village_id JOIN towns t ON t.id = v.town_id WHERE t.code = ? AND p.kind = 'household' AND p.status = 'active'`,
        town,
      )) as number;
      expect(plates).toBeGreaterThan(200);
      // 8 stickers to a page.
      expect((text.match(/\/Type \/Page\b/g) ?? []).length).toBe(Math.ceil(plates / 8));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
