import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCadre, demoHousehold } from '../helpers/builders.js';
import { agentFor, openForm, postMultipart } from '../helpers/forms.js';
import { aUser, csrfFor, signIn } from '../helpers/staff.js';
import type { TestSql } from '../helpers/sql.js';

const dirs: string[] = [];
const dataDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-photos-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const filesIn = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);
const villageCodeOf = async (sql: TestSql, id: number) => (await sql.value<string>('SELECT code FROM villages WHERE id = ?', id))!;
const speak = (csrf: string, idempotencyKey: string) => ({ category: 'request', content: '门前排水沟堵了', anonymous: '1', _csrf: csrf, idempotencyKey });

/** A photo of noise, which does not compress: it takes libvips real work to re-encode. */
const noisy = (width: number, height: number) =>
  sharp(crypto.randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();

/** A small JPEG whose header claims a picture of width × height (a decompression bomb). */
async function claimsPixels(width: number, height: number): Promise<Buffer> {
  const jpeg = Buffer.from(
    await sharp({ create: { width: 16, height: 16, channels: 3, background: '#123456' } })
      .jpeg()
      .toBuffer(),
  );
  const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  expect(sof).toBeGreaterThan(0);
  jpeg.writeUInt16BE(height, sof + 5);
  jpeg.writeUInt16BE(width, sof + 7);
  return jpeg;
}

/** Makes every write under `dir` stop half-way with ENOSPC, as a full disk does. */
function diskFullUnder(dir: string) {
  const real = fs.writeFileSync;
  vi.spyOn(fs, 'writeFileSync').mockImplementation((file, data, options) => {
    // Photos are written through a file descriptor (to be synced): in these tests nothing else is.
    if ((typeof file === 'string' && file.startsWith(dir)) || typeof file === 'number') {
      real(file, (data as Buffer).subarray(0, 100), options);
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
    return real(file, data, options);
  });
}

async function staffAgent(app: Parameters<typeof signIn>[0], services: Parameters<typeof aUser>[0]) {
  const u = await aUser(services, { role: 'admin' });
  const agent = await signIn(app, u.username);
  return { agent, csrf: await csrfFor(agent) };
}

describe('photo writes that fail', () => {
  it("when the disk fills while a villager's photo is written, then the case is not filed and no partial file is left", async () => {
    const dir = dataDir();
    const { app, sql } = buildApp({ config: { dataDir: dir } });
    const h = await demoHousehold(sql);
    const agent = agentFor(app);
    const form = await openForm(agent, `/p/${h.token}/speak`);
    diskFullUnder(dir);
    await postMultipart(agent, `/p/${h.token}/speak`, speak(form.csrf, form.idempotencyKey), [{ name: 'a.jpg', data: await noisy(200, 150) }]).expect(500);
    expect(filesIn(path.join(dir, 'photos'))).toEqual([]);
    expect(await sql.value('SELECT count(*) FROM cases')).toBe(0);
  });

  it("when the disk fills while a cadre's photo is written, then the old photo stays and no partial file is left", async () => {
    const dir = dataDir();
    const { app, services, sql } = buildApp({ config: { dataDir: dir } });
    const h = await demoHousehold(sql);
    const cadre = await aCadre(sql, { villageId: h.villageId, phone: '19900007400' });
    const { agent, csrf } = await staffAgent(app, services);
    diskFullUnder(dir);
    await agent
      .post(`/admin/villages/${await villageCodeOf(sql, h.villageId)}/cadres/${cadre.id}/photo`)
      .field('_csrf', csrf)
      .attach('photo', await noisy(200, 150), 'me.jpg')
      .expect(500);
    expect(filesIn(path.join(dir, 'cadres'))).toEqual([]);
    expect(await sql.value('SELECT photo_path FROM cadres WHERE id = ?', cadre.id)).toBeNull();
  });
});

describe('oversized photos', () => {
  it("when a villager's photo is over 8 MB or over 50 megapixels, then the form says 照片太大, not 只能上传照片", async () => {
    const { app, sql } = buildApp({ config: { dataDir: dataDir() } });
    const h = await demoHousehold(sql);
    for (const [what, data] of [
      ['bytes', Buffer.concat([await noisy(64, 64), Buffer.alloc(8 * 1024 * 1024)])],
      ['pixels', await claimsPixels(10_000, 8_000)],
    ] as const) {
      const agent = agentFor(app);
      const form = await openForm(agent, `/p/${h.token}/speak`);
      const res = await postMultipart(agent, `/p/${h.token}/speak`, speak(form.csrf, form.idempotencyKey), [{ name: 'IMG_0001.jpg', data }]).expect(400);
      expect(res.text, what).toContain('照片太大');
      expect(res.text, what).not.toContain('只能上传照片');
      expect(res.text, what).toContain('门前排水沟堵了');
    }
  });

  it("when a cadre's photo is over 8 MB or over 50 megapixels, then the page says 照片太大, not 只能上传照片", async () => {
    const { app, services, sql } = buildApp({ config: { dataDir: dataDir() } });
    const h = await demoHousehold(sql);
    const cadre = await aCadre(sql, { villageId: h.villageId, phone: '19900007401' });
    const { agent, csrf } = await staffAgent(app, services);
    for (const [what, data] of [
      ['bytes', Buffer.concat([await noisy(64, 64), Buffer.alloc(8 * 1024 * 1024)])],
      ['pixels', await claimsPixels(10_000, 8_000)],
    ] as const) {
      const res = await agent
        .post(`/admin/villages/${await villageCodeOf(sql, h.villageId)}/cadres/${cadre.id}/photo`)
        .field('_csrf', csrf)
        .attach('photo', data, 'me.jpg')
        .expect(400);
      expect(res.text, what).toContain('照片太大');
      expect(res.text, what).not.toContain('只能上传照片');
    }
  });
});

describe('photos on their way in', () => {
  const emptied = async (dir: string) => {
    for (let i = 0; i < 50 && filesIn(dir).length; i++) await new Promise((r) => setTimeout(r, 10));
    return filesIn(dir);
  };

  it('when villagers send photos, then they arrive in files under the data folder, not in memory, and none is left once the request is answered', async () => {
    const dir = dataDir();
    const { app, sql } = buildApp({ config: { dataDir: dir } });
    const h = await demoHousehold(sql);
    const uploads = path.join(dir, 'uploads');
    const send = async (files: Array<{ name: string; data: Buffer }>, status: number) => {
      const agent = agentFor(app);
      const form = await openForm(agent, `/p/${h.token}/speak`);
      await postMultipart(agent, `/p/${h.token}/speak`, speak(form.csrf, form.idempotencyKey), files).expect(status);
    };
    await send(
      [
        { name: 'a.jpg', data: await noisy(200, 150) },
        { name: 'b.jpg', data: await noisy(100, 100) },
      ],
      303,
    );
    expect(fs.existsSync(uploads)).toBe(true);
    expect(await emptied(uploads)).toEqual([]);
    await send([{ name: 'a.jpg', data: Buffer.from('%PDF-1.4 not a photo') }], 400);
    expect(await emptied(uploads)).toEqual([]);
    await send([{ name: 'big.jpg', data: Buffer.concat([await noisy(64, 64), Buffer.alloc(8 * 1024 * 1024)]) }], 400);
    expect(await emptied(uploads)).toEqual([]);
    expect(await sql.value('SELECT count(*) FROM case_photos')).toBe(2);
  });
});

describe('image work under load', () => {
  it('when many villagers send three photos each at once, then at most two photos are decoded at a time and every case is filed', async () => {
    const { app, sql } = buildApp({ config: { dataDir: dataDir() }, rateLimits: { submitPerIp: 100, submitPerPlate: 100 } });
    const h = await demoHousehold(sql);
    const photos = await Promise.all([1, 2, 3].map(() => noisy(640, 480)));
    let running = 0;
    let peak = 0;
    for (const method of ['metadata', 'toBuffer'] as const) {
      const real = sharp.prototype[method] as (...a: unknown[]) => Promise<unknown>;
      vi.spyOn(sharp.prototype, method).mockImplementation(async function (this: unknown, ...args: unknown[]) {
        running++;
        peak = Math.max(peak, running);
        try {
          return await real.apply(this, args);
        } finally {
          running--;
        }
      } as never);
    }
    const clients = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const agent = agentFor(app);
        return { agent, form: await openForm(agent, `/p/${h.token}/speak`) };
      }),
    );
    const results = await Promise.all(
      clients.map(({ agent, form }) =>
        postMultipart(
          agent,
          `/p/${h.token}/speak`,
          speak(form.csrf, form.idempotencyKey),
          photos.map((data, i) => ({ name: `${i}.jpg`, data })),
        ),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(303));
    expect(await sql.value('SELECT count(*) FROM case_photos')).toBe(18);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(2);
  });

  it('sharp keeps no operation cache and one thread per image', () => {
    expect(sharp.cache().memory.max).toBe(0);
    expect(sharp.concurrency()).toBe(1);
  });
});
