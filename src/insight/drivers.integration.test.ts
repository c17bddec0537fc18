import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { importFiles } from '../ingest/import.ts';
import { createTestRandom } from '../journey/testing.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { detractorModelAt, driversReport, experienceRisk } from './drivers.ts';
import type { Driver } from './drivers.ts';
import { at, createTestDir, createTestEvent, createTestFeedback, writeInsightFiles } from './testing.ts';
import type { Cells } from './testing.ts';

/**
 * 300 customers, one relationship NPS answer each on day 70. Three experiences make detractors
 * (a failed web payment, a broken credit promise, a visit to ST-04); two only travel with them
 * (AG-1, who takes most of the calls after a failed payment, and the channel switch) or do
 * nothing (a visit to ST-02). No two factors always go together: then no model could tell them apart. A failure 80 days before the answer is
 * outside the 60-day window; a step that failed for three customers is too rare to name.
 */
function world(): { interactions: Cells[]; feedback: Cells[]; promises: Cells[]; truth: Map<string, boolean> } {
  const rnd = createTestRandom(2024);
  const interactions: Cells[] = [];
  const feedback: Cells[] = [];
  const promises: Cells[] = [];
  const truth = new Map<string, boolean>();
  for (let i = 0; i < 300; i++) {
    const c = `C${i}`;
    let p = 0.12;
    const failed = rnd() < 0.25;
    if (failed) {
      p += 0.5;
      interactions.push(
        createTestEvent({ customer_id: c, ts: at(50, 0), channel: 'web', activity: 'pay_bill/submit_payment', outcome: 'failure' }),
        createTestEvent({ customer_id: c, ts: at(50, 10), channel: 'call', activity: 'pay_bill/agent_payment', outcome: 'success', agent_id: rnd() < 0.8 ? 'AG-1' : 'AG-2' }),
      );
    } else if (rnd() < 0.3) {
      interactions.push(
        createTestEvent({ customer_id: c, ts: at(45, 0), channel: 'web', activity: 'pay_bill/view_bill', outcome: 'success' }),
        createTestEvent({ customer_id: c, ts: at(45, 10), channel: 'call', activity: 'pay_bill/agent_payment', outcome: 'success', agent_id: rnd() < 0.3 ? 'AG-1' : 'AG-2' }),
      );
    }
    if (rnd() < 0.15) {
      p += 0.5;
      promises.push({ promise_id: `P${i}`, customer_id: c, ts: at(30), due: at(35), kind: 'credit', agent_id: 'AG-2' });
    }
    const store = rnd();
    if (store < 0.15) {
      p += 0.5;
      interactions.push(createTestEvent({ customer_id: c, ts: at(40, 0), channel: 'store', activity: 'plan_change/store_change', outcome: 'success', agent_id: 'ST-04' }));
    } else if (store < 0.3) {
      interactions.push(createTestEvent({ customer_id: c, ts: at(40, 0), channel: 'store', activity: 'plan_change/store_change', outcome: 'success', agent_id: 'ST-02' }));
    }
    if (i < 3) interactions.push(createTestEvent({ customer_id: c, ts: at(55, 0), channel: 'app', activity: 'check_usage/view_usage', outcome: 'failure' }));
    // Long ago: outside the window, whatever it did then.
    if (i % 4 === 0) interactions.push(createTestEvent({ customer_id: c, ts: at(-10, 0), channel: 'app', activity: 'tech_support/reset_modem', outcome: 'failure' }));
    const detractor = rnd() < Math.min(p, 0.95);
    truth.set(c, detractor);
    const score = detractor ? Math.floor(rnd() * 7) : 7 + Math.floor(rnd() * 4);
    feedback.push(createTestFeedback({ customer_id: c, ts: at(70, 0), survey_id: 'rel_nps', metric: 'nps', scope: 'relationship', score }));
  }
  return { interactions, feedback, promises, truth };
}

describe('drivers of dissatisfaction', () => {
  let store: Store;
  let remove: () => Promise<void>;
  let drivers: Driver[];
  let truth: Map<string, boolean>;

  before(async () => {
    const d = await createTestDir();
    remove = d.remove;
    const w = world();
    truth = w.truth;
    store = await openStore(path.join(d.dir, 'db.duckdb'));
    await importFiles(store, await writeInsightFiles(d.dir, w));
    drivers = await driversReport(store, { metric: 'nps' });
  });

  after(async () => {
    await store.close();
    await remove();
  });

  const rank = (factor: string): number => drivers.findIndex((d) => d.factor === factor) + 1;

  test('factors are named precisely enough to act on', () => {
    for (const f of ['web:pay_bill/submit_payment failure', 'broken promise: credit', 'store staff ST-04', 'store staff ST-02', 'agent AG-1', 'channel switch']) {
      assert.ok(rank(f) > 0, `${f} in ${drivers.map((d) => d.factor).join(' | ')}`);
    }
    assert.equal(drivers.find((d) => d.factor === 'store staff ST-04')!.kind, 'store_staff');
    assert.equal(drivers.find((d) => d.factor === 'broken promise: credit')!.kind, 'broken_promise');
  });

  test('the causes rank above what only travels with them', () => {
    const causes = ['web:pay_bill/submit_payment failure', 'broken promise: credit', 'store staff ST-04'];
    assert.deepEqual(drivers.slice(0, 3).map((d) => d.factor).sort(), [...causes].sort());
    for (const c of causes) assert.ok(drivers.find((d) => d.factor === c)!.ci95[0] > 0, `${c} has an effect`);
    const agent = drivers.find((d) => d.factor === 'agent AG-1')!;
    assert.ok(agent.lift! > 1.5, 'the agent who takes the failed payments looks bad on the raw rates');
    assert.ok(agent.ci95[0] < 0 && agent.ci95[1] > 0, `but has no effect of their own: ${agent.ci95.join(' – ')}`);
  });

  test('the raw rates are the share of detractors among the answers with and without the factor', () => {
    const d = drivers.find((x) => x.factor === 'store staff ST-04')!;
    assert.ok(d.exposed > 20 && d.exposed < truth.size);
    const total = [...truth.values()].filter(Boolean).length;
    const rate = (d.detractor_rate_exposed * d.exposed + d.detractor_rate_unexposed * (truth.size - d.exposed)) / truth.size;
    assert.ok(Math.abs(rate - total / truth.size) < 1e-3, 'the two rates recombine into the overall rate');
    assert.ok(Math.abs(d.lift! - d.detractor_rate_exposed / d.detractor_rate_unexposed) < 0.01);
  });

  test('rare step failures are pooled and old experiences are outside the window', () => {
    assert.equal(rank('app:check_usage/view_usage failure'), 0);
    assert.equal(rank('app:tech_support/reset_modem failure'), 0, 'eighty days before the answer');
    assert.equal(drivers.filter((d) => d.factor === 'failure at another step').length, 0, 'three customers are too few even pooled');
    const wide = drivers.length;
    return driversReport(store, { windowDays: 90 }).then((longer) => {
      assert.ok(longer.some((d) => d.factor === 'app:tech_support/reset_modem failure'), 'a 90-day window reaches it');
      assert.ok(longer.length >= wide);
    });
  });

  test('top keeps the strongest; CSAT and bad options are handled', async () => {
    assert.equal((await driversReport(store, { top: 2 })).length, 2);
    assert.deepEqual(await driversReport(store, { metric: 'csat' }), [], 'no CSAT answers, no drivers');
    await assert.rejects(driversReport(store, { metric: 'ces' as 'nps' }), /not a driver metric/);
  });

  test('the fitted model scores a customer by their recent experiences', async () => {
    const model = await detractorModelAt(store, Date.parse(at(71)));
    const risk = await experienceRisk(store, model, Date.parse(at(71)));
    const failedCredit = [...risk.entries()].find(([, r]) => r.factors.includes('web:pay_bill/submit_payment failure'));
    assert.ok(failedCredit && failedCredit[1].excess > 0.2, 'a failed payment raises the chance of a detractor');
    assert.equal(failedCredit[1].factors.includes('agent AG-1'), model.effects.get('agent AG-1')! > 0);
  });
});
