import type { UnitOfWork } from '../../db/unit-of-work.js';
import { ForbiddenError, ValidationError } from '../../errors.js';
import { isUniqueViolation } from '../../db/database.js';
import { t } from '../../i18n/index.js';
import { DATASETS, type BoundOwners, type Dataset, type DatasetName, type Owners, type PlannedRow, type RowError, type WriteOptions } from './datasets.js';
import { inScope, servesDistrict, type Scope } from '../../domain/scope.js';
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

/** Rows checked between two looks at the event loop. */
const PLAN_SLICE = 2000;
/** Rows written per transaction: a few milliseconds of holding the write lock. */
const WRITE_CHUNK = 500;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Lets pending requests run before the next slice of work. */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Columns a file may leave out (their cells then count as empty). */
const OPTIONAL_COLUMNS = new Set([
  '备注',
  '说明',
  '值班时间',
  '户联系人',
  '联系电话',
  '俗称',
  '收费项目',
  '常见问题',
  '申请材料',
  '计算机端在线办理跳转地址',
  '移动端办理地址',
  '经度',
  '纬度',
]);

/** The rows that stop an import, as one error. */
const refusal = (errors: RowError[]) =>
  new ValidationError(
    errors.map((e) => ({ field: e.column, text: t('transfer.rowProblem', { row: e.row, column: e.column, message: e.message }), href: '#errors' })),
  );

export interface Caller {
  role: 'admin' | 'staff' | 'cadre';
  scope: Scope;
  /** the district to import into or export from (its catalogue); needed when the caller serves more than one */
  districtId?: number | null;
}

/**
 * Import and export of households, cadres, the calendar and the catalogue: dry run first, then every
 * row checked before any is written. Reading and writing go through the owning features' services.
 */
export function createTransferService(deps: Owners & { uow: UnitOfWork }) {
  const { uow, ...unbound } = deps;

  /**
   * The owners for one caller: the district named (one the caller serves whole), else the one
   * district the caller serves, else the installation's only district. With several and none
   * named, the caller is asked which.
   */
  const bind = (caller: Caller): BoundOwners => ({
    ...unbound,
    async district(): Promise<number> {
      if (caller.districtId !== undefined && caller.districtId !== null) {
        if (!servesDistrict(caller.scope, caller.districtId)) throw new ForbiddenError();
        return caller.districtId;
      }
      const served = [...caller.scope.districtIds];
      if (served.length === 1) return served[0]!;
      const all = await unbound.places.districts();
      if (caller.scope.all && all.length === 1) return all[0]!.id;
      throw new ValidationError([{ field: 'district', text: t('data.districtRequired'), href: '#district' }]);
    },
  });

  const check = (name: DatasetName, caller: Caller, reading = false) => {
    if (caller.role === 'cadre') throw new ForbiddenError();
    if ((name === 'calendar' || name === 'places') && caller.role !== 'admin') throw new ForbiddenError();
    // the calendar every district's deadlines are counted on is the city's to change (any administrator reads it)
    if (name === 'calendar' && !reading && !caller.scope.all) throw new ForbiddenError();
    // The catalogue is the district's: admins and district-wide staff.
    if (name === 'catalog' && caller.role !== 'admin' && caller.scope.districtIds.size === 0 && !caller.scope.all) throw new ForbiddenError();
  };

  /**
   * Checks every row, a slice at a time, then compares the rows with what is stored. With `pause`,
   * it is awaited between two slices: plan() lets requests in there (a 200,000-row file never holds
   * the event loop for long). Without it (planNow, inside a transaction), it runs straight through,
   * awaiting only the database.
   */
  async function planRows<T>(
    ds: Dataset<T>,
    table: Table,
    caller: Caller,
    pause?: () => Promise<void>,
  ): Promise<{ plan: ImportPlan; rows: Array<PlannedRow<T>> }> {
    const missing = ds.headers.filter((h) => !OPTIONAL_COLUMNS.has(h) && !table.headers.includes(h));
    const errors: RowError[] = missing.map((h) => ({ row: 1, column: h, message: t('transfer.missingColumn') }));
    const owners = bind(caller);
    const byCode = new Map((await owners.places.allVillages()).map((v) => [v.code, v.id]));
    const villageId = (code: string) => {
      const id = byCode.get(code);
      return inScope(caller.scope, id) ? id : undefined;
    };
    const parsed: Array<{ row: number; value: T }> = [];
    const seen = new Map<string, number>();
    for (let start = 0; missing.length === 0 && start < table.rows.length; start += PLAN_SLICE) {
      if (start > 0 && pause) await pause();
      table.rows.slice(start, start + PLAN_SLICE).forEach((cells, i) => {
        const row = start + i + 2;
        const record = Object.fromEntries(table.headers.map((h, j) => [h, cells[j] ?? '']));
        const r = ds.parse(record, { villageId });
        for (const e of r.errors) errors.push({ row, ...e });
        if (!r.value) return;
        const key = ds.key(r.value);
        const first = seen.get(key);
        if (first !== undefined) {
          errors.push({ row, column: ds.headers[1]!, message: t('transfer.duplicate', { row: first }) });
          return;
        }
        seen.set(key, row);
        parsed.push({ row, value: r.value });
      });
    }
    const refused = (await ds.conflicts?.(owners, parsed, caller.scope)) ?? [];
    errors.push(...refused);
    const accepted = refused.length ? parsed.filter((p) => !refused.some((e) => e.row === p.row)) : parsed;
    const existing = await ds.existing(
      owners,
      accepted.map((p) => p.value),
    );
    const rows: Array<PlannedRow<T>> = accepted.map(({ row, value }) => {
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

  const plan = <T>(ds: Dataset<T>, table: Table, caller: Caller) => planRows(ds, table, caller, breathe);
  const planNow = <T>(ds: Dataset<T>, table: Table, caller: Caller) => planRows(ds, table, caller);

  /**
   * Writes the changed rows in short transactions of WRITE_CHUNK rows, pausing after each for about
   * half as long as it took: the write lock is never held for more than a few milliseconds, so the
   * server (or, for the command line, another process) gets the database and its requests are
   * answered between chunks. Rows are written on their natural keys, so a failure part-way leaves
   * whole chunks written and running the same file again completes it.
   */
  async function writeInChunks<T>(ds: Dataset<T>, rows: Array<PlannedRow<T>>, owners: BoundOwners): Promise<void> {
    const changed = rows.filter((r) => r.status !== 'same').map((r) => r.value);
    for (let i = 0; i < changed.length; i += WRITE_CHUNK) {
      const started = performance.now();
      await uow.run(() => ds.write(owners, changed.slice(i, i + WRITE_CHUNK)));
      if (i + WRITE_CHUNK < changed.length) await sleep(Math.max(2, (performance.now() - started) / 2));
    }
  }

  return {
    /** Reads and checks a file without writing anything. */
    async dryRun(name: DatasetName, bytes: Buffer, caller: Caller, encoding: Encoding = 'auto'): Promise<ImportPlan> {
      check(name, caller);
      return (await plan(DATASETS[name] as Dataset<unknown>, await readTable(bytes, encoding), caller)).plan;
    },

    /**
     * Checks every row again, then writes in short chunks (writeInChunks): any bad row and nothing
     * is written; a failure while writing leaves whole chunks, and the same file run again adds
     * the rest (the dry run of it shows what is left).
     */
    async commit(name: DatasetName, bytes: Buffer, caller: Caller, encoding: Encoding = 'auto'): Promise<ImportPlan> {
      check(name, caller);
      const ds = DATASETS[name] as Dataset<unknown>;
      const { plan: p, rows } = await plan(ds, await readTable(bytes, encoding), caller);
      if (p.errors.length) throw refusal(p.errors);
      try {
        await writeInChunks(ds, rows, bind(caller));
      } catch (err) {
        // A key the check found free (a cadre's phone) was written by someone else since: the file no
        // longer says what its check showed. Whole chunks stay written; the file checked again shows the rest.
        if (isUniqueViolation(err)) throw new ValidationError([{ field: 'file', text: t('data.changed'), href: '#errors' }]);
        throw err;
      }
      return p;
    },

    /**
     * Checks and writes a table at once, in one transaction: any bad row and nothing is written
     * (a ValidationError naming them). For files that ship with the product, such as the demo
     * seed's: parsed by the caller on this thread (parseTableNow) and written in one go, with no
     * pause between slices, so a caller may join several of them in one transaction of its own
     * (together). Staff's uploads go through dryRun and commit.
     */
    async importNow(name: DatasetName, table: Table, caller: Caller, opts: WriteOptions = {}): Promise<ImportPlan> {
      check(name, caller);
      const ds = DATASETS[name] as Dataset<unknown>;
      const { plan: p, rows } = await planNow(ds, table, caller);
      if (p.errors.length) throw refusal(p.errors);
      await uow.run(() =>
        ds.write(
          bind(caller),
          rows.filter((r) => r.status !== 'same').map((r) => r.value),
          opts,
        ),
      );
      return p;
    },

    /**
     * Runs fn in one transaction: the importNow calls in it (and the owners' writes it makes) all
     * happen or none. fn awaits only database work: read and parse files before.
     */
    together<T>(fn: () => Promise<T>): Promise<T> {
      return uow.run(fn);
    },

    /** The same columns as the import, so export → edit in Excel → import round-trips. */
    async export(name: DatasetName, caller: Caller, format: 'csv' | 'xlsx'): Promise<Buffer> {
      check(name, caller, true);
      const ds = DATASETS[name] as Dataset<unknown>;
      const rows = await ds.exportRows(bind(caller), caller.scope);
      return format === 'csv' ? writeCsv([...ds.headers], rows) : writeXlsx(name, [...ds.headers], rows);
    },

    /** One catalogue item as the columns of the import file (for the edit form). */
    async catalogCells(caller: Caller, code: string): Promise<Record<string, string> | undefined> {
      check('catalog', caller);
      const ds = DATASETS.catalog;
      const item = (await ds.existing(bind(caller), [{ code } as never])).get(code);
      return item ? Object.fromEntries(ds.headers.map((h, i) => [h, toCells(item)[i] ?? ''])) : undefined;
    },

    /** Saves one catalogue item from the edit form, with the same checks as an import. */
    async saveCatalogItem(caller: Caller, cells: Record<string, string>): Promise<ImportPlan> {
      check('catalog', caller);
      const ds = DATASETS.catalog as Dataset<unknown>;
      const table: Table = { headers: [...ds.headers], rows: [ds.headers.map((h) => String(cells[h] ?? '').trim())], format: 'csv' };
      const { plan: p, rows } = await plan(ds, table, caller);
      if (p.errors.length) throw new ValidationError(p.errors.map((e) => ({ field: e.column, text: e.message, href: `#f-${ds.headers.indexOf(e.column)}` })));
      await uow.run(() =>
        ds.write(
          bind(caller),
          rows.filter((r) => r.status !== 'same').map((r) => r.value),
        ),
      );
      return p;
    },

    /** The district whose catalogue a caller imports or exports; a ValidationError asks for one when it must be named. */
    catalogDistrict: (caller: Caller): Promise<number> => bind(caller).district(),

    /** The columns of a dataset's file, in order (the catalogue editor shows one field per column). */
    headers: (name: DatasetName): readonly string[] => DATASETS[name].headers,
    /**
     * What export writes, for a download written as it is read: the headers, then the rows in
     * slices, each read whole before it is handed on.
     */
    exportParts(name: DatasetName, caller: Caller): { headers: string[]; slices: AsyncIterable<string[][]> } {
      check(name, caller, true);
      const ds = DATASETS[name] as Dataset<unknown>;
      const owners = bind(caller);
      const whole = async function* () {
        yield await ds.exportRows(owners, caller.scope);
      };
      return { headers: [...ds.headers], slices: ds.exportSlices ? ds.exportSlices(owners, caller.scope) : whole() };
    },

    /** An empty file with the right columns. */
    async template(name: DatasetName, format: 'csv' | 'xlsx'): Promise<Buffer> {
      const ds = DATASETS[name];
      return format === 'csv' ? writeCsv([...ds.headers], []) : writeXlsx(name, [...ds.headers], []);
    },
  };
}

export type TransferService = ReturnType<typeof createTransferService>;
