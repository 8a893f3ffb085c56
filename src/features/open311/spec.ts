/**
 * The GeoReport v2 words (http://wiki.open311.org/GeoReport_v2) and how Mashang's cases map onto
 * them: service codes, attributes, statuses and W3C datetimes. No queries, no `req`.
 */
import { CALLBACK_TIMES, isOpenState, isSpeakCategory, SPEAK_CATEGORIES, type CaseKind, type CaseState, type SpeakCategory } from '../../domain/cases.js';
import { isRealDate } from '../../domain/dates.js';
import { CHINA_UTC_OFFSET_HOURS, startOfChinaDay, endOfChinaDay } from '../../domain/time.js';
import { t } from '../../i18n/index.js';

export const SPECIFICATION_URL = 'http://wiki.open311.org/GeoReport_v2';
export const FORMATS = ['json', 'xml'] as const;
export type Format = (typeof FORMATS)[number];

/** The call-back request (码上帮) as a service. */
export const HELP_SERVICE_CODE = 'help-callback';
/** 码上说: one service per category. */
export const SPEAK_SERVICE_PREFIX = 'speak-';

/** What a service code names: an item to apply for (码上办), a 码上说 category, or a call-back. */
export type ServiceTarget = { kind: 'apply'; itemCode: string } | { kind: 'speak'; category: SpeakCategory } | { kind: 'help' };

/** Item codes are letters and digits; the other services' codes hold a dash, so they never collide. */
export function parseServiceCode(code: string): ServiceTarget | undefined {
  if (code === HELP_SERVICE_CODE) return { kind: 'help' };
  if (code.startsWith(SPEAK_SERVICE_PREFIX)) {
    const category = code.slice(SPEAK_SERVICE_PREFIX.length);
    return isSpeakCategory(category) ? { kind: 'speak', category } : undefined;
  }
  return /^[0-9A-Za-z]{6,40}$/.test(code) ? { kind: 'apply', itemCode: code } : undefined;
}

export function serviceCodeOf(c: { kind: CaseKind; category: SpeakCategory | null; itemCode: string | null }): string {
  if (c.kind === 'speak') return `${SPEAK_SERVICE_PREFIX}${c.category ?? 'suggestion'}`;
  if (c.kind === 'help') return HELP_SERVICE_CODE;
  return c.itemCode ?? '';
}

export const SPEAK_SERVICE_CODES = SPEAK_CATEGORIES.map((c) => `${SPEAK_SERVICE_PREFIX}${c}`);

/** One attribute of a service definition, as the spec lists it. */
export type Attribute = {
  variable: boolean;
  code: string;
  datatype: 'string' | 'number' | 'datetime' | 'text' | 'singlevaluelist' | 'multivaluelist';
  required: boolean;
  datatype_description: string;
  order: number;
  description: string;
  values?: Array<{ key: string; name: string }>;
};

/**
 * The attributes a service asks for: exactly what its resident form asks beyond the spec's own
 * fields (description, first_name, last_name, phone). Applications and call-backs ask when to
 * call back; 码上说 asks whether to stay anonymous.
 */
export function attributesOf(kind: CaseKind): Attribute[] {
  if (kind === 'speak') {
    return [
      {
        variable: true,
        code: 'anonymous',
        datatype: 'singlevaluelist',
        required: false,
        datatype_description: t('open311.attributes.anonymousType'),
        order: 1,
        description: t('open311.attributes.anonymous'),
        values: [
          { key: 'false', name: t('open311.attributes.named') },
          { key: 'true', name: t('open311.attributes.anonymousYes') },
        ],
      },
    ];
  }
  return [
    {
      variable: true,
      code: 'callback_time',
      datatype: 'singlevaluelist',
      required: true,
      datatype_description: t('open311.attributes.callbackTimeType'),
      order: 1,
      description: t('open311.attributes.callbackTime'),
      values: CALLBACK_TIMES.map((key) => ({ key, name: t(`cases.callbackTimes.${key}`) })),
    },
  ];
}

/** Open311 knows two statuses: a case still waiting for the office is open, anything else closed. */
export function statusOf(state: CaseState): 'open' | 'closed' {
  return isOpenState(state) ? 'open' : 'closed';
}

/** A W3C datetime in China time (+08:00), as 12345 platforms show it. */
export function w3cDateTime(iso: string | null): string | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return null;
  const local = new Date(ms + CHINA_UTC_OFFSET_HOURS * 3600_000).toISOString().slice(0, 19);
  return `${local}+${String(CHINA_UTC_OFFSET_HOURS).padStart(2, '0')}:00`;
}

const W3C = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/;

/**
 * A W3C datetime (YYYY, YYYY-MM, YYYY-MM-DD or with a time and a zone) as an instant; a date alone
 * is a China day, its start (or its end when `edge` is 'end'). Undefined when it is not one.
 */
export function parseW3cDateTime(raw: string, edge: 'start' | 'end' = 'start'): Date | undefined {
  const m = W3C.exec(raw);
  if (!m) return undefined;
  const [, y, mo, d, hh, mi, ss, frac, zone] = m;
  const date = `${y}-${mo ?? '01'}-${d ?? '01'}`;
  if (!isRealDate(date)) return undefined;
  if (hh === undefined) {
    if (edge === 'start' || (mo !== undefined && d !== undefined)) return edge === 'start' ? startOfChinaDay(date) : endOfChinaDay(date);
    // YYYY or YYYY-MM as an end: the last day of that year or month.
    const last = mo === undefined ? `${y}-12-31` : lastDayOfMonth(date);
    return endOfChinaDay(last);
  }
  if (Number(hh) > 23 || Number(mi) > 59 || Number(ss ?? 0) > 59) return undefined;
  if (zone !== 'Z' && (Number(zone!.slice(1, 3)) > 14 || Number(zone!.slice(4)) > 59)) return undefined;
  const ms = Date.parse(`${date}T${hh}:${mi}:${ss ?? '00'}.${(frac ?? '0').slice(0, 3).padEnd(3, '0')}${zone}`);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

function lastDayOfMonth(firstDay: string): string {
  for (const d of ['31', '30', '29', '28']) {
    const candidate = `${firstDay.slice(0, 8)}${d}`;
    if (isRealDate(candidate)) return candidate;
  }
  return firstDay;
}
