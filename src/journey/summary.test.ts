import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { importFiles } from '../ingest/import.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { preferredChannel } from './preferred.ts';
import { journeysDocument } from './summary.ts';
import { at, createTestDir, createTestEvent, createTestFeedback, writeCsv } from './testing.ts';

let store: Store;
let remove: () => Promise<void>;
const keys = new Map<string, string>();

before(async () => {
  const t = await createTestDir();
  remove = t.remove;
  const events = [
    // C1 starts two journeys on the app and one on the web: prefers the app.
    createTestEvent({ customer_id: 'C1', ts: at(0), channel: 'app', activity: 'pay_bill/submit_payment' }),
    createTestEvent({ customer_id: 'C1', ts: at(10), channel: 'app', activity: 'check_usage/view_usage' }),
    createTestEvent({ customer_id: 'C1', ts: at(20), channel: 'web', activity: 'plan_change/view_plans', outcome: 'abandoned' }),
    // C2 starts once on the web and once in a call, but answers the company's SMS: prefers SMS.
    createTestEvent({ customer_id: 'C2', ts: at(0), channel: 'web', activity: 'pay_bill/submit_payment', outcome: 'failure' }),
    createTestEvent({ customer_id: 'C2', ts: at(0, 30), channel: 'call', activity: 'pay_bill/agent_payment' }),
    createTestEvent({ customer_id: 'C2', ts: at(12), channel: 'call', activity: 'tech_support/agent_troubleshoot', outcome: 'failure' }),
    createTestEvent({ event_id: 'sms-1', customer_id: 'C2', ts: at(3), channel: 'sms', activity: 'billing/payment_reminder', direction: 'outbound', outcome: 'success' }),
    createTestEvent({ event_id: 'sms-2', customer_id: 'C2', ts: at(4), channel: 'sms', activity: 'survey/invite', direction: 'outbound', outcome: '' }),
    createTestEvent({ event_id: 'sms-3', customer_id: 'C2', ts: at(5), channel: 'sms', activity: 'marketing/offer', direction: 'outbound', outcome: '' }),
    // C3: one web journey and one app journey, the app one later: a tie that recency breaks.
    createTestEvent({ customer_id: 'C3', ts: at(1), channel: 'web', activity: 'check_usage/view_usage' }),
    createTestEvent({ customer_id: 'C3', ts: at(2), channel: 'app', activity: 'pay_bill/view_bill' }),
  ];
  const files = [
    await writeCsv(t.dir, 'events.csv', events),
    await writeCsv(t.dir, 'feedback.csv', [createTestFeedback({ customer_id: 'C2', ts: at(4, 60), event_id: 'sms-2' })]),
  ];
  store = await openStore(path.join(t.dir, 'summary.duckdb'));
  await importFiles(store, files);
  for (const r of await store.query(`SELECT DISTINCT customer_id, customer_key FROM interactions`)) keys.set(String(r.customer_id), String(r.customer_key));
});

after(async () => {
  await store.close();
  await remove();
});

test('the journeys document counts outcomes, switches, assisted contacts and containment', async () => {
  const doc = await journeysDocument(store);
  assert.equal(doc.journeys, 7);
  assert.equal(doc.customers, 3);
  assert.equal(doc.resolved_rate, 0.7143);
  assert.equal(doc.abandoned_rate, 0.1429);
  assert.equal(doc.unresolved_rate, 0.1429);
  assert.equal(doc.median_steps, 1);
  assert.equal(doc.channel_switch_rate, 0.1429);
  assert.equal(doc.assisted_rate, 0.2857);
  assert.equal(doc.digital_journeys, 6);
  assert.equal(doc.containment_rate, 0.8333, 'C2’s web payment ended in a call');
  const pay = doc.by_intent.find((i) => i.intent === 'pay_bill')!;
  assert.deepEqual([pay.journeys, pay.customers, pay.containment_rate], [3, 3, 0.6667]);
  assert.deepEqual(
    doc.by_intent.map((i) => i.intent),
    ['pay_bill', 'check_usage', 'plan_change', 'tech_support'],
    'most journeys first, then by name',
  );
});

test('a customer prefers the channel they start journeys in and answer on, ties going to the most recent', async () => {
  assert.equal((await preferredChannel(store, keys.get('C1')!)).channel, 'app');
  const c2 = await preferredChannel(store, keys.get('C2')!);
  assert.equal(c2.channel, 'sms', 'a reminder answered and a survey answered outweigh one web start and one call');
  assert.deepEqual(
    c2.votes.map((v) => [v.channel, v.started, v.answered]),
    [
      ['sms', 0, 2],
      ['call', 1, 0],
      ['web', 1, 0],
    ],
  );
  assert.equal((await preferredChannel(store, keys.get('C3')!)).channel, 'app');
  assert.deepEqual(await preferredChannel(store, 'c-nobody'), { customer_key: 'c-nobody', channel: null, votes: [] });
});

test('the journeys document shows how customers split by preferred channel', async () => {
  const doc = await journeysDocument(store);
  assert.deepEqual(doc.preferred_channels, [
    { channel: 'app', customers: 2, share: 0.6667 },
    { channel: 'sms', customers: 1, share: 0.3333 },
  ]);
  const filtered = await journeysDocument(store, { intent: 'tech_support' });
  assert.equal(filtered.journeys, 1);
  assert.deepEqual(filtered.preferred_channels, [{ channel: 'sms', customers: 1, share: 1 }]);
});
