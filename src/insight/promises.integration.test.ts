import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { listCases } from '../feedback/cases.ts';
import { importFiles } from '../ingest/import.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { currentCases } from './current-cases.ts';
import { promisesReport, promiseStateAt, promiseStateSql, syncPromiseCases } from './promises.ts';
import { at, createTestDir, createTestEvent, createTestFeedback, writeInsightFiles } from './testing.ts';
import type { Cells } from './testing.ts';

const NOW = Date.parse(at(20));

/** Six promises, one of each state and then some, judged on day 20. */
function world(): { interactions: Cells[]; feedback: Cells[]; promises: Cells[] } {
  const call = createTestEvent({ event_id: 'CALL-1', customer_id: 'C1', ts: at(1), channel: 'call', activity: 'dispute_charge/agent_review', outcome: 'success', agent_id: 'AG-1' });
  return {
    interactions: [call, createTestEvent({ customer_id: 'C2', ts: at(1) }), createTestEvent({ customer_id: 'C3', ts: at(1) })],
    // C2 already has an open case from a detractor answer: a broken promise joins it.
    feedback: [createTestFeedback({ customer_id: 'C2', ts: at(3), survey_id: 'rel_nps', metric: 'nps', scope: 'relationship', score: 2 })],
    promises: [
      { promise_id: 'KEPT', customer_id: 'C1', ts: at(1), due: at(5), kind: 'credit', agent_id: 'AG-1', event_id: 'CALL-1', kept_at: at(4) },
      { promise_id: 'LATE', customer_id: 'C1', ts: at(1), due: at(5), kind: 'credit', agent_id: 'AG-1', kept_at: at(8) },
      { promise_id: 'BROKEN', customer_id: 'C1', ts: at(1), due: at(5), kind: 'credit', agent_id: 'AG-1', event_id: 'CALL-1', description: 'Credit the late fee' },
      { promise_id: 'OPEN', customer_id: 'C3', ts: at(10), due: at(25), kind: 'delivery', agent_id: 'AG-2' },
      // Kept after `now`: on day 20 it is still broken.
      { promise_id: 'KEPT-LATER', customer_id: 'C2', ts: at(1), due: at(6), kind: 'callback', agent_id: 'AG-2', kept_at: at(22) },
      // Made after `now`: not yet part of the picture.
      { promise_id: 'FUTURE', customer_id: 'C3', ts: at(21), due: at(24), kind: 'callback', agent_id: 'AG-2' },
    ],
  };
}

/** A fresh store holding world(), for one describe block. */
async function openWorld(): Promise<{ store: Store; remove: () => Promise<void> }> {
  const d = await createTestDir();
  const store = await openStore(path.join(d.dir, 'db.duckdb'));
  await importFiles(store, await writeInsightFiles(d.dir, world()));
  return { store, remove: d.remove };
}

describe('promises', () => {
  let store: Store;
  let remove: () => Promise<void>;
  before(async () => ({ store, remove } = await openWorld()));
  after(async () => {
    await store.close();
    await remove();
  });

  test('a promise is kept, kept late, broken once its due passes unkept, or open', async () => {
    const doc = await promisesReport(store, { now: NOW });
    assert.deepEqual(doc.totals, { promises: 5, kept: 1, kept_late: 1, broken: 2, open: 1, kept_rate: 0.25 });
    assert.equal(doc.kept_rate, 0.25);
    assert.equal(doc.overdue, 2);
    assert.deepEqual(doc.open.map((p) => p.promise_id), ['OPEN']);
    assert.deepEqual(doc.broken.map((p) => [p.promise_id, p.days_overdue]), [['BROKEN', 15], ['KEPT-LATER', 14]]);
    const credit = doc.by_kind.find((k) => k.kind === 'credit')!;
    assert.deepEqual([credit.kept, credit.kept_late, credit.broken, credit.kept_rate], [1, 1, 1, 0.3333]);
    const ag2 = doc.by_agent.find((a) => a.agent_id === 'AG-2')!;
    assert.deepEqual([ag2.promises, ag2.broken, ag2.open, ag2.kept_rate], [2, 1, 1, 0]);
  });

  test('the in-memory rule of the live context gives the state the SQL rule gives, on every boundary', async () => {
    const due = 1000;
    for (const kept of [null, 999, 1000, 1001, 2000]) {
      for (const now of [998, 999, 1000, 1001, 1999, 2000, 2001]) {
        const [row] = await store.query(`SELECT ${promiseStateSql('p', '$1')} AS state FROM (SELECT CAST($2 AS BIGINT) AS due, CAST($3 AS BIGINT) AS kept_at) p`, [now, due, kept]);
        assert.equal(promiseStateAt({ due, kept_at: kept }, now), row!.state, `due ${due}, kept_at ${kept}, now ${now}`);
      }
    }
  });

  test('each broken promise opens a closed-loop case once, or joins the customer\'s open case', async () => {
    const synced = await syncPromiseCases(store, { now: NOW });
    assert.deepEqual(synced.sort(), ['BROKEN', 'KEPT-LATER']);
    assert.deepEqual(await syncPromiseCases(store, { now: NOW }), [], 'nothing is opened twice');
    const cases = await listCases(store, { now: NOW });
    const c1 = cases.find((c) => c.kind === 'broken_promise')!;
    assert.ok(c1, cases.map((c) => c.kind).join());
    assert.match(c1.reason, /credit promise BROKEN \("Credit the late fee"\)/);
    assert.equal(c1.root_cause_step, 'call:dispute_charge/agent_review');
    assert.equal(cases.filter((c) => c.kind === 'broken_promise').length, 1, "C2's promise joined the detractor case");
    const doc = await promisesReport(store, { now: NOW });
    const joined = doc.broken.find((p) => p.promise_id === 'KEPT-LATER')!;
    assert.equal(joined.case_id, cases.find((c) => c.kind === 'detractor')!.case_id);
    assert.equal(doc.broken.find((p) => p.promise_id === 'BROKEN')!.case_id, c1.case_id);
  });
});

describe('the case inbox and promises', () => {
  let store: Store;
  let remove: () => Promise<void>;
  before(async () => ({ store, remove } = await openWorld()));
  after(async () => {
    await store.close();
    await remove();
  });

  test('listing cases is enough for a promise broken by the passing of time to have its case', async () => {
    // Before the due dates nothing is broken; at NOW two promises are, and the inbox shows it.
    assert.ok((await currentCases(store, { now: NOW - 30 * 86_400_000 })).every((c) => c.kind !== 'broken_promise'));
    const cases = await currentCases(store, { now: NOW });
    assert.ok(cases.some((c) => c.kind === 'broken_promise' && /credit promise BROKEN/.test(c.reason)));
  });

});
