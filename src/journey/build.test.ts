import assert from 'node:assert/strict';
import { testOnEachStore } from '../../test/support/store-targets.ts';
import type { StoreTarget } from '../../test/support/store-targets.ts';
import { importFiles } from '../ingest/import.ts';
import { openStore } from '../store/open.ts';
import type { Row, Store } from '../store/store.ts';
import { DEFAULT_JOURNEY_WINDOW_MS, rebuildJourneys, rederiveAllJourneysStatements, WHOLE_HISTORY } from './build.ts';
import { brokenSteps } from './broken.ts';
import { journeyMap } from './map.ts';
import { journeysDocument } from './summary.ts';
import { at, createTestDir, createTestEvent, createTestFeedback, createTestRandom, writeCsv } from './testing.ts';
import type { Cells } from './testing.ts';
import { journeyVariants } from './variants.ts';

const DAY = 86_400_000;

/** Runs `fn` on a fresh store of `target` (removed when the file's tests are done). */
async function withStore<T>(target: StoreTarget, label: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(await target.freshLocation(label));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function journeysOf(store: Store): Promise<Row[]> {
  return store.query(`SELECT journey_id, customer_key, intent, explicit, start_ts, end_ts, steps, first_channel, last_channel, channels,
      channel_switches, assisted, failures, last_outcome, outcome, effort_s, path, contained
    FROM journeys ORDER BY journey_id`);
}

async function stepsOf(store: Store): Promise<Row[]> {
  return store.query(`SELECT event_id, customer_key, journey_id, step_no, next_ts, next_channel, next_activity FROM interactions ORDER BY event_id`);
}

testOnEachStore('a customer’s events toward one intent form one journey until a gap longer than the window', async (target) => {
  const { dir, remove } = await createTestDir();
  try {
    const file = await writeCsv(dir, 'events.csv', [
      createTestEvent({ event_id: 'a1', ts: at(0), activity: 'pay_bill/view_bill' }),
      createTestEvent({ event_id: 'b1', ts: at(1), activity: 'check_usage/view_usage' }),
      createTestEvent({ event_id: 'a2', ts: at(2), channel: 'call', activity: 'pay_bill/agent_payment' }),
      createTestEvent({ event_id: 'a3', ts: at(12), activity: 'pay_bill/view_bill' }),
    ]);
    await withStore(target, 'week', async (store) => {
      await importFiles(store, [file]);
      const rows = await store.query(`SELECT intent, steps, channels FROM journeys ORDER BY start_ts`);
      assert.deepEqual(rows, [
        { intent: 'pay_bill', steps: 2, channels: 'web,call' },
        { intent: 'check_usage', steps: 1, channels: 'web' },
        { intent: 'pay_bill', steps: 1, channels: 'web' },
      ]);
    });
    await withStore(target, 'day', async (store) => {
      await importFiles(store, [file], { journeyWindowMs: DAY });
      const [n] = await store.query(`SELECT count(*) AS n FROM journeys WHERE intent = 'pay_bill'`);
      assert.equal(n!.n, 3, 'a one-day window splits the two-day gap too');
    });
  } finally {
    await remove();
  }
});

testOnEachStore('an explicit journey_id overrides sessionisation, across intents and long gaps', async (target) => {
  const { dir, remove } = await createTestDir();
  try {
    const file = await writeCsv(dir, 'events.csv', [
      createTestEvent({ ts: at(0), activity: 'dispute_charge/dispute_form', journey_id: 'CASE-1' }),
      createTestEvent({ ts: at(30), channel: 'call', activity: 'refund/agent_refund', journey_id: 'CASE-1' }),
      createTestEvent({ ts: at(31), activity: 'dispute_charge/view_bill' }),
    ]);
    await withStore(target, 't', async (store) => {
      await importFiles(store, [file]);
      const rows = await store.query(`SELECT journey_id, explicit, intent, steps, path FROM journeys ORDER BY start_ts`);
      assert.equal(rows.length, 2);
      assert.deepEqual(rows[0], {
        journey_id: 'CASE-1',
        explicit: true,
        intent: 'dispute_charge',
        steps: 2,
        path: 'web\u001edispute_charge/dispute_form\u001fcall\u001erefund/agent_refund',
      });
      assert.equal(rows[1]!.explicit, false);
    });
  } finally {
    await remove();
  }
});

testOnEachStore('outbound contacts are kept for the context but are not journey steps', async (target) => {
  const { dir, remove } = await createTestDir();
  try {
    const file = await writeCsv(dir, 'events.csv', [
      createTestEvent({ event_id: 'in1', ts: at(0), activity: 'pay_bill/view_bill' }),
      createTestEvent({ event_id: 'out1', ts: at(0, 5), channel: 'sms', activity: 'billing/payment_reminder', direction: 'outbound', outcome: '' }),
      createTestEvent({ event_id: 'in2', ts: at(0, 10), activity: 'pay_bill/submit_payment' }),
    ]);
    await withStore(target, 't', async (store) => {
      await importFiles(store, [file]);
      const steps = await stepsOf(store);
      const out = steps.find((s) => s.event_id === 'out1')!;
      assert.equal(out.journey_id, null);
      assert.equal(out.step_no, null);
      const [j] = await store.query(`SELECT steps, channels FROM journeys`);
      assert.deepEqual(j, { steps: 2, channels: 'web' });
      const map = await journeyMap(store, { by: 'activity' });
      assert.deepEqual(map.edges.map((e) => [e.from, e.to, e.count]), [['pay_bill/view_bill', 'pay_bill/submit_payment', 1]]);
    });
  } finally {
    await remove();
  }
});

testOnEachStore('a journey records its outcome, channels, switches, assisted contacts, failures, duration and effort', async (target) => {
  const { dir, remove } = await createTestDir();
  try {
    const file = await writeCsv(dir, 'events.csv', [
      createTestEvent({ customer_id: 'C1', ts: at(0), activity: 'pay_bill/submit_payment', outcome: 'failure', duration_s: 60 }),
      createTestEvent({ customer_id: 'C1', ts: at(0, 30), channel: 'call', activity: 'pay_bill/agent_payment', duration_s: 300, wait_s: 120 }),
      createTestEvent({ customer_id: 'C2', ts: at(0), channel: 'app', activity: 'plan_change/view_plans' }),
      createTestEvent({ customer_id: 'C2', ts: at(0, 1), channel: 'app', activity: 'plan_change/confirm_change', outcome: 'abandoned' }),
      createTestEvent({ customer_id: 'C3', ts: at(0), channel: 'ivr', activity: 'tech_support/ivr_menu', outcome: 'transferred' }),
    ]);
    await withStore(target, 't', async (store) => {
      await importFiles(store, [file]);
      const rows = await store.query(`SELECT customer_key, first_channel, last_channel, channels, channel_switches, assisted, failures, outcome,
          end_ts - start_ts AS duration_ms, effort_s, contained FROM journeys ORDER BY first_channel`);
      assert.deepEqual(
        rows.map(({ customer_key: _, ...r }) => r),
        [
          { first_channel: 'app', last_channel: 'app', channels: 'app', channel_switches: 0, assisted: 0, failures: 1, outcome: 'abandoned', duration_ms: 60_000, effort_s: null, contained: true },
          { first_channel: 'ivr', last_channel: 'ivr', channels: 'ivr', channel_switches: 0, assisted: 0, failures: 1, outcome: 'unresolved', duration_ms: 0, effort_s: null, contained: true },
          { first_channel: 'web', last_channel: 'call', channels: 'web,call', channel_switches: 1, assisted: 1, failures: 1, outcome: 'resolved', duration_ms: 1_800_000, effort_s: 480, contained: false },
        ],
      );
    });
  } finally {
    await remove();
  }
});

testOnEachStore('containment looks for assisted contacts of the same customer in any journey within 24 hours of a digital start', async (target) => {
  const { dir, remove } = await createTestDir();
  try {
    const file = await writeCsv(dir, 'events.csv', [
      // C1: a call about something else on the same evening: the usage check was not contained.
      createTestEvent({ customer_id: 'C1', ts: at(0), activity: 'check_usage/view_usage' }),
      createTestEvent({ customer_id: 'C1', ts: at(0, 600), channel: 'call', activity: 'pay_bill/agent_payment' }),
      // C2: the call comes two days later: the journey's first day was self-service.
      createTestEvent({ customer_id: 'C2', ts: at(0), activity: 'pay_bill/view_bill' }),
      createTestEvent({ customer_id: 'C2', ts: at(2), channel: 'call', activity: 'pay_bill/agent_payment' }),
      // C3: an outbound call from the company does not count against the customer's self-service.
      createTestEvent({ customer_id: 'C3', ts: at(0), channel: 'app', activity: 'check_usage/view_usage' }),
      createTestEvent({ customer_id: 'C3', ts: at(0, 60), channel: 'call', activity: 'retention/outbound_call', direction: 'outbound' }),
    ]);
    await withStore(target, 't', async (store) => {
      await importFiles(store, [file]);
      const rows = await store.query(`SELECT customer_key, intent, first_channel, contained FROM journeys ORDER BY customer_key, start_ts`);
      const keys = new Map((await store.query(`SELECT DISTINCT customer_id, customer_key FROM interactions`)).map((r) => [r.customer_id, r.customer_key]));
      const byCustomer = (id: string): Row[] => rows.filter((r) => r.customer_key === keys.get(id));
      assert.deepEqual(byCustomer('C1').map((r) => [r.intent, r.contained]), [['check_usage', false], ['pay_bill', null]]);
      assert.deepEqual(byCustomer('C2').map((r) => [r.intent, r.contained]), [['pay_bill', true]]);
      assert.deepEqual(byCustomer('C3').map((r) => [r.intent, r.contained]), [['check_usage', true]]);
      const doc = await journeysDocument(store);
      assert.equal(doc.digital_journeys, 3);
      assert.equal(doc.containment_rate, 0.6667);
    });
  } finally {
    await remove();
  }
});

/** A few weeks of several customers, with failures, channel switches, cookies that log in later, and answers. */
function createHistory(days: number): { events: Cells[]; feedback: Cells[] } {
  const rnd = createTestRandom(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const events: Cells[] = [];
  const feedback: Cells[] = [];
  for (let c = 1; c <= 40; c++) {
    for (let day = 0; day < days; day++) {
      if (rnd() > 0.25) continue;
      const intent = pick(['pay_bill', 'tech_support', 'plan_change']);
      const channel = pick(['web', 'app', 'ivr']);
      let minute = Math.floor(rnd() * 600);
      // Some visits start anonymous: the cookie links to the customer only once they log in.
      const ids: Cells = channel === 'web' && rnd() < 0.3 ? { customer_id: '', cookie_id: `ck-${c}` } : { customer_id: `C${c}` };
      const steps = 1 + Math.floor(rnd() * 3);
      let failed = false;
      for (let s = 0; s < steps; s++) {
        failed = rnd() < 0.2;
        const e = createTestEvent({ ...ids, ts: at(day, minute), channel, activity: `${intent}/step_${s}`, outcome: failed ? 'failure' : 'success', duration_s: 30 });
        events.push(e);
        minute += 1 + Math.floor(rnd() * 5);
        if (failed) break;
      }
      if (failed && rnd() < 0.7) {
        const call = createTestEvent({ customer_id: `C${c}`, cookie_id: ids.cookie_id, ts: at(day, minute + 30), channel: 'call', activity: `${intent}/agent`, wait_s: 60 });
        events.push(call);
        if (rnd() < 0.6) feedback.push(createTestFeedback({ customer_id: `C${c}`, ts: at(day, minute + 45), score: failed ? 2 : 5, event_id: call.event_id }));
      }
    }
  }
  return { events, feedback };
}

testOnEachStore('importing a day of new events updates journeys to exactly what one full import gives', async (target) => {
  const { dir, remove } = await createTestDir();
  try {
    const { events, feedback } = createHistory(10);
    const lastDay = Date.parse(at(9));
    const before = events.filter((e) => Date.parse(String(e.ts)) < lastDay);
    const today = events.filter((e) => Date.parse(String(e.ts)) >= lastDay);
    // An anonymous visitor who logs in today: yesterday's visit moves to the customer's journey.
    // (The customer's own record comes first in the file: identity keys are minted from the
    // earliest identifier, so only then do both imports give the customer the same key.)
    before.push(createTestEvent({ customer_id: 'C99', ts: at(7), channel: 'call', activity: 'upgrade_device/agent_order', outcome: 'failure' }));
    before.push(createTestEvent({ customer_id: '', cookie_id: 'ck-new', ts: at(8), activity: 'upgrade_device/browse' }));
    today.push(createTestEvent({ customer_id: 'C99', cookie_id: 'ck-new', ts: at(9), activity: 'upgrade_device/checkout' }));
    assert.ok(today.length > 5 && before.length > 100);
    const oldFile = await writeCsv(dir, 'before.csv', before);
    const newFile = await writeCsv(dir, 'today.csv', today);
    const fbFile = await writeCsv(dir, 'feedback.csv', feedback);
    const snapshot = async (store: Store): Promise<unknown> => ({
      journeys: await journeysOf(store),
      steps: await stepsOf(store),
      doc: await journeysDocument(store),
      map: await journeyMap(store),
      activityMap: await journeyMap(store, { by: 'activity' }),
      variants: await journeyVariants(store),
      broken: await brokenSteps(store),
    });
    const incremental = await withStore(target, 'incremental', async (store) => {
      await importFiles(store, [oldFile, fbFile]);
      const [{ n: journeysBefore } = { n: 0 }] = await store.query(`SELECT count(*) AS n FROM journeys`);
      await importFiles(store, [newFile]);
      const [{ n: journeysAfter } = { n: 0 }] = await store.query(`SELECT count(*) AS n FROM journeys`);
      assert.notEqual(journeysAfter, journeysBefore, 'the new day adds journeys');
      return snapshot(store);
    });
    const full = await withStore(target, 'full', async (store) => {
      await importFiles(store, [oldFile, fbFile, newFile]);
      return snapshot(store);
    });
    assert.deepEqual(incremental, full);
    const { journeys } = full as { journeys: Row[] };
    assert.ok(
      journeys.some((j) => Number(j.start_ts) < lastDay && Number(j.end_ts) >= lastDay),
      'some journey continues from the earlier days into the new one',
    );
    assert.ok(
      journeys.some((j) => j.intent === 'upgrade_device' && j.steps === 3),
      'the anonymous visit joined the customer’s journey once the cookie logged in',
    );
  } finally {
    await remove();
  }
});

/**
 * Each slice brings what a merge may rebuild narrowly or must rebuild whole: steps toward one
 * intent, calls about another intent within 24 hours of a digital start (containment), explicit
 * journeys across intents, outbound contacts, and late events older than what is stored.
 */
async function sliceBySliceIsOnce(target: StoreTarget, journeyWindowMs: number): Promise<void> {
  const options = { journeyWindowMs };
  const { dir, remove } = await createTestDir();
  try {
    const rnd = createTestRandom(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const intents = ['pay_bill', 'tech_support', 'plan_change', 'check_usage'];
    const slices: Cells[][] = Array.from({ length: 6 }, () => []);
    for (let n = 0; n < 900; n++) {
      const customer = `C${1 + Math.floor(rnd() * 30)}`;
      const day = Math.floor(rnd() * 12);
      const minute = Math.floor(rnd() * 1440);
      const intent = pick(intents);
      const r = rnd();
      const e =
        r < 0.6
          ? createTestEvent({ customer_id: customer, ts: at(day, minute), channel: pick(['web', 'app', 'ivr']), activity: `${intent}/step_${Math.floor(rnd() * 3)}`, outcome: rnd() < 0.2 ? 'failure' : 'success' })
          : r < 0.8
            ? createTestEvent({ customer_id: customer, ts: at(day, minute), channel: pick(['call', 'chat', 'store']), activity: `${intent}/agent`, outcome: pick(['success', 'transferred']) })
            : r < 0.9
              ? createTestEvent({ customer_id: customer, ts: at(day, minute), channel: 'call', activity: `${intent}/outbound`, direction: 'outbound' })
              : createTestEvent({ customer_id: customer, ts: at(day, minute), channel: pick(['web', 'call']), activity: `${intent}/case_step`, journey_id: `case-${Math.floor(rnd() * 12)}` });
      // Mostly in time order, a tenth arriving in a later slice than their day.
      const slice = Math.min(5, Math.floor(day / 2) + (rnd() < 0.1 ? 1 + Math.floor(rnd() * 3) : 0));
      slices[slice]!.push(e);
    }
    // Planted: a self-service journey late on day 1, and in the next slice a call about another
    // intent two hours later, which makes that journey not contained.
    slices[0]!.push(createTestEvent({ customer_id: 'D1', ts: at(1, 23 * 60), channel: 'app', activity: 'check_usage/view_usage' }));
    slices[1]!.push(createTestEvent({ customer_id: 'D1', ts: at(2, 60), channel: 'call', activity: 'pay_bill/agent' }));
    const files: string[] = [];
    for (let i = 0; i < slices.length; i++) files.push(await writeCsv(dir, `slice-${i}.csv`, slices[i]!));
    const snapshot = async (store: Store): Promise<unknown> => ({
      journeys: await journeysOf(store),
      steps: await stepsOf(store),
      doc: await journeysDocument(store),
      variants: await journeyVariants(store),
    });
    const bySlice = await withStore(target, 'slices', async (store) => {
      for (const f of files) await importFiles(store, [f], options);
      return snapshot(store);
    });
    const once = await withStore(target, 'once', async (store) => {
      await importFiles(store, files, options);
      return snapshot(store);
    });
    assert.deepEqual(bySlice, once);
    const { journeys } = once as { journeys: Row[] };
    assert.ok(journeys.some((j) => j.contained === false) && journeys.some((j) => j.contained === true), 'containment both ways');
    assert.ok(journeys.some((j) => j.explicit === true), 'explicit journeys');
    const planted = journeys.filter((j) => j.intent === 'check_usage' && j.start_ts === Date.parse(at(1, 23 * 60)));
    assert.deepEqual(planted.map((j) => j.contained), [false], 'the later call about another intent counts against containment');
  } finally {
    await remove();
  }
}

testOnEachStore('importing slice by slice gives exactly what one import gives, whatever a slice touches', (target) => sliceBySliceIsOnce(target, DEFAULT_JOURNEY_WINDOW_MS));

// A merge rebuilds only journeys near its new events (docs/journeys.md): with a window shorter
// than containment's 24 hours, how far back is decided by containment.
testOnEachStore('the same with a two-hour journey window, shorter than containment looks', (target) => sliceBySliceIsOnce(target, 2 * 3600 * 1000));

/**
 * What the collector sees: every merge brings each customer's next steps, after everything
 * stored. Open journeys are extended in place (build.ts, the append path) rather than rebuilt;
 * the result must not tell the difference, in any figure a journey or a step carries.
 */
async function inOrderMergesAreOnce(target: StoreTarget): Promise<void> {
  const { dir, remove } = await createTestDir();
  try {
    const rnd = createTestRandom(11);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const merges: Cells[][] = Array.from({ length: 8 }, () => []);
    const minutes = new Map<string, number>();
    for (let n = 0; n < 1200; n++) {
      const merge = Math.floor(n / 150);
      const customer = `C${1 + Math.floor(rnd() * 15)}`;
      const intent = pick(['pay_bill', 'tech_support']);
      // Steps minutes apart, now and then more than the two-hour window: journeys both continue
      // across merges and break within one.
      const now = (minutes.get(customer) ?? 0) + (rnd() < 0.08 ? 180 : Math.floor(rnd() * 20));
      minutes.set(customer, now);
      const effort = rnd();
      const ids = customer === 'C15' ? { customer_id: '', cookie_id: 'ck-anon' } : { customer_id: customer };
      merges[merge]!.push(
        createTestEvent({
          ...ids,
          ts: at(0, now),
          // Mostly digital; an occasional call (the wide rebuild) between extended merges.
          channel: rnd() < 0.05 ? 'call' : pick(['web', 'app', 'ivr']),
          activity: `${intent}/step_${Math.floor(rnd() * 4)}`,
          outcome: pick(['success', 'success', 'failure', 'abandoned']),
          ...(effort < 0.3 ? { duration_s: String(Math.floor(rnd() * 300)) } : effort < 0.4 ? { wait_s: String(Math.floor(rnd() * 60)) } : {}),
        }),
      );
    }
    const files: string[] = [];
    for (let i = 0; i < merges.length; i++) files.push(await writeCsv(dir, `merge-${i}.csv`, merges[i]!));
    // Every in-order merge extends, however short the journeys (in use, only from 20,000 stored steps).
    const options = { journeyWindowMs: 2 * 3600 * 1000, journeyAppendFromSteps: 0 };
    const snapshot = async (store: Store): Promise<unknown> => ({
      journeys: await journeysOf(store),
      steps: await stepsOf(store),
      doc: await journeysDocument(store),
      map: await journeyMap(store),
      variants: await journeyVariants(store),
    });
    const byMerge = await withStore(target, 'merges', async (store) => {
      for (const f of files) await importFiles(store, [f], options);
      return snapshot(store);
    });
    const once = await withStore(target, 'once', async (store) => {
      await importFiles(store, files, options);
      return snapshot(store);
    });
    assert.deepEqual(byMerge, once);
    const { journeys } = once as { journeys: Row[] };
    assert.ok(journeys.some((j) => Number(j.steps) >= 10 && String(j.channels).split(',').length === 3), 'long journeys across channels');
    assert.ok(journeys.some((j) => j.effort_s === null) && journeys.some((j) => j.effort_s !== null), 'effort both known and unknown');
  } finally {
    await remove();
  }
}

testOnEachStore('events arriving in time order, merge after merge, extend open journeys to exactly what one import gives', inOrderMergesAreOnce);

testOnEachStore('journey rows written in slices (as a large import writes them) are the rows written at once', async (target) => {
  const { dir, remove } = await createTestDir();
  try {
    const { events } = createHistory(10);
    const file = await writeCsv(dir, 'events.csv', events);
    await withStore(target, 'sliced', async (store) => {
      await importFiles(store, [file]);
      const atOnce = await journeysOf(store);
      assert.ok(atOnce.length > 50);
      // Rebuild every customer with slices of at most 7 steps: many slices, each whole journeys.
      await store.transaction(async (tx) => {
        await tx.exec(`CREATE TEMP TABLE affected AS SELECT DISTINCT customer_key, ${WHOLE_HISTORY} AS since FROM interactions`);
        await tx.exec(`CREATE TEMP TABLE affected_pairs (customer_key TEXT, intent TEXT, since BIGINT)`);
        await rebuildJourneys(tx, DEFAULT_JOURNEY_WINDOW_MS, store.sql.stringAgg, { sliceSteps: 7 });
        await tx.exec(`DROP TABLE affected`);
        await tx.exec(`DROP TABLE affected_pairs`);
      });
      assert.deepEqual(await journeysOf(store), atOnce);
    });
  } finally {
    await remove();
  }
});

testOnEachStore('the schema migration’s re-derivation of stored journeys gives what the import built', async (target) => {
  const { dir, remove } = await createTestDir();
  try {
    const { events } = createHistory(5);
    const file = await writeCsv(dir, 'events.csv', events);
    await withStore(target, 't', async (store) => {
      await importFiles(store, [file]);
      const journeys = await journeysOf(store);
      const steps = await stepsOf(store);
      await store.transaction(async (tx) => {
        await tx.exec(`UPDATE interactions SET step_no = NULL, next_ts = NULL, next_channel = NULL, next_activity = NULL`);
        await tx.exec(`UPDATE journeys SET path = NULL, effort_s = NULL, contained = NULL`);
        for (const s of rederiveAllJourneysStatements(store.sql.stringAgg)) await tx.exec(s);
      });
      assert.deepEqual(await journeysOf(store), journeys);
      assert.deepEqual(await stepsOf(store), steps);
    });
  } finally {
    await remove();
  }
});
