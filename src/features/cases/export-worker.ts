// A worker thread that makes one CSV export of cases (see office-routes' /cases.csv): it opens a
// connection of its own (read-only on SQLite), reads the cases and writes the CSV here, at a lower
// scheduling priority than the server's main thread, and posts the text at the response's pace.
import { openReadConnection, type ReadConnection } from '../../workers/connection.js';
import { lowerThreadPriority } from '../../workers/priority.js';
import { workerInput } from '../../workers/run.js';
import { serveStream } from '../../workers/stream.js';
import { EXPORT_NICE, exportCsv, exportSlices, type ExportJob } from './export.js';
import { createCasesRepo } from './repo.js';

const { connection, job } = workerInput<{ connection: ReadConnection; job: ExportJob }>();
lowerThreadPriority(EXPORT_NICE);
const database = openReadConnection(connection, { lean: true });
await serveStream(exportCsv(exportSlices(createCasesRepo(database), job), job.role), () => database.close());
