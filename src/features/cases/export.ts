import { t } from '../../i18n/index.js';
import { CSV_BOM, csvLine } from '../../http/csv.js';
import { maskPhone } from '../../domain/phone.js';
import type { Role } from '../staff/service.js';
import type { Flag } from './office.js';
import type { CasesRepo, InboxFilter, InboxRow } from './repo.js';

/** Case ids read at a time by an export: a few milliseconds of work between two waits. */
export const EXPORT_SLICE = 500;

/**
 * The niceness of an export's worker thread (Linux: 19 is the lowest priority). An export is a
 * background job measured in seconds; on a busy machine it takes the CPU only when villagers' and
 * staff's requests leave it idle.
 */
export const EXPORT_NICE = 19;

/** What an export needs besides a connection: posted to the worker that makes it. */
export interface ExportJob {
  filter: InboxFilter;
  /** the moment the export began (the flags are as of then) */
  at: string;
  /** who asks: only an administrator sees phone numbers whole */
  role: Role;
}

const flagOf = (due: string | null, at: string, yellowBefore: string): Flag => {
  if (!due) return null;
  if (due < at) return 'red';
  return due <= yellowBefore ? 'yellow' : null;
};

/**
 * Every case of the filter, oldest first, in slices of at most EXPORT_SLICE ids: each slice is read
 * whole before it is handed on, so the caller may wait between slices (and other requests use the
 * database) while the export is written out. A slice may be empty. Cases filed after the export
 * began are not in it.
 */
export async function* exportSlices(
  repo: Pick<CasesRepo, 'idRange' | 'exportReader'>,
  job: Omit<ExportJob, 'role'>,
): AsyncGenerator<Array<InboxRow & { flag: Flag }>> {
  const { filter, at } = job;
  const read = repo.exportReader(filter);
  const { after: first, upTo: last } = await repo.idRange();
  for (let after = first; after < last; after += EXPORT_SLICE) {
    const slice: Array<InboxRow & { flag: Flag }> = [];
    for (const r of await read(after, Math.min(after + EXPORT_SLICE, last)))
      slice.push(Object.assign(r, { flag: flagOf(r.effectiveDue, at, filter.yellowBefore) }));
    yield slice;
  }
}

const HEADER = [
  '受理编号',
  '类型',
  '类别',
  '事项',
  '镇街',
  '村（社区）',
  '门牌',
  '联系人',
  '电话',
  '内容',
  '状态',
  '提交时间',
  '答复期限',
  '办结期限',
  '时限',
  '指派给',
  '评分',
];

/**
 * The export's CSV, in parts of at most 200 rows (each with how many rows it holds): the header,
 * then every row of `slices`. Short strings, made one part at a time, die young: memory stays flat
 * at any size. An empty slice gives an empty part (it still passes through the caller's wait).
 */
export async function* exportCsv(slices: AsyncIterable<Array<InboxRow & { flag: Flag }>>, role: Role): AsyncGenerator<{ text: string; rows: number }> {
  const line = (r: InboxRow & { flag: Flag }) =>
    csvLine([
      r.trackingNo,
      t(`cases.kinds.${r.kind}`),
      r.category ? t(`cases.categories.${r.category}`) : '',
      r.itemName ?? '',
      r.townName,
      r.villageName,
      r.address ?? '',
      r.anonymous ? t('admin.inbox.anonymous') : (r.name ?? ''),
      role === 'admin' ? (r.phone ?? '') : maskPhone(r.phone),
      r.content,
      t(`cases.states.${r.state}`),
      r.createdAt,
      r.firstResponseDue,
      r.resolutionDue,
      r.flag ? t(`admin.inbox.flags.${r.flag}`) : '',
      r.assignedName ?? '',
      r.rating === null ? '' : String(r.rating),
    ]);
  yield { text: CSV_BOM + csvLine(HEADER), rows: 0 };
  for await (const rows of slices) {
    if (rows.length === 0) yield { text: '', rows: 0 };
    for (let i = 0; i < rows.length; i += 200) {
      const part = rows.slice(i, i + 200);
      yield { text: part.map(line).join(''), rows: part.length };
    }
  }
}
