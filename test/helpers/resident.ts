import request from 'supertest';
import type { Express } from 'express';
import { demoPlateToken } from '../../src/features/seed/service.js';
import { HOME_COOKIE } from '../../src/http/locals.js';
import { TEST_TOKEN_KEY } from './seed-image.js';

/**
 * The seeded installation holds two districts, so a bare /services asks which; a villager who
 * scanned a plate of 兖州区 (the demo's 东关社区 notice board, whose path the phone keeps in a
 * cookie) browses 兖州区's catalogue. Requests through this agent carry that cookie.
 */
export const YANZHOU_VILLAGE_PLATE = `/v/${demoPlateToken(TEST_TOKEN_KEY)({ kind: 'village', villageCode: '370812001001' })}`;

export function yanzhouVillager(app: Express) {
  return request.agent(app).set('Cookie', `${HOME_COOKIE}=${encodeURIComponent(YANZHOU_VILLAGE_PLATE)}`);
}
