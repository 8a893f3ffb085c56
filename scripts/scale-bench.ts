/**
 * npm run bench:scale [-- --cases N] [--keep]: a city's installation, measured in one run on the
 * engine it would run on. PostgreSQL when MASHANG_DATABASE_URL is set (a fresh database
 * mashang_scale_<random> on that server, dropped at the end unless --keep), else a SQLite file in a
 * temporary folder (removed unless --keep).
 *
 * Builds: the demo district (its households, plates, cadres, catalogue and calendar, through the
 * import), grown to 11 districts' worth of townships (165) and 6,000 villages, each new village with
 * a village plate and a few households with their plates (straight SQL through the data layer); an
 * admin (the whole district), township staff and a village cadre; then N cases (default 1,000,000)
 * spread over every village with insertManyCases, 20,000 to a transaction (progress on stderr). On
 * PostgreSQL the tables are then vacuumed and analysed, as autovacuum would have done by the time a
 * city has that many cases.
 *
 * Measures, in a fresh server process started as the server starts (bootstrap's prepare: migrations,
 * checks, statistics; NODE_ENV=production), over HTTP from this process:
 *  - the back office's inbox (待办, page 1 and page 100 reached through the 下一页 cursor, or as deep
 *    as there are pages) and the dashboard, for each of the three users: p50/p95 of ROUNDS (200)
 *    requests made one at a time (target: inbox p95 < 50 ms, dashboard p95 < 100 ms);
 *  - a household page and a catalogue search: p50/p95 the same way, and their throughput under load
 *    (autocannon, interleaved rounds) as a share of a bare Express hello in a process of its own
 *    (scripts/bare-hello.ts), loaded the same way in the same run;
 *  - villagers loading the household page alone, then while one admin reloads the dashboard and
 *    another exports every case (from a process of their own, --admins, standing for their
 *    browsers), in --load-rounds rounds: their req/s, latency (p50/p95/p99 of every response) and
 *    the server's event-loop delay, in the round of median share (every round in the JSON);
 *  - the admin's CSV export of every case: time, rows (checked against the count), and the growth
 *    of the server process's peak RSS over its level just before the download (sampled every 20 ms).
 * Prints the figures as Markdown and writes them as JSON to bench-results/scale-<engine>.json.
 *
 * Options: --cases N, --villages V (6,000), --rounds R (200), --seconds S per load round (5),
 * --load-rounds K (3), --connections C (10), --keep, --reuse DATABASE (a postgres:// URL or SQLite file
 * kept by an earlier run: measured again without building; --cases is then read from it),
 * --only build (build and keep, measure nothing) or --only mixed (the mixed load only, written to
 * bench-results/scale-mixed-<engine>-<cases>.json). --cases and --reuse take lists (10000,100000,1000000):
 * one run after another, e.g. `--cases 10000,100000,1000000 --only mixed` on each engine.
 * SCALE_SERVER_NODE_ARGS adds options to the server's node (--cpu-prof); SCALE_MIXED_SKIP=dashboard
 * or export leaves one admin out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { createApp } from '../src/app.js';
import { prepare } from '../src/bootstrap.js';
import { loadConfig, testConfig } from '../src/config.js';
import { postgresDatabase, postgresPool, sqliteDatabase, type Database } from '../src/db/database.js';
import { migrate, openDb, projectRoot } from '../src/db/index.js';
import { migratePostgres } from '../src/db/migrate-postgres.js';
import { newPlateToken } from '../src/features/places/tokens.js';
import { seedDemo } from '../src/features/seed/service.js';
import { createServices } from '../src/services.js';
import { CASE_STATES } from '../src/domain/cases.js';
import { insertManyCases } from './many-cases.js';

const PASSWORD = 'bench-password-scale';
/** the demo's township whose staff member and cadre are measured */
const TOWN = '370812103';
/** the other ten counties of the demo district's city (their townships and villages are made up) */
const OTHER_DISTRICTS: ReadonlyArray<[string, string]> = [
  ['370811', '任城区'],
  ['370826', '微山县'],
  ['370827', '鱼台县'],
  ['370828', '金乡县'],
  ['370829', '嘉祥县'],
  ['370830', '汶上县'],
  ['370831', '泗水县'],
  ['370832', '梁山县'],
  ['370881', '曲阜市'],
  ['370883', '邹城市'],
];
const TOWNS_PER_DISTRICT = 15;
/** households (each with its plate) added to every new village */
const HOUSEHOLDS_PER_VILLAGE = 3;
/** rows per INSERT of places: a few columns each, well under both engines' parameter limits */
const BATCH = 500;

interface Options {
  cases: number;
  villages: number;
  rounds: number;
  seconds: number;
  loadRounds: number;
  connections: number;
  keep: boolean;
  /** measure an installation kept by an earlier run (--keep) instead of building one */
  reuse?: string;
  /** build: build and keep the installation, measure nothing; mixed: measure the mixed load only */
  only?: 'build' | 'mixed';
}

function parseOptions(argv: string[]): Options {
  const o: Options = { cases: 1_000_000, villages: 6000, rounds: 200, seconds: 5, loadRounds: 3, connections: 10, keep: false };
  const numeric: Record<string, keyof Options> = {
    '--cases': 'cases',
    '--villages': 'villages',
    '--rounds': 'rounds',
    '--seconds': 'seconds',
    '--load-rounds': 'loadRounds',
    '--connections': 'connections',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--keep') o.keep = true;
    else if (a === '--only') {
      const v = argv[++i];
      if (v !== 'build' && v !== 'mixed') throw new Error('--only takes build or mixed');
      o.only = v;
      if (v === 'build') o.keep = true;
    } else if (a === '--reuse') {
      o.reuse = argv[++i];
      if (!o.reuse) throw new Error('--reuse takes the kept database: a postgres:// URL or a SQLite file');
    } else if (numeric[a]) {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} takes a positive whole number, not ${argv[i]}`);
      (o as unknown as Record<string, number>)[numeric[a]] = v;
    } else
      throw new Error(
        `usage: npm run bench:scale -- [--cases N[,N...]] [--villages V] [--rounds R] [--seconds S] [--load-rounds K] [--connections C] [--keep] [--reuse DATABASE[,DATABASE...]] [--only build|mixed], not ${a}`,
      );
  }
  if (o.villages < 100) throw new Error('--villages: at least 100');
  return o;
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const seconds = (since: number) => (performance.now() - since) / 1000;

/** The server's address with another database name. */
function urlWithDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

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

interface Where {
  engine: 'sqlite' | 'postgres';
  /** the SQLite file, or the PostgreSQL database's URL */
  target: string;
  /** what to say about it, without a password */
  shown: string;
  drop: () => Promise<void>;
}

/** A fresh, empty database on the engine chosen by MASHANG_DATABASE_URL. */
async function freshDatabase(): Promise<Where> {
  const server = process.env.MASHANG_DATABASE_URL;
  if (server) {
    const name = `mashang_scale_${crypto.randomBytes(4).toString('hex')}`;
    const admin = new pg.Pool({ connectionString: server, max: 1 });
    await admin.query(`CREATE DATABASE ${name}`);
    const u = new URL(urlWithDatabase(server, name));
    u.password = '';
    return {
      engine: 'postgres',
      target: urlWithDatabase(server, name),
      shown: u.toString(),
      drop: async () => {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-scale-'));
  const file = path.join(dir, 'scale.sqlite');
  return { engine: 'sqlite', target: file, shown: file, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function openDatabase(where: Where): Database {
  // filling a million cases takes statements longer than a request's limit
  if (where.engine === 'postgres') return postgresDatabase(postgresPool(where.target, { max: 4, timeouts: { statementMs: 0, idleInTransactionMs: 0 } }));
  return sqliteDatabase(openDb(where.target));
}

interface City {
  districts: number;
  towns: number;
  villages: number;
  households: number;
  plates: number;
  villageIds: number[];
}

/**
 * The demo district grown to a city: 15 townships in each of 11 districts, villages added to every
 * township in turn up to `villages`, each new one with a village plate and a few households with
 * their plates. Straight SQL, in one transaction.
 */
async function buildCity(database: Database, villages: number): Promise<City> {
  const q = () => database.q;
  await database.transaction(async () => {
    // The demo seeds 曲阜市 already: add the districts it has not.
    const seeded = new Set((await database.all<{ code: string }>(sql`SELECT code FROM districts`)).map((d) => d.code));
    await q()
      .insertInto('districts')
      .values(OTHER_DISTRICTS.filter(([code]) => !seeded.has(code)).map(([code, name]) => ({ code, name })))
      .execute();
    const districts = await database.all<{ id: number; code: string; name: string }>(sql`SELECT id, code, name FROM districts ORDER BY code`);
    const existing = new Set((await database.all<{ code: string }>(sql`SELECT code FROM towns`)).map((t) => t.code));
    const newTowns: Array<{ district_id: number; code: string; name: string; centre_address: string; centre_phone: string }> = [];
    for (const d of districts) {
      const have = [...existing].filter((c) => c.startsWith(d.code)).length;
      for (let k = 0, n = 0; n < TOWNS_PER_DISTRICT - have; k++) {
        const code = `${d.code}${String(200 + k)}`;
        if (existing.has(code)) continue;
        n++;
        const name = `${d.name.slice(0, 2)}${String(k + 1)}镇`;
        newTowns.push({ district_id: d.id, code, name, centre_address: `${name}便民服务中心`, centre_phone: '0537-0000000' });
      }
    }
    for (let i = 0; i < newTowns.length; i += BATCH)
      await q()
        .insertInto('towns')
        .values(newTowns.slice(i, i + BATCH))
        .execute();
    const towns = await database.all<{ id: number; code: string; name: string }>(sql`SELECT id, code, name FROM towns ORDER BY code`);
    const taken = new Set((await database.all<{ code: string }>(sql`SELECT code FROM villages`)).map((v) => v.code));
    const nextOf = new Map<number, number>();
    const newVillages: Array<{ town_id: number; code: string; name: string }> = [];
    for (let i = 0; taken.size + newVillages.length < villages; i++) {
      const t = towns[i % towns.length]!;
      let k = nextOf.get(t.id) ?? 400;
      while (taken.has(`${t.code}${String(k)}`)) k++;
      if (k > 999) throw new Error(`township ${t.code} has no village codes left`);
      nextOf.set(t.id, k + 1);
      newVillages.push({ town_id: t.id, code: `${t.code}${String(k)}`, name: `${t.name}${String(k - 399)}村` });
    }
    for (let i = 0; i < newVillages.length; i += BATCH)
      await q()
        .insertInto('villages')
        .values(newVillages.slice(i, i + BATCH))
        .execute();
    // Every village without households gets a few, each with its plate, and its village plate.
    const bare = await database.all<{ id: number }>(
      sql`SELECT v.id FROM villages v WHERE NOT EXISTS (SELECT 1 FROM households h WHERE h.village_id = v.id) ORDER BY v.id`,
    );
    const households = bare.flatMap((v) =>
      Array.from({ length: HOUSEHOLDS_PER_VILLAGE }, (_, j) => ({ village_id: v.id, address: `${String(j + 1)}号`, contact_name: `住户${String(j + 1)}` })),
    );
    for (let i = 0; i < households.length; i += BATCH)
      await q()
        .insertInto('households')
        .values(households.slice(i, i + BATCH))
        .execute();
    const unplated = await database.all<{ id: number; village_id: number }>(
      sql`SELECT h.id, h.village_id FROM households h WHERE NOT EXISTS (SELECT 1 FROM plates p WHERE p.household_id = h.id) ORDER BY h.id`,
    );
    const plates = [
      ...unplated.map((h) => ({ token: newPlateToken(), kind: 'household', household_id: h.id, village_id: h.village_id })),
      ...(
        await database.all<{ id: number }>(
          sql`SELECT v.id FROM villages v WHERE NOT EXISTS (SELECT 1 FROM plates p WHERE p.village_id = v.id AND p.kind = 'village') ORDER BY v.id`,
        )
      ).map((v) => ({ token: newPlateToken(), kind: 'village', household_id: null, village_id: v.id })),
    ];
    for (let i = 0; i < plates.length; i += BATCH)
      await q()
        .insertInto('plates')
        .values(plates.slice(i, i + BATCH))
        .execute();
  });
  const count = async (table: string) => (await database.get<{ n: number }>(sql`SELECT count(*) AS n FROM ${sql.table(table)}`))!.n;
  return {
    districts: await count('districts'),
    towns: await count('towns'),
    villages: await count('villages'),
    households: await count('households'),
    plates: await count('plates'),
    villageIds: (await database.all<{ id: number }>(sql`SELECT id FROM villages ORDER BY id`)).map((v) => v.id),
  };
}

/**
 * The villages for insertManyCases, which gives case i the village i mod their number, the state
 * i mod 10 and the kind i mod 2: with 6,000 villages every village would get cases of one state
 * and one kind only. A list whose length shares no factor with 10 (the first villages once more at
 * its end) gives every village every state and kind.
 */
function spread(villageIds: readonly number[]): number[] {
  const ids = [...villageIds];
  for (let i = 0; ids.length % 2 === 0 || ids.length % 5 === 0; i++) ids.push(villageIds[i]!);
  return ids;
}

interface Build {
  seedSeconds: number;
  citySeconds: number;
  casesSeconds: number;
  casesPerSecond: number;
  analyseSeconds: number;
  newest: string;
  size: string;
  districtVillages: number;
  townVillages: number;
  cadreVillages: number;
}

/** The administrator of the demo's district alone (its villages, not the city's): made once, also in a kept installation. */
async function districtAdmin(database: Database): Promise<number> {
  const district = (await database.get<{ id: number }>(sql`SELECT id FROM districts WHERE code = ${TOWN.slice(0, 6)}`))!;
  if (!(await database.get(sql`SELECT id FROM users WHERE username = 'scale-district'`))) {
    await createServices(database, testConfig()).staff.createUser({
      username: 'scale-district',
      displayName: '区管理员',
      password: PASSWORD,
      role: 'admin',
      districtId: district.id,
    });
  }
  return (await database.get<{ n: number }>(sql`SELECT count(*) AS n FROM villages v JOIN towns t ON t.id = v.town_id WHERE t.district_id = ${district.id}`))!
    .n;
}

/** What an installation kept by an earlier run holds, to measure it again (--reuse). */
async function kept(where: Where, o: Options): Promise<{ city: City; build: Build }> {
  const database = openDatabase(where);
  try {
    const count = async (query: ReturnType<typeof sql<{ n: number }>>) => (await database.get<{ n: number }>(query))!.n;
    o.cases = await count(sql`SELECT count(*) AS n FROM cases`);
    const villageIds = (await database.all<{ id: number }>(sql`SELECT id FROM villages ORDER BY id`)).map((r) => r.id);
    const cadre = await database.get<{ id: number }>(sql`SELECT cadre_id AS id FROM users WHERE username = 'scale-cadre'`);
    if (!cadre) throw new Error(`${where.shown} was not built by this benchmark (no scale-cadre)`);
    const size =
      where.engine === 'postgres'
        ? `${((await database.get<{ b: number }>(sql`SELECT pg_database_size(current_database()) AS b`))!.b / 1024 / 1024).toFixed(0)} MB`
        : `${(fs.statSync(where.target).size / 1024 / 1024).toFixed(0)} MB`;
    log(`reusing ${where.shown}: ${o.cases} cases, ${villageIds.length} villages`);
    return {
      city: {
        districts: await count(sql`SELECT count(DISTINCT substr(code, 1, 6)) AS n FROM towns`),
        towns: await count(sql`SELECT count(*) AS n FROM towns`),
        villages: villageIds.length,
        households: await count(sql`SELECT count(*) AS n FROM households`),
        plates: await count(sql`SELECT count(*) AS n FROM plates`),
        villageIds,
      },
      build: {
        seedSeconds: 0,
        citySeconds: 0,
        casesSeconds: 0,
        casesPerSecond: 0,
        analyseSeconds: 0,
        newest: (await database.get<{ no: string }>(sql`SELECT tracking_no AS no FROM cases ORDER BY id DESC LIMIT 1`))!.no,
        size,
        districtVillages: await districtAdmin(database),
        townVillages: await count(sql`SELECT count(*) AS n FROM villages v JOIN towns t ON t.id = v.town_id WHERE t.code = ${TOWN}`),
        cadreVillages: await count(sql`SELECT count(*) AS n FROM cadre_villages WHERE cadre_id = ${cadre.id}`),
      },
    };
  } finally {
    await database.close();
  }
}

async function build(where: Where, o: Options): Promise<{ city: City; build: Build }> {
  let t = performance.now();
  if (where.engine === 'postgres') {
    const pool = postgresPool(where.target, { max: 1 });
    await migratePostgres(pool);
    await pool.end();
  } else {
    const db = openDb(where.target);
    migrate(db);
    db.close();
  }
  const database = openDatabase(where);
  try {
    // Building only: a crash loses a benchmark, not data.
    database.sqlite?.pragma('synchronous = OFF');
    const services = createServices(database, testConfig());
    await seedDemo(services, { tokenKey: `scale-bench-${crypto.randomBytes(8).toString('hex')}` });
    const seedSeconds = seconds(t);
    log(`demo district seeded in ${seedSeconds.toFixed(1)} s`);
    t = performance.now();
    const city = await buildCity(database, o.villages);
    const citySeconds = seconds(t);
    log(
      `city built in ${citySeconds.toFixed(1)} s: ${city.districts} districts, ${city.towns} townships, ${city.villages} villages, ${city.households} households, ${city.plates} plates`,
    );
    const cadre = await database.get<{ id: number }>(
      sql`SELECT cv.cadre_id AS id FROM cadre_villages cv JOIN villages v ON v.id = cv.village_id JOIN towns t ON t.id = v.town_id
          WHERE t.code = ${TOWN} ORDER BY cv.cadre_id LIMIT 1`,
    );
    if (!cadre) throw new Error(`no cadre serves a village of ${TOWN}`);
    await services.staff.createUser({ username: 'scale-admin', displayName: '市管理员', password: PASSWORD, role: 'admin' });
    const districtVillages = await districtAdmin(database);
    await services.staff.createUser({
      username: 'scale-town',
      displayName: '镇街人员',
      password: PASSWORD,
      role: 'staff',
      scopes: [{ level: 'town', code: TOWN }],
    });
    await services.staff.createUser({ username: 'scale-cadre', displayName: '村干部', password: PASSWORD, role: 'cadre', cadreId: cadre.id });
    const townVillages = (await database.get<{ n: number }>(sql`SELECT count(*) AS n FROM villages v JOIN towns t ON t.id = v.town_id WHERE t.code = ${TOWN}`))!
      .n;
    const cadreVillages = (await database.get<{ n: number }>(sql`SELECT count(*) AS n FROM cadre_villages WHERE cadre_id = ${cadre.id}`))!.n;

    t = performance.now();
    const { newest } = await insertManyCases(database, {
      n: o.cases,
      villageIds: spread(city.villageIds),
      // three years of cases, the newest a moment ago
      minutesApart: Math.max(0.05, (3 * 365 * 24 * 60) / o.cases),
      perTransaction: 20_000,
      onProgress: (done) => {
        const s = seconds(t);
        log(`  ${done} / ${o.cases} cases, ${s.toFixed(0)} s, ${(done / s).toFixed(0)} cases/s`);
      },
    });
    const casesSeconds = seconds(t);
    log(`${o.cases} cases in ${casesSeconds.toFixed(1)} s (${(o.cases / casesSeconds).toFixed(0)} cases/s)`);
    t = performance.now();
    // PostgreSQL: the statistics and visibility map autovacuum would have made by now. (SQLite's
    // statistics are made by the server's start, as in production.) The build's summary triggers
    // update 6,000 rows a million times in fifty long transactions, so case_summaries ends at about
    // 160 MB of dead rows that no vacuum could reclaim while they were written (the tab counts then
    // read 20,000 pages for 6,000 rows). Cases filed one at a time leave no such pile: each update's
    // dead row is pruned from its page soon after. FULL rewrites the table as a city's would be.
    if (database.pool) {
      await database.pool.query('VACUUM (FULL, ANALYZE) case_summaries');
      await database.pool.query('VACUUM (ANALYZE)');
    }
    const analyseSeconds = seconds(t);
    if (database.pool) log(`VACUUM (ANALYZE) in ${analyseSeconds.toFixed(1)} s`);
    const size =
      where.engine === 'postgres'
        ? `${((await database.get<{ b: number }>(sql`SELECT pg_database_size(current_database()) AS b`))!.b / 1024 / 1024).toFixed(0)} MB`
        : `${(fs.statSync(where.target).size / 1024 / 1024).toFixed(0)} MB`;
    return {
      city,
      build: {
        seedSeconds,
        citySeconds,
        casesSeconds,
        casesPerSecond: o.cases / casesSeconds,
        analyseSeconds,
        newest,
        size,
        districtVillages,
        townVillages,
        cadreVillages,
      },
    };
  } finally {
    await database.close();
  }
}

/** Messages between this process and the server process. */
type ToServer = { rss: 'start' } | { rss: 'stop' } | { loop: 'start' } | { loop: 'stop' };
type FromServer = { ready: true } | { rss: { before: number; peak: number; samples: number } } | { loop: LoopDelay };

/** The server's event-loop delay over a phase (perf_hooks.monitorEventLoopDelay), ms. */
interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

/** The server process: started as the server starts, answering until this process says stop. */
async function serve(): Promise<void> {
  const config = loadConfig({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: process.env.SCALE_PORT,
    PUBLIC_BASE_URL: `http://127.0.0.1:${process.env.SCALE_PORT}`,
    MASHANG_DB: process.env.SCALE_SQLITE,
    MASHANG_DATABASE_URL: process.env.SCALE_POSTGRES,
    MASHANG_DATA_DIR: path.join(os.tmpdir(), 'mashang-scale-data'),
    MASHANG_DEMO: '0',
    LOG_LEVEL: 'silent',
  });
  const logger = pino({ level: 'silent' });
  const { database, services } = await prepare(config, logger);
  const app = createApp(services, { logger });
  const server = app.listen(config.port, config.host);
  await new Promise((resolve) => server.once('listening', resolve));
  let sampler: NodeJS.Timeout | undefined;
  let before = 0;
  let peak = 0;
  let samples = 0;
  const send = (m: FromServer) => process.send!(m);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  process.on('message', (m: ToServer) => {
    if ('loop' in m) {
      if (m.loop === 'start') {
        delay.reset();
        delay.enable();
      } else {
        delay.disable();
        send({ loop: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 } });
      }
      return;
    }
    if (m.rss === 'start') {
      (globalThis as { gc?: () => void }).gc?.();
      before = process.memoryUsage().rss;
      peak = before;
      samples = 0;
      sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
        samples++;
      }, 20);
    } else {
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      send({ rss: { before, peak, samples } });
    }
  });
  process.on('disconnect', () => {
    server.closeAllConnections();
    server.close();
    void database.close().finally(() => process.exit(0));
  });
  send({ ready: true });
}

interface Timing {
  p50: number;
  p95: number;
  requests: number;
  kb: number;
}

async function signIn(base: string, username: string): Promise<string> {
  const cookiesOf = (res: Response) =>
    res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
  const form = await fetch(`${base}/admin/login`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!csrf) throw new Error('no CSRF token on the sign-in page');
  const res = await fetch(`${base}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookiesOf(form), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, username, password: PASSWORD }),
  });
  const to = res.headers.get('location') ?? '';
  if (res.status !== 303 || to.includes('/login')) throw new Error(`sign-in of ${username} answered ${res.status} (to ${to})`);
  return cookiesOf(res) || cookiesOf(form);
}

function getter(base: string, cookie?: string) {
  return async (url: string): Promise<string> => {
    const res = await fetch(base + url, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}${res.headers.has('location') ? ` (to ${res.headers.get('location')})` : ''}`);
    return text;
  };
}

/** p50 and p95 of `rounds` requests made one after another (after two to warm up). */
async function time(get: (url: string) => Promise<string>, url: string, rounds: number): Promise<Timing> {
  await get(url);
  await get(url);
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    bytes = (await get(url)).length;
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  return { p50: q(0.5), p95: q(0.95), requests: rounds, kb: bytes / 1024 };
}

/** Loads one URL with autocannon; returns the mean requests per second. */
function load(url: string, duration: number, connections: number): Promise<number> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration }, (err, res) => {
      if (err) return reject(err);
      if (res.non2xx || res.errors) return reject(new Error(`${url}: ${res.non2xx} non-2xx, ${res.errors} errors under load`));
      resolve(res.requests.average);
    });
  });
}

async function waitFor<T>(child: ChildProcess, pick: (m: FromServer) => T | undefined, what: string, ms = 120_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms / 1000} s`)), ms);
    const onExit = (code: number | null) => reject(new Error(`${what}: the server process ended (${String(code)})`));
    const onMessage = (m: FromServer) => {
      const v = pick(m);
      if (v === undefined) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(v);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

interface Scoped {
  scope: string;
  user: string;
  villages: number;
  inboxFirst: Timing;
  inboxDeep: Timing & { page: number };
  /** the inbox's other tabs and filters, page 1 */
  tabs: Array<{ name: string; timing: Timing }>;
  dashboard: Timing;
}

/** Runs `fn` on each item one after another (timings must not overlap). */
async function sequential<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) out.push(await fn(item));
  return out;
}

/** The inbox's other tabs (every state, all) and filters, each measured on its first page. */
const INBOX_VIEWS: Array<[string, string]> = [
  ...CASE_STATES.map((st): [string, string] => [`tab ${st}`, `/admin/cases?state=${st}`]),
  ['tab all', '/admin/cases?state=all'],
  ['filter 码上说 (kind)', '/admin/cases?kind=speak'],
  ['filter overdue (flag)', '/admin/cases?flag=red'],
];

interface Public {
  name: string;
  path: string;
  timing?: Timing;
  rps: number;
  ratio: number;
}

interface Export {
  rows: number;
  expected: number;
  newestIncluded: boolean;
  seconds: number;
  rowsPerSecond: number;
  mb: number;
  rssBeforeMb: number;
  peakRssGrowthMb: number;
  samples: number;
}

async function measure(where: Where, o: Options, city: City, built: Build) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const self = fileURLToPath(import.meta.url);
  // SCALE_SERVER_NODE_ARGS: more options for the server's node (--cpu-prof, to see where its time goes)
  const nodeArgs = (process.env.SCALE_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const server = spawn(process.execPath, ['--expose-gc', ...nodeArgs, self, '--serve'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      SCALE_PORT: String(port),
      ...(where.engine === 'postgres' ? { SCALE_POSTGRES: where.target } : { SCALE_SQLITE: where.target }),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const barePort = await freePort();
  const bare = spawn(process.execPath, [fileURLToPath(new URL('./bare-hello.js', import.meta.url))], {
    env: { ...process.env, NODE_ENV: 'production', PORT: String(barePort) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const started = performance.now();
    await waitFor(server, (m) => ('ready' in m ? true : undefined), 'server start', 600_000);
    log(`server ready in ${seconds(started).toFixed(1)} s`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the bare hello did not start')), 30_000);
      bare.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });

    if (o.only === 'mixed') {
      const household = await householdPath(where);
      log(
        `villagers on the household page (${o.connections} connections, ${o.seconds} s), alone and while an admin reloads the dashboard and another exports every case`,
      );
      return {
        mixedOnly: true as const,
        mixed: await mixedLoad(base + household, server, o, await signIn(base, 'scale-admin'), await signIn(base, 'scale-admin')),
      };
    }
    const scoped: Scoped[] = [];
    for (const [scope, user, villages] of [
      ['city (admin)', 'scale-admin', city.villages],
      [`district ${TOWN.slice(0, 6)} (admin)`, 'scale-district', built.districtVillages],
      [`township ${TOWN}`, 'scale-town', built.townVillages],
      ['village (cadre)', 'scale-cadre', built.cadreVillages],
    ] as const) {
      const get = getter(base, await signIn(base, user));
      // Page 100 of 待办, reached by following 下一页 (or the last page when there are fewer).
      let deep = '/admin/cases';
      let page = 1;
      for (; page < 100; page++) {
        const next = /href="(\/admin\/cases\?[^"]*after=[^"]+)" rel="next"/.exec(await get(deep))?.[1];
        if (!next) break;
        deep = next.replace(/&amp;/g, '&');
      }
      log(`measuring ${scope}: inbox, page ${page}, every tab and filters, dashboard`);
      const views: Array<[string, string]> = [...INBOX_VIEWS, ['search a tracking number (all states)', `/admin/cases?state=all&q=${built.newest}`]];
      scoped.push({
        scope,
        user,
        villages,
        inboxFirst: await time(get, '/admin/cases', o.rounds),
        inboxDeep: { ...(await time(get, deep, o.rounds)), page },
        tabs: await sequential(views, async ([name, url]) => ({ name, timing: await time(get, url, o.rounds) })),
        dashboard: await time(get, '/admin', o.rounds),
      });
    }

    const anonymous = getter(base);
    const household = await householdPath(where);
    const targets: Array<{ name: string; path: string; base: string }> = [
      { name: 'bare Express hello (own process)', path: '/hello', base: `http://127.0.0.1:${barePort}` },
      { name: 'household page', path: household, base },
      // the demo district's list (with several districts, a search naming none asks which)
      { name: 'catalogue search 医保', path: `/services?d=${TOWN.slice(0, 6)}&q=${encodeURIComponent('医保')}`, base },
    ];
    const timings = new Map<string, Timing>();
    for (const t of targets.slice(1)) {
      log(`measuring ${t.name}`);
      timings.set(t.name, await time(anonymous, t.path, o.rounds));
    }
    log(`loading the public pages and the bare hello: ${o.loadRounds} interleaved rounds × ${o.seconds} s`);
    for (const t of targets) await load(t.base + t.path, 1, o.connections);
    const rps = new Map<string, number[]>();
    for (let r = 0; r < o.loadRounds; r++) {
      for (const t of targets) rps.set(t.name, [...(rps.get(t.name) ?? []), await load(t.base + t.path, o.seconds, o.connections)]);
    }
    const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const hello = median(rps.get(targets[0]!.name)!);
    const publics: Public[] = targets.map((t) => {
      const r = median(rps.get(t.name)!);
      return { name: t.name, path: t.path, timing: timings.get(t.name), rps: r, ratio: r / hello };
    });

    log(
      `villagers on the household page (${o.connections} connections, ${o.seconds} s), alone and while an admin reloads the dashboard and another exports every case`,
    );
    const mixed = await mixedLoad(base + household, server, o, await signIn(base, 'scale-admin'), await signIn(base, 'scale-admin'));

    log('exporting every case as CSV');
    const exported = await exportAll(base, server, await signIn(base, 'scale-admin'), built.newest, o.cases);
    return { mixedOnly: false as const, scoped, publics, mixed, exported };
  } finally {
    bare.kill('SIGTERM');
    if (server.connected) server.disconnect();
    await Promise.all([
      new Promise((r) => (server.exitCode === null ? server.once('exit', r) : r(null))),
      new Promise((r) => (bare.exitCode === null ? bare.once('exit', r) : r(null))),
    ]);
  }
}

/** Villagers' throughput and latency on one page, and the server's event-loop delay meanwhile. */
interface Villagers {
  rps: number;
  /** of every response's time, ms */
  p50: number;
  p95: number;
  p99: number;
  /** autocannon's */
  p97_5: number;
  loop: LoopDelay;
}

interface MixedRound {
  alone: Villagers;
  loaded: Villagers;
  /** dashboards the admin was served, and export rows received, while the villagers were loaded */
  dashboards: number;
  exportRows: number;
}

/** The round whose villagers kept the median share of their req/s (its figures shown), and every round. */
interface Mixed extends MixedRound {
  rounds: MixedRound[];
}

/**
 * Villagers load the household page for --seconds alone, then again while one admin reloads the
 * dashboard one request after another and another downloads the export of every case (started
 * again if it ends): their req/s, latency and the server's event-loop delay in both phases.
 */
async function mixedLoad(url: string, server: ChildProcess, o: Options, cookie: string, exporterCookie: string): Promise<Mixed> {
  const villagers = async (): Promise<Villagers> => {
    const delay = waitFor(server, (m) => ('loop' in m ? m.loop : undefined), 'event-loop delay');
    server.send({ loop: 'start' } satisfies ToServer);
    const times: number[] = [];
    const res = await new Promise<autocannon.Result>((resolve, reject) => {
      const run = autocannon({ url, connections: o.connections, duration: o.seconds }, (err, r) => (err ? reject(err) : resolve(r)));
      run.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => times.push(ms));
    });
    server.send({ loop: 'stop' } satisfies ToServer);
    if (res.non2xx || res.errors) throw new Error(`${url}: ${res.non2xx} non-2xx, ${res.errors} errors under load`);
    times.sort((a, b) => a - b);
    const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? NaN;
    return { rps: res.requests.average, p50: q(0.5), p95: q(0.95), p99: q(0.99), p97_5: res.latency.p97_5, loop: await delay };
  };
  await load(url, 1, o.connections);
  // The admins' browsers: a process of their own (as on their own machines, they must not slow the
  // villagers' load generator), reading with node:http.
  const admins = spawn(process.execPath, [fileURLToPath(import.meta.url), '--admins'], {
    env: {
      ...process.env,
      SCALE_ADMIN_BASE: url.replace(/\/p\/.*$/, ''),
      SCALE_DASHBOARD_COOKIE: cookie,
      SCALE_EXPORT_COOKIE: exporterCookie,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const tell = (m: 'count' | 'pause' | 'resume') => {
      const answer = new Promise<AdminCounts>((resolve, reject) => {
        admins.once('message', (c: AdminCounts) => resolve(c));
        admins.once('exit', (code) => reject(new Error(`the admins' process ended (${String(code)})`)));
      });
      admins.send(m);
      return answer;
    };
    // --load-rounds rounds, each the villagers alone, then with the admins
    const rounds: MixedRound[] = [];
    for (let r = 0; r < o.loadRounds; r++) {
      const alone = await villagers();
      // Steady state before the villagers come: a dashboard served since the admins resumed (its
      // figures read and kept, as while an admin keeps reloading it) and the export under way.
      const resumed = await tell('resume');
      const warm = Date.now();
      for (let c = await tell('count'); ; c = await tell('count')) {
        if (c.failure) throw new Error(`an admin's request failed: ${c.failure}`);
        if ((c.dashboards > resumed.dashboards || skipped('dashboard')) && (c.exportRows > resumed.exportRows || skipped('export'))) break;
        if (Date.now() - warm > 120_000) throw new Error('the admins got no dashboard or no export rows in 2 minutes');
        await new Promise((res) => setTimeout(res, 100));
      }
      const before = await tell('count');
      const loaded = await villagers();
      const after = await tell('pause');
      if (after.failure) throw new Error(`an admin's request failed: ${after.failure}`);
      rounds.push({ alone, loaded, dashboards: after.dashboards - before.dashboards, exportRows: after.exportRows - before.exportRows });
      log(
        `  round ${r + 1}: ${Math.round(alone.rps)} req/s alone, ${Math.round(loaded.rps)} with the admins (${((loaded.rps / alone.rps) * 100).toFixed(0)}%)`,
      );
      // the abandoned export's worker ends before the next round
      await new Promise((res) => setTimeout(res, 500));
    }
    const share = (m: MixedRound) => m.loaded.rps / m.alone.rps;
    const median = [...rounds].sort((a, b) => share(a) - share(b))[Math.floor(rounds.length / 2)]!;
    return { ...median, rounds };
  } finally {
    admins.kill('SIGTERM');
  }
}

interface AdminCounts {
  dashboards: number;
  exportRows: number;
  failure?: string;
}

const skipped = (what: 'dashboard' | 'export') => (process.env.SCALE_MIXED_SKIP ?? '').includes(what);

/**
 * The admins' process (--admins): one reloads the dashboard one request after another, another
 * downloads the export of every case again and again, from 'resume' to 'pause' (a download under
 * way is then abandoned); each message is answered with what they received so far. SCALE_MIXED_SKIP=dashboard or export leaves one of them out.
 */
function admins(): void {
  // The admins' browsers are on machines of their own: here, on the villagers' load generator's two
  // cores, their process takes only what the load generator and the server leave (SCALE_ADMINS_NICE=0
  // to measure them at equal priority).
  os.setPriority(Number(process.env.SCALE_ADMINS_NICE ?? 19));
  const base = process.env.SCALE_ADMIN_BASE!;
  const counts: AdminCounts = { dashboards: 0, exportRows: 0 };
  const agent = new http.Agent({ keepAlive: true });
  const get = (path: string, cookie: string, onData: (b: Buffer, req: http.ClientRequest) => void) =>
    new Promise<void>((resolve, reject) => {
      const req = http.get(base + path, { agent, headers: { cookie } }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`${path} answered ${String(res.statusCode)}`));
        res.on('data', (b: Buffer) => onData(b, req));
        res.on('end', resolve);
        res.on('close', resolve);
        res.on('error', () => (paused ? resolve() : reject(new Error(`${path}: the response failed`))));
      });
      req.on('error', (err) => (paused ? resolve() : reject(err)));
    });
  let paused = true;
  const loop = async (what: 'dashboard' | 'export') => {
    if (skipped(what)) return;
    try {
      for (;;) {
        if (paused) await new Promise((r) => setTimeout(r, 20));
        else if (what === 'dashboard') {
          await get('/admin', process.env.SCALE_DASHBOARD_COOKIE!, () => undefined);
          counts.dashboards++;
        } else
          await get('/admin/cases.csv?state=all', process.env.SCALE_EXPORT_COOKIE!, (b, req) => {
            // paused: the download is abandoned (the server stops its export)
            if (paused) return req.destroy();
            for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) counts.exportRows++;
          });
      }
    } catch (err) {
      counts.failure = String(err);
    }
  };
  process.on('message', (m: 'count' | 'pause' | 'resume') => {
    if (m === 'pause') paused = true;
    if (m === 'resume') paused = false;
    process.send!(counts);
  });
  process.on('disconnect', () => process.exit(0));
  void loop('dashboard');
  void loop('export');
}

/** A household page of the measured township: its plate's path. */
async function householdPath(where: Where): Promise<string> {
  const database = openDatabase(where);
  try {
    const plate = await database.get<{ token: string }>(
      sql`SELECT p.token FROM plates p JOIN villages v ON v.id = p.village_id JOIN towns t ON t.id = v.town_id
          WHERE p.kind = 'household' AND p.status = 'active' AND t.code = ${TOWN} ORDER BY p.id LIMIT 1`,
    );
    if (!plate) throw new Error(`no household plate in ${TOWN}`);
    return `/p/${plate.token}`;
  } finally {
    await database.close();
  }
}

/** The admin downloads /admin/cases.csv of every case, read here as it comes; the server samples its RSS meanwhile. */
async function exportAll(base: string, server: ChildProcess, cookie: string, newest: string, expected: number): Promise<Export> {
  const rss = waitFor(server, (m) => ('rss' in m ? m.rss : undefined), 'RSS sampling');
  server.send({ rss: 'start' } satisfies ToServer);
  // the first sample is taken before the download starts
  await new Promise((r) => setTimeout(r, 100));
  const t0 = performance.now();
  const res = await fetch(`${base}/admin/cases.csv?state=all`, { headers: { cookie } });
  if (res.status !== 200 || !res.body) throw new Error(`the export answered ${res.status}`);
  const decoder = new TextDecoder();
  let lines = 0;
  let bytes = 0;
  let tail = '';
  const reader = res.body.getReader();
  for (;;) {
    const { done, value: chunk } = await reader.read();
    if (done) break;
    bytes += chunk.length;
    const text = decoder.decode(chunk, { stream: true });
    // The benchmark's cases have no line breaks in their cells.
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
    tail = (tail + text).slice(-2000);
  }
  const took = seconds(t0);
  server.send({ rss: 'stop' } satisfies ToServer);
  const { before, peak, samples } = await rss;
  const rows = lines - 1;
  const lastRow = tail.split('\r\n').at(-2) ?? '';
  const mb = (b: number) => b / 1024 / 1024;
  return {
    rows,
    expected,
    newestIncluded: lastRow.includes(newest),
    seconds: took,
    rowsPerSecond: rows / took,
    mb: mb(bytes),
    rssBeforeMb: mb(before),
    peakRssGrowthMb: mb(peak - before),
    samples,
  };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--serve') return serve();
  if (process.argv[2] === '--admins') return admins();
  // --cases 10000,100000,1000000 or --reuse A,B: one run after another, each with one of them.
  const argv = process.argv.slice(2);
  const listAt = argv.findIndex((a, i) => (a === '--cases' || a === '--reuse') && (argv[i + 1] ?? '').includes(','));
  const runs = listAt === -1 ? [argv] : argv[listAt + 1]!.split(',').map((one) => argv.map((a, i) => (i === listAt + 1 ? one : a)));
  for (const args of runs) {
    await runOne(parseOptions(args), runs.length > 1);
    if (process.exitCode) return;
  }
}

async function runOne(o: Options, several: boolean): Promise<void> {
  const where: Where = o.reuse
    ? { engine: o.reuse.startsWith('postgres') ? 'postgres' : 'sqlite', target: o.reuse, shown: o.reuse.replace(/:[^:@/]*@/, '@'), drop: async () => {} }
    : await freshDatabase();
  log(`scale benchmark on ${where.engine}: ${where.shown}`);
  let failed = false;
  try {
    const { city, build: built } = o.reuse ? await kept(where, o) : await build(where, o);
    if (o.only === 'build') return;
    const measured = await measure(where, o, city, built);
    if (measured.mixedOnly) {
      const machine = `node ${process.version}, ${os.cpus().length} cores, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`;
      const md = [
        `**${where.engine}, ${o.cases.toLocaleString('en-US')} cases** — ${machine}`,
        '',
        ...mixedTable(measured.mixed, o.connections, o.seconds),
      ].join('\n');
      console.log(`\n${md}`);
      const dir = path.join(projectRoot, 'bench-results');
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `scale-mixed-${where.engine}-${o.cases}.json`);
      fs.writeFileSync(
        file,
        `${JSON.stringify({ engine: where.engine, cases: o.cases, date: new Date().toISOString(), machine, mixed: measured.mixed, markdown: md }, null, 2)}\n`,
      );
      log(`written to ${path.relative(process.cwd(), file)}`);
      return;
    }
    const { scoped, publics, mixed, exported } = measured;
    let version = '';
    if (where.engine === 'postgres') {
      const pool = new pg.Pool({ connectionString: where.target, max: 1 });
      version = `PostgreSQL ${(await pool.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v.split(' ')[0]!}`;
      await pool.end();
    } else {
      const db = openDb(where.target, { readonly: true });
      version = `SQLite ${db.prepare('SELECT sqlite_version()').pluck().get() as string}`;
      db.close();
    }
    const machine = `node ${process.version}, ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`;
    const result = {
      engine: where.engine,
      version,
      date: new Date().toISOString(),
      machine,
      cases: o.cases,
      city: {
        districts: city.districts,
        towns: city.towns,
        villages: city.villages,
        households: city.households,
        plates: city.plates,
        townVillages: built.townVillages,
        cadreVillages: built.cadreVillages,
      },
      build: {
        seedSeconds: built.seedSeconds,
        citySeconds: built.citySeconds,
        casesSeconds: built.casesSeconds,
        casesPerSecond: built.casesPerSecond,
        analyseSeconds: built.analyseSeconds,
        size: built.size,
      },
      rounds: o.rounds,
      backOffice: scoped,
      public: { loadRounds: o.loadRounds, secondsPerRound: o.seconds, connections: o.connections, pages: publics },
      mixed,
      export: exported,
      targets: { inboxP95Ms: 50, dashboardP95Ms: 100 },
    };
    const md = markdown(result);
    console.log(`\n${md}`);
    const dir = path.join(projectRoot, 'bench-results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, several ? `scale-${where.engine}-${o.cases}.json` : `scale-${where.engine}.json`);
    fs.writeFileSync(file, `${JSON.stringify({ ...result, markdown: md }, null, 2)}\n`);
    log(`written to ${path.relative(process.cwd(), file)}`);
    const worstInbox = Math.max(...scoped.flatMap((s) => [s.inboxFirst.p95, s.inboxDeep.p95, ...s.tabs.map((t) => t.timing.p95)]));
    const worstDashboard = Math.max(...scoped.map((s) => s.dashboard.p95));
    if (worstInbox >= 50) log(`inbox p95 ${worstInbox.toFixed(1)} ms: over the target (< 50 ms)`);
    if (worstDashboard >= 100) log(`dashboard p95 ${worstDashboard.toFixed(1)} ms: over the target (< 100 ms)`);
    if (exported.rows !== exported.expected || !exported.newestIncluded) {
      log(`the export is missing cases: ${exported.rows} rows of ${exported.expected}, newest ${exported.newestIncluded ? '' : 'not '}included`);
      failed = true;
    }
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    if (o.keep) log(`kept: ${where.shown}`);
    else await where.drop();
    if (failed) process.exitCode = 1;
  }
}

/** The villagers' figures alone and under the back office's load, as a Markdown table. */
function mixedTable(m: Mixed, connections: number, secs: number): string[] {
  const n = (x: number) => x.toLocaleString('en-US');
  const row = (v: Villagers) =>
    `${n(Math.round(v.rps))} | ${v.p50.toFixed(0)} / ${v.p95.toFixed(0)} / ${v.p99.toFixed(0)} | ${v.loop.p50.toFixed(1)} / ${v.loop.p99.toFixed(1)} / ${v.loop.max.toFixed(1)}`;
  return [
    `| villagers on the household page (${connections} connections, ${secs} s; the round of median share of ${m.rounds.length}: ${m.rounds.map((x) => `${((x.loaded.rps / x.alone.rps) * 100).toFixed(0)}%`).join(', ')}) | req/s | latency p50 / p95 / p99, ms | event-loop delay p50 / p99 / max, ms |`,
    '|---|---:|---:|---:|',
    `| alone | ${row(m.alone)} |`,
    `| while an admin reloads the dashboard (${n(m.dashboards)} served) and another exports every case (${n(m.exportRows)} rows received) | ${row(m.loaded).replace(/^[^|]*/, (rps) => `${rps.trim()} (${((m.loaded.rps / m.alone.rps) * 100).toFixed(0)}%) `)} |`,
  ];
}

function markdown(r: {
  engine: string;
  version: string;
  machine: string;
  cases: number;
  city: City | Omit<City, 'villageIds'>;
  build: { casesPerSecond: number; casesSeconds: number; size: string };
  rounds: number;
  backOffice: Scoped[];
  public: { loadRounds: number; secondsPerRound: number; connections: number; pages: Public[] };
  mixed: Mixed;
  export: Export;
}): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const ms = (t: Timing) => `${t.p50.toFixed(1)} / ${t.p95.toFixed(1)}`;
  const lines = [
    `**${r.version}, ${n(r.cases)} cases, ${n(r.city.villages)} villages** (${r.city.towns} townships in ${r.city.districts} districts, ${n(r.city.households)} households; ${r.build.size}; ${r.build.casesPerSecond ? `cases inserted at ${n(Math.round(r.build.casesPerSecond))}/s` : 'built by an earlier run'}) — ${r.machine}`,
    '',
    `| back office, p50 / p95 ms over ${r.rounds} requests | ${r.backOffice.map((s) => `${s.scope}, ${n(s.villages)} village${s.villages === 1 ? '' : 's'}`).join(' | ')} |`,
    `|---|${r.backOffice.map(() => '---:').join('|')}|`,
    `| inbox 待办, page 1 | ${r.backOffice.map((s) => ms(s.inboxFirst)).join(' | ')} |`,
    `| inbox 待办, page 100 (or the last) | ${r.backOffice.map((s) => `${ms(s.inboxDeep)} (p. ${s.inboxDeep.page})`).join(' | ')} |`,
    ...(r.backOffice[0]?.tabs ?? []).map(
      ({ name }, i) => `| inbox ${name} | ${r.backOffice.map((s) => (s.tabs[i] ? ms(s.tabs[i].timing) : '—')).join(' | ')} |`,
    ),
    `| dashboard | ${r.backOffice.map((s) => ms(s.dashboard)).join(' | ')} |`,
    '',
    `| public page | p50 / p95 ms over ${r.rounds} requests | req/s (${r.public.connections} connections, median of ${r.public.loadRounds} × ${r.public.secondsPerRound} s) | share of the bare hello |`,
    '|---|---:|---:|---:|',
    ...r.public.pages.map((p) => `| ${p.name} | ${p.timing ? ms(p.timing) : '—'} | ${n(Math.round(p.rps))} | ${p.ratio.toFixed(2)} |`),
    '',
    ...mixedTable(r.mixed, r.public.connections, r.public.secondsPerRound),
    '',
    '| CSV export of every case (admin) | rows | seconds | rows/s | MB | server RSS before, MB | peak RSS growth, MB |',
    '|---|---:|---:|---:|---:|---:|---:|',
    `| ${r.export.rows === r.export.expected && r.export.newestIncluded ? 'complete' : 'INCOMPLETE'} | ${n(r.export.rows)} | ${r.export.seconds.toFixed(1)} | ${n(Math.round(r.export.rowsPerSecond))} | ${r.export.mb.toFixed(0)} | ${r.export.rssBeforeMb.toFixed(0)} | ${r.export.peakRssGrowthMb.toFixed(0)} |`,
  ];
  return lines.join('\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
