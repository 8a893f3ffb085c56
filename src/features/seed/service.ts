import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../db/index.js';
import { ValidationError } from '../../errors.js';
import type { CatalogService } from '../catalog/service.js';
import type { PlacesService } from '../places/service.js';
import type { TemplatesService } from '../templates/service.js';
import { derivedPlateToken } from '../places/tokens.js';
import type { DatasetName, WriteOptions } from '../transfer/datasets.js';
import { parseTableNow } from '../transfer/parse-table.js';
import type { Caller, TransferService } from '../transfer/service.js';

export interface SeedCounts {
  districts: number;
  towns: number;
  villages: number;
  households: number;
  cadres: number;
  items: number;
  calendarDays: number;
}

/** The demo's data files: the same CSV files, with the same columns, that staff export and import. */
export const DEMO_DATA_DIR = path.join(projectRoot, 'db', 'seed', 'data');

/** Each import file of the demo's first district (兖州区), in the order they are loaded (households and cadres name villages). */
export const DEMO_FILES: ReadonlyArray<{ dataset: DatasetName; file: string }> = [
  { dataset: 'places', file: 'places.csv' },
  { dataset: 'households', file: 'households.csv' },
  { dataset: 'cadres', file: 'cadres.csv' },
  { dataset: 'calendar', file: 'calendar-2026.csv' },
  { dataset: 'catalog', file: 'catalog.csv' },
];

/** One district of the demo: its code, the folder of its files (under the data folder) and what is loaded from them. */
export interface DemoDistrict {
  code: string;
  /** the folder of its files, relative to the data folder ('' for the data folder itself) */
  dir: string;
  /** the resident pages' hotline when not the national 12345 */
  hotline?: string;
  files: ReadonlyArray<{ dataset: DatasetName; file: string }>;
}

/**
 * The demo's districts, in the order they are loaded: 兖州区 with the files of the data folder (the
 * 2026 calendar, shared by every district, among them), then 曲阜市 of the same city, small, from the
 * folder 370881: real township names and codes, made-up villages, households and cadres, and its own
 * short catalogue.
 */
export const DEMO_DISTRICTS: readonly DemoDistrict[] = [
  { code: '370812', dir: '', files: DEMO_FILES },
  {
    code: '370881',
    dir: '370881',
    hotline: '0537-12345',
    files: DEMO_FILES.filter((f) => f.dataset !== 'calendar'),
  },
];

/** The themes (主题编码, 主题名称) the catalogue's items are filed under; they come before the items. */
export const DEMO_THEMES_FILE = 'catalog-themes.csv';

export interface SeedServices {
  transfer: TransferService;
  places: PlacesService;
  catalog: CatalogService;
  templates: TemplatesService;
}

export interface SeedOptions {
  /** secret from which the demo plates' tokens are derived: the same key gives the same rows */
  tokenKey: string;
  /** where the data files are (DEMO_DATA_DIR unless given) */
  dir?: string;
}

/**
 * The demo plates' tokens, derived from the key and the plate's village code (and address): the
 * same key gives the same plates, a random key per installation makes them unguessable.
 */
export function demoPlateToken(tokenKey: string): NonNullable<WriteOptions['plateToken']> {
  return (plate) => derivedPlateToken(tokenKey, plate.kind === 'village' ? `v:${plate.villageCode}` : `h:${plate.villageCode}:${plate.address}`);
}

/**
 * Loads the demo districts, their plates, cadres and catalogues and the 2026 calendar from the data
 * files, through the import staff use (every row checked, then written), all in one transaction: a
 * bad row in any file and nothing is written. Each district's catalogue is imported into that
 * district; a district after the first gets its hotline and the default reply templates, as
 * `district add` gives them. The files are read and parsed before the transaction opens. The
 * database must be migrated and hold no places yet.
 */
export async function seedDemo(services: SeedServices, opts: SeedOptions): Promise<SeedCounts> {
  const dir = opts.dir ?? DEMO_DATA_DIR;
  const read = (file: string) => parseTableNow(fs.readFileSync(path.join(dir, file)), 'utf8');
  const themes = read(DEMO_THEMES_FILE);
  const districts = DEMO_DISTRICTS.map((d) => ({
    ...d,
    tables: d.files.map(({ dataset, file }) => ({ dataset, file: path.join(d.dir, file), table: read(path.join(d.dir, file)) })),
  }));
  const writeOptions: WriteOptions = { plateToken: demoPlateToken(opts.tokenKey) };
  const added = new Map<DatasetName, number>();
  const phones = new Set<string>();
  for (const { table } of districts.flatMap((d) => d.tables).filter((t) => t.dataset === 'cadres')) {
    const phone = table.headers.indexOf('手机号');
    for (const r of table.rows) phones.add(r[phone] ?? '');
  }

  await services.transfer.together(async () => {
    await services.catalog.saveThemes(themes.rows.map(([code = '', name = '']) => ({ code, name })));
    for (const [i, district] of districts.entries()) {
      for (const { dataset, file, table } of district.tables) {
        // A city administrator's scope: every district and village, including those the places file has just added.
        const all = await services.places.districts();
        const villageIds = new Set((await services.places.placeRows()).map((p) => p.villageId));
        const caller: Caller = {
          role: 'admin',
          districtId: all.find((d) => d.code === district.code)?.id,
          scope: { all: true, districtIds: new Set(all.map((d) => d.id)), villageIds },
        };
        try {
          const { counts } = await services.transfer.importNow(dataset, table, caller, writeOptions);
          added.set(dataset, (added.get(dataset) ?? 0) + counts.add);
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err;
          throw new Error(
            `The demo file ${path.join(dir, file)} does not import: ${err.errors
              .slice(0, 5)
              .map((e) => e.text)
              .join('; ')}`,
            { cause: err },
          );
        }
        if (dataset === 'places' && i > 0) {
          const made = await services.places.districtByCode(district.code);
          if (!made) throw new Error(`The demo file ${path.join(dir, file)} does not hold the district ${district.code}`);
          if (district.hotline) await services.places.setDistrictHotline(district.code, district.hotline);
          await services.templates.addDefaults(made.id);
        }
      }
    }
  });
  const placeRows = await services.places.placeRows();
  return {
    districts: new Set(placeRows.map((p) => p.districtCode)).size,
    towns: new Set(placeRows.map((p) => p.townCode)).size,
    villages: placeRows.length,
    households: added.get('households') ?? 0,
    cadres: phones.size,
    items: added.get('catalog') ?? 0,
    calendarDays: added.get('calendar') ?? 0,
  };
}
