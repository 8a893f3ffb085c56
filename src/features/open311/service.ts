import crypto from 'node:crypto';
import { TRACKING_NO_PATTERN } from '../../domain/cases.js';
import { ValidationError } from '../../errors.js';
import { t } from '../../i18n/index.js';
import type { CasesService, ExchangeRow } from '../cases/service.js';
import type { CatalogService } from '../catalog/service.js';
import type { PlacesService } from '../places/service.js';
import { plateCode } from '../plates/sizes.js';
import { nearest, parseDegrees, type LatLong } from '../../domain/geo.js';
import type { ApiKeyRow, Open311Repo } from './repo.js';
import { servesDistrict, type Scope } from '../../domain/scope.js';
import {
  attributesOf,
  HELP_SERVICE_CODE,
  parseServiceCode,
  parseW3cDateTime,
  serviceCodeOf,
  SPECIFICATION_URL,
  statusOf,
  w3cDateTime,
  type Attribute,
} from './spec.js';
import { SPEAK_CATEGORIES } from '../../domain/cases.js';

export type { ApiKeyRow } from './repo.js';

/**
 * Something an Open311 client must fix, with the spec's HTTP status: 400 a parameter, 403 the key,
 * 404 a service, request or jurisdiction that is not there. The description names the parameter
 * first (in the spec's own words, `phone: …`), then says in Chinese what is wrong.
 */
export class Open311Error extends Error {
  constructor(
    readonly status: 400 | 403 | 404,
    readonly description: string,
  ) {
    super(description);
  }
}

/** An API key's name in the back office and on cases (来源): 1–40 characters. */
export class ApiKeyNameError extends Error {
  constructor(readonly reason: 'required' | 'tooLong' | 'taken') {
    super(`api key name ${reason}`);
  }
}

/** Parameters as Express parsed them: a repeated one is an array, which no parameter may be. */
export type Params = Record<string, unknown>;

/** The request list's limits (spec: by default the last 90 days, and at most 1000). */
export const DEFAULT_DAYS = 90;
export const MAX_REQUESTS = 1000;
/**
 * How far from the nearest village with coordinates a point may be and still be that village's
 * (km). Villages on the plain around 兖州 are 1–2 km apart, so any point of a village's land is well
 * within 5 km of some village's seat, even with a phone's GPS error or GCJ-02 offset; a point in
 * the next county or beyond is farther. (A bounding box of the villages would admit a whole
 * rectangle of neighbours around an oddly shaped district.)
 */
export const MAX_VILLAGE_KM = 5;
const KEY_PREFIX = 'o311_';
const CLIENT_KEY = /^[\x21-\x7e]{1,100}$/;
// no spaces or control characters (PostgreSQL's text holds no NUL), 254 characters at most (RFC 5321)
const EMAIL = /^(?=.{3,254}$)[^\s@\p{Cc}]{1,64}@[^\s@\p{Cc}]{1,190}\.[^\s@\p{Cc}]{1,63}$/u;

const hashKey = (key: string) => crypto.createHash('sha256').update(key).digest('hex');

/** True when the scope's administrator manages this key: the city's every key, a district's its own. */
export const managesKey = (scope: Scope, key: ApiKeyRow): boolean => scope.all || servesDistrict(scope, key.districtId);

export function createOpen311Service(deps: {
  repo: Open311Repo;
  cases: Pick<CasesService, 'fileCase' | 'exchange'>;
  catalog: Pick<CatalogService, 'applicableItems' | 'applicableItem'>;
  places: Pick<PlacesService, 'plateById' | 'allVillages' | 'districts'>;
  publicBaseUrl: string;
  now?: () => Date;
}) {
  const { repo, cases, catalog, places } = deps;
  const now = deps.now ?? (() => new Date());

  const one = (params: Params, name: string): string | undefined => {
    const v = params[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new Open311Error(400, t('open311.errors.single', { param: name }));
    return v;
  };
  /** An optional argument: the spec answers an empty one as if it were not there. */
  const optional = (params: Params, name: string): string | undefined => {
    const v = one(params, name);
    return v === undefined || v.trim() === '' ? undefined : v;
  };

  /**
   * The jurisdiction (a district, by its 6-digit code) a call is about: the one named, else the API
   * key's district, else the installation's only one; with several and none named, GeoReport's
   * rule applies and jurisdiction_id is required. A key works only in its own district.
   */
  const jurisdiction = async (params: Params, key?: ApiKeyRow): Promise<number> => {
    const j = optional(params, 'jurisdiction_id');
    const all = await places.districts();
    const named = j === undefined ? undefined : all.find((d) => d.code === j);
    if (j !== undefined && (!named || (key && key.districtId !== null && key.districtId !== named.id)))
      throw new Open311Error(404, t('open311.errors.jurisdiction', { param: 'jurisdiction_id' }));
    if (named) return named.id;
    if (key?.districtId) return key.districtId;
    if (all.length === 1) return all[0]!.id;
    throw new Open311Error(400, t('open311.errors.jurisdictionRequired', { param: 'jurisdiction_id' }));
  };

  const serviceName = (c: { kind: string; category: string | null; itemName: string | null }): string =>
    c.kind === 'apply'
      ? (c.itemName ?? '')
      : c.kind === 'help'
        ? t('open311.services.help')
        : t('open311.services.speak', { category: t(`cases.categories.${c.category ?? 'suggestion'}`) });

  /** The services: items 码上办 can apply for, the 码上说 categories and the call-back request. */
  const services = async (districtId: number) => {
    const items = (await catalog.applicableItems(districtId)).map((i) => ({
      service_code: i.code,
      service_name: i.name,
      description: t('open311.services.itemDescription', { department: i.department, limit: i.promisedLimit, unit: i.promisedLimitUnit }),
      metadata: true,
      type: 'realtime',
      keywords: i.keywords.split(/\s+/).filter(Boolean).join(','),
      group: i.themeName,
    }));
    const speak = SPEAK_CATEGORIES.map((category) => ({
      service_code: `speak-${category}`,
      service_name: t('open311.services.speak', { category: t(`cases.categories.${category}`) }),
      description: t('open311.services.speakDescription'),
      metadata: true,
      type: 'realtime',
      keywords: t(`cases.categories.${category}`),
      group: t('flows.speak'),
    }));
    const help = {
      service_code: HELP_SERVICE_CODE,
      service_name: t('open311.services.help'),
      description: t('open311.services.helpDescription'),
      metadata: true,
      type: 'realtime',
      keywords: t('open311.services.helpKeywords'),
      group: t('flows.help'),
    };
    return [...items, ...speak, help];
  };

  /** Which service a code names; 404 when none (an item must still be one that can be applied for). */
  const target = async (districtId: number, code: string) => {
    const found = parseServiceCode(code);
    if (!found || (found.kind === 'apply' && !(await catalog.applicableItem(districtId, found.itemCode)))) {
      throw new Open311Error(404, t('open311.errors.serviceUnknown', { param: 'service_code' }));
    }
    return found;
  };

  /**
   * The point a request gives, checked: both of lat and long or neither, each a decimal number of
   * degrees in the WGS-84 range. The error names the parameter at fault.
   */
  const pointOf = (params: Params): LatLong | undefined => {
    const lat = optional(params, 'lat');
    const long = optional(params, 'long');
    if (lat === undefined && long === undefined) return undefined;
    if (lat === undefined || long === undefined) throw new Open311Error(400, t('open311.errors.latLongPair', { param: lat === undefined ? 'lat' : 'long' }));
    const la = parseDegrees(lat, { min: -90, max: 90 });
    if (la.value === undefined)
      throw new Open311Error(400, t(la.problem === 'outOfRange' ? 'open311.errors.latRange' : 'open311.errors.latNumber', { param: 'lat' }));
    const lo = parseDegrees(long, { min: -180, max: 180 });
    if (lo.value === undefined)
      throw new Open311Error(400, t(lo.problem === 'outOfRange' ? 'open311.errors.longRange' : 'open311.errors.longNumber', { param: 'long' }));
    return { latitude: la.value, longitude: lo.value };
  };

  /**
   * Where a request is: a plate's code (the household), else a village named in address_string,
   * else the village nearest to lat/long among those of the district with coordinates, when one is
   * within MAX_VILLAGE_KM. A point given with an address is checked even when the address decides.
   */
  const locate = async (
    params: Params,
    districtId: number,
  ): Promise<{ villageId: number; districtId: number; householdId: number | null; plateId: number | null }> => {
    const addressId = optional(params, 'address_id');
    const addressString = optional(params, 'address_string');
    const point = pointOf(params);
    if (addressId !== undefined) {
      const m = /^MP(\d{6,9})$/i.exec(addressId.trim());
      const plate = m ? await places.plateById(Number(m[1])) : undefined;
      if (!plate || plate.districtId !== districtId) throw new Open311Error(400, t('open311.errors.addressId', { param: 'address_id' }));
      return { villageId: plate.villageId, districtId: plate.districtId, householdId: plate.householdId, plateId: plate.plateId };
    }
    const villages = (await places.allVillages()).filter((v) => v.districtId === districtId);
    if (addressString !== undefined && addressString.trim()) {
      const text = addressString.normalize('NFKC');
      const matches = villages.filter((v) => text.includes(v.name));
      const inTown = matches.filter((v) => text.includes(v.townName));
      const best = inTown.length ? inTown : matches;
      if (best.length === 1) return { villageId: best[0]!.id, districtId: best[0]!.districtId, householdId: null, plateId: null };
      // free text that names no single village: the point, when there is one, decides
      if (!point) throw new Open311Error(400, t(best.length ? 'open311.errors.addressAmbiguous' : 'open311.errors.addressString', { param: 'address_string' }));
    }
    if (point) {
      const located = villages.flatMap((v) => (v.latitude !== null && v.longitude !== null ? [{ ...v, latitude: v.latitude, longitude: v.longitude }] : []));
      if (located.length === 0) throw new Open311Error(400, t('open311.errors.noVillageCoordinates', { param: 'lat' }));
      const found = nearest(point, located);
      if (!found || found.km > MAX_VILLAGE_KM) throw new Open311Error(400, t('open311.errors.outsideDistrict', { param: 'lat', km: MAX_VILLAGE_KM }));
      return { villageId: found.place.id, districtId: found.place.districtId, householdId: null, plateId: null };
    }
    throw new Open311Error(400, t('open311.errors.location', { param: 'address_id' }));
  };

  /** The case form's fields → the Open311 parameter a client sent them in. */
  const PARAM_OF: Record<string, string> = {
    name: 'first_name',
    phone: 'phone',
    content: 'description',
    callbackTime: 'attribute[callback_time]',
    category: 'service_code',
    item: 'service_code',
    photos: 'media_url',
  };

  /** Each village's coordinates by id (null when not known). */
  type VillagePoints = Map<number, { latitude: number | null; longitude: number | null }>;
  const villagePoints = async (): Promise<VillagePoints> =>
    new Map((await places.allVillages()).map((v) => [v.id, { latitude: v.latitude, longitude: v.longitude }]));

  /** Every spec field of a request; what names or reaches a person only for a key, and never for anonymous feedback. */
  const requestOf = (c: ExchangeRow, withKey: boolean, at: VillagePoints) => {
    const village = at.get(c.villageId);
    const personal = withKey && c.anonymous === 0;
    const status = statusOf(c.state);
    return {
      service_request_id: c.trackingNo,
      status,
      status_notes: withKey ? c.latestReply : null,
      service_name: serviceName(c),
      service_code: serviceCodeOf(c),
      description: personal ? c.content : null,
      // A 社区 has a residents' committee (居委会), a village a villagers' committee (村委会).
      agency_responsible: t(c.villageName.endsWith('社区') ? 'open311.agencyCommunity' : 'open311.agency', { village: c.villageName }),
      service_notice: t('open311.notice'),
      requested_datetime: w3cDateTime(c.createdAt),
      updated_datetime: w3cDateTime(c.updatedAt),
      expected_datetime: w3cDateTime(c.resolutionDue),
      address: `${c.townName}${c.villageName}`,
      address_id: personal && c.plateId ? plateCode(c.plateId) : null,
      zipcode: null,
      // the village's seat, never a household's door: public, like the village's name in address
      lat: village?.latitude ?? null,
      long: village?.longitude ?? null,
      media_url: personal ? c.mediaUrl : null,
    };
  };

  return {
    managesKey,
    /** The key behind `api_key`, noting its use; undefined for a missing, unknown or revoked key. */
    async authenticate(raw: unknown): Promise<ApiKeyRow | undefined> {
      if (typeof raw !== 'string' || !raw.startsWith(KEY_PREFIX) || raw.length > 100) return undefined;
      const key = await repo.byHash(hashKey(raw));
      if (!key || key.revokedAt) return undefined;
      await repo.touch(key.id, now().toISOString());
      return key;
    },

    /** A new key: returned once, kept only as its digest. ApiKeyNameError for a bad or taken name. */
    /** A new key for a district (null: the city's, for any district named in a call). */
    async createKey(name: string, createdBy: number | null, districtId: number | null = null): Promise<{ key: string; row: ApiKeyRow }> {
      const clean = name.normalize('NFKC').trim();
      // a control character (a NUL, which PostgreSQL's text cannot hold) is no name
      if (!clean || /\p{Cc}/u.test(clean)) throw new ApiKeyNameError('required');
      if (Array.from(clean).length > 40) throw new ApiKeyNameError('tooLong');
      if (await repo.byName(clean)) throw new ApiKeyNameError('taken');
      const key = `${KEY_PREFIX}${crypto.randomBytes(24).toString('base64url')}`;
      const id = await repo.insert({
        name: clean,
        hash: hashKey(key),
        prefix: key.slice(0, KEY_PREFIX.length + 4),
        now: now().toISOString(),
        createdBy,
        districtId,
      });
      return { key, row: (await repo.byId(id))! };
    },
    /** The keys a scope's administrator manages: every one for the city's, their district's for a district's. */
    listKeys: async (scope?: Scope): Promise<ApiKeyRow[]> => (await repo.list()).filter((k) => !scope || managesKey(scope, k)),
    keyById: async (id: number): Promise<ApiKeyRow | undefined> => (Number.isSafeInteger(id) ? await repo.byId(id) : undefined),
    keyByName: (name: string): Promise<ApiKeyRow | undefined> => repo.byName(name),
    /** false when there is no such key or it was revoked already */
    revokeKey: (id: number): Promise<boolean> => repo.revoke(id, now().toISOString()),

    discovery() {
      const changeset = '2026-11-30T00:00:00+08:00';
      return {
        changeset,
        contact: t('open311.contact'),
        key_service: t('open311.keyService'),
        endpoints: [
          {
            specification: SPECIFICATION_URL,
            url: `${deps.publicBaseUrl}/open311/v2`,
            changeset,
            type: 'production',
            formats: ['text/xml', 'application/json'],
          },
        ],
      };
    },

    async services(params: Params, key?: ApiKeyRow) {
      return await services(await jurisdiction(params, key));
    },

    /** A service's definition: the attributes its resident form asks for. */
    async definition(code: string, params: Params, key?: ApiKeyRow): Promise<{ service_code: string; attributes: Attribute[] }> {
      return { service_code: code, attributes: attributesOf((await target(await jurisdiction(params, key), code)).kind) };
    },

    /**
     * Files a request as a case through the cases feature's use case, checked exactly as the
     * resident forms check it. The same client key (per API key) returns the case it filed first.
     */
    async fileRequest(key: ApiKeyRow, params: Params, clientKey: string | undefined) {
      const districtId = await jurisdiction(params, key);
      const code = one(params, 'service_code');
      if (code === undefined || code === '') throw new Open311Error(400, t('open311.errors.serviceRequired', { param: 'service_code' }));
      const service = await target(districtId, code);
      const where = await locate(params, districtId);
      const attributes = attributesOf(service.kind);
      const attr: Record<string, string | undefined> = {};
      for (const a of attributes) {
        const param = `attribute[${a.code}]`;
        const v = one(params, param);
        if (v === undefined || v === '') {
          if (a.required) throw new Open311Error(400, t('open311.errors.attributeRequired', { param }));
          continue;
        }
        if (a.values && !a.values.some((x) => x.key === v)) throw new Open311Error(400, t('open311.errors.attributeValue', { param }));
        attr[a.code] = v;
      }
      const email = optional(params, 'email')?.trim().normalize('NFKC');
      if (email !== undefined && !EMAIL.test(email)) throw new Open311Error(400, t('open311.errors.email', { param: 'email' }));
      const mediaUrl = one(params, 'media_url')?.trim() || null;
      if (mediaUrl !== null && (mediaUrl.length > 500 || !/^https?:\/\/[^\s]+$/i.test(mediaUrl) || !URL.canParse(mediaUrl))) {
        throw new Open311Error(400, t('open311.errors.mediaUrl', { param: 'media_url' }));
      }
      if (clientKey !== undefined && !CLIENT_KEY.test(clientKey)) throw new Open311Error(400, t('open311.errors.idempotencyKey', { param: 'idempotency_key' }));
      // Chinese names: family name (last_name) first.
      const fullName = `${one(params, 'last_name') ?? ''}${one(params, 'first_name') ?? ''}`;
      const form: Record<string, unknown> = {
        name: fullName || undefined,
        phone: one(params, 'phone'),
        content: one(params, 'description'),
        idempotencyKey:
          clientKey === undefined ? undefined : crypto.createHash('sha256').update(`open311:${key.id}:${clientKey}`).digest('base64url').slice(0, 22),
      };
      if (service.kind === 'apply') Object.assign(form, { item: service.itemCode, callbackTime: attr.callback_time });
      if (service.kind === 'help') Object.assign(form, { callbackTime: attr.callback_time });
      if (service.kind === 'speak') Object.assign(form, { category: service.category, anonymous: attr.anonymous === 'true' ? '1' : undefined });
      try {
        // kept for the office only (the cases feature drops it for anonymous feedback); no response carries it
        const filed = await cases.fileCase({ kind: service.kind, plate: where, form, files: [], source: key.name, mediaUrl, email: email ?? null });
        return [{ service_request_id: filed.trackingNo, service_notice: t('open311.notice'), account_id: null }];
      } catch (err) {
        if (err instanceof ValidationError && err.errors[0]) {
          const first = err.errors[0];
          throw new Open311Error(400, `${PARAM_OF[first.field] ?? first.field}: ${first.text}`);
        }
        throw err;
      }
    },

    /** GET requests: by numbers, or by service, status and time (the last 90 days unless told); newest first. */
    async requests(key: ApiKeyRow | undefined, params: Params) {
      const districtId = await jurisdiction(params, key);
      const ids = optional(params, 'service_request_id');
      if (ids !== undefined) {
        const list = ids
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        if (list.length === 0 || list.length > MAX_REQUESTS || list.some((s) => !TRACKING_NO_PATTERN.test(s))) {
          throw new Open311Error(400, t('open311.errors.requestId', { param: 'service_request_id' }));
        }
        const at = await villagePoints();
        return (await cases.exchange({ trackingNos: list, districtId, limit: MAX_REQUESTS })).map((c) => requestOf(c, !!key, at));
      }
      const code = one(params, 'service_code');
      const service = code === undefined || code === '' ? undefined : parseServiceCode(code);
      if (code && !service) throw new Open311Error(404, t('open311.errors.serviceUnknown', { param: 'service_code' }));
      const startRaw = optional(params, 'start_date');
      const endRaw = optional(params, 'end_date');
      const start = startRaw === undefined ? undefined : parseW3cDateTime(startRaw, 'start');
      const end = endRaw === undefined ? undefined : parseW3cDateTime(endRaw, 'end');
      if (startRaw !== undefined && !start) throw new Open311Error(400, t('open311.errors.date', { param: 'start_date' }));
      if (endRaw !== undefined && !end) throw new Open311Error(400, t('open311.errors.date', { param: 'end_date' }));
      if (start && end && start > end) throw new Open311Error(400, t('open311.errors.dateOrder', { param: 'start_date' }));
      const statusRaw = one(params, 'status');
      const statuses = statusRaw === undefined || statusRaw === '' ? [] : statusRaw.split(',').map((s) => s.trim());
      if (statuses.some((s) => s !== 'open' && s !== 'closed')) throw new Open311Error(400, t('open311.errors.status', { param: 'status' }));
      const open =
        statuses.includes('open') && statuses.includes('closed')
          ? undefined
          : statuses.includes('open')
            ? true
            : statuses.includes('closed')
              ? false
              : undefined;
      const from = start ?? (end ? undefined : new Date(now().getTime() - DEFAULT_DAYS * 24 * 3600_000));
      const rows = await cases.exchange({
        kind: service?.kind,
        category: service?.kind === 'speak' ? service.category : undefined,
        itemCode: service?.kind === 'apply' ? service.itemCode : undefined,
        from: from?.toISOString(),
        to: end?.toISOString(),
        open,
        districtId,
        limit: MAX_REQUESTS,
      });
      const at = await villagePoints();
      return rows.map((c) => requestOf(c, !!key, at));
    },

    /** One request, as a one-element list; 404 when there is none. */
    async request(key: ApiKeyRow | undefined, id: string, params: Params) {
      const districtId = await jurisdiction(params, key);
      const rows = TRACKING_NO_PATTERN.test(id) ? await cases.exchange({ trackingNos: [id], districtId, limit: 1 }) : [];
      if (!rows[0]) throw new Open311Error(404, t('open311.errors.requestUnknown', { param: 'service_request_id' }));
      return [requestOf(rows[0], !!key, await villagePoints())];
    },
  };
}

export type Open311Service = ReturnType<typeof createOpen311Service>;
