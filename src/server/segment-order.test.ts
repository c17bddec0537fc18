/**
 * Segment events sent in the same millisecond keep the order they were sent in: a browser
 * library stamps a login and the payment that fails right after it with one timestamp, and the
 * agent must read "login, then the payment failed", never the other way round.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { minutesAgo, startTestServer } from './testing.ts';
import type { TestServer } from './testing.ts';

const NOW = Date.parse('2026-06-10T12:00:00Z');

interface Doc {
  recent: { activity: string }[];
  open_journeys: { intent: string; summary: string; last_steps: { activity: string }[] }[];
}

describe('Segment events in one millisecond', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ now: () => NOW, preloadContextCache: false });
  });
  after(() => s.close());

  const context = async (id: string): Promise<Doc> => {
    const r = await s.call('agent', { method: 'GET', url: `/api/v1/customers/${encodeURIComponent(id)}/context` });
    assert.equal(r.statusCode, 200, r.body);
    return r.json<Doc>();
  };
  const steps = (doc: Doc): string[] => doc.open_journeys.find((j) => j.intent === 'pay_bill')!.last_steps.map((e) => e.activity);
  // Message ids in the reverse of the sending order, as random ids are half the time.
  const track = (id: string, user: string, event: string, ts: string, outcome = 'success') => ({
    type: 'track',
    messageId: id,
    userId: user,
    event,
    timestamp: ts,
    properties: { outcome },
  });

  test('within a batch', async () => {
    const ts = minutesAgo(NOW, 3);
    const r = await s.call('collector', {
      method: 'POST',
      url: '/v1/batch',
      payload: {
        batch: [
          track('z-3', 'U1', 'pay_bill/login', ts),
          track('y-2', 'U1', 'pay_bill/view_bill', ts),
          track('x-1', 'U1', 'pay_bill/submit_payment', ts, 'failure'),
        ],
      },
    });
    assert.equal(r.statusCode, 200, r.body);
    const doc = await context('customer_id:U1');
    assert.deepEqual(steps(doc), ['pay_bill/login', 'pay_bill/view_bill', 'pay_bill/submit_payment']);
    assert.deepEqual(doc.recent.map((e) => e.activity), ['pay_bill/submit_payment', 'pay_bill/view_bill', 'pay_bill/login']);
    assert.doesNotMatch(doc.open_journeys[0]!.summary, /submit_payment; then/);
  });

  test('in consecutive calls', async () => {
    const ts = minutesAgo(NOW, 2);
    for (const [id, event, outcome] of [['z-9', 'pay_bill/login', 'success'], ['a-1', 'pay_bill/submit_payment', 'failure']] as const) {
      const r = await s.call('collector', { method: 'POST', url: '/v1/track', payload: track(id, 'U2', event, ts, outcome) });
      assert.equal(r.statusCode, 200, r.body);
    }
    const doc = await context('customer_id:U2');
    assert.deepEqual(steps(doc), ['pay_bill/login', 'pay_bill/submit_payment']);
    assert.deepEqual(doc.recent.map((e) => e.activity), ['pay_bill/submit_payment', 'pay_bill/login']);
  });
});
