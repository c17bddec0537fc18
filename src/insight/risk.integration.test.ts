import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { importFiles } from '../ingest/import.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { customerRisk, customerSignals, riskAnalysis, riskReport } from './risk.ts';
import type { CustomerSignals } from './risk.ts';
import { at, createTestDir, createTestEvent, createTestFeedback, writeInsightFiles } from './testing.ts';
import type { Cells } from './testing.ts';

const AS_OF = Date.parse(at(60));

/**
 * A handful of customers with one signal each, scored on day 60; forty quiet customers; and a
 * history to fit on: of the customers who were detractors by day 30, most cancelled before day
 * 60, while of the quiet ones one did. One customer left on day 40, one cancels after day 60.
 */
function world(): { interactions: Cells[]; feedback: Cells[]; promises: Cells[]; holdings: Cells[] } {
  const interactions: Cells[] = [];
  const feedback: Cells[] = [];
  const promises: Cells[] = [];
  const holdings: Cells[] = [];
  const quiet = (c: string, day: number): void => {
    interactions.push(createTestEvent({ customer_id: c, ts: at(day), channel: 'web', activity: 'check_usage/view_usage', outcome: 'success' }));
  };
  const nps = (c: string, day: number, score: number): void => {
    feedback.push(createTestFeedback({ customer_id: c, ts: at(day), survey_id: 'rel_nps', metric: 'nps', scope: 'relationship', score }));
  };
  const cancel = (c: string, day: number): void => {
    interactions.push(createTestEvent({ customer_id: c, ts: at(day), channel: 'call', activity: 'cancel/close_account', outcome: 'success', agent_id: 'AG-9' }));
  };
  // Hidden at risk: a polite CSAT 5 about a call, a relationship detractor.
  const call = createTestEvent({ customer_id: 'H1', ts: at(45), channel: 'call', activity: 'pay_bill/agent_payment', outcome: 'success', agent_id: 'AG-1' });
  interactions.push(call);
  feedback.push(createTestFeedback({ customer_id: 'H1', ts: at(45, 30), event_id: call.event_id, score: 5 }));
  nps('H1', 50, 3);
  // A broken credit promise, due on day 50 and still not kept.
  quiet('B1', 40);
  promises.push({ promise_id: 'PB1', customer_id: 'B1', ts: at(40), due: at(50), kind: 'credit', agent_id: 'AG-1' });
  // A complaint on day 20, then silence.
  quiet('S1', 10);
  nps('S1', 20, 2);
  // Three failed steps.
  for (let k = 0; k < 3; k++) interactions.push(createTestEvent({ customer_id: 'F1', ts: at(50 + k), channel: 'web', activity: 'pay_bill/submit_payment', outcome: 'failure' }));
  // Left on day 40 (a holding ended): not scored any more.
  quiet('L1', 5);
  holdings.push({ customer_id: 'L1', product: 'mobile_plan', since: at(-300), until: at(40) });
  // Cancels after day 60: scored, and its cancellation is no part of the fit.
  quiet('LATE', 50);
  nps('LATE', 12, 1);
  cancel('LATE', 70);
  // The history: detractors by day 30 who mostly cancelled before day 60, and quiet customers.
  for (let i = 0; i < 8; i++) {
    quiet(`D${i}`, 5);
    nps(`D${i}`, 15, 2 + (i % 4));
    if (i < 6) cancel(`D${i}`, 35 + i);
  }
  for (let i = 0; i < 40; i++) quiet(`Q${i}`, 5 + (i % 50));
  cancel('Q0', 45);
  return { interactions, feedback, promises, holdings };
}

describe('switching risk', () => {
  let store: Store;
  let remove: () => Promise<void>;
  let signals: Map<string, CustomerSignals>;

  before(async () => {
    const d = await createTestDir();
    remove = d.remove;
    store = await openStore(path.join(d.dir, 'db.duckdb'));
    await importFiles(store, await writeInsightFiles(d.dir, world()));
    const keys = new Map((await store.query(`SELECT DISTINCT customer_id, customer_key FROM interactions WHERE customer_id IS NOT NULL`)).map((r) => [String(r.customer_key), String(r.customer_id)]));
    signals = new Map((await customerSignals(store, AS_OF)).map((s) => [keys.get(s.customer_key) ?? s.customer_key, s]));
  });

  after(async () => {
    await store.close();
    await remove();
  });

  test('each signal is read from the records before the scoring time', () => {
    assert.equal(signals.get('H1')!.x.hidden_at_risk, 1);
    assert.equal(signals.get('H1')!.x.detractor, 1);
    assert.equal(signals.get('B1')!.x.broken_credit_promise, 1);
    assert.equal(signals.get('B1')!.x.waiting_on_promise, 1);
    assert.equal(signals.get('B1')!.waiting_days, 10);
    assert.equal(signals.get('S1')!.x.silent_after_complaint, 1);
    assert.equal(signals.get('S1')!.silent_days, 40);
    assert.equal(signals.get('F1')!.x.repeated_failures, 1);
    assert.equal(signals.get('Q1')!.x.detractor, 0);
    assert.equal(signals.has('L1'), false, 'a customer who left is not scored');
    assert.equal(signals.has('LATE'), true, 'a customer who leaves later still is');
  });

  test('the model is fitted on who cancelled since the cut-off, never on what came after', async () => {
    const { model } = await riskAnalysis(store, { asOf: AS_OF });
    assert.equal(model.source, 'fitted');
    assert.equal(model.fitted_at, new Date(AS_OF - 30 * 86_400_000).toISOString());
    // D0–D5, Q0 and L1 (its holding ended) cancelled between day 30 and day 60; LATE cancels after day 60.
    assert.equal(model.training_cancellations, 8);
    const detractor = model.coefficients.find((c) => c.term === 'detractor')!;
    assert.ok(detractor.estimate > detractor.prior, 'detractors cancelled more here than the prior expects');
  });

  test('scores are probabilities, highest first, with reasons in plain words', async () => {
    const scores = await riskReport(store, { asOf: AS_OF });
    const keys = new Map((await store.query(`SELECT DISTINCT customer_id, customer_key FROM interactions WHERE customer_id IS NOT NULL`)).map((r) => [String(r.customer_id), String(r.customer_key)]));
    const of = (id: string) => scores.find((s) => s.customer_key === keys.get(id))!;
    for (let i = 1; i < scores.length; i++) assert.ok(scores[i - 1]!.score >= scores[i]!.score);
    for (const s of scores) assert.ok(s.score > 0 && s.score < 1);
    assert.equal(scores.filter((s) => s.hidden_at_risk).map((s) => s.customer_key).join(), keys.get('H1'));
    assert.ok(of('H1').reasons.some((r) => r.startsWith('hidden at risk')), of('H1').reasons.join('; '));
    assert.ok(of('H1').reasons.includes('detractor: last relationship NPS 3'), of('H1').reasons.join('; '));
    assert.ok(of('B1').reasons.includes('a broken credit promise'), of('B1').reasons.join('; '));
    assert.ok(of('S1').reasons.includes('silent for 40 days since complaining'), of('S1').reasons.join('; '));
    assert.ok(of('F1').reasons.includes('repeated failures: 3 failed steps in 90 days'), of('F1').reasons.join('; '));
    assert.deepEqual(of('Q1').reasons, []);
    for (const id of ['H1', 'B1', 'S1', 'F1']) assert.ok(of(id).score > of('Q1').score, `${id} is riskier than a quiet customer`);
    assert.equal((await riskReport(store, { asOf: AS_OF, top: 3 })).length, 3);
  });

  test('one customer\'s risk is the same as in the full list', async () => {
    const scores = await riskReport(store, { asOf: AS_OF });
    const one = await customerRisk(store, scores[2]!.customer_key, { asOf: AS_OF });
    assert.deepEqual(one, scores[2]);
    assert.equal(await customerRisk(store, 'no-such-customer', { asOf: AS_OF }), null);
  });

  test('with no cancellation to learn from, the prior coefficients score alone', async () => {
    const { model } = await riskAnalysis(store, { asOf: Date.parse(at(33)), horizonDays: 2 });
    assert.equal(model.training_cancellations, 0);
    assert.equal(model.source, 'prior');
    assert.ok(model.coefficients.every((c) => c.estimate === c.prior));
  });
});
