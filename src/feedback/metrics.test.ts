import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../../test/support/fixtures.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { computeMetrics } from './metrics.ts';
import { npsInterval, wilsonPercent } from './stats.ts';
import { importFixture } from './test-fixture.ts';

describe('feedback metrics on a hand-computed fixture', () => {
  let store: Store;
  before(async () => {
    const dir = tempDir();
    store = await openStore(path.join(dir, 'db.duckdb'));
    const s = await importFixture(store, dir);
    assert.equal(s.rejected, 0);
  });
  after(() => store.close());

  test('relationship and transaction NPS are computed separately and equal the hand counts', async () => {
    const m = await computeMetrics(store);
    const r = m.nps.relationship!;
    assert.deepEqual([r.n, r.promoters, r.passives, r.detractors], [6, 2, 1, 3]);
    assert.ok(Math.abs(r.score! - (100 * (2 - 3)) / 6) < 1e-9);
    const t = m.nps.transaction!;
    assert.deepEqual([t.n, t.promoters, t.passives, t.detractors], [3, 2, 0, 1]);
    assert.ok(Math.abs(t.score! - 100 / 3) < 1e-9);
    assert.deepEqual(r.ci95, npsInterval(2, 1, 3));
    assert.equal(r.small_n, true);
  });

  test('CSAT is the percent of 4–5 answers with the mean, and CES the mean with the percent easy', async () => {
    const m = await computeMetrics(store);
    const c = m.csat.transaction!;
    assert.deepEqual([c.n, c.satisfied, c.score, c.mean], [4, 2, 50, 3]);
    assert.deepEqual(c.ci95, wilsonPercent(2, 4));
    const e = m.ces.transaction!;
    assert.equal(e.n, 3);
    assert.equal(e.score, 5);
    assert.ok(Math.abs(e.percent_easy! - 200 / 3) < 1e-9);
    assert.ok(e.ci95![0] >= 1 && e.ci95![1] <= 7 && e.ci95![0] < 5 && e.ci95![1] > 5);
    assert.equal(m.csat.relationship!.n, 0);
    assert.equal(m.csat.relationship!.score, null);
  });

  test('an agent is scored on transaction answers only, never on relationship NPS', async () => {
    const m = await computeMetrics(store, { by: 'agent' });
    assert.equal(m.breakdown, 'agent');
    const ag1 = m.by!.find((g) => g.key === 'AG-1')!;
    assert.equal(ag1.nps.relationship, null);
    assert.equal(ag1.csat.relationship, null);
    assert.deepEqual([ag1.csat.transaction!.n, ag1.csat.transaction!.mean], [2, 3.5]);
    assert.deepEqual([ag1.nps.transaction!.n, ag1.nps.transaction!.score], [1, 100]);
    assert.ok(m.by!.every((g) => g.key !== null));
  });

  test('channel, month and store staff breakdowns follow the answer to its interaction', async () => {
    const byChannel = await computeMetrics(store, { by: 'channel' });
    const call = byChannel.by!.find((g) => g.key === 'call')!;
    assert.equal(call.csat.transaction!.n, 3);
    const none = byChannel.by!.find((g) => g.key === null)!;
    assert.equal(none.nps.relationship!.n, 6, 'relationship answers name no interaction');
    const byMonth = await computeMetrics(store, { by: 'month' });
    assert.deepEqual(byMonth.by!.map((g) => g.key), ['2026-06']);
    const staff = await computeMetrics(store, { by: 'store_staff' });
    assert.deepEqual(staff.by!.map((g) => g.key), ['ST-1']);
  });

  test('a time window keeps only the answers inside it', async () => {
    const m = await computeMetrics(store, { from: Date.UTC(2026, 5, 4), to: Date.UTC(2026, 5, 6) });
    assert.equal(m.nps.relationship!.n, 6);
    assert.equal(m.nps.transaction!.n, 0);
    assert.equal(m.from, '2026-06-04T00:00:00.000Z');
  });
});

describe('confidence intervals', () => {
  test('an NPS interval stays wide when every answer is a promoter', () => {
    const [lo, hi] = npsInterval(5, 0, 0)!;
    assert.ok(lo < 60 && hi <= 100);
  });
  test('the Wilson interval contains the observed share', () => {
    const [lo, hi] = wilsonPercent(30, 100)!;
    assert.ok(lo < 30 && hi > 30);
    assert.equal(wilsonPercent(0, 0), null);
  });
});
