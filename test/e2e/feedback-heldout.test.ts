/**
 * The feedback issue's held-out checks on a demo world no one tuned against: the metrics equal
 * a hand computation from the input file (relationship and transaction apart), every
 * relationship detractor and every CSAT 1–2 has a case and no promoter does, and the
 * hidden-at-risk customers the data shows are found. On DuckDB and on PostgreSQL, where the
 * metrics, the cases and the hidden-at-risk list must be the same documents as on DuckDB.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { writeDemo } from '../../src/demo/index.ts';
import type { DemoResult } from '../../src/demo/index.ts';
import { computeMetrics } from '../../src/feedback/metrics.ts';
import type { MetricsDoc } from '../../src/feedback/metrics.ts';
import { listHiddenAtRisk } from '../../src/feedback/hidden.ts';
import { resolveCustomer } from '../../src/identity/customers.ts';
import { importFiles } from '../../src/ingest/import.ts';
import { currentCases } from '../../src/insight/current-cases.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../support/fixtures.ts';
import { describeOn, once, StoreAnswers, storeTargets } from '../support/store-targets.ts';

const HELD_OUT_SEED = 2718;
const END = new Date('2026-09-30T00:00:00Z');

interface Answer {
  response_id: string;
  metric: string;
  scope: string;
  score: number;
}

// One world for both stores, generated once.
const heldOutWorld = once(() => writeDemo(path.join(tempDir(), 'data'), { customers: 600, days: 60, seed: HELD_OUT_SEED, end: END }));
const docs = new StoreAnswers();

for (const target of storeTargets()) describeOn(target, 'feedback on a held-out dataset', () => {
  let store: Store;
  let demo: DemoResult;
  let answers: Answer[];
  let metrics: MetricsDoc;

  before(async () => {
    demo = await heldOutWorld();
    store = await openStore(await target.freshLocation('feedback'));
    await importFiles(store, Object.values(demo.files).map((f) => f.path));
    // The hand computation: the input file itself, first answer per response id.
    const seen = new Set<string>();
    answers = [];
    for (const line of fs.readFileSync(demo.files.feedback!.path, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const a = JSON.parse(line) as Answer;
      if (seen.has(a.response_id)) continue;
      seen.add(a.response_id);
      answers.push({ ...a, score: Number(a.score) });
    }
    metrics = docs.keep(target, 'metrics', await computeMetrics(store));
  });

  after(async () => {
    await store?.close();
  });

  const of = (metric: string, scope: string): number[] => answers.filter((a) => a.metric === metric && a.scope === scope).map((a) => a.score);

  test('NPS equals the hand computation, relationship and transaction apart', () => {
    for (const scope of ['relationship', 'transaction'] as const) {
      const scores = of('nps', scope);
      const fig = metrics.nps[scope];
      if (scores.length === 0) continue;
      const promoters = scores.filter((s) => s >= 9).length;
      const detractors = scores.filter((s) => s <= 6).length;
      assert.ok(fig, scope);
      assert.deepEqual([fig.n, fig.promoters, fig.passives, fig.detractors], [scores.length, promoters, scores.length - promoters - detractors, detractors], scope);
      assert.ok(Math.abs(fig.score! - (100 * (promoters - detractors)) / scores.length) < 1e-9, scope);
    }
    assert.ok(of('nps', 'relationship').length > 100, 'the world has relationship answers to check');
  });

  test('CSAT and CES equal the hand computation', () => {
    const csat = of('csat', 'transaction');
    const c = metrics.csat.transaction!;
    assert.equal(c.n, csat.length);
    assert.ok(Math.abs(c.score! - (100 * csat.filter((s) => s >= 4).length) / csat.length) < 1e-9);
    assert.ok(Math.abs(c.mean! - csat.reduce((a, b) => a + b, 0) / csat.length) < 1e-9);
    const ces = of('ces', 'transaction');
    const e = metrics.ces.transaction!;
    assert.equal(e.n, ces.length);
    assert.ok(Math.abs(e.score! - ces.reduce((a, b) => a + b, 0) / ces.length) < 1e-9);
    assert.ok(Math.abs(e.percent_easy! - (100 * ces.filter((s) => s >= 5).length) / ces.length) < 1e-9);
  });

  test('every relationship detractor and every CSAT of 1 or 2 has a case, and no promoter does', async () => {
    const cases = docs.keep(target, 'cases', await currentCases(store, { now: END.getTime() }));
    const inCases = new Set(cases.flatMap((c) => c.response_ids));
    const mustHave = answers.filter((a) => (a.metric === 'nps' && a.scope === 'relationship' && a.score <= 6) || (a.metric === 'csat' && a.score <= 2));
    assert.ok(mustHave.length > 50);
    assert.deepEqual(mustHave.filter((a) => !inCases.has(a.response_id)).map((a) => a.response_id), []);
    const promoters = answers.filter((a) => a.metric === 'nps' && a.score >= 9);
    assert.deepEqual(promoters.filter((a) => inCases.has(a.response_id)).map((a) => a.response_id), []);
  });

  test('hidden-at-risk customers are found (recall of at least 0.9)', async () => {
    const found = new Set(docs.keep(target, 'cases/hidden', await listHiddenAtRisk(store)).map((h) => h.customer_key));
    const truth = demo.planted.hidden_at_risk;
    assert.ok(truth.length > 10, 'the world has hidden-at-risk customers');
    let hit = 0;
    for (const id of truth) if (found.has(await resolveCustomer(store, `customer_id:${id}`))) hit++;
    assert.ok(hit / truth.length >= 0.9, `recall ${hit}/${truth.length}`);
  });

  if (target.dialect !== 'duckdb') {
    test('the metrics, the cases and the hidden-at-risk list are the same documents as on DuckDB', () => {
      docs.assertSameAsDuckDb(target);
    });
  }
});
