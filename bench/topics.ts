/**
 * Comments benchmark (issue 19, item 3): a store of N survey comments (default 10,000; the public
 * clothing reviews repeated, a third of them anonymous), then `feedback topics` (both views) and
 * `feedback comments`, cold (the first discovery) and warm. The target is an answer within 2 s
 * warm. Reading the texts with the NLP model happens at import (`throughline import`) and is
 * timed apart.
 *
 *   npx tsx bench/topics.ts [--comments 10000] [--shared ../shared]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { analyseComments, listComments, topicSummary } from '../src/feedback/comments.ts';
import { importFiles } from '../src/ingest/import.ts';
import { openSource } from '../src/ingest/parsers/open.ts';
import { openStore } from '../src/store/open.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const WORK = path.join(ROOT, '.bench');
const { values } = parseArgs({ options: { comments: { type: 'string', default: '10000' }, shared: { type: 'string', default: path.join(ROOT, '..', 'shared') } } });
const n = Number(values.comments);
const reviews = path.join(values.shared, 'data', 'feedback', 'clothing_reviews_1000.csv');
if (!fs.existsSync(reviews)) {
  console.error(`${reviews} is absent: pass --shared DIR`);
  process.exit(2);
}

fs.mkdirSync(WORK, { recursive: true });
const texts: [string, number][] = [];
for await (const item of (await openSource(reviews)).items()) {
  if (!item.ok) continue;
  const t = String(item.row.fields['Review Text'] ?? '').trim();
  if (t !== '') texts.push([t, Number(item.row.fields.Rating)]);
}
const file = path.join(WORK, `comments-${n}.jsonl`);
fs.writeFileSync(
  file,
  Array.from({ length: n }, (_, i) => {
    const [comment, score] = texts[i % texts.length]!;
    return JSON.stringify({ response_id: `r${i}`, ts: '2026-01-01T00:00:00Z', survey_id: 'reviews', metric: 'csat', scope: 'transaction', score, comment, ...(i % 3 === 0 ? {} : { customer_id: `C${i % 2000}` }) });
  }).join('\n') + '\n',
);
const db = path.join(WORK, `comments-${n}.duckdb`);
fs.rmSync(db, { force: true });
fs.rmSync(`${db}.wal`, { force: true });
const store = await openStore(db);
const rows: [string, number][] = [];
const time = async (what: string, run: () => Promise<unknown>): Promise<void> => {
  const t0 = performance.now();
  await run();
  rows.push([what, (performance.now() - t0) / 1000]);
};
await time('import', () => importFiles(store, [file], { createCases: false }));
await time('read texts (at import)', () => analyseComments(store, null));
for (const pass of ['cold', 'warm']) {
  await time(`feedback topics (${pass})`, () => topicSummary(store));
  await time(`feedback topics --view all (${pass})`, () => topicSummary(store, { view: 'all' }));
  await time(`feedback comments (${pass})`, () => listComments(store));
}
await store.close();
console.log(`${n.toLocaleString('en-US')} comments`);
console.log('step                                    seconds');
for (const [what, s] of rows) console.log(`${what.padEnd(40)}${s.toFixed(2).padStart(7)}`);
