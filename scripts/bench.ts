/**
 * npm run bench: loads, in one run, a bare Express "hello" in a process of its own (the baseline:
 * scripts/bare-hello.ts), the app's own "hello" (the same route behind all of the app's middleware),
 * a household page and catalogue searches, and prints req/s, p50 and p99 for each with its ratio to
 * the bare hello. Rounds are interleaved so that noise from a shared machine hits all alike. The
 * app runs with production settings, its request log included (written to a file). On Linux each
 * route also gets its server's CPU time per request, and that as a share of the bare hello's: the
 * figure a shared machine's load barely moves (req/s ratios swing with it).
 *
 * Options (env): BENCH_SECONDS per round (default 5), BENCH_ROUNDS (3), BENCH_CONNECTIONS (10).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { projectRoot } from '../src/db/index.js';
import { EVERYDAY_WORDS } from '../src/features/catalog/search.js';
import { HOME_COOKIE } from '../src/http/locals.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-bench-'));
  const port = await freePort();
  const logFile = path.join(dir, 'server.log');
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, [path.join(projectRoot, 'dist', 'src', 'server.js')], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: base,
      MASHANG_DB: path.join(dir, 'bench.sqlite'),
      MASHANG_ADMIN_PASSWORD: 'bench-password-not-used',
      MASHANG_BENCH_HELLO: '1',
      // production settings (the request log included), with the fictional demo to load against
      MASHANG_DEMO: '1',
      LOG_LEVEL: 'info',
    },
    // The log goes to a file, as a production server's would: one line per request.
    stdio: ['ignore', fs.openSync(logFile, 'w'), 'inherit'],
  });
  const out = () => fs.readFileSync(logFile, 'utf8');
  const barePort = await freePort();
  const bare = spawn(process.execPath, [path.join(projectRoot, 'dist', 'scripts', 'bare-hello.js')], {
    env: { ...process.env, NODE_ENV: 'production', PORT: String(barePort) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the bare hello did not start')), 30_000);
      bare.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const household = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${out()}`)), 60_000);
      const poll = setInterval(() => {
        const m = /Sample household page: (\S+)/.exec(out());
        if (m) {
          clearInterval(poll);
          clearTimeout(timer);
          resolve(new URL(m[1]!).pathname);
        }
      }, 100);
    });
    // Sentences never asked before: more of them than the search keeps answers for (500), asked in
    // turn, so that every request is understood from scratch (fillers, everyday words, pinyin, pairs).
    const sentences = [...EVERYDAY_WORDS.keys()].flatMap((w) => [`我想问一下怎么办${w}呀`, `${w}去哪里办`, `请问${w}需要什么材料`]);
    // Searches come from a phone that scanned the household's plate, as a villager's do: its home
    // cookie names the plate, whose district's catalogue is searched (the demo has two districts;
    // without it the page would ask which).
    const scanned = { cookie: `${HOME_COOKIE}=${encodeURIComponent(household)}` };
    const targets: Array<{ name: string; path: string; paths?: string[]; base?: string; headers?: Record<string, string> }> = [
      { name: 'bare Express hello (own process)', path: '/hello', base: `http://127.0.0.1:${barePort}` },
      { name: 'hello behind the app’s middleware', path: '/hello' },
      { name: 'household page', path: household },
      { name: 'catalogue search', path: `/services?q=${encodeURIComponent('医保')}`, headers: scanned },
      {
        name: `search, ${sentences.length} new sentences`,
        path: '/services',
        paths: sentences.map((q) => `/services?q=${encodeURIComponent(q)}`),
        headers: scanned,
      },
    ];
    for (const t of targets) {
      const res = await fetch((t.base ?? base) + t.path, { headers: t.headers });
      if (res.status !== 200) throw new Error(`${t.path} answered ${res.status}`);
      if (t.path.startsWith('/services') && !(await res.text()).includes('class="items"')) throw new Error(`${t.path} is not a list of items`);
    }
    // warm-up
    for (const t of targets) await run((t.base ?? base) + t.path, 2, t.paths, t.headers);

    const results = new Map<string, Array<{ rps: number; p50: number; p99: number; cpu: number }>>();
    for (let r = 0; r < rounds; r++) {
      for (const t of targets) {
        const pid = (t.base ? bare : server).pid!;
        const before = cpuSeconds(pid);
        const res = await run((t.base ?? base) + t.path, seconds, t.paths, t.headers);
        const cpu = before === undefined ? NaN : ((cpuSeconds(pid)! - before) * 1e6) / res.requests.total;
        if (res.non2xx || res.errors) throw new Error(`${t.name}: ${res.non2xx} non-2xx, ${res.errors} errors`);
        results.set(t.name, [...(results.get(t.name) ?? []), { rps: res.requests.average, p50: res.latency.p50, p99: res.latency.p99, cpu }]);
      }
    }
    const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const summary = targets.map((t) => {
      const rs = results.get(t.name)!;
      return {
        name: t.name,
        rps: median(rs.map((x) => x.rps)),
        p50: median(rs.map((x) => x.p50)),
        p99: median(rs.map((x) => x.p99)),
        cpu: median(rs.map((x) => x.cpu)),
      };
    });
    const hello = summary[0]!.rps;
    console.log(
      `\nMashang benchmark — ${rounds} interleaved rounds × ${seconds} s, ${connections} connections, ${os.cpus().length} cores, node ${process.version}`,
    );
    console.log(
      `load average at the end: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    const helloCpu = summary[0]!.cpu;
    console.log('| route | req/s | p50 ms | p99 ms | ratio to the bare hello | server CPU µs/request | CPU ratio |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const s of summary) {
      const cpu = Number.isFinite(s.cpu) ? `| ${s.cpu.toFixed(0)} | ${(helloCpu / s.cpu).toFixed(2)} |` : '| – | – |';
      console.log(`| ${s.name} | ${s.rps.toFixed(0)} | ${s.p50} | ${s.p99} | ${(s.rps / hello).toFixed(2)} ${cpu}`);
    }
    console.log(
      `request log: ${
        out()
          .split('\n')
          .filter((l) => l.includes('"msg":"request"')).length
      } lines`,
    );
  } finally {
    server.kill('SIGTERM');
    bare.kill('SIGTERM');
    await Promise.all([new Promise((r) => server.once('exit', r)), new Promise((r) => bare.once('exit', r))]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * CPU seconds (user + system) a process has used so far, from Linux's /proc; undefined elsewhere.
 * Per request, it is the cost a shared machine's noise barely moves (req/s moves with the load).
 */
function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Loads one URL, or a list of paths on the same server taken in turn, with these request headers. */
function run(url: string, duration: number, paths?: string[], headers?: Record<string, string>): Promise<autocannon.Result> {
  let next = 0;
  const requests = paths ? [{ setupRequest: (req: autocannon.Request) => ({ ...req, path: paths[next++ % paths.length]! }) }] : undefined;
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration, requests, headers }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
