/**
 * Journey filters by activity, attribute, variant and duration (issue 22, item 9), on both
 * stores, through a real analysis (variants by activity) over a small log whose answers are
 * known: each case's activities, attributes and span are written out below.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AppError } from '../../src/core/errors.ts';
import { importFiles } from '../../src/ingest/import.ts';
import { parseJourneyFilter, whyNoJourneys } from '../../src/journey/filters.ts';
import type { RawJourneyFilter } from '../../src/journey/filters.ts';
import { at, createTestDir, createTestEvent, writeCsv } from '../../src/journey/testing.ts';
import type { Cells } from '../../src/journey/testing.ts';
import { journeyVariants } from '../../src/journey/variants.ts';
import { createApp } from '../../src/server/app.ts';
import { createKey } from '../../src/server/keys.ts';
import { openStore } from '../../src/store/open.ts';
import { describeOn, storeTargets } from '../support/store-targets.ts';

/** One case: its activities `minutes` apart, each event carrying `extra` as columns. */
function trace(id: string, activities: readonly string[], minutes: number, extra: Cells = {}): Cells[] {
  return activities.map((activity, k) =>
    createTestEvent({ customer_id: `cust-${id}`, journey_id: id, ts: at(0, k * minutes), channel: 'other', activity, outcome: '', priority: '', ...extra }),
  );
}

const LOG: Cells[] = [
  ...trace('K1', ['a', 'b', 'c'], 1, { priority: 'high' }), // 2 minutes
  ...trace('K2', ['a', 'c'], 30), // 30 minutes
  ...trace('K3', ['b', 'a', 'd'], 2 * 24 * 60, { priority: 'low' }), // 4 days
  ...trace('K4', ['a_%'], 1), // one step: 0 s
];

for (const target of storeTargets()) {
  describeOn(target, 'journey filters by activity, attribute, variant and duration', () => {
    let selected: (raw: RawJourneyFilter) => Promise<string[]>;
    let why: (raw: RawJourneyFilter) => Promise<string>;
    let api: (query: string) => Promise<{ status: number; body: { variants?: { sequence: string[] }[]; error?: { message: string } } }>;
    let close = async (): Promise<void> => {};
    after(() => close());

    before(async () => {
      const t = await createTestDir();
      const file = await writeCsv(t.dir, 'log.csv', LOG);
      const store = await openStore(await target.freshLocation('filters'));
      await importFiles(store, [file]);
      // The activity sequences of the selected journeys, sorted.
      selected = async (raw) => {
        const v = await journeyVariants(store, { ...parseJourneyFilter(raw), by: 'activity' });
        return v.variants.flatMap((x) => Array<string>(x.count).fill(x.sequence.join(','))).sort();
      };
      why = async (raw) => whyNoJourneys(store, parseJourneyFilter(raw), raw);
      const app = await createApp({ store });
      const key = (await createKey(store, 'analyst', 'filters test', Date.now())).key;
      api = async (query) => {
        const r = await app.inject({ method: 'GET', url: `/api/v1/variants?by=activity&${query}`, headers: { authorization: `Bearer ${key}` } });
        return { status: r.statusCode, body: r.json() };
      };
      close = async () => {
        await app.close();
        await store.close();
        await t.remove();
      };
    });

    test('contains: every activity listed; not-contains: none of them', async () => {
      assert.deepEqual(await selected({ contains: 'a' }), ['a,b,c', 'a,c', 'b,a,d']);
      assert.deepEqual(await selected({ contains: ['a', 'b'] }), ['a,b,c', 'b,a,d']);
      assert.deepEqual(await selected({ contains: 'a,d' }), ['b,a,d']);
      assert.deepEqual(await selected({ notContains: 'b' }), ['a,c', 'a_%']);
      assert.deepEqual(await selected({ notContains: 'b,c' }), ['a_%']);
      // LIKE wildcards in a name are letters, not patterns.
      assert.deepEqual(await selected({ contains: 'a_%' }), ['a_%']);
      assert.deepEqual(await selected({ contains: 'a%' }), []);
    });

    test('starts-with and ends-with: the first or last activity is one of those listed', async () => {
      assert.deepEqual(await selected({ startsWith: 'a' }), ['a,b,c', 'a,c']);
      assert.deepEqual(await selected({ startsWith: 'a,b' }), ['a,b,c', 'a,c', 'b,a,d']);
      assert.deepEqual(await selected({ endsWith: 'c' }), ['a,b,c', 'a,c']);
      assert.deepEqual(await selected({ endsWith: ['d', 'a_%'] }), ['a_%', 'b,a,d']);
      assert.deepEqual(await selected({ startsWith: 'b', endsWith: 'c' }), []);
    });

    test('variant: the exact activity sequence, not a prefix or a subset', async () => {
      assert.deepEqual(await selected({ variant: 'a,c' }), ['a,c']);
      assert.deepEqual(await selected({ variant: 'a, b, c' }), ['a,b,c']);
      assert.deepEqual(await selected({ variant: 'a' }), []);
      assert.deepEqual(await selected({ variant: 'a,b' }), []);
    });

    test('attr: an imported attribute of the journey’s events', async () => {
      assert.deepEqual(await selected({ attr: 'priority=high' }), ['a,b,c']);
      assert.deepEqual(await selected({ attr: ['priority=low'] }), ['b,a,d']);
      assert.deepEqual(await selected({ attr: 'priority=hi' }), []);
      assert.deepEqual(await selected({ attr: ['priority=high', 'priority=low'] }), []);
    });

    test('min-duration and max-duration: first step to last, bounds included', async () => {
      assert.deepEqual(await selected({ minDuration: '1d' }), ['b,a,d']);
      assert.deepEqual(await selected({ minDuration: '30m' }), ['a,c', 'b,a,d']);
      assert.deepEqual(await selected({ maxDuration: '2m' }), ['a,b,c', 'a_%']);
      assert.deepEqual(await selected({ minDuration: '90s', maxDuration: '1h' }), ['a,b,c', 'a,c']);
    });

    test('the API takes the same filters as query parameters, repeated or comma-separated', async () => {
      const seqs = async (q: string): Promise<string[]> => {
        const r = await api(q);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        return (r.body.variants ?? []).map((v) => v.sequence.join(',')).sort();
      };
      assert.deepEqual(await seqs('contains=a&contains=b'), ['a,b,c', 'b,a,d']);
      assert.deepEqual(await seqs('not-contains=b,c'), ['a_%']);
      assert.deepEqual(await seqs('starts-with=a&ends-with=c&max-duration=10m'), ['a,b,c']);
      assert.deepEqual(await seqs(`attr=${encodeURIComponent('priority=low')}&min-duration=3d`), ['b,a,d']);
      assert.deepEqual(await seqs('variant=a,c'), ['a,c']);
      const bad = await api('min-duration=soon');
      assert.equal(bad.status, 400);
      assert.match(JSON.stringify(bad.body), /not a duration/);
    });

    test('when nothing matches, the message names the filter that left nothing', async () => {
      assert.match(await why({ contains: 'zzz' }), /--contains zzz/);
      assert.match(await why({ variant: 'c,a' }), /--variant c,a/);
      assert.match(await why({ attr: 'priority=none' }), /--attr priority=none/);
      assert.match(await why({ startsWith: 'b', endsWith: 'c' }), /--starts-with b with --ends-with c together/);
    });
  });
}

test('a bad duration, attribute or list is a usage error naming the accepted forms', () => {
  const usage = (raw: RawJourneyFilter, message: RegExp, hint?: RegExp): void =>
    assert.throws(
      () => parseJourneyFilter(raw),
      (e: unknown) => e instanceof AppError && e.code === 'usage' && message.test(e.message) && (hint === undefined || hint.test(String(e.hint))),
    );
  usage({ minDuration: '2' }, /--min-duration "2" is not a duration/, /s \(seconds\).*h \(hours\), d \(days\)/);
  usage({ maxDuration: '3 days' }, /--max-duration "3 days" is not a duration/);
  usage({ minDuration: '2d', maxDuration: '1d' }, /--min-duration 2d is longer than --max-duration 1d/);
  usage({ attr: 'priority' }, /--attr "priority" is not key=value/);
  usage({ contains: 'a,,b' }, /--contains has an empty activity name/);
  assert.equal(parseJourneyFilter({ minDuration: '1.5h' }).minDuration, 5_400_000);
});
