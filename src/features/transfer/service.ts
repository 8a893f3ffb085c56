import { transaction, type Db } from '../../db/index.js';
import { ForbiddenError, ValidationError } from '../../errors.js';
import { DATASETS, type Dataset, type DatasetName, type PlannedRow, type RowError, type Scope } from './datasets.js';
import { readTable, writeCsv, writeXlsx, type Encoding, type Table } from './table.js';
import { toCells } from './catalog-dataset.js';

export interface ImportPlan {
  dataset: DatasetName;
  format: Table['format'];
  encoding?: Table['encoding'];
  total: number;
  counts: { add: number; change: number; same: number };
  errors: RowError[];
  /** the first rows of each kind, for the preview table */
  preview: Array<{ row: number; status: string; cells: string[] }>;
}

/** Columns a file may leave out (their cells then count as empty). */
const OPTIONAL_COLUMNS = new Set(['备注', '说明', '值班时间', '户联系人', '联系电话', '俗称', '收费项目', '常见问题', '申请材料', '计算机端在线办理跳转地址', '移动端办理地址']);

export interface Caller {
  role: 'admin' | 'staff' | 'cadre';
  scope: Scope;
}

/** Import and export of households, cadres and the calendar: dry run first, then all or nothing. */
export function createTransferService(db: Db) {
  const villageCodes = db.prepare('SELECT id, code FROM villages');

  const check = (name: DatasetName, caller: Caller) => {
    if (caller.role === 'cadre') throw new ForbiddenError();
    if (name === 'calendar' && caller.role !== 'admin') throw new ForbiddenError();
    // The catalogue is the district's: admins and district-wide staff.
    if (name === 'catalog' && caller.role !== 'admin' && !caller.scope.all) throw new ForbiddenError();
  };

  function plan<T>(ds: Dataset<T>, table: Table, caller: Caller): { plan: ImportPlan; rows: Array<PlannedRow<T>> } {
    const missing = ds.headers.filter((h) => !OPTIONAL_COLUMNS.has(h) && !table.headers.includes(h));
    const errors: RowError[] = missing.map((h) => ({ row: 1, column: h, message: '缺少这一列，请用模板文件' }));
    const byCode = new Map((villageCodes.all() as Array<{ id: number; code: string }>).map((v) => [v.code, v.id]));
    const villageId = (code: string) => {
      const id = byCode.get(code);
      return id !== undefined && caller.scope.villageIds.has(id) ? id : undefined;
    };
    const parsed: Array<{ row: number; value: T }> = [];
    const seen = new Map<string, number>();
    if (missing.length === 0) {
      table.rows.forEach((cells, i) => {
        const row = i + 2;
        const record = Object.fromEntries(table.headers.map((h, j) => [h, cells[j] ?? '']));
        const r = ds.parse(record, { villageId });
        for (const e of r.errors) errors.push({ row, ...e });
        if (!r.value) return;
        const key = ds.key(r.value);
        const first = seen.get(key);
        if (first !== undefined) {
          errors.push({ row, column: ds.headers[1]!, message: `与第 ${first} 行重复` });
          return;
        }
        seen.set(key, row);
        parsed.push({ row, value: r.value });
      });
    }
    const existing = ds.existing(db, parsed.map((p) => p.value));
    const rows: Array<PlannedRow<T>> = parsed.map(({ row, value }) => {
      const before = existing.get(ds.key(value));
      return { row, value, before, status: before === undefined ? 'add' : ds.same(before, value) ? 'same' : 'change' };
    });
    const counts = { add: 0, change: 0, same: 0 };
    for (const r of rows) counts[r.status]++;
    const preview = rows
      .filter((r) => r.status !== 'same')
      .slice(0, 200)
      .map((r) => ({ row: r.row, status: r.status, cells: table.rows[r.row - 2] ?? [] }));
    return {
      plan: { dataset: ds.name, format: table.format, encoding: table.encoding, total: table.rows.length, counts, errors: errors.slice(0, 500), preview },
      rows,
    };
  }

  return {
    /** Reads and checks a file without writing anything. */
    async dryRun(name: DatasetName, bytes: Buffer, caller: Caller, encoding: Encoding = 'auto'): Promise<ImportPlan> {
      check(name, caller);
      return plan(DATASETS[name] as Dataset<unknown>, await readTable(bytes, encoding), caller).plan;
    },

    /** Checks again and writes every row in one transaction; any bad row and nothing is written. */
    async commit(name: DatasetName, bytes: Buffer, caller: Caller, encoding: Encoding = 'auto'): Promise<ImportPlan> {
      check(name, caller);
      const ds = DATASETS[name] as Dataset<unknown>;
      const { plan: p, rows } = plan(ds, await readTable(bytes, encoding), caller);
      if (p.errors.length) throw new ValidationError(p.errors.map((e) => ({ field: e.column, text: `第 ${e.row} 行「${e.column}」：${e.message}`, href: '#errors' })));
      transaction(db, () => ds.write(db, rows));
      return p;
    },

    /** The same columns as the import, so export → edit in Excel → import round-trips. */
    async export(name: DatasetName, caller: Caller, format: 'csv' | 'xlsx'): Promise<Buffer> {
      check(name, caller);
      const ds = DATASETS[name] as Dataset<unknown>;
      const rows = ds.exportRows(db, caller.scope);
      return format === 'csv' ? writeCsv([...ds.headers], rows) : writeXlsx(name, [...ds.headers], rows);
    },

    /** One catalogue item as the columns of the import file (for the edit form). */
    catalogCells(caller: Caller, code: string): Record<string, string> | undefined {
      check('catalog', caller);
      const ds = DATASETS.catalog;
      const item = ds.existing(db, [{ code } as never]).get(code);
      return item ? Object.fromEntries(ds.headers.map((h, i) => [h, toCells(item)[i] ?? ''])) : undefined;
    },

    /** Saves one catalogue item from the edit form, with the same checks as an import. */
    saveCatalogItem(caller: Caller, cells: Record<string, string>): ImportPlan {
      check('catalog', caller);
      const ds = DATASETS.catalog as Dataset<unknown>;
      const table: Table = { headers: [...ds.headers], rows: [ds.headers.map((h) => String(cells[h] ?? '').trim())], format: 'csv' };
      const { plan: p, rows } = plan(ds, table, caller);
      if (p.errors.length) throw new ValidationError(p.errors.map((e) => ({ field: e.column, text: e.message, href: `#f-${ds.headers.indexOf(e.column)}` })));
      transaction(db, () => ds.write(db, rows));
      return p;
    },

    /** An empty file with the right columns. */
    async template(name: DatasetName, format: 'csv' | 'xlsx'): Promise<Buffer> {
      const ds = DATASETS[name];
      return format === 'csv' ? writeCsv([...ds.headers], []) : writeXlsx(name, [...ds.headers], []);
    },
  };
}

export type TransferService = ReturnType<typeof createTransferService>;
