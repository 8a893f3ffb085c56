/**
 * npm run bench:plates: a township of 10,000 households printed as one PDF, streamed page by page.
 * Prints the time taken, the peak memory (max RSS) and the file size. Bounds: under 60 s and 300 MB.
 *
 * Options (env): PLATES (default 10000), SIZE (plate|sticker, default sticker).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { migrate, openDb, transaction } from '../src/db/index.js';
import { seedDemo } from '../src/features/seed/service.js';
import { createServices } from '../src/services.js';
import { testConfig } from '../src/config.js';
import { newPlateToken } from '../src/features/places/tokens.js';
import { writeHouseholdPlatesPdf } from '../src/features/plates/pdf.js';
import { sizeOf } from '../src/features/plates/sizes.js';

const total = Number(process.env.PLATES ?? 10_000);
const size = sizeOf(process.env.SIZE ?? 'sticker');
const TOWN = '370812103'; // 颜店镇

/** Builds the database in this process, then measures the PDF in a fresh one (as the command line runs it). */
async function main(): Promise<void> {
  if (process.argv[2] === '--measure') return measure(process.argv[3]!);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-plates-'));
  try {
    const file = path.join(dir, 'bench.sqlite');
    const db = openDb(file);
    migrate(db);
    await seedDemo(createServices(db, testConfig()), { tokenKey: 'plates-bench' });
    // Fill the township up to `total` households, spread over its villages.
    const villages = db.prepare('SELECT v.id FROM villages v JOIN towns t ON t.id = v.town_id WHERE t.code = ?').pluck().all(TOWN) as number[];
    const have = db
      .prepare('SELECT count(*) FROM households h JOIN villages v ON v.id = h.village_id JOIN towns t ON t.id = v.town_id WHERE t.code = ?')
      .pluck()
      .get(TOWN) as number;
    const addHousehold = db.prepare('INSERT INTO households (village_id, address) VALUES (?, ?)');
    const addPlate = db.prepare("INSERT INTO plates (token, kind, household_id, village_id) VALUES (?, 'household', ?, ?)");
    transaction(db, () => {
      for (let i = have; i < total; i++) {
        const villageId = villages[i % villages.length]!;
        const lane = 20 + Math.floor(i / 12);
        const id = Number(addHousehold.run(villageId, `${lane}胡同${(i % 12) + 1}号`).lastInsertRowid);
        addPlate.run(newPlateToken(), id, villageId);
      }
    });
    db.close();
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--measure', file], { stdio: 'inherit', env: process.env });
    process.exitCode = child.status ?? 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(file: string): Promise<void> {
  const db = openDb(file);
  const out = `${file}.pdf`;
  try {
    const services = createServices(db, testConfig({ publicBaseUrl: 'https://mashang.example.gov.cn' }));
    const selection = { villageIds: db.prepare('SELECT id FROM villages').pluck().all() as number[], townCode: TOWN };

    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const started = process.hrtime.bigint();
    const n = await writeHouseholdPlatesPdf(fs.createWriteStream(out), services.plates.iterate(selection), {
      size,
      url: (token) => services.plates.url('household', token),
      title: 'bench',
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);
    peak = Math.max(peak, process.resourceUsage().maxRSS * 1024);
    const mb = (b: number) => (b / 1024 / 1024).toFixed(0);
    console.log(
      `\nPlates PDF benchmark — ${n} ${size.width}×${size.height} mm plates, ${Math.ceil(n / (size.columns * size.rows))} A4 pages, node ${process.version}, ${os.cpus().length} cores`,
    );
    console.log(`| plates | seconds | plates/s | peak RSS MB | PDF MB |`);
    console.log(`|---:|---:|---:|---:|---:|`);
    console.log(`| ${n} | ${seconds.toFixed(1)} | ${(n / seconds).toFixed(0)} | ${mb(peak)} | ${mb(fs.statSync(out).size)} |`);
    if (seconds > 60 || peak > 300 * 1024 * 1024) {
      console.error('over the bounds (60 s, 300 MB)');
      process.exitCode = 1;
    }
  } finally {
    db.close();
    fs.rmSync(out, { force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
