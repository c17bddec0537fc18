/**
 * The shared store beside the embedded one (issue 8, item 5): the import and journeys benchmarks
 * run against a fresh PostgreSQL database and a fresh DuckDB file in the same run, on the same
 * files, in this process, one store after the other.
 *
 *   npm run bench:postgres                         200,000 rows (a few minutes on 2 cores)
 *   npm run bench:postgres -- --rows 1000000
 *   npx tsx bench/postgres.ts --rows 50000 --no-record
 *
 * PostgreSQL is the server at THROUGHLINE_TEST_PG (default postgres://postgres@127.0.0.1:5432/test);
 * a database is created for the run and dropped after it. Phases per store:
 *   1. import the interactions CSV of bench/interactions-data.ts (bench:import's file), split into
 *      reading + staging (COPY on PostgreSQL, the appender on DuckDB) and the merge;
 *   2. collector batches of 100, 1,000 and 5,000 new events merged into the loaded store, each as
 *      one group commit of `throughline serve` (after one untimed batch that warms the caches a
 *      running server has warm): what a merge costs bounds the collector's rate;
 *   3. the journey analyses on the loaded store: summary, map, variants, broken steps;
 *   4. bench:journeys' process log (same size) imported with --map, then map + variants by activity.
 * Prints a table and records it in BENCHMARKS.md (newest first) unless --no-record.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { version as duckdbVersion } from '@duckdb/node-api';
import { importFiles, importRecords } from '../src/ingest/import.ts';
import type { RawRecord } from '../src/ingest/import.ts';
import { brokenSteps, journeyMap, journeysDocument, journeyVariants } from '../src/journey/index.ts';
import { openStore } from '../src/store/open.ts';
import { createTestDatabase, dropTestDatabase, PG_ADMIN_URL } from '../src/store/postgres/postgres-testing.ts';
import type { Store } from '../src/store/store.ts';
import { generateInteractions } from './interactions-data.ts';
import { writeProcessLog } from './process-log-data.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const WORK = path.join(ROOT, '.bench');
const BENCHMARKS = path.join(ROOT, 'BENCHMARKS.md');
const BATCHES = [100, 1000, 5000] as const;

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    seed: { type: 'string', default: '42' },
    'no-record': { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows.replace(/_/g, ''));
const seed = Number(values.seed);
if (!Number.isSafeInteger(rows) || rows < 1000) throw new Error('--rows must be an integer of at least 1000');

/** A collector batch: tracks of customers already in the store, at times after everything loaded. */
function collectorBatch(run: number, size: number): RawRecord[] {
  return Array.from({ length: size }, (_, i) => ({
    source: 'bench',
    line: i + 1,
    kind: 'interactions' as const,
    fields: {
      event_id: `bench-${run}-${i}`,
      ts: new Date(Date.UTC(2026, 3, 10) + run * 3_600_000 + i * 1000).toISOString(),
      channel: 'web',
      activity: i % 5 === 0 ? 'pay_bill/submit_payment' : 'check_usage/view_usage',
      outcome: i % 5 === 0 ? 'failure' : 'success',
      customer_id: `C${1_000_000 + ((i * 7919) % Math.max(1, Math.floor(rows / 10)))}`,
    },
  }));
}

interface Timings {
  store: string;
  importRead: number;
  importMerge: number;
  importTotal: number;
  /** Seconds per merge, by batch size (BATCHES). */
  collector: number[];
  summary: number;
  map: number;
  variants: number;
  broken: number;
  logImport: number;
  logMapVariants: number;
  events: number;
  journeys: number;
  variantsCount: number;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, (performance.now() - t0) / 1000];
}

async function measure(name: string, open: () => Promise<Store>, csv: string, log: string): Promise<Timings> {
  let store = await open();
  try {
    let merging = 0;
    const t0 = performance.now();
    const [summary, importTotal] = await timed(() =>
      importFiles(store, [csv], {
        rejectsPath: path.join(WORK, `pg-bench-rejects-${name}.jsonl`),
        onProgress: (p) => {
          if (p.phase === 'merging' && merging === 0) merging = performance.now();
        },
      }),
    );
    const importRead = (merging - t0) / 1000;
    process.stderr.write(`${name}: imported ${summary.imported.interactions} events in ${importTotal.toFixed(1)} s\n`);
    await importRecords(store, collectorBatch(0, 1000));
    const collector: number[] = [];
    for (const [k, size] of BATCHES.entries()) collector.push((await timed(() => importRecords(store, collectorBatch(k + 1, size))))[1]);
    const [doc, summaryS] = await timed(() => journeysDocument(store));
    const [, mapS] = await timed(() => journeyMap(store, { by: 'step' }));
    const [, variantsS] = await timed(() => journeyVariants(store, { by: 'step', top: 50 }));
    const [, brokenS] = await timed(() => brokenSteps(store, { top: 10 }));
    await store.close();

    // bench:journeys on a store of its own: the process log alone, as bench/journeys.ts runs it.
    store = await open();
    const [logSummary, logImport] = await timed(() =>
      importFiles(store, [log], {
        map: new Map([
          ['journey_id', 'case_id'],
          ['activity', 'activity'],
          ['ts', 'timestamp'],
        ]),
        constants: new Map([['channel', 'other']]),
        createCases: false,
      }),
    );
    const [[, variants], logMapVariants] = await timed(() => Promise.all([journeyMap(store, { by: 'activity' }), journeyVariants(store, { by: 'activity' })]));
    process.stderr.write(`${name}: process log of ${logSummary.imported.interactions} events in ${logImport.toFixed(1)} s\n`);
    return {
      store: name,
      importRead,
      importMerge: importTotal - importRead,
      importTotal,
      collector,
      summary: summaryS,
      map: mapS,
      variants: variantsS,
      broken: brokenS,
      logImport,
      logMapVariants,
      events: summary.imported.interactions,
      journeys: doc.journeys,
      variantsCount: variants.distinct_variants,
    };
  } finally {
    await store.close();
  }
}

function table(headers: readonly string[], body: readonly (readonly string[])[]): string {
  return [`| ${headers.join(' | ')} |`, `|${headers.map((_, i) => (i === 0 ? '---' : '--:')).join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

// Before generating anything: without a server there is nothing to compare.
const reachable = await createTestDatabase('tl_bench');
if (reachable === null) {
  console.error(`no PostgreSQL at ${PG_ADMIN_URL}: start one, or point THROUGHLINE_TEST_PG at one`);
  process.exit(1);
}
await dropTestDatabase(reachable);

fs.mkdirSync(WORK, { recursive: true });
const generated = await generateInteractions({ rows, seed, dir: WORK });
const log = path.join(WORK, `process-${rows}.csv`);
writeProcessLog(log, rows);

const pgUrls: string[] = [];
const freshPg = async (): Promise<Store> => {
  const url = await createTestDatabase('tl_bench');
  if (url === null) throw new Error(`no PostgreSQL at ${PG_ADMIN_URL}: start one, or set THROUGHLINE_TEST_PG`);
  pgUrls.push(url);
  return openStore(url);
};
let duckFiles = 0;
const freshDuck = (): Promise<Store> => {
  const file = path.join(WORK, `pg-bench-${rows}-${duckFiles++}.duckdb`);
  for (const f of [file, `${file}.wal`]) fs.rmSync(f, { force: true });
  return openStore(file);
};

let results: Timings[];
let pgVersion = '';
let pgSettings = '';
try {
  const probe = await freshPg();
  const [v] = await probe.query(`SELECT current_setting('server_version') AS v, current_setting('shared_buffers') AS sb, current_setting('work_mem') AS wm,
    current_setting('synchronous_commit') AS sc, current_setting('max_parallel_workers_per_gather') AS pw`);
  pgVersion = String(v!.v);
  pgSettings = `shared_buffers ${String(v!.sb)}, work_mem ${String(v!.wm)}, synchronous_commit ${String(v!.sc)}, max_parallel_workers_per_gather ${String(v!.pw)}`;
  await probe.close();
  results = [await measure('DuckDB', freshDuck, generated.path, log), await measure('PostgreSQL', freshPg, generated.path, log)];
} finally {
  for (const url of pgUrls) await dropTestDatabase(url).catch(() => undefined);
  for (let i = 0; i < duckFiles; i++) for (const f of [`pg-bench-${rows}-${i}.duckdb`, `pg-bench-${rows}-${i}.duckdb.wal`]) fs.rmSync(path.join(WORK, f), { force: true });
}

const [duck, pg] = results as [Timings, Timings];
if (duck.events !== pg.events || duck.journeys !== pg.journeys || duck.variantsCount !== pg.variantsCount) {
  throw new Error(`the stores disagree: ${JSON.stringify({ duck, pg })}`);
}
const s = (x: number, d = 2): string => x.toFixed(d);
const ratio = (a: number, b: number): string => `${(b / a).toFixed(1)}×`;
const phases: [string, (t: Timings) => number, number][] = [
  ['import: read + stage', (t) => t.importRead, 2],
  ['import: merge (dedupe, stitch, journeys, cases)', (t) => t.importMerge, 2],
  ['import: total', (t) => t.importTotal, 2],
  ...BATCHES.map((size, k): [string, (t: Timings) => number, number] => [
    `collector: merge of a ${size.toLocaleString('en-US')}-event batch into the loaded store`,
    (t) => t.collector[k]!,
    3,
  ]),
  ['journeys summary', (t) => t.summary, 3],
  ['journey map (by step)', (t) => t.map, 3],
  ['variants (top 50)', (t) => t.variants, 3],
  ['broken steps', (t) => t.broken, 3],
  ['process log: import --map', (t) => t.logImport, 2],
  ['process log: map + variants by activity', (t) => t.logMapVariants, 3],
];
const out = table(
  ['phase', 'DuckDB s', 'PostgreSQL s', 'PostgreSQL / DuckDB'],
  phases.map(([label, get, d]) => [label, s(get(duck), d), s(get(pg), d), ratio(get(duck), get(pg))]),
);
const facts = [
  `- ${duck.events.toLocaleString('en-US')} events imported (${generated.duplicates} re-sent duplicates skipped), ${duck.journeys.toLocaleString('en-US')} journeys; process log: ${duck.variantsCount.toLocaleString('en-US')} variants — the same on both stores`,
  `- import rate: DuckDB ${Math.round(duck.events / duck.importTotal).toLocaleString('en-US')} events/s, PostgreSQL ${Math.round(pg.events / pg.importTotal).toLocaleString('en-US')} events/s`,
  `- collector: merges of one writer at a time, so at this store size the collectors together take about ${BATCHES.map((b, k) => `${Math.round(b / pg.collector[k]!).toLocaleString('en-US')}`).join(' / ')} events/s on PostgreSQL with batches of ${BATCHES.map((b) => b.toLocaleString('en-US')).join(' / ')} (DuckDB ${BATCHES.map((b, k) => `${Math.round(b / duck.collector[k]!).toLocaleString('en-US')}`).join(' / ')})`,
].join('\n');
console.log(out + '\n' + facts);

if (!values['no-record']) {
  const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? 'unknown CPU';
  const header = '## PostgreSQL beside DuckDB (`npm run bench:postgres`)';
  const marker = '<!-- bench:postgres results, newest first -->';
  const how = `How this was measured: \`bench/postgres.ts\` runs, in one process and one store after the other, the
same phases against a fresh DuckDB file and a fresh PostgreSQL database on the local server (created
for the run, dropped after it): the import of bench:import's generated interactions CSV (its
reading and staging — COPY on PostgreSQL — timed apart from the merge), the merges of collector
batches of 100, 1,000 and 5,000 events into the loaded store (each one group commit of
\`throughline serve\`, after an untimed warm-up batch), the journey analyses on the loaded store, and bench:journeys' process log
of the same size imported with \`--map\` then mapped (DFG) and listed by variant. Wall-clock times
with \`performance.now()\`; PostgreSQL runs on the same machine, so its server shares the cores.
The run fails if the two stores disagree on events, journeys or variants.`;
  const entry = `### ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · ${rows.toLocaleString('en-US')} rows

- Machine: ${os.cpus().length} cores (${cpu}), load average ${os.loadavg()[0]!.toFixed(1)} at the end, Node ${process.version}
- DuckDB ${duckdbVersion()}; PostgreSQL ${pgVersion} (${pgSettings})
- Command: \`npx tsx bench/postgres.ts --rows ${rows}\`

${out}

${facts}
`;
  let text = fs.existsSync(BENCHMARKS) ? fs.readFileSync(BENCHMARKS, 'utf8') : '# Benchmarks\n';
  if (!text.includes(header)) text = text.trimEnd() + `\n\n${header}\n\n${how}\n\n${marker}\n`;
  text = text.replace(`${marker}\n`, `${marker}\n\n${entry}`);
  fs.writeFileSync(BENCHMARKS, text.trimEnd() + '\n');
  console.log(`\nrecorded in ${path.relative(ROOT, BENCHMARKS)}`);
}
