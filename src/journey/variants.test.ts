import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { importFiles } from '../ingest/import.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { at, createTestDir, createTestEvent, writeCsv } from './testing.ts';
import type { Cells } from './testing.ts';
import { journeyVariants } from './variants.ts';
import type { Variants } from './variants.ts';

/** One case; every step at the same instant unless `spread`, so only input order can order them. */
function sameTime(id: string, steps: readonly (readonly [string, string])[], spread = false): Cells[] {
  return steps.map(([channel, activity], k) =>
    createTestEvent({ customer_id: `cust-${id}`, journey_id: id, ts: at(0, spread ? k : 0), channel, activity }),
  );
}

/** The sequences and counts of variants, without their durations. */
const paths = (v: Variants): { sequence: string[]; count: number }[] => v.variants.map(({ sequence, count }) => ({ sequence, count }));

let store: Store;
let remove: () => Promise<void>;

before(async () => {
  const t = await createTestDir();
  remove = t.remove;
  const file = await writeCsv(t.dir, 'log.csv', [
    // Written in the order "b, a": equal timestamps keep it.
    ...sameTime('K1', [['web', 'b'], ['web', 'a']]),
    ...sameTime('K2', [['web', 'b'], ['web', 'a']]),
    ...sameTime('K3', [['web', 'a'], ['web', 'b']]),
    ...sameTime('K4', [['app', 'a'], ['app', 'b']], true),
    ...sameTime('K5', [['web', 'c']]),
    ...sameTime('K6', [['web', 'a'], ['web', 'b'], ['web', 'c']], true),
  ]);
  store = await openStore(path.join(t.dir, 'variants.duckdb'));
  await importFiles(store, [file]);
});

after(async () => {
  await store.close();
  await remove();
});

test('steps with equal timestamps keep their input order in a variant', async () => {
  const v = await journeyVariants(store, { by: 'activity' });
  assert.deepEqual(paths(v)[0], { sequence: ['a', 'b'], count: 2 }, 'K3 and K4');
  assert.ok(v.variants.some((x) => x.sequence.join() === 'b,a' && x.count === 2), 'K1 and K2 as written');
});

test('variants are sorted by count, ties by their sequence, and say how many there are in all', async () => {
  const v = await journeyVariants(store, { by: 'activity' });
  assert.equal(v.journeys, 6);
  assert.equal(v.distinct_variants, 4);
  assert.deepEqual(paths(v), [
    { sequence: ['a', 'b'], count: 2 },
    { sequence: ['b', 'a'], count: 2 },
    { sequence: ['a', 'b', 'c'], count: 1 },
    { sequence: ['c'], count: 1 },
  ]);
});

test('the step view tells channels apart and --top keeps the most frequent', async () => {
  const v = await journeyVariants(store, { top: 2 });
  assert.equal(v.by, 'step');
  assert.equal(v.distinct_variants, 5, 'app:a → app:b is not web:a → web:b');
  assert.deepEqual(paths(v), [
    { sequence: ['web:b', 'web:a'], count: 2 },
    { sequence: ['app:a', 'app:b'], count: 1 },
  ]);
});

test('the channel view groups journeys by their sequence of channels', async () => {
  const v = await journeyVariants(store, { by: 'channel' });
  assert.deepEqual(paths(v), [
    { sequence: ['web', 'web'], count: 3 },
    { sequence: ['app', 'app'], count: 1 },
    { sequence: ['web'], count: 1 },
    { sequence: ['web', 'web', 'web'], count: 1 },
  ]);
});

test('each variant says how long its journeys took, first step to last, and the document over all', async () => {
  const v = await journeyVariants(store, { by: 'activity' });
  const ab = v.variants.find((x) => x.sequence.join() === 'a,b')!;
  // K3 at one instant (0 s), K4 a minute apart (60 s).
  assert.deepEqual([ab.mean_seconds, ab.median_seconds, ab.p90_seconds], [30, 30, 60], 'p90 is a value of the data');
  const abc = v.variants.find((x) => x.sequence.join() === 'a,b,c')!;
  assert.deepEqual([abc.mean_seconds, abc.median_seconds], [120, 120]);
  // Six journeys: 0, 0, 0, 60, 0 and 120 s.
  assert.deepEqual([v.case_duration.mean_seconds, v.case_duration.median_seconds], [30, 0]);
});

test('variants of journeys that match no filter are empty', async () => {
  assert.deepEqual(await journeyVariants(store, { intent: 'nothing' }), {
    by: 'step',
    journeys: 0,
    distinct_variants: 0,
    case_duration: { mean_seconds: null, median_seconds: null, p90_seconds: null },
    variants: [],
  });
});
