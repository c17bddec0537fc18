/**
 * Import benchmark (issue 2, item 7): Throughline's full import of N interactions against
 * DuckDB's own bare `read_csv` of the same file into a file-backed table, in the same run.
 *
 *   npm run bench:import                 1,000,000 rows
 *   npm run bench:import -- --10m        10,000,000 rows
 *   npx tsx bench/import.ts --rows 200000 --runs 2 --no-record
 *
 * Prints a table and records it in BENCHMARKS.md (newest first) unless --no-record.
 * Targets: import ≤ 3× the bare load; peak RSS < 2 GB at 10M rows.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateInteractions } from './interactions-data.ts';
import type { Generated } from './interactions-data.ts';
import { RESULT_PREFIX } from './import-result.ts';
import type { ChildResult } from './import-result.ts';
import { recordBenchmark } from './record.ts';
import { command, fmt, int, machine, table } from './report.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const WORK = path.join(ROOT, '.bench');
const BENCHMARKS = path.join(ROOT, 'BENCHMARKS.md');
const MB = 1024 * 1024;
const RATIO_TARGET = 3;
const RSS_TARGET_MB = 2048;
const RSS_TARGET_ROWS = 10_000_000;

interface Run {
  readonly bareSeconds: number;
  readonly child: ChildResult;
}

function parseOptions(): { rows: number; seed: number; runs: number; record: boolean; keepDb: boolean } {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string' },
      '10m': { type: 'boolean', default: false },
      seed: { type: 'string', default: '42' },
      runs: { type: 'string', default: '1' },
      'no-record': { type: 'boolean', default: false },
      'keep-db': { type: 'boolean', default: false },
    },
  });
  const rows = values['10m'] ? 10_000_000 : Number((values.rows ?? '1000000').replace(/_/g, ''));
  const seed = Number(values.seed);
  const runs = Number(values.runs);
  for (const [name, v] of [['--rows', rows], ['--seed', seed], ['--runs', runs]] as const) {
    if (!Number.isSafeInteger(v) || v < (name === '--seed' ? 0 : 1)) throw new Error(`${name} must be a positive integer`);
  }
  return { rows, seed, runs, record: !values['no-record'], keepDb: values['keep-db'] };
}

function removeDb(file: string): void {
  for (const f of [file, `${file}.wal`]) fs.rmSync(f, { force: true });
}

/** DuckDB alone, as a user would load the file: auto-detected read_csv into a table in a new file. */
async function bareLoad(csv: string, db: string, rows: number): Promise<number> {
  removeDb(db);
  const instance = await DuckDBInstance.create(db);
  const conn = await instance.connect();
  try {
    const t0 = performance.now();
    await conn.run(`CREATE TABLE t AS SELECT * FROM read_csv('${csv.replace(/'/g, "''")}')`);
    const seconds = (performance.now() - t0) / 1000;
    const reader = await conn.runAndReadAll('SELECT count(*) AS n FROM t');
    const n = Number(reader.getRows()[0]![0]);
    if (n !== rows) throw new Error(`DuckDB's read_csv loaded ${n} rows, expected ${rows}`);
    return seconds;
  } finally {
    conn.closeSync();
    instance.closeSync();
    removeDb(db);
  }
}

/** Throughline's import in a child process, so that the peak RSS measured is the import's own. */
function throughlineImport(csv: string, db: string, rejects: string): Promise<ChildResult> {
  removeDb(db);
  fs.rmSync(rejects, { force: true });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('bench', 'import-child.ts'), '--file', csv, '--db', db, '--rejects', rejects], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || line === undefined) {
        reject(new Error(`the import child exited with ${code}${out ? `:\n${out}` : ''}`));
        return;
      }
      resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as ChildResult);
    });
  });
}

// --- Reporting.

function peakRss(c: ChildResult): number {
  return Math.max(c.maxRssMB, c.polledPeakRssMB);
}

function resultsTable(data: Generated, runs: readonly Run[]): string {
  const rows = runs.map((r, i) => {
    const ratio = r.child.importSeconds / r.bareSeconds;
    const rss = peakRss(r.child);
    return [
      String(i + 1),
      int(data.rows),
      fmt(data.bytes / MB),
      fmt(r.bareSeconds, 2),
      fmt(r.child.importSeconds, 2),
      int(data.rows / r.child.importSeconds),
      `${fmt(ratio, 2)}×`,
      int(rss),
      ratio <= RATIO_TARGET ? 'PASS' : 'FAIL',
      rss < RSS_TARGET_MB ? 'PASS' : 'FAIL',
    ];
  });
  return table(
    ['run', 'rows', 'file MB', 'bare read_csv s', 'Throughline import s', 'events/s', 'import/bare', 'peak RSS MB', `ratio ≤ ${RATIO_TARGET}×`, `RSS < ${RSS_TARGET_MB} MB${data.rows < RSS_TARGET_ROWS ? ' (10M target)' : ''}`],
    rows,
    [true, true, true, true, true, true, true, true, false, false],
  );
}

/** Read phase, merge statements (grouped, slowest first), the JavaScript between them. */
function phasesTable(runs: readonly Run[]): string {
  const groups = new Map<string, number[]>();
  const add = (name: string, i: number, s: number): void => {
    let g = groups.get(name);
    if (g === undefined) groups.set(name, (g = runs.map(() => 0)));
    g[i]! += s;
  };
  runs.forEach((r, i) => {
    const c = r.child;
    add('open store (migrations)', i, c.openSeconds);
    add('read: parse + validate + stage (to `merging`)', i, c.readSeconds);
    add('merge: total (one transaction)', i, c.mergeSeconds);
    for (const s of c.statements) add(`  sql: ${s.sql.replace(/\|/g, '\\|')}`, i, s.seconds);
    add('  js between statements (stitching)', i, Math.max(0, c.mergeSeconds - c.mergeSqlSeconds));
    add('close store (checkpoint)', i, c.closeSeconds);
  });
  const fixed = ['open store (migrations)', 'read: parse + validate + stage (to `merging`)', 'merge: total (one transaction)'];
  const merge = [...groups.keys()].filter((k) => k.startsWith('  ')).sort((a, b) => sum(groups.get(b)!) - sum(groups.get(a)!));
  const shown = merge.filter((k, n) => n < 12 || sum(groups.get(k)!) >= 0.05 * runs.length);
  const rest = merge.filter((k) => !shown.includes(k));
  const rows = [...fixed, ...shown, 'close store (checkpoint)'].map((k) => [k, ...groups.get(k)!.map((s) => fmt(s, 2))]);
  if (rest.length > 0) rows.splice(fixed.length + shown.length, 0, [`  (${rest.length} other statements)`, ...runs.map((_, i) => fmt(rest.reduce((s, k) => s + groups.get(k)![i]!, 0), 2))]);
  return table(['phase', ...runs.map((_, i) => `run ${i + 1} s`)], rows, [false, ...runs.map(() => true)]);
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function checks(data: Generated, runs: readonly Run[]): string[] {
  const lines: string[] = [];
  runs.forEach((r, i) => {
    const s = r.child.summary;
    const imported = s.imported.interactions;
    const expected = data.rows - data.duplicates;
    const ok = imported === expected && s.skipped_duplicates === data.duplicates && s.rejected === 0;
    lines.push(
      `run ${i + 1}: ${ok ? 'counts ok' : 'COUNTS WRONG'} — imported ${int(imported)} of ${int(expected)} unique events, ` +
        `skipped ${int(s.skipped_duplicates)} duplicates (${int(data.duplicates)} planted), rejected ${int(s.rejected)}` +
        `${s.rejects_file ? ` (${s.rejects_file})` : ''}; ${int(s.customers)} customers stitched from ${int(data.customers)} generated people; ` +
        `${int(s.journeys)} journeys (${int(data.journeys)} planned); RSS peak reading ${int(r.child.readPeakRssMB)} MB, merging ${int(r.child.mergePeakRssMB)} MB ` +
        `(JS heap + external at most ${int(r.child.heapPeakMB)} MB; the rest is DuckDB and the runtime)`,
    );
  });
  return lines;
}

const SECTION = '## Import (`npm run bench:import`)';
const MARKER = '<!-- bench:import results, newest first; bench/import.ts inserts below this line -->';
const HOW = `How this was measured: \`bench/import.ts\` writes a deterministic CSV of N interactions in the
contract's columns (\`.bench/\`, reused when it exists with the same parameters): about ten events per
customer in a few journeys over 90 days, with sparse identifiers (most cells empty on any row),
customer and account numbers seen together only on some rows, household phones, blocked caller ids,
placeholder emails, anonymous cookies, mixed-case emails, local-time offsets and about 0.2% re-sent
duplicate rows. The file name ends in the generator's version (\`-g2\`); results on different
versions are not strictly comparable. In the same run it times (a) DuckDB's own
load of that file into a file-backed table in a fresh database file, \`CREATE TABLE t AS SELECT * FROM
read_csv('<file>')\` with auto-detection, and (b) \`importFiles\` (parse, validate, stage, dedupe,
identity stitching, insert and journeys, one transaction) into a fresh DuckDB file, in a child process
(\`bench/import-child.ts\`) so that its peak RSS is its own: the larger of
\`process.resourceUsage().maxRSS\` at the end and \`process.memoryUsage().rss\` polled every 100 ms.
Opening the store (migrations) and closing it are timed separately and not counted in the import.
The phase table splits the import at the \`merging\` progress report and times each SQL statement
of the merge; what is left of the merge is JavaScript (stitching). Targets (issue 2): import ≤ 3×
the bare load; peak RSS < 2 GB for 10M rows. The machine is shared, so runs vary.`;

function record(entry: string): void {
  recordBenchmark(SECTION, HOW, MARKER, entry);
}

async function main(): Promise<void> {
  const o = parseOptions();
  fs.mkdirSync(WORK, { recursive: true });
  console.log(machine());
  console.log(`generating ${int(o.rows)} interactions (seed ${o.seed}) in ${path.relative(ROOT, WORK)}/ ...`);
  const data = await generateInteractions({ rows: o.rows, seed: o.seed, dir: WORK });
  console.log(
    `${data.reused ? 'reused' : `wrote in ${fmt(data.seconds)} s`} ${path.relative(ROOT, data.path)}: ${fmt(data.bytes / MB)} MB, ` +
      `${int(data.customers)} customers, ${int(data.journeys)} journeys, ${int(data.duplicates)} duplicate rows`,
  );

  const runs: Run[] = [];
  for (let i = 0; i < o.runs; i++) {
    const tag = o.runs > 1 ? ` (run ${i + 1}/${o.runs})` : '';
    console.log(`DuckDB bare read_csv${tag} ...`);
    const bareSeconds = await bareLoad(data.path, path.join(WORK, 'bare.duckdb'), data.rows);
    console.log(`  ${fmt(bareSeconds, 2)} s`);
    console.log(`Throughline import${tag} ...`);
    const db = path.join(WORK, 'import.duckdb');
    const rejects = path.join(WORK, 'import.rejects.jsonl');
    const child = await throughlineImport(data.path, db, rejects);
    console.log(`  ${fmt(child.importSeconds, 2)} s, peak RSS ${int(peakRss(child))} MB`);
    if (!o.keepDb) removeDb(db);
    runs.push({ bareSeconds, child });
  }

  const results = resultsTable(data, runs);
  const phases = phasesTable(runs);
  const notes = checks(data, runs);
  console.log(`\n${results}\n\nphases of the Throughline import:\n\n${phases}\n\n${notes.join('\n')}`);

  if (o.record) {
    const when = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
    record(
      [
        `### ${when} · ${int(data.rows)} rows`,
        '',
        `- Machine: ${machine()}`,
        `- Command: \`${command('bench:import', 'bench/import.ts')}\``,
        `- Data: ${path.relative(ROOT, data.path)}, ${fmt(data.bytes / MB)} MB, ${int(data.customers)} customers, ${int(data.journeys)} planned journeys, ${int(data.duplicates)} duplicate rows`,
        '',
        results,
        '',
        'Phases of the Throughline import:',
        '',
        phases,
        '',
        ...notes.map((n) => `- ${n}`),
      ].join('\n'),
    );
    console.log(`\nrecorded in ${path.relative(ROOT, BENCHMARKS)}`);
  }
}

await main();
