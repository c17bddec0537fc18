/**
 * Where the read phase of an import goes: the same file read with each step of the import loop
 * added in turn (bytes, CSV parse, validation, staging appends), so the cost of each step is the
 * difference between two rows. A diagnostic beside bench/import.ts, for when the ratio is missed.
 *
 *   npx tsx bench/import-read-phases.ts [--rows 1000000] [--seed 42]
 */
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

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '42' } } });
  const data = await generateInteractions({ rows: Number(values.rows), seed: Number(values.seed), dir: WORK });
  const steps: [string, () => Promise<number>][] = [
    ['read + decode bytes', () => bytesOnly(data.path)],
    ['+ CSV parse to field objects', () => parseOnly(data.path)],
    ['+ validate', () => parseValidate(data.path, false)],
    ['+ tuple key', () => parseValidate(data.path, true)],
    ['+ staging append (DuckDB appender) + flush', () => parseValidateStage(data.path, path.join(WORK, 'read-phases.duckdb'))],
  ];
  const rows: string[][] = [];
  let prev = 0;
  for (const [name, run] of steps) {
    const t0 = performance.now();
    await run();
    const s = (performance.now() - t0) / 1000;
    rows.push([name, s.toFixed(2), prev === 0 ? '' : `+${(s - prev).toFixed(2)}`, `${((s / data.rows) * 1e6).toFixed(2)}`]);
    prev = s;
  }
  const headers = ['step (cumulative)', 'seconds', 'step adds', 'µs/row'];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (c: readonly string[]): string => `| ${c.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join(' | ')} |`;
  console.log(`${data.rows.toLocaleString('en-US')} rows, ${(data.bytes / 2 ** 20).toFixed(1)} MB\n`);
  console.log([line(headers), `|${widths.map((w, i) => '-'.repeat(w + 1) + (i === 0 ? '-' : ':')).join('|')}|`, ...rows.map(line)].join('\n'));
}

await main();
