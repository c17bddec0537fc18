/**
 * Journeys benchmark (issue 3, item 6): a generated 1M-event process log with 100k journeys in
 * three columns (journey id, activity, ISO timestamp; 10 activities), imported with --map, then
 * the journey map (DFG, start/end) and the variants. Reference on this machine class: pm4py 2.7
 * takes ~4.0 s to read such a log and ~3.8 s for DFG + start/end + variants (7.8 s in all).
 *
 *   npm run bench:journeys                       1,000,000 events
 *   npx tsx bench/journeys.ts --events 200000 --no-record
 *
 * Each phase runs in this process; peak RSS is the process's own maximum.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { importFiles } from '../src/ingest/import.ts';
import { journeyMap } from '../src/journey/map.ts';
import { journeyVariants } from '../src/journey/variants.ts';
import { openStore } from '../src/store/open.ts';
import { writeProcessLog } from './process-log-data.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const WORK = path.join(ROOT, '.bench');
const PM4PY = { read: 4.0, analyse: 3.8, total: 7.8 };

const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, 'no-record': { type: 'boolean', default: false } } });
const events = Number(values.events);

const file = path.join(WORK, `process-${events}.csv`);
writeProcessLog(file, events);
const db = path.join(WORK, `journeys-${events}.duckdb`);
for (const f of [db, `${db}.wal`]) fs.rmSync(f, { force: true });

const store = await openStore(db);
let t = performance.now();
const summary = await importFiles(store, [file], {
  map: new Map([
    ['journey_id', 'case_id'],
    ['activity', 'activity'],
    ['ts', 'timestamp'],
  ]),
  constants: new Map([['channel', 'other']]),
  createCases: false,
});
const importS = (performance.now() - t) / 1000;
t = performance.now();
const map = await journeyMap(store, { by: 'activity' });
const mapS = (performance.now() - t) / 1000;
t = performance.now();
const variants = await journeyVariants(store, { by: 'activity' });
const variantsS = (performance.now() - t) / 1000;
await store.close();
const rssMb = Math.round(process.resourceUsage().maxRSS / 1024);

const analyse = mapS + variantsS;
const total = importS + analyse;
const rows: [string, string, string][] = [
  ['import (--map)', importS.toFixed(2), PM4PY.read.toFixed(1)],
  ['map: DFG + start/end', mapS.toFixed(3), ''],
  ['variants', variantsS.toFixed(3), ''],
  ['map + variants', analyse.toFixed(3), PM4PY.analyse.toFixed(1)],
  ['end to end', total.toFixed(2), PM4PY.total.toFixed(1)],
];
const table = [
  '| phase | Throughline s | pm4py 2.7 s (reference) |',
  '|---|--:|--:|',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
const verdict = [
  `- events ${summary.imported.interactions.toLocaleString('en-US')}, journeys ${summary.journeys.toLocaleString('en-US')}, DFG edges ${map.edges.length}, variants ${variants.variants.length.toLocaleString('en-US')}, peak RSS ${rssMb} MB`,
  `- map + variants under 0.5 s: ${analyse < 0.5 ? 'PASS' : 'FAIL'} (${analyse.toFixed(3)} s)`,
  `- end to end at least 5× faster than pm4py's 7.8 s (≤ 1.56 s): ${total <= PM4PY.total / 5 ? 'PASS' : 'FAIL'} (${total.toFixed(2)} s, ${(PM4PY.total / total).toFixed(1)}× pm4py)`,
].join('\n');
console.log(table + '\n' + verdict);

if (!values['no-record']) {
  const bench = path.join(ROOT, 'BENCHMARKS.md');
  const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? 'unknown CPU';
  const header = '## Journeys (`npm run bench:journeys`)';
  const how = `How this was measured: \`bench/journeys.ts\` writes a deterministic process log of N events in
three columns (case id, one of 10 activities, ISO timestamp; about 10 events per case, mostly forward
with loops and skips), imports it into a fresh DuckDB file with \`--map journey_id=case_id,ts=timestamp\`
and \`--set channel=other\`, then computes the journey map by activity (DFG with start and end counts)
and the variants, each timed in the same process with \`performance.now()\`; peak RSS is
\`process.resourceUsage().maxRSS\`. The pm4py figures are the reference the issue gives for this machine class.`;
  const entry = `### ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · ${events.toLocaleString('en-US')} events\n\n- Machine: ${os.cpus().length} cores (${cpu}), load average ${os.loadavg()[0]!.toFixed(1)} at the end, Node ${process.version}\n- Command: \`npx tsx bench/journeys.ts --events ${events}\`\n\n${table}\n\n${verdict}\n`;
  let text = fs.existsSync(bench) ? fs.readFileSync(bench, 'utf8') : '# Benchmarks\n';
  if (!text.includes(header)) text = text.trimEnd() + `\n\n${header}\n\n${how}\n\n<!-- bench:journeys results, newest first -->\n`;
  text = text.replace('<!-- bench:journeys results, newest first -->\n', `<!-- bench:journeys results, newest first -->\n\n${entry}`);
  fs.writeFileSync(bench, text);
}
