/**
 * Comment analysis benchmark (issue 19): a store of 10,000 survey comments, then
 * `feedback comments` and `feedback topics` as a user runs them (the CLI, a new process each
 * time): the first run analyses every comment (and trains the sentiment model from the scored
 * comments), later runs read the stored analysis. Target: each answers within 2 s.
 *
 *   npx tsx bench/feedback.ts                      10,000 comments
 *   npx tsx bench/feedback.ts --comments 2000 --no-record
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { listComments, topicSummary } from '../src/feedback/comments.ts';
import { openStore } from '../src/store/open.ts';
import { recordBenchmark } from './record.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const WORK = path.join(ROOT, '.bench');
const { values } = parseArgs({ options: { comments: { type: 'string', default: '10000' }, 'no-record': { type: 'boolean', default: false } } });
const n = Number(values.comments);

// Comments assembled from parts, so that the words vary as real ones do; a fixed seed.
let seed = 42;
const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const BAD = ['Still waiting for the credit the agent promised.', 'Had to call three times about the same bill.', 'The app errored out when I paid.', 'On hold for an hour, then cut off.', 'The engineer never showed up.', 'I was charged twice and nobody has fixed it.'];
const MID = ['It was okay.', 'Fine, nothing special.', 'The wait was a bit long but it got sorted.', 'Average service.'];
const GOOD = ['Maria was so patient and helpful.', 'Quick and easy, thank you!', 'Great service, sorted in one call.', 'The store staff were friendly and knowledgeable.'];
const TAIL = ['', ' Please fix the website.', ' Thanks.', ' The price keeps going up.', ' It took ages.', ' Would recommend.'];

fs.mkdirSync(WORK, { recursive: true });
const csv = path.join(WORK, `feedback-comments-${n}.csv`);
const lines = ['response_id,ts,survey_id,metric,scope,score,customer_id,comment'];
for (let i = 0; i < n; i++) {
  const score = Math.floor(rand() * 11);
  const body = score <= 6 ? pick(BAD) : score <= 8 ? pick(MID) : pick(GOOD);
  const ts = new Date(Date.UTC(2026, 0, 1) + Math.floor(rand() * 300) * 86_400_000).toISOString();
  lines.push(`r${i},${ts},rel_nps,nps,relationship,${score},C${i % 4000},"${(body + pick(TAIL)).replace(/"/g, '""')}"`);
}
fs.writeFileSync(csv, lines.join('\n') + '\n');
const db = path.join(WORK, `feedback-${n}.duckdb`);
for (const f of [db, `${db}.wal`]) fs.rmSync(f, { force: true });
function cli(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'throughline.js'), '--db', db, '--json', ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`throughline ${args.join(' ')} failed: ${r.stderr}`);
  return (performance.now() - t) / 1000;
}

// The store is filled and read by CLI processes: DuckDB keeps a file locked to one process.
cli(['import', csv, '--no-cases']);
// A new process starts and opens the store each time, as a user's command does.
const rows: [string, number][] = [
  ['CLI: feedback comments, first run (analyses every comment, trains the model)', cli(['feedback', 'comments', '--limit', '50'])],
  ['CLI: feedback topics', cli(['feedback', 'topics'])],
  ['CLI: feedback comments --sentiment negative', cli(['feedback', 'comments', '--sentiment', 'negative'])],
  ['CLI: feedback comments --topic billing', cli(['feedback', 'comments', '--topic', 'billing'])],
];
const startup = cli(['surveys', 'list']);

// The same calls in one process: what the command spends answering, without Node's start-up.
const store = await openStore(db);
const median = async (f: () => Promise<unknown>): Promise<number> => {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await f();
    times.push((performance.now() - t) / 1000);
  }
  return times.sort((x, y) => x - y)[1]!;
};
rows.push(['in process: listComments (limit 50)', await median(() => listComments(store, { limit: 50 }))]);
rows.push(['in process: topicSummary', await median(() => topicSummary(store))]);
rows.push(['in process: listComments, negative', await median(() => listComments(store, { sentiment: 'negative' }))]);
await store.close();

const width = Math.max(...rows.map((r) => r[0].length));
const table = [`| ${'command'.padEnd(width)} | seconds |`, `|${'-'.repeat(width + 2)}|--------:|`, ...rows.map(([name, s]) => `| ${name.padEnd(width)} | ${s.toFixed(2).padStart(7)} |`)].join('\n');
const verdict = rows.map(([name, s]) => `- ${name}: ${s.toFixed(2)} s (target ≤ 2 s): ${s <= 2 ? 'PASS' : 'FAIL'}`).join('\n');
const cpus = os.cpus();
const entry = `### ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · ${n.toLocaleString('en-US')} comments

- Machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}; load average ${os.loadavg()[0]!.toFixed(2)} at start
- Command: \`npx tsx bench/feedback.ts --comments ${n}\`; CLI rows are new processes (a command that reads no comments, surveys list: ${startup.toFixed(2)} s); in-process rows are the median of 3 calls

${table}

${verdict}`;
console.log(entry);
if (!values['no-record']) {
  recordBenchmark(
    '## Comments (`npx tsx bench/feedback.ts`)',
    'A DuckDB store of 10,000 survey comments (scored NPS answers, generated with a fixed seed); `feedback comments` and `feedback topics` run as new CLI processes. The first run analyses every comment and trains the sentiment model from the scored comments; later runs read the stored analysis. Target (issue 19): each answers within 2 s.',
    '<!-- feedback entries below -->',
    entry,
  );
}
