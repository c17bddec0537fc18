/**
 * Where the read phase of an import goes: the same file read with each step of the import loop
 * added in turn (bytes, CSV parse, validation, staging appends), so the cost of each step is the
 * difference between two rows. A diagnostic beside bench/import.ts, for when the ratio is missed.
 * Each step runs in a fresh process: run one after another in one process, the later steps were
 * measured up to 3× slower (JIT feedback and heap left over from the earlier ones).
 *
 *   npx tsx bench/import-read-phases.ts [--rows 1000000] [--seed 42]
 */
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { IDENTIFIER_TYPES } from '../src/core/records.ts';
import type { Identifiers } from '../src/core/records.ts';
import { openSource } from '../src/ingest/parsers/open.ts';
import { createValidator } from '../src/ingest/validate.ts';
import { openStore } from '../src/store/open.ts';
import { generateInteractions } from './interactions-data.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const WORK = path.join(ROOT, '.bench');

/** As in src/ingest/import.ts (not exported there). */
function tupleKey(ids: Identifiers): string {
  let k = '';
  for (const t of IDENTIFIER_TYPES) k += (ids[t] ?? '') + '\u001f';
  return k;
}

async function bytesOnly(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 })) n += (chunk as Buffer).toString('latin1').length;
  return n;
}

async function parseOnly(file: string): Promise<number> {
  const source = await openSource(file);
  let n = 0;
  for await (const item of source.items()) if (item.ok) n++;
  return n;
}

async function parseValidate(file: string, withKey: boolean): Promise<number> {
  const source = await openSource(file);
  const validate = createValidator('interactions');
  let n = 0;
  for await (const item of source.items()) {
    if (!item.ok) continue;
    const r = validate(item.row.fields, item.row.line);
    if (r.kind === 'ok') {
      if (withKey) tupleKey(r.value.ids);
      n++;
    }
  }
  return n;
}

async function parseValidateStage(file: string, db: string): Promise<number> {
  for (const f of [db, `${db}.wal`]) fs.rmSync(f, { force: true });
  const store = await openStore(db);
  const staging = await store.openStaging();
  try {
    const source = await openSource(file);
    const validate = createValidator('interactions');
    let n = 0;
    let seq = 1;
    for await (const item of source.items()) {
      if (!item.ok) continue;
      const r = validate(item.row.fields, item.row.line);
      if (r.kind !== 'ok') continue;
      staging.append('interactions', { seq: seq++, tupleKey: tupleKey(r.value.ids), record: r.value });
      n++;
    }
    await staging.flush();
    return n;
  } finally {
    await staging.release();
    await store.close();
    for (const f of [db, `${db}.wal`]) fs.rmSync(f, { force: true });
  }
}

const STEPS: readonly [string, (file: string) => Promise<number>][] = [
  ['read + decode bytes', bytesOnly],
  ['+ CSV parse to field objects', parseOnly],
  ['+ validate', (f) => parseValidate(f, false)],
  ['+ tuple key', (f) => parseValidate(f, true)],
  ['+ staging append (DuckDB appender) + flush', (f) => parseValidateStage(f, path.join(WORK, 'read-phases.duckdb'))],
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rows: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '42' }, step: { type: 'string' }, file: { type: 'string' } },
  });
  if (values.step !== undefined && values.file !== undefined) {
    // One step, in this fresh process; the parent reads the seconds from stdout.
    const t0 = performance.now();
    await STEPS[Number(values.step)]![1](values.file);
    console.log(String((performance.now() - t0) / 1000));
    return;
  }
  const data = await generateInteractions({ rows: Number(values.rows), seed: Number(values.seed), dir: WORK });
  const rows: string[][] = [];
  let prev = 0;
  for (let k = 0; k < STEPS.length; k++) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', path.join('bench', 'import-read-phases.ts'), '--step', String(k), '--file', data.path], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const s = Number(out.trim().split('\n').pop());
    rows.push([STEPS[k]![0], s.toFixed(2), k === 0 ? '' : `${s - prev >= 0 ? '+' : ''}${(s - prev).toFixed(2)}`, `${((s / data.rows) * 1e6).toFixed(2)}`]);
    prev = s;
  }
  const headers = ['step (cumulative)', 'seconds', 'step adds', 'µs/row'];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (c: readonly string[]): string => `| ${c.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join(' | ')} |`;
  console.log(`${data.rows.toLocaleString('en-US')} rows, ${(data.bytes / 2 ** 20).toFixed(1)} MB, each step in a fresh process\n`);
  console.log([line(headers), `|${widths.map((w, i) => '-'.repeat(w + 1) + (i === 0 ? '-' : ':')).join('|')}|`, ...rows.map(line)].join('\n'));
}

await main();
