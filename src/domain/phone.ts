/**
 * Phone numbers, as villagers, cadres and spreadsheets write them (DOMAIN.md "Validation rules").
 * Resident forms, the back office, imports and the command line all check numbers here.
 */

// The digit patterns, without anchors, so that the whole-number checks and the search for numbers
// inside a text (tel: links) are built from the same pieces.
const MOBILE_DIGITS = '1[3-9]\\d{9}';
const LANDLINE_DIGITS = '0\\d{2,3}-?\\d{7,8}';
/** 12345, the government service hotline (政务服务便民热线). */
const HOTLINE_DIGITS = '12345';

/** A mainland mobile number once normalised: 11 digits, 1 then 3–9. */
export const MOBILE_PATTERN = new RegExp(`^${MOBILE_DIGITS}$`);

/** A landline with its area code: 0537-1234567 or 05371234567. */
export const LANDLINE_PATTERN = new RegExp(`^${LANDLINE_DIGITS}$`);

/**
 * Mobiles, landlines and the 12345 hotline inside a longer text, not inside a longer run of digits.
 * Global: use it with `String.prototype.replace`/`matchAll`, which start from the beginning.
 */
export const PHONE_IN_TEXT = new RegExp(`(?<![\\d-])(${LANDLINE_DIGITS}|${MOBILE_DIGITS}|${HOTLINE_DIGITS})(?![\\d-])`, 'g');

/** A 便民服务中心's telephone as written on its notice: digits, brackets, dashes and spaces (at most 30). */
const OFFICE_PHONE = /^[0-9()（）\-\s]{0,30}$/;

/**
 * The number as stored: full-width digits made ASCII, spaces and dashes removed, a leading +86 or
 * 0086 dropped. "+86 139-1234-5678" and "１３９１２３４５６７８" both become "13912345678".
 */
export function normalisePhone(raw: string): string {
  return raw
    .normalize('NFKC')
    .replace(/[\s-]/g, '')
    .replace(/^(\+86|0086)/, '');
}

/** True for a normalised mainland mobile number. */
export function isMobile(s: unknown): s is string {
  return typeof s === 'string' && MOBILE_PATTERN.test(s);
}

/** The normalised mobile number, or undefined when `raw` is not one. */
export function parseMobile(raw: string): string | undefined {
  const phone = normalisePhone(raw);
  return isMobile(phone) ? phone : undefined;
}

/** True for a landline with its area code, dash or not (0537-1234567). */
export function isLandline(s: string): boolean {
  return LANDLINE_PATTERN.test(s.normalize('NFKC').replace(/\s/g, ''));
}

/** True for what may stand as an office's telephone (empty, or digits with brackets, dashes, spaces). */
export function isOfficePhoneText(s: string): boolean {
  return OFFICE_PHONE.test(s);
}

/** A mobile number for lists, with its middle hidden: 139****5678. Anything else is all hidden. */
export function maskPhone(phone: string | null | undefined): string {
  if (!phone) return '';
  return phone.length === 11 ? `${phone.slice(0, 3)}****${phone.slice(7)}` : '****';
}

/** The href of a tel: link: digits and a leading plus only. */
export function telHref(phone: string): string {
  return `tel:${phone.replace(/[^\d+]/g, '')}`;
}
