/**
 * Incremental stitching through the real importer on real stores: random identity worlds
 * (./test-fixture.ts) imported batch by batch, through files and through the collector's path,
 * must give every record, tuple and journey what a full resolve of the whole graph gives it.
 * The reference store resolves in full at every merge, as every merge did before stitching
 * became incremental: its components are forgotten before each batch, which is what a store
 * from before migration 7 looks like. Runs on DuckDB, and on PostgreSQL where one answers.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { tempDir, writeCsv } from '../../test/support/fixtures.ts';
import type { Fields } from '../../test/support/fixtures.ts';
import { IDENTIFIER_TYPES } from '../core/records.ts';
import type { Identifiers } from '../core/records.ts';
import { importFiles, importRecords } from '../ingest/import.ts';
import { openStore } from '../store/open.ts';
import { createTestDatabase, dropTestDatabase, NO_POSTGRES } from '../store/postgres/postgres-testing.ts';
import type { Store } from '../store/store.ts';
import { mintKey, stitch } from './stitch.ts';
import { createPrng, createRandomIdentityRecords } from './test-fixture.ts';

const COLUMNS = ['event_id', 'ts', 'channel', 'activity', 'outcome', ...IDENTIFIER_TYPES];
const PLACEHOLDERS = new Set(['0000000000', 'none@none.com', 'unknown', 'null']);

/**
 * Several random worlds in one stream of records: each world's values are its own (so worlds
 * are separate components, and a merge must leave the other worlds alone), their records
 * interleaved at random. Placeholders are shared by every world, as blocked caller ids are.
 */
function createInterleavedRecords(seed: number, worlds: number): Fields[] {
  const random = createPrng(seed);
  const queues = Array.from({ length: worlds }, (_, w) =>
    createRandomIdentityRecords(seed * 100 + w).map((ids) =>
      Object.fromEntries(
        Object.entries(ids).map(([type, v]) => [type, PLACEHOLDERS.has(v) ? v : type === 'phone' ? v.replace('+1555', `+1${w + 2}55`) : type === 'email' ? `w${w}.${v}` : `w${w}-${v}`]),
      ),
    ),
  );
  const out: Fields[] = [];
  for (;;) {
    const open = queues.filter((q) => q.length > 0);
    if (open.length === 0) return out;
    const ids = open[Math.floor(random() * open.length)]!.shift()!;
    const n = out.length;
    out.push({
      event_id: `s${seed}-e${n}`,
      ts: new Date(Date.UTC(2026, 5, 1) + n * 60_000).toISOString(),
      channel: 'web',
      activity: 'pay_bill/view_bill',
      outcome: 'success',
      ...ids,
    });
  }
}

async function state(store: Store): Promise<{ records: unknown[]; tuples: unknown[]; journeys: unknown[] }> {
  return {
    records: await store.query(`SELECT event_id, customer_key, journey_id FROM interactions ORDER BY event_id`),
    tuples: await store.query(`SELECT tuple_id, tuple_key, customer_key, component_id FROM id_tuples ORDER BY tuple_id`),
    journeys: await store.query(`SELECT journey_id, customer_key, steps, first_seq FROM journeys ORDER BY journey_id`),
  };
}

/** Imports `records` in random batches into both stores, comparing them after every merge. */
async function importBothWays(incremental: Store, reference: Store, records: readonly Fields[], seed: number, dir: string): Promise<void> {
  const random = createPrng(seed * 7919);
  const cuts = records.map((_, i) => i).filter((i) => i > 0 && random() < 0.05);
  let from = 0;
  let batch = 0;
  for (const to of [...cuts, records.length]) {
    const rows = records.slice(from, to);
    from = to;
    batch++;
    await reference.exec(`UPDATE id_tuples SET component_id = NULL`);
    for (const store of [incremental, reference]) {
      const log: string[] = [];
      if (batch % 2 === 0) {
        const file = writeCsv(dir, `s${seed}-b${batch}.csv`, rows, COLUMNS);
        await importFiles(store, [file], { logger: { info: (m) => log.push(m), warn: (m) => log.push(m) }, rejectsPath: path.join(dir, 'rejects.jsonl') });
        const stitched = log.find((l) => l.includes('identity tuples'));
        // Both paths must have run, or the comparison proves nothing.
        if (store === reference) assert.match(stitched ?? '', /all\)/, `seed ${seed}, batch ${batch}: the reference resolves in full`);
        else assert.match(stitched ?? '', /touched\)/, `seed ${seed}, batch ${batch}: the store stitches incrementally`);
      } else {
        await importRecords(
          store,
          rows.map((fields, i) => ({ source: 'test', line: i + 1, kind: 'interactions', fields })),
        );
      }
    }
    assert.deepEqual(await state(incremental), await state(reference), `seed ${seed}, batch ${batch} (records ${to - rows.length}..${to - 1})`);
  }
}

/** One more full resolve of everything the store holds changes no key. */
async function assertResolvedInFull(store: Store): Promise<void> {
  const rows = await store.query(`SELECT tuple_id, first_seq, customer_key, component_id, ${IDENTIFIER_TYPES.join(', ')} FROM id_tuples`);
  const tuples = rows.map((r) => ({
    tuple_id: Number(r.tuple_id),
    first_seq: Number(r.first_seq),
    customer_key: r.customer_key as string | null,
    component_id: Number(r.component_id),
    ids: r as unknown as Identifiers,
  }));
  const full = await stitch(tuples);
  for (const t of tuples) {
    assert.equal(full.keys.get(t.tuple_id), t.customer_key, `tuple ${t.tuple_id}`);
    assert.equal(full.components.get(t.tuple_id), t.component_id, `tuple ${t.tuple_id}`);
  }
}

async function runWorlds(open: (name: string) => Promise<Store>, seeds: readonly number[], dir: string): Promise<void> {
  const incremental = await open('incremental');
  const reference = await open('reference');
  try {
    // Each seed's worlds arrive in stores that already hold the previous seed's.
    for (const seed of seeds) await importBothWays(incremental, reference, createInterleavedRecords(seed, 6), seed, dir);
    await assertResolvedInFull(incremental);
  } finally {
    await incremental.close();
    await reference.close();
  }
}

test('importing batch by batch with incremental stitching gives every record the key a full resolve gives it (DuckDB)', async () => {
  const dir = tempDir();
  await runWorlds((name) => openStore(path.join(dir, `${name}.duckdb`)), [1], dir);
});

test('a store stitched under other rules is resolved in full once, then incrementally again', async () => {
  const dir = tempDir();
  const store = await openStore(path.join(dir, 'db.duckdb'));
  try {
    const row = (n: number, ids: Fields): Fields => ({ event_id: `e${n}`, ts: '2026-06-01T09:00:00Z', channel: 'web', activity: 'a/b', outcome: 'success', ...ids });
    const stitchedBy = async (rows: Fields[], n: number): Promise<string> => {
      const log: string[] = [];
      await importFiles(store, [writeCsv(dir, `b${n}.csv`, rows, COLUMNS)], { logger: { info: (m) => log.push(m), warn: () => undefined } });
      return log.find((l) => l.includes('identity tuples')) ?? '';
    };
    assert.match(await stitchedBy([row(1, { customer_id: 'C1', cookie_id: 'k1' })], 1), /all\)/, 'a new store has no rules recorded yet');
    assert.match(await stitchedBy([row(2, { cookie_id: 'k1', email: 'a@x.com' })], 2), /\(2 touched\)/);
    await store.exec(`UPDATE settings SET value = '0' WHERE key = 'stitch_rules'`);
    assert.match(await stitchedBy([row(3, { customer_id: 'C2' })], 3), /\(3, all\)/);
    assert.match(await stitchedBy([row(4, { customer_id: 'C3' })], 4), /\(1 touched\)/);
  } finally {
    await store.close();
  }
});

test('a new customer whose minted key another customer already holds gets the next key, as in a full resolve', async () => {
  // Found by hashing 40 million cookie ids: the first 48 bits of their SHA-1 are equal.
  const [older, newer] = ['ck2601077', 'ck6044082'];
  assert.equal(mintKey(`cookie_id:${older}`), mintKey(`cookie_id:${newer}`));
  const dir = tempDir();
  const store = await openStore(path.join(dir, 'db.duckdb'));
  try {
    const row = (n: number, cookie: string): Fields => ({ event_id: `e${n}`, ts: '2026-06-01T09:00:00Z', channel: 'web', activity: 'a/b', outcome: 'success', cookie_id: cookie });
    await importFiles(store, [writeCsv(dir, 'b1.csv', [row(1, older), row(2, 'ck1')], COLUMNS)]);
    await importFiles(store, [writeCsv(dir, 'b2.csv', [row(3, 'ck2'), row(4, newer)], COLUMNS)]);
    const keys = await store.query(`SELECT event_id, customer_key FROM interactions ORDER BY event_id`);
    assert.deepEqual(
      keys.map((r) => r.customer_key),
      [mintKey(`cookie_id:${older}`), mintKey('cookie_id:ck1'), mintKey('cookie_id:ck2'), mintKey(`cookie_id:${newer}#2`)],
    );
    await assertResolvedInFull(store);
  } finally {
    await store.close();
  }
});

test('two new customers whose minted keys collide in one full resolve get the key and the next key', async () => {
  const [older, newer] = ['ck2601077', 'ck6044082'];
  const dir = tempDir();
  const store = await openStore(path.join(dir, 'db.duckdb'));
  try {
    const row = (n: number, cookie: string): Fields => ({ event_id: `e${n}`, ts: '2026-06-01T09:00:00Z', channel: 'web', activity: 'a/b', outcome: 'success', cookie_id: cookie });
    const log: string[] = [];
    await importFiles(store, [writeCsv(dir, 'b1.csv', [row(1, older), row(2, 'ck1'), row(3, newer)], COLUMNS)], { logger: { info: (m) => log.push(m), warn: () => undefined } });
    assert.match(log.find((l) => l.includes('identity tuples')) ?? '', /all\)/, 'a first import resolves in full');
    const keys = await store.query(`SELECT customer_key FROM interactions ORDER BY event_id`);
    assert.deepEqual(
      keys.map((r) => r.customer_key),
      [mintKey(`cookie_id:${older}`), mintKey('cookie_id:ck1'), mintKey(`cookie_id:${newer}#2`)],
    );
    await assertResolvedInFull(store);
  } finally {
    await store.close();
  }
});

const urls = { incremental: await createTestDatabase('tl_restitch_inc'), reference: await createTestDatabase('tl_restitch_ref') };
if (urls.incremental === null || urls.reference === null) {
  test('incremental stitching on PostgreSQL', (t) => t.skip(`${NO_POSTGRES}: the PostgreSQL half is skipped`));
} else {
  const { incremental, reference } = urls;
  test('importing batch by batch with incremental stitching gives every record the key a full resolve gives it (PostgreSQL)', async () => {
    await runWorlds((name) => openStore(name === 'incremental' ? incremental : reference), [2], tempDir());
  });
  after(async () => {
    await dropTestDatabase(incremental);
    await dropTestDatabase(reference);
  });
}
