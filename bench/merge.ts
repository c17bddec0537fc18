/**
 * Small-merge benchmark: what one small import (a daily file, a collector batch) costs on a
 * store that already holds a large history. Stitching used to resolve the whole identity graph
 * on every merge, so this is the number that caps the collector (docs/identity.md).
 *
 *   npx tsx bench/merge.ts                          .bench/import.duckdb (from bench:import --keep-db)
 *   npx tsx bench/merge.ts --db X.duckdb --events 100 --merges 10
 *   npx tsx bench/merge.ts --events 20000 --merges 2 --log   and each file merge's phases and slowest statements
 *
 * The store is COPIED to a temporary file first: the source is never written. Each merge brings
 * `--events` events sampled from the benchmark CSV with fresh event ids: a third as they were
 * (their identifier tuples exist), a third with a new cookie beside their identifiers (a new
 * tuple joining a known customer), a third as brand-new anonymous visitors. Half the merges go
 * through `importFiles` (a small file), half through `importRecords` (a collector batch).
 * The first merge is reported apart: on a store from before component ids it does the one-time
 * full resolve that assigns them. Prints a table; never a timed test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import type { Logger } from '../src/core/logger.ts';
import { importFiles, importRecords } from '../src/ingest/import.ts';
import { openStore } from '../src/store/open.ts';
import { createTestRandom } from '../src/journey/testing.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

interface Options {
  db: string;
  csv: string;
  events: number;
  merges: number;
  seed: number;
  /** Print what importFiles logs (its phases and slowest statements) after each file merge. */
  log: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      db: { type: 'string', default: path.join(ROOT, '.bench', 'import.duckdb') },
      csv: { type: 'string', default: path.join(ROOT, '.bench', 'interactions-1000000-s42-g2.csv') },
      events: { type: 'string', default: '100' },
      merges: { type: 'string', default: '10' },
      seed: { type: 'string', default: '7' },
      log: { type: 'boolean', default: false },
    },
  });
  return { db: values.db, csv: values.csv, events: Number(values.events), merges: Number(values.merges), seed: Number(values.seed), log: values.log };
}

/** The first `limit` rows of the benchmark CSV (its generator writes no quoted cells). */
async function readRows(csv: string, limit: number): Promise<{ header: string[]; rows: string[][] }> {
  const lines = readline.createInterface({ input: fs.createReadStream(csv), crlfDelay: Infinity });
  let header: string[] | null = null;
  const rows: string[][] = [];
  for await (const line of lines) {
    if (header === null) header = line.split(',');
    else rows.push(line.split(','));
    if (rows.length >= limit) break;
  }
  lines.close();
  if (header === null) throw new Error(`${csv} is empty`);
  return { header, rows };
}

function fmt(n: number, digits = 3): string {
  return n.toFixed(digits);
}

async function main(): Promise<void> {
  const o = parseOptions();
  if (!fs.existsSync(o.db)) throw new Error(`no store at ${o.db}: run npx tsx bench/import.ts --keep-db first`);
  const copy = path.join(os.tmpdir(), `throughline-merge-bench-${process.pid}.duckdb`);
  fs.copyFileSync(o.db, copy);
  if (fs.existsSync(`${o.db}.wal`)) fs.copyFileSync(`${o.db}.wal`, `${copy}.wal`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'throughline-merge-bench-'));
  const random = createTestRandom(o.seed); // seeded: two runs sample the same events
  const { header, rows } = await readRows(o.csv, 300_000);
  const col = (name: string): number => header.indexOf(name);
  const [ev, ts, cookie] = [col('event_id'), col('ts'), col('cookie_id')];
  const identifierCols = ['customer_id', 'account_id', 'phone', 'email', 'device_id', 'cookie_id'].map(col);

  let serial = 0;
  const batch = (): string[][] =>
    Array.from({ length: o.events }, (_, i) => {
      const r = [...rows[Math.floor(random() * rows.length)]!];
      serial++;
      r[ev] = `bench-merge-${process.pid}-${serial}`;
      r[ts] = '2026-05-01T12:00:00Z';
      if (i % 3 === 1) r[cookie] = `ck_new_${process.pid}_${serial}`;
      if (i % 3 === 2) {
        for (const c of identifierCols) r[c] = '';
        r[cookie] = `ck_anon_${process.pid}_${serial}`;
      }
      return r;
    });

  const lines: string[] = [];
  const logger: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m) };
  const store = await openStore(copy);
  const results: { n: number; via: string; seconds: number; stitch: number }[] = [];
  try {
    const [{ n: tuples } = { n: 0 }] = await store.query('SELECT count(*) AS n FROM id_tuples');
    const [{ n: events } = { n: 0 }] = await store.query('SELECT count(*) AS n FROM interactions');
    console.log(`store: ${Number(events).toLocaleString('en-US')} events, ${Number(tuples).toLocaleString('en-US')} identity tuples (copy at ${copy})`);
    for (let m = 0; m <= o.merges; m++) {
      const rowsOf = batch();
      lines.length = 0;
      const viaFile = m % 2 === 0;
      const t0 = performance.now();
      if (viaFile) {
        const file = path.join(work, `batch-${m}.csv`);
        fs.writeFileSync(file, [header.join(','), ...rowsOf.map((r) => r.join(','))].join('\n') + '\n');
        await importFiles(store, [file], { logger, rejectsPath: path.join(work, 'rejects.jsonl') });
      } else {
        await importRecords(
          store,
          rowsOf.map((r, i) => ({ source: 'bench', line: i + 1, kind: 'interactions' as const, fields: Object.fromEntries(header.map((h, j) => [h, r[j]])) })),
          { logger },
        );
      }
      const seconds = (performance.now() - t0) / 1000;
      // importFiles logs its phases; the identity ones are what this benchmark is about.
      const stitch = lines
        .map((l) => /^\s+(identity .*|stitch.*|store key changes): ([\d.]+) s$/.exec(l))
        .reduce((s, x) => s + (x ? Number(x[2]) : 0), 0);
      results.push({ n: m, via: viaFile ? 'file' : 'collector', seconds, stitch });
      if (o.log && viaFile) console.log(`merge ${m}:\n${lines.join('\n')}`);
    }
  } finally {
    await store.close();
    fs.rmSync(work, { recursive: true, force: true });
    for (const f of [copy, `${copy}.wal`]) fs.rmSync(f, { force: true });
  }

  console.log(`\n${o.events} events per merge; merge 0 is the first on this store (a store from before component ids resolves fully once there)\n`);
  console.log('| merge | via       | total s | identity phases s (files only) |');
  console.log('|------:|-----------|--------:|-------------------------------:|');
  for (const r of results) console.log(`| ${String(r.n).padStart(5)} | ${r.via.padEnd(9)} | ${fmt(r.seconds).padStart(7)} | ${(r.via === 'file' ? fmt(r.stitch) : '').padStart(30)} |`);
  const later = results.slice(1);
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const files = later.filter((r) => r.via === 'file');
  const collector = later.filter((r) => r.via === 'collector');
  console.log(
    `\nmedian of merges 1..${o.merges}: file ${fmt(median(files.map((r) => r.seconds)))} s (identity ${fmt(median(files.map((r) => r.stitch)))} s), ` +
      `collector ${fmt(median(collector.map((r) => r.seconds)))} s`,
  );
}

await main();
