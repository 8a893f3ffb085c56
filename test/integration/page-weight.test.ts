import { describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/app.js';
import { aCase } from '../helpers/cases.js';
import { demoHousehold } from '../helpers/builders.js';
import { agentFor } from '../helpers/forms.js';

/** Each resident page, HTML with its inlined CSS, stays under 50 KB (uncompressed) and needs no script or font (photo forms carry one optional inline script). */
const BUDGET = 50 * 1024;

describe('resident page weight', () => {
  it('every resident page is under 50 KB, in standard and elder mode', async () => {
    const { app, sql, services } = buildApp();
    const h = await demoHousehold(sql);
    const village = (await sql.value<string>("SELECT token FROM plates WHERE kind = 'village' ORDER BY id LIMIT 1"))!;
    const item = (await sql.value<string>("SELECT code FROM catalog_items WHERE name = '最低生活保障'"))!;
    const c = await aCase(sql, services, { state: 'resolved', publicReply: '已处理' });
    const pages = [
      `/p/${h.token}`,
      `/p/${h.token}/help`,
      `/p/${h.token}/apply`,
      `/p/${h.token}/apply?item=${item}`,
      `/p/${h.token}/speak`,
      `/p/${h.token}/help/request`,
      `/v/${village}`,
      '/services',
      '/services?q=医保',
      '/services?theme=085',
      `/services/${item}`,
      '/track',
      `/track/${c.token}`,
      '/p/AAAAAAAAAAAA',
    ];
    const sizes: Record<string, number> = {};
    for (const elder of [false, true]) {
      const agent = agentFor(app);
      for (const url of pages) {
        const res = await agent.get(url).set('Cookie', elder ? 'mashang_elder=1' : '');
        expect([200, 404], url).toContain(res.status);
        const bytes = Buffer.byteLength(res.text, 'utf8');
        sizes[`${elder ? 'elder ' : ''}${url}`] = bytes;
        expect(bytes, url).toBeLessThan(BUDGET);
        expect(res.text, url).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|@font-face/i);
        // The only script is the optional photo shrinker, inline with the page's nonce, on the forms
        // that take photos; every other page carries none.
        const scripts = res.text.match(/<script\b[^>]*>/g) ?? [];
        const hasPhotoField = res.text.includes('id="photos"');
        expect(scripts.length, url).toBe(hasPhotoField ? 1 : 0);
        if (hasPhotoField) expect(scripts[0], url).toMatch(/^<script nonce="[0-9a-f]{32}">$/);
      }
    }
    // The pick-list of 100 items is the heaviest page; keep an eye on it.
    expect(Math.max(...Object.values(sizes))).toBeLessThan(BUDGET);
  });
});
