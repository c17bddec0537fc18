/**
 * Journeys benchmark (issues 3 and 21): what a process-mining user does, as they do it: three
 * commands of the installed CLI (`node bin/throughline.js`, the compiled build) on a generated
 * 1M-event process log in three columns: import with --map, the journey map (DFG with start and
 * end activities) and the variants. pm4py 2.7.14, the tool such a user would otherwise run, is
 * measured in the same run on the same file (../shared/peers/pm4py-run.py on Debian's Python),
 * and skipped, saying so, where it is absent. Also: the CLI's start-up (`--version`), and a
 * repeated `map` on the stored real log bpic2012.xes.gz against pm4py's DFG on that log already in
 * memory.
 *
 *   npm run bench:journeys                       1,000,000 events
 *   npx tsx bench/journeys.ts --events 200000 --no-record
 *
 * Every phase is its own process, timed from spawn to exit (wall clock), with its peak RSS from
 * GNU time.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeProcessLog } from './process-log-data.ts';
import { recordBenchmark } from './record.ts';
import { command, fmt, int, machine, table } from './report.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const WORK = path.join(ROOT, '.bench');
const BIN = path.join(ROOT, 'bin', 'throughline.js');
const SHARED = path.resolve(ROOT, '..', 'shared');
const PM4PY = path.join(SHARED, 'peers', 'pm4py-run.py');
const BPIC2012 = path.join(SHARED, 'data', 'logs', 'bpic2012.xes.gz');

const { values } = parseArgs({
  options: { events: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '9' }, 'no-record': { type: 'boolean', default: false } },
});
const events = Number(values.events);
const runs = Number(values.runs);

interface Timed {
  seconds: number;
  rssMb: number;
  stdout: string;
}

/** One process, timed from spawn to exit, with its peak RSS (GNU time's %M). */
function timed(cmd: string, args: readonly string[]): Timed {
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = (performance.now() - t) / 1000;
  if (r.status !== 0 && r.status !== 3) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const rssKb = Number(/(\d+)\s*$/.exec(r.stderr)?.[1] ?? 0);
  return { seconds, rssMb: rssKb / 1024, stdout: r.stdout };
}

const cli = (...args: string[]): Timed => timed(process.execPath, [BIN, ...args]);
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Why pm4py cannot run here, or null when it can. */
function pm4pySkip(): string | null {
  if (!fs.existsSync(PM4PY)) return `${PM4PY} is absent`;
  const r = spawnSync('/usr/bin/python3', ['-c', 'import pandas, lxml, networkx, scipy'], { encoding: 'utf8' });
  if (r.status !== 0) return "Debian's python3 lacks pm4py's packages (see ../shared/peers/README.md)";
  return null;
}

interface Pm4pyResult {
  start_s: number;
  read_s: number;
  analyse_s: number;
  analyse_again_s: number;
  total_s: number;
  edges: number;
  variants: number;
}

function pm4py(...args: string[]): Timed & { result: Pm4pyResult } {
  const run = timed('/usr/bin/python3', [PM4PY, ...args]);
  return { ...run, result: JSON.parse(run.stdout.trim().split('\n').pop()!) as Pm4pyResult };
}

// The CLI as users run it: compiled and current.
const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-cli.mjs')], { stdio: 'inherit' });
if (build.status !== 0) throw new Error('the CLI build failed');

const file = path.join(WORK, `process-${events}.csv`);
writeProcessLog(file, events);
const db = path.join(WORK, `journeys-${events}.duckdb`);
for (const f of [db, `${db}.wal`]) fs.rmSync(f, { force: true });

const startup = Array.from({ length: runs }, () => cli('--version').seconds);
const imported = cli('--db', db, '--json', 'import', '--map', 'journey_id=case_id,ts=timestamp', '--set', 'channel=other', file);
const map = cli('--db', db, '--json', 'map', '--by', 'activity');
const variants = cli('--db', db, '--json', 'variants', '--by', 'activity');
const edges = (JSON.parse(map.stdout) as { edges: unknown[] }).edges.length;
const variantCount = (JSON.parse(variants.stdout) as { distinct_variants: number }).distinct_variants;
const ours = imported.seconds + map.seconds + variants.seconds;

const skip = pm4pySkip();
const peer = skip === null ? pm4py('csv', file, 'case_id', 'activity', 'timestamp') : null;

const rows: string[][] = [
  ['start-up (`--version`, median of ' + runs + ')', fmt(median(startup), 3), peer ? fmt(peer.result.start_s, 2) + ' (import pm4py)' : '', ''],
  ['import (--map)', fmt(imported.seconds, 2), peer ? fmt(peer.result.read_s, 2) + ' (read)' : '', int(imported.rssMb)],
  ['map (DFG + start/end)', fmt(map.seconds, 3), '', int(map.rssMb)],
  ['variants', fmt(variants.seconds, 3), '', int(variants.rssMb)],
  ['map + variants', fmt(map.seconds + variants.seconds, 3), peer ? fmt(peer.result.analyse_s, 2) : '', ''],
  ['all three commands', fmt(ours, 2), peer ? fmt(peer.seconds, 2) + ' (whole run)' : '', ''],
];

let bpic: string[] = [];
if (fs.existsSync(BPIC2012)) {
  const bdb = path.join(WORK, 'bpic2012.duckdb');
  for (const f of [bdb, `${bdb}.wal`]) fs.rmSync(f, { force: true });
  cli('--db', bdb, '--json', 'import', BPIC2012);
  const maps = Array.from({ length: 3 }, () => cli('--db', bdb, '--json', 'map', '--by', 'activity').seconds);
  const bpeer = skip === null ? pm4py('xes', BPIC2012) : null;
  rows.push(['bpic2012: `map` on the stored log (median of 3)', fmt(median(maps), 3), bpeer ? fmt(bpeer.result.analyse_again_s, 3) + ' (DFG + variants, in memory)' : '', '']);
  bpic = [`- bpic2012 repeated map faster than pm4py's analysis of the log in memory: ${bpeer ? (median(maps) < bpeer.result.analyse_again_s ? 'PASS' : 'FAIL') : 'not compared'}`];
} else {
  bpic = [`- bpic2012: ${BPIC2012} is absent, not measured`];
}

const out = table(['phase', 'Throughline s', 'pm4py 2.7.14 s (same run)', 'peak RSS MB'], rows);
const verdict = [
  `- events ${int(events)}, DFG edges ${edges}${peer ? ` (pm4py ${peer.result.edges})` : ''}, variants ${int(variantCount)}${peer ? ` (pm4py ${int(peer.result.variants)})` : ''}`,
  peer
    ? `- three CLI commands in less time than pm4py from \`import pm4py\` to DFG and variants: ${ours < peer.seconds ? 'PASS' : 'FAIL'} (${fmt(ours, 2)} s against ${fmt(peer.seconds, 2)} s)`
    : `- pm4py not run: ${skip}`,
  `- CLI start-up ≤ 0.3 s: ${median(startup) <= 0.3 ? 'PASS' : 'FAIL'} (${fmt(median(startup), 3)} s)`,
  ...bpic,
].join('\n');
console.log(`${out}\n${verdict}`);

if (!values['no-record']) {
  recordBenchmark(
    '## Journeys (`npm run bench:journeys`)',
    `How this was measured: \`bench/journeys.ts\` writes a deterministic process log of N events in
three columns (case id, one of 10 activities, ISO timestamp; about 10 events per case), then runs
what a process-mining user would: three commands of the compiled CLI (\`node bin/throughline.js\`),
\`import --map journey_id=case_id,ts=timestamp --set channel=other\` into a fresh DuckDB file,
\`map --by activity\` and \`variants --by activity\`, each a process of its own timed from spawn to
exit with its peak RSS from GNU time. pm4py 2.7.14 runs in the same run on the same file
(\`../shared/peers/pm4py-run.py\`: start = \`import pm4py\`, read = CSV with parsed timestamps,
analyse = DFG with start/end activities and variants; its whole process is timed the same way).
Start-up is the median of ${runs} \`--version\` runs. Entries before 2026-12-06 timed the import
and analyses inside one process and compared with fixed pm4py figures.`,
    '<!-- bench:journeys results, newest first -->',
    `### ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · ${int(events)} events\n\n- Machine: ${machine()}\n- Command: \`${command('bench:journeys', 'bench/journeys.ts')}\`\n\n${out}\n\n${verdict}\n`,
  );
}
