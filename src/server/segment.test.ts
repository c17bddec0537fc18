import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapSegmentMessage, withEnvelope } from './segment.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');

function fieldsOf(msg: unknown, expected: Parameters<typeof mapSegmentMessage>[1] = null) {
  const r = mapSegmentMessage(msg, expected, NOW);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.records.map((x): Record<string, unknown> => ({ kind: x.kind, ...x.fields }));
}

test('identify turns userId, anonymousId, device and traits into the identifiers of a profile', () => {
  const [p] = fieldsOf({
    type: 'identify',
    userId: 'u-1',
    anonymousId: 'anon-1',
    messageId: 'm1',
    traits: { email: 'Ann@Example.com', phone: '+1 555 123 4567', name: 'Ann Lee', plan: 'gold' },
    context: { device: { id: 'dev-9' }, timezone: 'America/Chicago' },
  });
  assert.deepEqual(p, {
    kind: 'profiles',
    customer_id: 'u-1',
    cookie_id: 'anon-1',
    device_id: 'dev-9',
    email: 'Ann@Example.com',
    phone: '+1 555 123 4567',
    name: 'Ann Lee',
    plan: 'gold',
    timezone: 'America/Chicago',
  });
});

test('track maps its event to an activity, its messageId to the event id and its properties to the contract', () => {
  const [e] = fieldsOf({
    type: 'track',
    userId: 'u-1',
    event: 'pay_bill/submit_payment',
    messageId: 'm2',
    timestamp: '2026-06-01T09:03:00-05:00',
    properties: { outcome: 'failure', agent_id: 'A7', intent: 'pay_bill', amount: 42 },
    context: { library: { name: 'analytics-node' } },
  });
  assert.equal(e!.kind, 'interactions');
  assert.equal(e!.event_id, 'm2');
  assert.equal(e!.activity, 'pay_bill/submit_payment');
  assert.equal(e!.channel, 'web');
  assert.equal(e!.ts, '2026-06-01T09:03:00-05:00');
  assert.equal(e!.outcome, 'failure');
  assert.equal(e!.agent_id, 'A7');
  assert.deepEqual(e!.properties, { amount: 42 });
  assert.deepEqual(e!.segment, { type: 'track', library: 'analytics-node' });
});

test('a track from a mobile app context defaults to the app channel, and a channel property wins', () => {
  assert.equal(fieldsOf({ type: 'track', userId: 'u', event: 'x', context: { app: { name: 'Shop' } } })[0]!.channel, 'app');
  assert.equal(fieldsOf({ type: 'track', userId: 'u', event: 'x', context: { os: { name: 'Android' } } })[0]!.channel, 'app');
  assert.equal(fieldsOf({ type: 'track', userId: 'u', event: 'x', properties: { channel: 'chat' } })[0]!.channel, 'chat');
});

test('page is a web step named after the page and screen an app step', () => {
  const [page] = fieldsOf({ type: 'page', anonymousId: 'a', name: 'Home', properties: { path: '/x' } });
  assert.equal(page!.channel, 'web');
  assert.equal(page!.activity, 'page/Home');
  const [byPath] = fieldsOf({ type: 'page', anonymousId: 'a', properties: { path: '/billing' } });
  assert.equal(byPath!.activity, 'page//billing');
  const [screen] = fieldsOf({ type: 'screen', anonymousId: 'a', name: 'Checkout' });
  assert.equal(screen!.channel, 'app');
  assert.equal(screen!.activity, 'screen/Checkout');
});

test('alias links the known user with the previous anonymous id, and group is accepted without a record', () => {
  assert.deepEqual(fieldsOf({ type: 'alias', userId: 'john', previousId: 'anon-7' }), [{ kind: 'profiles', customer_id: 'john', cookie_id: 'anon-7' }]);
  assert.deepEqual(fieldsOf({ type: 'group', userId: 'john', groupId: 'acme' }), []);
});

test('the event time falls back from timestamp to originalTimestamp, sentAt, then arrival', () => {
  assert.equal(fieldsOf({ type: 'track', userId: 'u', event: 'x', originalTimestamp: '2026-01-01T00:00:00Z', sentAt: '2026-01-02T00:00:00Z' })[0]!.ts, '2026-01-01T00:00:00Z');
  assert.equal(fieldsOf({ type: 'track', userId: 'u', event: 'x', sentAt: '2026-01-02T00:00:00Z' })[0]!.ts, '2026-01-02T00:00:00Z');
  assert.equal(fieldsOf({ type: 'track', userId: 'u', event: 'x' })[0]!.ts, new Date(NOW).toISOString());
});

test('a message without a messageId gets a stable id from its content', () => {
  const msg = { type: 'track', userId: 'u', event: 'x', timestamp: '2026-01-01T00:00:00Z' };
  const a = mapSegmentMessage(msg, null, NOW);
  const b = mapSegmentMessage({ ...msg }, null, NOW);
  assert.ok(a.ok && b.ok);
  assert.match(a.messageId, /^seg-[0-9a-f]{24}$/);
  assert.equal(a.messageId, b.messageId);
});

test('messages without an identity, a type or an event name are refused with the reason', () => {
  const reason = (msg: unknown, expected: Parameters<typeof mapSegmentMessage>[1] = null): string => {
    const r = mapSegmentMessage(msg, expected, NOW);
    assert.ok(!r.ok);
    return r.reason;
  };
  assert.match(reason({ type: 'track', event: 'x' }), /userId or anonymousId/);
  assert.match(reason({ type: 'fly', userId: 'u' }), /not one of/);
  assert.match(reason({ type: 'track', userId: 'u' }), /event name/);
  assert.match(reason({ type: 'identify', userId: 'u' }, 'track'), /sent to the \/v1\/track endpoint/);
  assert.match(reason('nope'), /JSON object/);
});

test('a batch envelope lends its context and sentAt to each message', () => {
  const merged = withEnvelope({ type: 'track', context: { ip: '1.2.3.4' } }, { context: { library: { name: 'x' } }, sentAt: 's' }) as Record<string, unknown>;
  assert.deepEqual(merged.context, { library: { name: 'x' }, ip: '1.2.3.4' });
  assert.equal(merged.sentAt, 's');
});
