/**
 * npm run bench:import: imports 100,000 households from one CSV into the demo district (dry run,
 * then the real import, written in short transactions) and prints the times. Bound: under 60 s.
 *
 * Options (env): ROWS (default 100000).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate, openDb } from '../src/db/index.js';
import { seedDemo } from '../src/features/seed/service.js';
import { createServices } from '../src/services.js';
import { testConfig } from '../src/config.js';

const rows = Number(process.env.ROWS ?? 100_000);

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-import-'));
  try {
    const db = openDb(path.join(dir, 'bench.sqlite'));
    migrate(db);
    const services = createServices(db, testConfig());
    await seedDemo(services, { tokenKey: 'import-bench' });
    const villages = db.prepare('SELECT code FROM villages ORDER BY code').pluck().all() as string[];
    const lines = ['村居代码,门牌地址,户联系人,联系电话,备注'];
    for (let i = 0; i < rows; i++) {
      const code = villages[i % villages.length]!;
      lines.push(
        `${code},新村${Math.floor(i / villages.length / 20) + 1}排${(Math.floor(i / villages.length) % 20) + 1}号,住户${i},199${String(10_000_000 + i).slice(-8)},`,
      );
    }
    const file = Buffer.from('\uFEFF' + lines.join('\r\n'), 'utf8');
    const who = {
      role: 'admin' as const,
      scope: { all: true, districtIds: new Set<number>(), villageIds: new Set(db.prepare('SELECT id FROM villages').pluck().all() as number[]) },
    };

    const t0 = process.hrtime.bigint();
    const plan = await services.transfer.dryRun('households', file, who);
    const t1 = process.hrtime.bigint();
    if (plan.errors.length) throw new Error(`unexpected errors: ${JSON.stringify(plan.errors.slice(0, 3))}`);
    await services.transfer.commit('households', file, who);
    const t2 = process.hrtime.bigint();
    const s = (a: bigint, b: bigint) => (Number(b - a) / 1e9).toFixed(1);
    console.log(
      `\nImport benchmark — ${rows} households, ${(file.length / 1024 / 1024).toFixed(1)} MB CSV, node ${process.version}, ${os.cpus().length} cores`,
    );
    console.log('| rows | dry run s | import s (reads and checks again, then writes) | peak RSS MB |');
    console.log('|---:|---:|---:|---:|');
    console.log(`| ${rows} | ${s(t0, t1)} | ${s(t1, t2)} | ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} |`);
    db.close();
    if (Number(t2 - t1) / 1e9 > 60) {
      console.error('over the bound (60 s)');
      process.exitCode = 1;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
