import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeOn, StoreAnswers, storeTargets } from '../../test/support/store-targets.ts';
import { importFiles } from '../ingest/import.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { agentsAnalysis, agentsReport } from './agents.ts';
import type { TeamScore } from './agents.ts';
import { contactsSql, toContact } from './contacts.ts';
import type { Contact } from './contacts.ts';
import { at, createTestDir, createTestEvent, createTestFeedback, writeInsightFiles } from './testing.ts';
import type { Cells } from './testing.ts';

/**
 * Two call agents and one store employee. AG-GOOD takes three in four escalations (a failed web
 * payment first) and scores half a point higher than AG-OK on the same kind of contact, yet a
 * quarter point lower raw; ST-1 serves store visitors with no friction.
 */
function world(): { interactions: Cells[]; feedback: Cells[]; promises: Cells[] } {
  const interactions: Cells[] = [];
  const feedback: Cells[] = [];
  // An escalation costs 1.5 points for both; AG-GOOD is half a point better on either kind.
  const good = { clean: [5, 4, 5, 4], escalated: [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 2] };
  const ok = { clean: [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4], escalated: [3, 2, 2, 3] };
  let n = 0;
  const add = (agent: string, escalated: boolean, score: number, team: string): void => {
    const customer = `C${++n}`;
    const day = n % 20;
    if (escalated) {
      interactions.push(createTestEvent({ customer_id: customer, ts: at(day, 0), channel: 'web', activity: 'pay_bill/submit_payment', outcome: 'failure' }));
    }
    const call = createTestEvent({
      customer_id: customer, ts: at(day, 20), channel: 'call', activity: 'pay_bill/agent_payment', outcome: 'success', agent_id: agent, wait_s: n % 2 === 0 ? 60 : 240, team,
    });
    interactions.push(call);
    feedback.push(createTestFeedback({ customer_id: customer, ts: at(day, 60), event_id: call.event_id, score }));
  };
  // Three rounds so that each agent has enough answers on both kinds of contact.
  for (let round = 0; round < 3; round++) {
    for (const s of good.clean) add('AG-GOOD', false, s, 'billing');
    for (const s of good.escalated) add('AG-GOOD', true, s, 'billing');
    for (const s of ok.clean) add('AG-OK', false, s, 'billing');
    for (const s of ok.escalated) add('AG-OK', true, s, 'billing');
  }
  for (let i = 0; i < 12; i++) {
    const customer = `S${i}`;
    const visit = createTestEvent({ customer_id: customer, ts: at(i, 0), channel: 'store', activity: 'plan_change/store_change', outcome: 'success', agent_id: 'ST-1' });
    interactions.push(visit);
    // Half the answers name the employee but no event: they are matched to the visit by customer and time.
    feedback.push(createTestFeedback({ customer_id: customer, ts: at(i, 90), agent_id: 'ST-1', event_id: i % 2 === 0 ? visit.event_id : undefined, score: i % 3 === 0 ? 3 : 4 }));
  }

  // One customer whose call carries every kind of friction: an earlier failure, a transfer in,
  // a try two days before, an overdue promise and a 5-minute wait.
  interactions.push(
    createTestEvent({ event_id: 'F-0', customer_id: 'F1', ts: at(30, 0), channel: 'web', activity: 'dispute_charge/dispute_form', outcome: 'failure' }),
    createTestEvent({ event_id: 'F-1', customer_id: 'F1', ts: at(32, 0), channel: 'web', activity: 'dispute_charge/dispute_form', outcome: 'failure' }),
    createTestEvent({ event_id: 'F-2', customer_id: 'F1', ts: at(32, 5), channel: 'ivr', activity: 'dispute_charge/ivr_menu', outcome: 'transferred' }),
    createTestEvent({ event_id: 'F-3', customer_id: 'F1', ts: at(32, 10), channel: 'call', activity: 'dispute_charge/agent_review', outcome: 'success', agent_id: 'AG-OK', wait_s: 300 }),
    // The same agent's next step in the same call is not a new contact.
    createTestEvent({ event_id: 'F-4', customer_id: 'F1', ts: at(32, 20), channel: 'call', activity: 'dispute_charge/agent_credit', outcome: 'success', agent_id: 'AG-OK' }),
  );
  const promises: Cells[] = [
    { promise_id: 'P1', customer_id: 'F1', ts: at(25), due: at(28), kind: 'credit', agent_id: 'AG-OK' },
    // Kept before the call: not overdue then.
    { promise_id: 'P2', customer_id: 'F1', ts: at(25), due: at(27), kind: 'callback', agent_id: 'AG-OK', kept_at: at(26) },
  ];
  return { interactions, feedback, promises };
}

const documents = new StoreAnswers();

// Both stores: the answers are matched to contacts and the contacts totalled in SQL.
for (const target of storeTargets()) describeOn(target, 'fair agent scores', () => {
  let store: Store;
  let remove: () => Promise<void>;

  before(async () => {
    const d = await createTestDir();
    remove = d.remove;
    store = await openStore(await target.freshLocation('agents'));
    await importFiles(store, await writeInsightFiles(d.dir, world()));
  });

  after(async () => {
    await store.close();
    await remove();
  });

  test('a contact inherits the failures, the transfer, the earlier try, the overdue promise and the wait before it', async () => {
    const contacts = (await store.query(contactsSql())).map(toContact);
    const byEvent = new Map<string, Contact>(contacts.map((c) => [c.event_id, c]));
    const c = byEvent.get('F-3');
    assert.ok(c, 'the call is a contact');
    assert.equal(c.failed_before, 2, 'two failed web attempts; the transfer into the call is counted apart');
    assert.equal(c.transferred_in, true);
    assert.equal(c.repeat_contact, true, 'the customer tried the same thing two days before');
    assert.equal(c.overdue_promises, 1, 'the kept promise is not overdue');
    assert.equal(c.wait_s, 300);
    assert.equal(byEvent.has('F-4'), false, 'the same agent later in the same call is the same contact');
  });

  test('the agent who takes the escalations ranks first once friction is accounted for', async () => {
    const { agents, model } = documents.keep(target, 'agents', await agentsAnalysis(store));
    const good = agents.find((a) => a.agent_id === 'AG-GOOD')!;
    const ok = agents.find((a) => a.agent_id === 'AG-OK')!;
    assert.ok(good.raw_csat < ok.raw_csat, `raw: ${good.raw_csat} vs ${ok.raw_csat}`);
    assert.ok(good.rank_raw > ok.rank_raw);
    assert.ok(good.adjusted_csat > ok.adjusted_csat + 0.2, `adjusted: ${good.adjusted_csat} vs ${ok.adjusted_csat}`);
    assert.equal(good.rank_adjusted, 1);
    assert.ok(good.inherited_friction > ok.inherited_friction, 'AG-GOOD walked into more friction');
    assert.ok(good.ci95[0] < good.adjusted_csat && good.adjusted_csat < good.ci95[1]);
    const failure = model!.coefficients.find((c) => c.term === 'earlier_failure')!;
    assert.ok(Math.abs(failure.estimate + 1.5) < 0.2, `an earlier failure costs a point and a half here (${failure.estimate})`);
  });

  test('answers name an employee by agent_id or by the interaction they are about', async () => {
    const agents = await agentsReport(store);
    const st = agents.find((a) => a.agent_id === 'ST-1');
    assert.ok(st);
    assert.equal(st.responses, 12);
    assert.equal(st.contacts, 12);
    assert.equal(st.kind, 'store');
    assert.deepEqual(
      agents.map((a) => a.agent_id).sort(),
      ['AG-GOOD', 'AG-OK', 'ST-1'],
    );
  });

  test('teams roll up from a team attribute, and from the id prefix when there is none', async () => {
    const teams: TeamScore[] = documents.keep(target, 'agents --by team', await agentsReport(store, { by: 'team' }));
    const billing = teams.find((t) => t.team === 'billing');
    assert.ok(billing, `teams: ${teams.map((t) => t.team).join(', ')}`);
    assert.equal(billing.agents, 2);
    assert.ok(teams.some((t) => t.team === 'ST' && t.agents === 1));
    assert.equal(billing.responses, 3 * 32);
  });

  test('the output says how strongly friction goes with the employees, in every row and in words', async () => {
    const { agents, model } = await agentsAnalysis(store);
    const c = model!.confounding;
    assert.ok(c.between_employees > 0 && c.between_employees < 1, `between ${c.between_employees}`);
    assert.ok(c.correlation_adjusted !== null && c.correlation_adjusted > 0, 'the employee with the friction is the better one');
    assert.ok(c.meaning.includes('%'), c.meaning);
    for (const a of agents) assert.equal(a.confounding, c.level);
  });

  if (target.dialect !== 'duckdb') {
    test('the scores are the same documents as on DuckDB', () => {
      documents.assertSameAsDuckDb(target);
    });
  }
});

/**
 * Every tech call comes through an IVR step that ends `transferred` (routing); in billing a
 * transfer from the front desk is rare and costs a point. AG-TECH and AG-BILL are equally good.
 */
function routedWorld(): { interactions: Cells[]; feedback: Cells[] } {
  const interactions: Cells[] = [];
  const feedback: Cells[] = [];
  for (let i = 0; i < 24; i++) {
    const tech = i % 2 === 0;
    const customer = `R${i}`;
    const day = i % 10;
    const handedOver = !tech && i % 6 === 1;
    if (tech) interactions.push(createTestEvent({ customer_id: customer, ts: at(day, 0), channel: 'ivr', activity: 'tech_support/ivr_route', outcome: 'transferred' }));
    if (handedOver) interactions.push(createTestEvent({ customer_id: customer, ts: at(day, 0), channel: 'call', activity: 'pay_bill/front_desk', outcome: 'transferred', agent_id: 'FD-1' }));
    const agent = tech ? 'AG-TECH' : 'AG-BILL';
    const call = createTestEvent({ customer_id: customer, ts: at(day, 10), channel: 'call', activity: tech ? 'tech_support/agent_fix' : 'pay_bill/agent_payment', outcome: 'success', agent_id: agent });
    interactions.push(call);
    feedback.push(createTestFeedback({ customer_id: customer, ts: at(day, 60), event_id: call.event_id, score: handedOver ? 3 : i % 4 < 2 ? 4 : 5 }));
  }
  return { interactions, feedback };
}

describeOn(storeTargets()[0]!, 'fair agent scores where an IVR routes by transferring', () => {
  let store: Store;
  let remove: () => Promise<void>;

  before(async () => {
    const d = await createTestDir();
    remove = d.remove;
    store = await openStore(await storeTargets()[0]!.freshLocation('routed'));
    await importFiles(store, await writeInsightFiles(d.dir, routedWorld()));
  });

  after(async () => {
    await store.close();
    await remove();
  });

  test('a transfer every call of an intent gets is routing: it is not friction, and the agent is not lifted by it', async () => {
    const { agents } = await agentsAnalysis(store);
    const tech = agents.find((a) => a.agent_id === 'AG-TECH')!;
    const bill = agents.find((a) => a.agent_id === 'AG-BILL')!;
    assert.ok(Math.abs(tech.inherited_friction) < 0.05, `routing costs nothing (${tech.inherited_friction})`);
    assert.ok(Math.abs(tech.adjusted_csat - bill.adjusted_csat) < 0.15, `equally good: ${tech.adjusted_csat} vs ${bill.adjusted_csat}`);
  });
});
