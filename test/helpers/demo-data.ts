import fs from 'node:fs';
import path from 'node:path';
import { DEMO_DATA_DIR } from '../../src/features/seed/service.js';
import { DATASETS, type Dataset } from '../../src/features/transfer/datasets.js';
import { parseTableNow, type Table } from '../../src/features/transfer/parse-table.js';

/** One of the demo's data files (db/seed/data), read as an import reads it. */
export function demoTable(file: string, dir = DEMO_DATA_DIR): Table {
  return parseTableNow(fs.readFileSync(path.join(dir, file)), 'utf8');
}

/** The rows of a demo file, each checked by its dataset as an import checks it; any bad row throws. */
export function demoRows<T>(dataset: Dataset<T>, file: string): T[] {
  const table = demoTable(file);
  return table.rows.map((cells, i) => {
    const r = dataset.parse(Object.fromEntries(table.headers.map((h, j) => [h, cells[j] ?? ''])), { villageId: () => 0 });
    if (!r.value) throw new Error(`${file} row ${i + 2}: ${JSON.stringify(r.errors)}`);
    return r.value;
  });
}

/** The demo catalogue's 862 items, as the import reads them. */
export const demoCatalog = () => demoRows(DATASETS.catalog, 'catalog.csv');
/** The 2026 official calendar: holidays and make-up working days. */
export const demoCalendar = () => demoRows(DATASETS.calendar, 'calendar-2026.csv');
