import type { Express } from 'express';
import { routesOf } from './routes.js';
import type { Agent } from './forms.js';
import { csrfFor } from './staff.js';

/**
 * Every back-office route that takes an id, with a request that reaches it for given objects: the
 * access matrix (townships and villages) and the district matrix run the same table, so a new route
 * added here is checked across both boundaries.
 */

export interface Objects {
  caseId: number;
  photoId: number;
  catalogCode: string;
  villageCode: string;
  householdId: number;
  plateToken: string;
  cadreId: number;
  templateId: number;
  apiKeyId: number;
  notificationId: number;
  channelId: number;
}

export interface Row {
  method: 'GET' | 'POST';
  /** the route as Express registered it, to prove every such route is here */
  route: string;
  url: (o: Objects) => string;
  body?: Record<string, string>;
  /** sent as multipart (upload forms read their CSRF token from the multipart body) */
  multipart?: boolean;
  /** roles that may use the page at all (others: 403) */
  roles: Array<'admin' | 'staff' | 'cadre'>;
  /** admin-only pages answer 403 to staff whatever the scope */
  scoped: boolean;
}

const STAFF: Row['roles'] = ['admin', 'staff'];
const ALL: Row['roles'] = ['admin', 'staff', 'cadre'];

export const ROWS: Row[] = [
  { method: 'GET', route: '/admin/cases/:id', url: (o) => `/admin/cases/${o.caseId}`, roles: ALL, scoped: true },
  { method: 'GET', route: '/admin/cases/:id/photos/:photoId', url: (o) => `/admin/cases/${o.caseId}/photos/${o.photoId}`, roles: ALL, scoped: true },
  {
    method: 'POST',
    route: '/admin/cases/:id/action',
    url: (o) => `/admin/cases/${o.caseId}/action`,
    body: { action: 'note', version: '1', text: '已电话联系住户' },
    roles: ALL,
    scoped: true,
  },
  {
    method: 'POST',
    route: '/admin/households/:id/visits',
    url: (o) => `/admin/households/${o.householdId}/visits`,
    body: { note: '入户走访，了解用水情况' },
    roles: ALL,
    scoped: true,
  },
  { method: 'POST', route: '/admin/templates/:id/delete', url: (o) => `/admin/templates/${o.templateId}/delete`, roles: STAFF, scoped: true },
  { method: 'GET', route: '/qr/:file', url: (o) => `/qr/${o.plateToken}.svg`, roles: STAFF, scoped: true },
  { method: 'GET', route: '/admin/plates/village/:code', url: (o) => `/admin/plates/village/${o.villageCode}`, roles: STAFF, scoped: true },
  {
    method: 'GET',
    route: '/admin/plates/village/:code/village.pdf',
    url: (o) => `/admin/plates/village/${o.villageCode}/village.pdf`,
    roles: STAFF,
    scoped: true,
  },
  { method: 'GET', route: '/admin/plates/households/:id/reissue', url: (o) => `/admin/plates/households/${o.householdId}/reissue`, roles: STAFF, scoped: true },
  {
    method: 'POST',
    route: '/admin/plates/households/:id/reissue',
    url: (o) => `/admin/plates/households/${o.householdId}/reissue`,
    roles: STAFF,
    scoped: true,
  },
  { method: 'GET', route: '/admin/villages/:code/households', url: (o) => `/admin/villages/${o.villageCode}/households`, roles: STAFF, scoped: true },
  {
    method: 'POST',
    route: '/admin/villages/:code/households',
    url: (o) => `/admin/villages/${o.villageCode}/households`,
    body: { address: '矩阵路1号' },
    roles: STAFF,
    scoped: true,
  },
  {
    method: 'POST',
    route: '/admin/villages/:code/households/:id',
    url: (o) => `/admin/villages/${o.villageCode}/households/${o.householdId}`,
    body: { address: '矩阵路2号' },
    roles: STAFF,
    scoped: true,
  },
  { method: 'GET', route: '/admin/villages/:code/cadres', url: (o) => `/admin/villages/${o.villageCode}/cadres`, roles: STAFF, scoped: true },
  {
    method: 'POST',
    route: '/admin/villages/:code/cadres',
    url: (o) => `/admin/villages/${o.villageCode}/cadres`,
    body: { name: '矩阵', role: 'grid_worker', phone: '19900006601', dutyHours: '' },
    roles: STAFF,
    scoped: true,
  },
  {
    method: 'POST',
    route: '/admin/villages/:code/cadres/:id',
    url: (o) => `/admin/villages/${o.villageCode}/cadres/${o.cadreId}`,
    body: { name: '矩阵', role: 'grid_worker', phone: '19900006602', dutyHours: '' },
    roles: STAFF,
    scoped: true,
  },
  {
    method: 'GET',
    route: '/admin/villages/:code/cadres/:id/remove',
    url: (o) => `/admin/villages/${o.villageCode}/cadres/${o.cadreId}/remove`,
    roles: STAFF,
    scoped: true,
  },
  {
    method: 'POST',
    route: '/admin/villages/:code/cadres/:id/remove',
    url: (o) => `/admin/villages/${o.villageCode}/cadres/${o.cadreId}/remove`,
    roles: STAFF,
    scoped: true,
  },
  {
    method: 'POST',
    route: '/admin/villages/:code/cadres/:id/photo',
    url: (o) => `/admin/villages/${o.villageCode}/cadres/${o.cadreId}/photo`,
    multipart: true,
    roles: STAFF,
    scoped: true,
  },
  {
    method: 'POST',
    route: '/admin/places/villages/:code',
    url: (o) => `/admin/places/villages/${o.villageCode}`,
    body: { name: '矩阵村' },
    roles: STAFF,
    scoped: true,
  },
  { method: 'GET', route: '/admin/notifications/:id', url: (o) => `/admin/notifications/${o.notificationId}`, roles: ALL, scoped: true },
  { method: 'POST', route: '/admin/notifications/:id/retry', url: (o) => `/admin/notifications/${o.notificationId}/retry`, roles: ALL, scoped: true },
  // A township's channel: its staff manage it, other townships' staff do not see it.
  { method: 'POST', route: '/admin/channels/:id/remove', url: (o) => `/admin/channels/${o.channelId}/remove`, roles: STAFF, scoped: true },
  // Admin-only pages: district-wide data with no township to scope by.
  { method: 'POST', route: '/admin/users/:id/active', url: () => `/admin/users/1/active`, body: { active: '0' }, roles: ['admin'], scoped: false },
  { method: 'POST', route: '/admin/calendar/:date/delete', url: () => `/admin/calendar/2026-10-01/delete`, roles: ['admin'], scoped: false },
  {
    method: 'POST',
    route: '/admin/places/towns/:code',
    url: (o) => `/admin/places/towns/${o.villageCode.slice(0, 9)}`,
    body: { name: '矩阵镇' },
    roles: ['admin'],
    scoped: false,
  },
  {
    method: 'POST',
    route: '/admin/places/towns/:code/centre',
    url: (o) => `/admin/places/towns/${o.villageCode.slice(0, 9)}/centre`,
    body: { address: '矩阵路1号', hours: '工作日 9:00-17:00', phone: '0537-1000000' },
    roles: ['admin'],
    scoped: false,
  },
  { method: 'POST', route: '/admin/apikeys/:id/revoke', url: (o) => `/admin/apikeys/${o.apiKeyId}/revoke`, roles: ['admin'], scoped: false },
  { method: 'GET', route: '/admin/catalog/:code', url: (o) => `/admin/catalog/${o.catalogCode}`, roles: ['admin'], scoped: false },
  { method: 'POST', route: '/admin/catalog/:code', url: (o) => `/admin/catalog/${o.catalogCode}`, body: { name: '' }, roles: ['admin'], scoped: false },
];

// Routes whose parameter is not an object that lives in a township: a dataset's name and file kind.
export const NOT_IDS = ['/admin/data/:name/:kind', '/admin/data/:name/preview', '/admin/data/:name/commit'];

/** The back-office routes (and /qr) whose path has a parameter. */
export function routesWithIds(app: Express): string[] {
  return routesOf(app)
    .map((r) => `${r.method} ${r.path}`)
    .filter((r) => /^(GET|POST) \/(admin|qr)\//.test(r) && r.includes(':'));
}

/** Sends a row's request as this agent (a form post carries the agent's CSRF token); the status. */
export async function sendRow(agent: Agent, row: Row, url: string): Promise<number> {
  if (row.method === 'GET') return (await agent.get(url)).status;
  const csrf = await csrfFor(agent);
  if (row.multipart) return (await agent.post(url).field('_csrf', csrf)).status;
  return (
    await agent
      .post(url)
      .type('form')
      .send({ _csrf: csrf, ...row.body })
  ).status;
}
