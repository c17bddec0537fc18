import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestFeedback, tempDir, writeCsv } from '../../test/support/fixtures.ts';
import { isAppError } from '../core/errors.ts';
import { resolveCustomer } from '../identity/customers.ts';
import { importFiles } from '../ingest/import.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { caseRollup, closeCase, contactCase, listCases, resolveCase, showCase } from './cases.ts';
import type { CaseDoc } from './cases.ts';
import { listHiddenAtRisk } from './hidden.ts';
import { importFixture } from './test-fixture.ts';

const JUNE_4 = Date.UTC(2026, 5, 4);
const LATER = Date.UTC(2026, 7, 1);

async function fresh(): Promise<{ store: Store; dir: string }> {
  const dir = tempDir();
  return { store: await openStore(path.join(dir, 'db.duckdb')), dir };
}

describe('cases opened by imported answers', () => {
  let store: Store;
  let dir: string;
  let cases: CaseDoc[];
  let key: (id: string) => Promise<string>;
  before(async () => {
    ({ store, dir } = await fresh());
    const s = await importFixture(store, dir);
    assert.equal(s.cases_opened, 4);
    cases = await listCases(store, { now: JUNE_4 });
    key = (id) => resolveCustomer(store, `customer_id:${id}`);
  });
  after(() => store.close());

  test('every relationship detractor and every CSAT of 1–2 has a case, and no promoter has one', async () => {
    const onCases = new Set(cases.flatMap((c) => c.response_ids));
    for (const id of ['n1', 'n5', 'n6', 's1', 's2']) assert.ok(onCases.has(id), `${id} should be on a case`);
    for (const id of ['n2', 'n3', 'n4', 't1', 't2', 't3', 's3', 's4', 'c1', 'c2', 'c3']) assert.ok(!onCases.has(id), `${id} should not be on a case`);
  });

  test('one open case per customer gathers all of their answers', async () => {
    const c1Key = await key('C1');
    const c1 = cases.filter((c) => c.customer_key === c1Key);
    assert.equal(c1.length, 1);
    assert.deepEqual(c1[0]!.response_ids.sort(), ['n1', 's1']);
  });

  test('the reason tells the customer’s journey in words and names the step at fault', async () => {
    const c1 = cases.find((c) => c.response_ids.includes('n1'))!;
    assert.equal(c1.root_cause_step, 'web:pay_bill/submit_payment');
    assert.match(c1.reason, /Their payment failed on our website on 3 June, and they then had to call us\./);
    assert.match(c1.reason, /The website kept failing/);
    assert.equal(c1.opened_at, '2026-06-03T11:30:00.000Z');
    assert.equal(c1.due_at, '2026-06-05T11:30:00.000Z', 'due 48 hours after the first answer');
  });

  test('owners follow the rules: an agent’s answer to the channel queue, a relationship answer to the CX team', async () => {
    const byResponse = (id: string): CaseDoc => cases.find((c) => c.response_ids.includes(id))!;
    assert.equal(byResponse('s1').owner, 'queue:call');
    assert.equal(byResponse('s2').owner, 'queue:call');
    assert.equal(byResponse('n5').owner, 'cx-team');
    assert.equal(byResponse('n5').root_cause_step, null);
    assert.match(byResponse('n5').reason, /Nothing failed/);
  });

  test('a hidden-at-risk customer is listed and flagged on their case', async () => {
    const hidden = await listHiddenAtRisk(store);
    assert.deepEqual(hidden.map((h) => h.customer_key), [await key('C6')]);
    assert.equal(hidden[0]!.nps, 4);
    const c6 = cases.find((c) => c.response_ids.includes('n6'))!;
    assert.equal(c6.hidden_at_risk, true);
    assert.equal(hidden[0]!.case_id, c6.case_id);
    assert.ok(cases.filter((c) => c !== c6).every((c) => !c.hidden_at_risk));
    const only = await listCases(store, { now: JUNE_4, hiddenAtRisk: true });
    assert.deepEqual(only.map((c) => c.case_id), [c6.case_id]);
  });

  test('a case past its due time is overdue and escalated until it is resolved', async () => {
    const late = await listCases(store, { now: LATER, overdue: true });
    assert.equal(late.length, 4);
    assert.ok(late.every((c) => c.overdue && c.escalated_to === 'cx-leads'));
    const early = await listCases(store, { now: JUNE_4, status: 'escalated' });
    assert.deepEqual(early.map((c) => c.response_ids[0]), ['s1', 's2'].filter((id) => early.some((c) => c.response_ids.includes(id))));
    assert.ok(early.every((c) => Date.parse(c.due_at) < JUNE_4));
  });

  test('re-importing the same answers opens nothing new', async () => {
    const s = await importFixture(store, dir);
    assert.equal(s.cases_opened, 0);
    assert.equal((await listCases(store, { now: JUNE_4 })).length, 4);
  });

  test('a later answer from a customer with an open case joins that case', async () => {
    const file = writeCsv(dir, 'later.csv', [
      createTestFeedback({ response_id: 'n9', customer_id: 'C5', ts: '2026-06-20T10:00:00Z', metric: 'nps', scope: 'relationship', score: 1 }),
    ]);
    const s = await importFiles(store, [file]);
    assert.equal(s.cases_opened, 0);
    const c5 = (await listCases(store, { now: JUNE_4, customerKey: await key('C5') }))[0]!;
    assert.deepEqual(c5.response_ids, ['n5', 'n9']);
    const detail = await showCase(store, c5.case_id, JUNE_4);
    assert.deepEqual(detail.events.map((e) => e.kind), ['opened', 'answer_added']);
  });
});

describe('working a case', () => {
  let store: Store;
  let id: string;
  before(async () => {
    const f = await fresh();
    store = f.store;
    await importFixture(store, f.dir);
    id = (await listCases(store, { now: JUNE_4 })).find((c) => c.response_ids.includes('n1'))!.case_id;
  });
  after(() => store.close());

  test('statuses go open → contacted → resolved → closed, each step recorded', async () => {
    await contactCase(store, id, 'Called, apologised, took the payment details.', { now: JUNE_4, actor: 'sam' });
    assert.equal((await showCase(store, id, JUNE_4)).status, 'contacted');
    await resolveCase(store, id, { rootCause: 'web:pay_bill/submit_payment', issueResolved: true }, { now: JUNE_4 + 1000 });
    let c = await showCase(store, id, LATER);
    assert.equal(c.status, 'resolved');
    assert.equal(c.overdue, false, 'a resolved case is never overdue');
    assert.equal(c.issue_resolved, true);
    await closeCase(store, id, { rootCause: undefined, issueResolved: undefined }, { now: JUNE_4 + 2000 });
    c = await showCase(store, id, LATER);
    assert.equal(c.status, 'closed');
    assert.equal(c.root_cause, 'web:pay_bill/submit_payment');
    assert.deepEqual(c.events.map((e) => e.kind), ['opened', 'contacted', 'resolved', 'closed']);
  });

  test('resolving needs the root cause and whether the issue was resolved', async () => {
    const other = (await listCases(store, { now: JUNE_4, status: 'open' }))[0]!.case_id;
    await assert.rejects(resolveCase(store, other, { rootCause: undefined, issueResolved: true }, { now: JUNE_4 }), (e) => isAppError(e) && /root cause/.test(e.message));
    await assert.rejects(resolveCase(store, other, { rootCause: 'web:x', issueResolved: undefined }, { now: JUNE_4 }), (e) => isAppError(e) && /resolved/.test(e.message));
    await assert.rejects(closeCase(store, other, { rootCause: ' ', issueResolved: false }, { now: JUNE_4 }), (e) => isAppError(e) && e.code === 'usage');
    assert.equal((await showCase(store, other, JUNE_4)).status, 'open');
  });

  test('a closed case takes no more contacts, and an unknown case is not found', async () => {
    await assert.rejects(contactCase(store, id, 'again', { now: JUNE_4 }), (e) => isAppError(e) && e.code === 'conflict');
    await assert.rejects(showCase(store, 'CS-NOPE', JUNE_4), (e) => isAppError(e) && e.code === 'not_found');
  });

  test('the roll-up groups cases by root-cause step with open and overdue counts', async () => {
    const rows = await caseRollup(store, LATER);
    const web = rows.find((r) => r.root_cause_step === 'web:pay_bill/submit_payment')!;
    assert.deepEqual([web.cases, web.closed, web.confirmed, web.issue_resolved_rate], [1, 1, 1, 1]);
    const unknown = rows.find((r) => r.root_cause_step === null)!;
    assert.equal(unknown.open, unknown.cases);
    assert.equal(unknown.overdue, unknown.cases);
    assert.equal(rows.reduce((n, r) => n + r.cases, 0), 4);
  });
});

describe('importing without cases', () => {
  test('--no-cases imports every answer and opens no case', async () => {
    const { store, dir } = await fresh();
    try {
      const s = await importFixture(store, dir, { createCases: false });
      assert.equal(s.cases_opened, 0);
      assert.equal(s.imported.feedback, 16);
      assert.deepEqual(await listCases(store, { now: JUNE_4 }), []);
    } finally {
      await store.close();
    }
  });
});
