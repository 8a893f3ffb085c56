/** Print presets: plate sizes in millimetres and how they tile an A4 page (210 × 297 mm). */
export interface PlateSize {
  key: 'plate' | 'sticker';
  width: number;
  height: number;
  columns: number;
  rows: number;
}

export const SIZES: Record<PlateSize['key'], PlateSize> = {
  plate: { key: 'plate', width: 200, height: 120, columns: 1, rows: 2 },
  sticker: { key: 'sticker', width: 100, height: 60, columns: 2, rows: 4 },
};

/** A village plate fills one A4 page. */
export const VILLAGE_PLATE = { width: 190, height: 277 };

export const A4 = { width: 210, height: 297 };
export const MM = 72 / 25.4;

export function sizeOf(key: unknown): PlateSize {
  return key === 'sticker' ? SIZES.sticker : SIZES.plate;
}

/** The plate's short code for support calls (the plate's id, not its secret token). */
export function plateCode(plateId: number): string {
  return `MP${String(plateId).padStart(6, '0')}`;
}

/**
 * The width of a text in ems as Noto Sans CJK draws it: ideographs and full-width marks are 1 em,
 * Latin letters, digits and ASCII punctuation about 0.6 em or less (0.6 errs on the safe side).
 */
export function emWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += ch.charCodeAt(0) < 0x2000 ? 0.6 : 1;
  return w;
}

/**
 * How the print sheet sets a door address in the plate's text column (`sizes` in print.css, widths
 * in ems of the largest size): the largest step at which it stays on one line, else the largest at
 * which it wraps to two, else the smallest step, wrapping as it must. Never cut, never ellipsised.
 */
export const ADDRESS_STEPS = [1, 0.85, 0.72, 0.6, 0.5, 0.42] as const;
/** The text column in ems of the address's largest size: the sticker is the plate at half scale, so one figure serves both. */
const ADDRESS_COLUMN_EMS = 6.6;

export function addressFit(address: string): number {
  const ems = emWidth(address);
  const column = ADDRESS_COLUMN_EMS;
  const oneLine = ADDRESS_STEPS.findIndex((k) => ems * k <= column);
  if (oneLine >= 0 && oneLine <= 2) return oneLine;
  const twoLines = ADDRESS_STEPS.findIndex((k) => ems * k <= 2 * column * 0.95);
  return twoLines >= 0 ? twoLines : ADDRESS_STEPS.length - 1;
}
