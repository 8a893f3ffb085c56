import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/db/index.js';
import { listBackups } from '../../src/db/backup.js';
import { onPostgres } from '../helpers/engine.js';
import { seededFile, tempDirs } from '../helpers/files.js';
import { freePort, serverJs } from '../helpers/built.js';

const dirs = tempDirs();
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  dirs.cleanUp();
});

interface Running {
  child: ChildProcess;
  out: () => string;
  exited: Promise<{ code: number | null; at: number }>;
}

function run(env: Record<string, string>, opts: { uid?: number; gid?: number } = {}): Running {
  const child = spawn(process.execPath, [serverJs], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', MASHANG_ADMIN_PASSWORD: 'county-secret-2026', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...opts,
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() })));
  return { child, out: () => out, exited };
}

async function until(ok: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !ok();) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The process on a SQLite file: its scheduled backup of the file, a read-only file, a missing folder
// (each start also takes a SQLite file): the SQLite run only.
describe.runIf(!onPostgres)('the server process', () => {
  it('takes a scheduled backup after start; on SIGTERM closes a kept-alive idle connection and an unused one at once and exits within 2 s', async () => {
    const dir = dirs.make();
    seededFile(path.join(dir, 'm.sqlite')).close();
    const port = await freePort();
    const server = run({
      PORT: String(port),
      MASHANG_DB: path.join(dir, 'm.sqlite'),
      MASHANG_DATA_DIR: path.join(dir, 'data'),
      MASHANG_BACKUP_DIR: path.join(dir, 'backups'),
    });
    await until(() => server.out().includes('is running at'), 20_000);
    // the schedule takes its first backup soon after start
    await until(() => server.out().includes('"msg":"backup written"'), 20_000);

    const agent = new http.Agent({ keepAlive: true });
    const status = await new Promise<number>((resolve, reject) =>
      http
        .get({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', reject),
    );
    expect(status).toBe(200);
    // a browser opens connections ahead of time and may never use them
    const unused = net.connect(port, '127.0.0.1');
    await new Promise((r) => unused.on('connect', r));
    unused.on('error', () => undefined);

    const sent = Date.now();
    server.child.kill('SIGTERM');
    const { code, at } = await server.exited;
    agent.destroy();
    unused.destroy();
    expect(code).toBe(0);
    expect(at - sent).toBeLessThan(2000);
    expect(server.out()).toContain('"msg":"stopped"');
    expect(listBackups(path.join(dir, 'backups'))).toHaveLength(1);
  }, 30_000);

  it('refuses to start on a read-only database file, naming it', async () => {
    const dir = dirs.make();
    const file = path.join(dir, 'm.sqlite');
    seededFile(file).close();
    fs.chmodSync(file, 0o444);
    // root writes to any file: run the server as nobody then, as a service account would be
    const asRoot = process.getuid?.() === 0;
    if (asRoot) fs.chmodSync(dir, 0o777);
    const server = run(
      { PORT: String(await freePort()), MASHANG_DB: file, MASHANG_DATA_DIR: path.join(dir, 'data') },
      asRoot ? { uid: 65534, gid: 65534 } : {},
    );
    const { code } = await server.exited;
    expect(code).toBe(1);
    expect(server.out()).toContain(`Mashang did not start: The database ${file} cannot be written`);
    expect(server.out()).not.toContain('is running at');
  }, 30_000);

  it('in production, refuses to start when the database folder does not exist, naming the path', async () => {
    const dir = dirs.make();
    const file = path.join(dir, 'typo', 'm.sqlite');
    const server = run({
      NODE_ENV: 'production',
      PUBLIC_BASE_URL: 'https://mashang.example.gov.cn',
      TRUST_PROXY: '1',
      PORT: String(await freePort()),
      MASHANG_DB: file,
      MASHANG_DATA_DIR: path.join(dir, 'data'),
    });
    const { code } = await server.exited;
    expect(code).toBe(1);
    expect(server.out()).toContain(`MASHANG_DB: the folder of the database ${file} does not exist`);
    expect(fs.existsSync(path.join(dir, 'typo'))).toBe(false);
  }, 30_000);

  /** GET on the running server: status and body. */
  const get = (port: number, urlPath: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) =>
      http
        .get({ host: '127.0.0.1', port, path: urlPath }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
        .on('error', reject),
    );

  const withRedis = async (url: string) => {
    const dir = dirs.make();
    seededFile(path.join(dir, 'm.sqlite')).close();
    const port = await freePort();
    const server = run({ PORT: String(port), MASHANG_DB: path.join(dir, 'm.sqlite'), MASHANG_DATA_DIR: path.join(dir, 'data'), MASHANG_REDIS_URL: url });
    await until(() => server.out().includes('is running at'), 20_000);
    return { server, port };
  };

  it('with Redis unreachable, serves pages, reports it in /healthz and still stops at once on SIGTERM', async () => {
    const { server, port } = await withRedis('redis://:hunter2secret@127.0.0.1:1');
    const health = await get(port, '/healthz');
    expect(health.status).toBe(503);
    expect(JSON.parse(health.body)).toMatchObject({ problem: 'redis_unreachable' });
    expect((await get(port, '/services')).status).toBe(200);
    const sent = Date.now();
    server.child.kill('SIGTERM');
    const { code, at } = await server.exited;
    expect(code).toBe(0);
    expect(at - sent).toBeLessThan(2000);
    expect(server.out()).toContain('redis: connection failed; retrying');
    expect(server.out()).not.toContain('hunter2');
  }, 30_000);

  it.skipIf(!process.env.MASHANG_TEST_REDIS_URL)(
    'with Redis, is healthy, and stops within 2 s on SIGTERM',
    async () => {
      const { server, port } = await withRedis(process.env.MASHANG_TEST_REDIS_URL!);
      await until(() => server.out().includes('rate limits shared through Redis'), 5000);
      let status = 0;
      for (const end = Date.now() + 5000; status !== 200 && Date.now() < end;) status = (await get(port, '/healthz')).status;
      expect(status).toBe(200);
      const sent = Date.now();
      server.child.kill('SIGTERM');
      const { code, at } = await server.exited;
      expect(code).toBe(0);
      expect(at - sent).toBeLessThan(2000);
      expect(server.out()).toContain('"msg":"stopped"');
    },
    30_000,
  );
});
