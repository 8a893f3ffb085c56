import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Services } from '../../src/services.js';
import { aUser, signIn } from './staff.js';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * Requests sent byte for byte as given: paths with bad percent-encodings or raw non-UTF-8 bytes,
 * any content type, bodies cut short. supertest would tidy some of these up before sending.
 */
export async function rawClient(app: Express) {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    send(o: { method: string; path: string; headers?: Record<string, string>; body?: Buffer; timeoutMs?: number }): Promise<RawResponse> {
      return new Promise((resolve, reject) => {
        const headers: Record<string, string | number> = { ...o.headers };
        if (o.body) headers['Content-Length'] = o.body.length;
        const req = http.request({ host: '127.0.0.1', port, method: o.method, path: o.path, headers, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.setTimeout(o.timeoutMs ?? 10_000, () => req.destroy(new Error('timed out')));
        req.on('error', reject);
        req.end(o.body);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The cookies a response sets, as name → value. */
export function setCookies(res: RawResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of res.headers['set-cookie'] ?? []) {
    const [pair] = line.split(';');
    const at = pair!.indexOf('=');
    out[pair!.slice(0, at)] = pair!.slice(at + 1);
  }
  return out;
}

export const cookieHeader = (jar: Record<string, string>) =>
  Object.entries(jar)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');

/**
 * Signs an administrator in, then opens the cases export on a plain socket that reads nothing
 * until it is resumed or destroyed (a slow client). `close` ends the server and its connections.
 */
export async function slowExportClient(app: Express, services: Services) {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = await signIn(app, (await aUser(services, { role: 'admin' })).username);
  const jar = (agent as unknown as { jar: { getCookies: (o: unknown) => Array<{ name: string; value: string }> } }).jar.getCookies({
    domain: '127.0.0.1',
    path: '/',
    secure: false,
    script: false,
  });
  const cookie = jar.map((c) => `${c.name}=${c.value}`).join('; ');
  const { port } = server.address() as AddressInfo;
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/admin/cases.csv?state=all', headers: { Cookie: cookie }, agent: false }, resolve);
    req.on('error', reject);
  });
  response.pause();
  return {
    response,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
