import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { importFiles } from '../ingest/import.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { parseJourneyFilter } from './filters.ts';
import { journeyMap } from './map.ts';
import { at, createTestDir, createTestEvent, writeCsv } from './testing.ts';
import type { Cells } from './testing.ts';

/** Cases by activity letter, one minute per step unless `gaps` says otherwise. */
function trace(id: string, day: number, steps: readonly (readonly [string, string, string?])[], gaps: readonly number[] = []): Cells[] {
  let minute = 0;
  return steps.map(([channel, activity, outcome], k) => {
    if (k > 0) minute += gaps[k - 1] ?? 1;
    return createTestEvent({ customer_id: `cust-${id}`, journey_id: id, ts: at(day, minute), channel, activity, outcome: outcome ?? 'success' });
  });
}

let store: Store;
let remove: () => Promise<void>;

before(async () => {
  const t = await createTestDir();
  remove = t.remove;
  const file = await writeCsv(t.dir, 'log.csv', [
    ...trace('J1', 0, [['web', 'a'], ['web', 'b'], ['web', 'c'], ['web', 'd']], [2, 4, 6]),
    ...trace('J2', 1, [['web', 'a'], ['web', 'c'], ['web', 'b'], ['web', 'd']], [10, 10, 10]),
    ...trace('J3', 2, [['web', 'a'], ['web', 'b'], ['web', 'b'], ['web', 'd', 'failure']], [4, 1, 1]),
    ...trace('J4', 3, [['web', 'a'], ['call', 'a'], ['call', 'd']], [30, 5]),
  ]);
  store = await openStore(path.join(t.dir, 'map.duckdb'));
  await importFiles(store, [file]);
});

after(async () => {
  await store.close();
  await remove();
});

test('the activity map counts every directly-follows pair, start and end of the hand-made log', async () => {
  const map = await journeyMap(store, { by: 'activity' });
  assert.equal(map.journeys, 4);
  assert.deepEqual(map.nodes, [
    { id: 'a', count: 5 },
    { id: 'b', count: 4 },
    { id: 'd', count: 4 },
    { id: 'c', count: 2 },
  ]);
  assert.deepEqual(
    map.edges.map((e) => [e.from, e.to, e.count]),
    [
      ['a', 'b', 2],
      ['b', 'd', 2],
      ['a', 'a', 1],
      ['a', 'c', 1],
      ['a', 'd', 1],
      ['b', 'b', 1],
      ['b', 'c', 1],
      ['c', 'b', 1],
      ['c', 'd', 1],
    ],
  );
  assert.deepEqual(map.start, { a: 4 });
  assert.deepEqual(map.end, { d: 4 });
});

test('an edge’s median time is the median gap in seconds between the two steps', async () => {
  const map = await journeyMap(store, { by: 'activity' });
  const ab = map.edges.find((e) => e.from === 'a' && e.to === 'b')!;
  assert.equal(ab.median_seconds, 180, 'gaps of 2 and 4 minutes');
  const aa = map.edges.find((e) => e.from === 'a' && e.to === 'a')!;
  assert.equal(aa.median_seconds, 1800);
});

test('the step map names nodes channel:activity and the channel map shows channel hand-offs', async () => {
  const steps = await journeyMap(store);
  assert.equal(steps.by, 'step');
  assert.ok(steps.edges.some((e) => e.from === 'web:a' && e.to === 'call:a' && e.count === 1));
  assert.deepEqual(steps.end, { 'web:d': 3, 'call:d': 1 });
  const channels = await journeyMap(store, { by: 'channel' });
  assert.deepEqual(
    channels.edges.map((e) => [e.from, e.to, e.count]),
    [
      ['web', 'web', 9],
      ['call', 'call', 1],
      ['web', 'call', 1],
    ],
  );
  assert.deepEqual(channels.nodes, [
    { id: 'web', count: 13 },
    { id: 'call', count: 2 },
  ]);
});

test('filters select whole journeys: by channel touched, outcome and start date', async () => {
  const viaCall = await journeyMap(store, { by: 'activity', ...parseJourneyFilter({ channel: 'call' }) });
  assert.equal(viaCall.journeys, 1);
  assert.deepEqual(viaCall.start, { a: 1 }, 'the web step before the call stays in the map');
  const unresolved = await journeyMap(store, { by: 'activity', ...parseJourneyFilter({ outcome: 'unresolved' }) });
  assert.equal(unresolved.journeys, 1);
  assert.ok(unresolved.edges.some((e) => e.from === 'b' && e.to === 'b'));
  const days = await journeyMap(store, { by: 'activity', ...parseJourneyFilter({ from: '2026-06-02', to: '2026-06-03' }) });
  assert.equal(days.journeys, 2, 'J2 and J3 started on June 2 and 3; --to includes its whole day');
  const intent = await journeyMap(store, { by: 'activity', ...parseJourneyFilter({ intent: 'nothing' }) });
  assert.deepEqual(intent, { by: 'activity', journeys: 0, nodes: [], edges: [], start: {}, end: {} });
});

test('a filter value that is not a date or an outcome is a usage error', () => {
  assert.throws(() => parseJourneyFilter({ from: 'last week' }), /is not an ISO date/);
  assert.throws(() => parseJourneyFilter({ outcome: 'won' }), /not a journey outcome/);
  assert.throws(() => parseJourneyFilter({ from: '2026-06-05', to: '2026-06-01' }), /not before/);
});
