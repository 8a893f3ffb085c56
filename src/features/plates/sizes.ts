/** Print presets: plate sizes in millimetres and how they tile an A4 page (210 × 297 mm). */
export interface PlateSize {
  key: 'plate' | 'sticker';
  label: string;
  width: number;
  height: number;
  columns: number;
  rows: number;
}

export const SIZES: Record<PlateSize['key'], PlateSize> = {
  plate: { key: 'plate', label: '铝制门牌 200×120 mm', width: 200, height: 120, columns: 1, rows: 2 },
  sticker: { key: 'sticker', label: '不干胶 100×60 mm', width: 100, height: 60, columns: 2, rows: 4 },
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
