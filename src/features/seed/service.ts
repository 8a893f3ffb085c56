import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../db/index.js';
import { ValidationError } from '../../errors.js';
import type { CatalogService } from '../catalog/service.js';
import type { PlacesService } from '../places/service.js';
import { derivedPlateToken } from '../places/tokens.js';
import type { DatasetName, WriteOptions } from '../transfer/datasets.js';
import { parseTableNow } from '../transfer/parse-table.js';
import type { Caller, TransferService } from '../transfer/service.js';

export interface SeedCounts {
  towns: number;
  villages: number;
  households: number;
  cadres: number;
  items: number;
  calendarDays: number;
}

/** The demo's data files: the same CSV files, with the same columns, that staff export and import. */
export const DEMO_DATA_DIR = path.join(projectRoot, 'db', 'seed', 'data');

/** Each import file of the demo, in the order they are loaded (households and cadres name villages). */
export const DEMO_FILES: ReadonlyArray<{ dataset: DatasetName; file: string }> = [
  { dataset: 'places', file: 'places.csv' },
  { dataset: 'households', file: 'households.csv' },
  { dataset: 'cadres', file: 'cadres.csv' },
  { dataset: 'calendar', file: 'calendar-2026.csv' },
  { dataset: 'catalog', file: 'catalog.csv' },
];

/** The themes (主题编码, 主题名称) the catalogue's items are filed under; they come before the items. */
export const DEMO_THEMES_FILE = 'catalog-themes.csv';

export interface SeedServices {
  transfer: TransferService;
  places: PlacesService;
  catalog: CatalogService;
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
 * Loads the demo district, its plates and cadres, the catalogue and the 2026 calendar from the data
 * files, through the import staff use (every row checked, then written), all in one transaction: a
 * bad row in any file and nothing is written. The files are read and parsed before the transaction
 * opens. The database must be migrated and hold no places yet.
 */
export async function seedDemo(services: SeedServices, opts: SeedOptions): Promise<SeedCounts> {
  const dir = opts.dir ?? DEMO_DATA_DIR;
  const read = (file: string) => parseTableNow(fs.readFileSync(path.join(dir, file)), 'utf8');
  const themes = read(DEMO_THEMES_FILE);
  const files = DEMO_FILES.map(({ dataset, file }) => ({ dataset, file, table: read(file) }));
  const writeOptions: WriteOptions = { plateToken: demoPlateToken(opts.tokenKey) };
  const added = new Map<DatasetName, number>();
  const cadreTable = files.find((f) => f.dataset === 'cadres')?.table;
  const phone = cadreTable?.headers.indexOf('手机号') ?? -1;
  const cadres = cadreTable ? new Set(cadreTable.rows.map((r) => r[phone])).size : 0;

  await services.transfer.together(async () => {
    await services.catalog.saveThemes(themes.rows.map(([code = '', name = '']) => ({ code, name })));
    for (const { dataset, file, table } of files) {
      // The admin's scope: every village, including those the places file has just added.
      const villageIds = new Set((await services.places.placeRows()).map((p) => p.villageId));
      const caller: Caller = { role: 'admin', scope: { all: true, districtIds: new Set<number>(), villageIds } };
      try {
        added.set(dataset, (await services.transfer.importNow(dataset, table, caller, writeOptions)).counts.add);
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
    }
  });
  const placeRows = await services.places.placeRows();
  return {
    towns: new Set(placeRows.map((p) => p.townCode)).size,
    villages: placeRows.length,
    households: added.get('households') ?? 0,
    cadres,
    items: added.get('catalog') ?? 0,
    calendarDays: added.get('calendar') ?? 0,
  };
}
