/**
 * The Throughline half of the import benchmark, run in its own process so that the peak RSS it
 * reports belongs to the import alone, not to the generator or to DuckDB's bare load.
 *
 *   node --import tsx bench/import-child.ts --file F --db D [--rejects R] [--memory-limit 768MB]
 *
 * --memory-limit sets DuckDB's memory_limit before the import: a diagnostic for how much of the
 * peak RSS is DuckDB's (the benchmark itself runs with the store's own settings).
 *
 * Prints one line `BENCH_RESULT {json}`: timings per phase and per SQL statement, memory, and the
 * import summary.
 */
import { parseArgs } from 'node:util';
import { importFiles } from '../src/ingest/import.ts';
import { openStore } from '../src/store/open.ts';
import type { Queryable, Store } from '../src/store/store.ts';
import { RESULT_PREFIX } from './import-result.ts';
import type { ChildResult, StatementTiming } from './import-result.ts';

const MB = 1024 * 1024;

/** One line per statement kind, short enough to read in a table. */
function label(sql: string): string {
  const s = sql.replace(/\s+/g, ' ').trim();
  return s.length > 90 ? s.slice(0, 87) + '...' : s;
}

/** The store, with every statement run inside a transaction timed, and the commit. */
function timed(store: Store, out: StatementTiming[]): Store {
  const time = async <T>(sql: string, run: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await run();
    } finally {
      out.push({ sql: label(sql), seconds: (performance.now() - t0) / 1000 });
    }
  };
  const wrapTx = (tx: Queryable): Queryable => ({
    query: (sql, params) => time(sql, () => tx.query(sql, params)),
    exec: (sql, params) => time(sql, () => tx.exec(sql, params)),
    bulkInsert: (table, columns, rows) => time(`bulkInsert ${table} (${rows.length} rows)`, () => tx.bulkInsert(table, columns, rows)),
    // Streaming is timed by the phase between the statements around it.
    stream: (sql, params) => tx.stream(sql, params),
    ...(tx.lendMemory ? { lendMemory: <T>(fn: () => Promise<T>) => tx.lendMemory!(fn) } : {}),
  });
  // Times a transaction's statements and its commit; both the store's and the staging's
  // transactions (an import's merge runs in the staging's) go through it.
  const timedTransaction =
    (run: <T>(fn: (tx: Queryable) => Promise<T>) => Promise<T>) =>
    async <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
      let bodyDone = 0;
      const result = await run(async (tx) => {
        const r = await fn(wrapTx(tx));
        bodyDone = performance.now();
        return r;
      });
      out.push({ sql: 'COMMIT', seconds: (performance.now() - bodyDone) / 1000 });
      return result;
    };
  // A proxy rather than a wrapper class: the bench keeps working when the Store interface grows.
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'transaction') return timedTransaction((fn) => target.transaction(fn));
      if (prop === 'openStaging') {
        return async () => {
          const staging = await target.openStaging();
          return new Proxy(staging, {
            get(s, p) {
              if (p === 'transaction') return timedTransaction((fn) => s.transaction(fn));
              const v: unknown = Reflect.get(s, p, s);
              return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(s) : v;
            },
          });
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { file: { type: 'string' }, db: { type: 'string' }, rejects: { type: 'string' }, 'memory-limit': { type: 'string' } },
  });
  if (values.file === undefined || values.db === undefined) throw new Error('usage: import-child.ts --file F --db D [--rejects R]');

  let peak = 0;
  let readPeak = 0;
  let mergePeak = 0;
  let heapPeak = 0;
  let merging = false;
  const sample = (): void => {
    const m = process.memoryUsage();
    const rss = m.rss;
    heapPeak = Math.max(heapPeak, m.heapUsed + m.external);
    if (rss > peak) peak = rss;
    if (merging) mergePeak = Math.max(mergePeak, rss);
    else readPeak = Math.max(readPeak, rss);
  };
  const poll = setInterval(sample, 100);

  const t0 = performance.now();
  // Through the store's own setting, which a step that lends memory puts back (Queryable.lendMemory).
  if (values['memory-limit'] !== undefined) process.env.THROUGHLINE_DUCKDB_MEMORY = values['memory-limit'];
  const store = await openStore(values.db);
  const t1 = performance.now();
  const statements: StatementTiming[] = [];
  let mergeStarted = 0;
  const summary = await importFiles(timed(store, statements), [values.file], {
    ...(values.rejects !== undefined ? { rejectsPath: values.rejects } : {}),
    onProgress: (p) => {
      if (p.phase === 'merging' && !merging) {
        sample();
        merging = true;
        mergeStarted = performance.now();
      }
    },
  });
  const t2 = performance.now();
  sample();
  await store.close();
  const t3 = performance.now();
  clearInterval(poll);
  sample();

  const result: ChildResult = {
    openSeconds: (t1 - t0) / 1000,
    importSeconds: (t2 - t1) / 1000,
    readSeconds: ((mergeStarted || t2) - t1) / 1000,
    mergeSeconds: mergeStarted ? (t2 - mergeStarted) / 1000 : 0,
    mergeSqlSeconds: statements.reduce((s, x) => s + x.seconds, 0),
    closeSeconds: (t3 - t2) / 1000,
    statements,
    // maxRSS is in kilobytes.
    maxRssMB: (process.resourceUsage().maxRSS * 1024) / MB,
    polledPeakRssMB: peak / MB,
    readPeakRssMB: readPeak / MB,
    mergePeakRssMB: mergePeak / MB,
    heapPeakMB: heapPeak / MB,
    summary: {
      imported: summary.imported,
      skipped_duplicates: summary.skipped_duplicates,
      rejected: summary.rejected,
      rejects_file: summary.rejects_file,
      customers: summary.customers,
      journeys: summary.journeys,
    },
  };
  process.stdout.write(RESULT_PREFIX + JSON.stringify(result) + '\n');
}

await main();
