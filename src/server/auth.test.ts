/**
 * No endpoint answers data without a valid key of the right role: every route × every role,
 * from a table written here (not read from the app), checked against the OpenAPI document so a
 * new route without a row fails the test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Role } from './keys.ts';
import { startTestServer } from './testing.ts';
import type { TestServer } from './testing.ts';

type Who = Role | 'none' | 'bad key' | 'revoked';

interface RouteCase {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  /** The OpenAPI path this request exercises. */
  path: string;
  allowed: readonly Role[];
  payload?: unknown;
}

const ANALYST_ONLY = ['admin', 'analyst'] as const;
const track = { type: 'track', userId: 'C1', event: 'pay_bill/view_bill', messageId: 'auth-m1', timestamp: '2026-06-01T09:00:00Z' };

const ROUTES: readonly RouteCase[] = [
  ...['journeys', 'map', 'variants', 'broken', 'metrics', 'cases/rollup', 'cases/hidden', 'feedback/comments', 'feedback/comments/total', 'feedback/topics', 'feedback/praise', 'agents', 'drivers', 'risk', 'promises', 'teams', 'outbound', 'drill', 'surveys'].map(
    (name): RouteCase => ({ method: 'GET', url: `/api/v1/${name}`, path: `/api/v1/${name}`, allowed: ANALYST_ONLY }),
  ),
  // Lists of customers or cases: analysts' (docs/security.md); agents reach one customer at a time.
  { method: 'GET', url: '/api/v1/cases', path: '/api/v1/cases', allowed: ANALYST_ONLY },
  { method: 'GET', url: '/api/v1/cases?hidden-at-risk=true', path: '/api/v1/cases', allowed: ANALYST_ONLY },
  { method: 'GET', url: '/api/v1/cases?status=open&overdue=true', path: '/api/v1/cases', allowed: ANALYST_ONLY },
  { method: 'GET', url: '/api/v1/cases/CS-NONE', path: '/api/v1/cases/{id}', allowed: ['admin', 'analyst', 'agent'] },
  ...['contact', 'resolve', 'close'].map(
    (verb): RouteCase => ({ method: 'POST', url: `/api/v1/cases/CS-NONE/${verb}`, path: `/api/v1/cases/{id}/${verb}`, allowed: ['admin', 'agent'], payload: verb === 'contact' ? { note: 'called' } : { root_cause: 'x', issue_resolved: true } }),
  ),
  { method: 'GET', url: '/api/v1/surveys/none', path: '/api/v1/surveys/{id}', allowed: ANALYST_ONLY },
  {
    method: 'POST',
    url: '/api/v1/surveys',
    path: '/api/v1/surveys',
    allowed: ANALYST_ONLY,
    payload: { id: 'auth_survey', type: 'transaction', questions: [{ id: 'csat', kind: 'csat', text: 'How was your visit?' }] },
  },
  ...['links', 'conversations'].map(
    (what): RouteCase => ({ method: 'POST', url: `/api/v1/surveys/none/${what}`, path: `/api/v1/surveys/{id}/${what}`, allowed: ['admin', 'analyst', 'agent'], payload: { customer: 'customer_id:C1' } }),
  ),
  { method: 'POST', url: '/api/v1/conversations/inbound', path: '/api/v1/conversations/inbound', allowed: ['admin', 'gateway'], payload: { from: '5550001111', text: '1' } },
  { method: 'GET', url: '/api/v1/me', path: '/api/v1/me', allowed: ['admin', 'analyst', 'agent', 'collector', 'gateway'] },
  { method: 'GET', url: '/api/v1/engage/policies', path: '/api/v1/engage/policies', allowed: ['admin', 'analyst', 'agent'] },
  { method: 'GET', url: '/api/v1/customers/customer_id:C1', path: '/api/v1/customers/{id}', allowed: ['admin', 'agent'] },
  { method: 'GET', url: '/api/v1/customers/customer_id:C1/context', path: '/api/v1/customers/{id}/context', allowed: ['admin', 'agent'] },
  {
    method: 'POST',
    url: '/api/v1/engage/evaluate',
    path: '/api/v1/engage/evaluate',
    allowed: ['admin', 'agent'],
    payload: { customer: 'customer_id:C1', candidates: [{ action_id: 'a', kind: 'service', channel: 'email' }] },
  },
  { method: 'GET', url: '/api/v1/engage/decisions', path: '/api/v1/engage/decisions', allowed: ANALYST_ONLY },
  { method: 'POST', url: '/v1/batch', path: '/v1/batch', allowed: ['admin', 'collector'], payload: { batch: [track] } },
  ...['track', 'identify', 'alias', 'page', 'screen', 'group'].map(
    (type): RouteCase => ({
      method: 'POST',
      url: `/v1/${type}`,
      path: `/v1/${type}`,
      allowed: ['admin', 'collector'],
      payload: { ...track, type, messageId: `auth-${type}`, previousId: 'anon', name: 'Home', groupId: 'g' },
    }),
  ),
  { method: 'POST', url: '/api/v1/events', path: '/api/v1/events', allowed: ['admin', 'collector'], payload: [{ event_id: 'auth-e1', ts: '2026-06-01T09:00:00Z', channel: 'web', activity: 'a/b', customer_id: 'C1' }] },
  { method: 'GET', url: '/api/v1/keys', path: '/api/v1/keys', allowed: ['admin'] },
  { method: 'POST', url: '/api/v1/keys', path: '/api/v1/keys', allowed: ['admin'], payload: { role: 'agent', name: 'from the auth test' } },
  { method: 'DELETE', url: '/api/v1/keys/000000000000', path: '/api/v1/keys/{id}', allowed: ['admin'] },
];

/** Open to anyone: the hosted survey page checks its signed link instead of a key. */
const PUBLIC = ['GET /healthz', 'GET /s/{token}', 'POST /s/{token}'];

const WHO: readonly Who[] = ['none', 'bad key', 'revoked', 'admin', 'analyst', 'agent', 'collector', 'gateway'];

describe('access control', () => {
  let s: TestServer;
  let revokedKey: string;

  before(async () => {
    s = await startTestServer();
    await s.load('interactions', [{ event_id: 'seed-1', ts: '2026-06-01T08:00:00Z', channel: 'web', activity: 'pay_bill/view_bill', customer_id: 'C1' }]);
    const created = await s.call('admin', { method: 'POST', url: '/api/v1/keys', payload: { role: 'admin', name: 'soon revoked' } });
    const { id, key } = created.json<{ id: string; key: string }>();
    revokedKey = key;
    assert.equal((await s.call('admin', { method: 'DELETE', url: `/api/v1/keys/${id}` })).statusCode, 200);
  });
  after(() => s.close());

  test('every documented endpoint is in the access table', async () => {
    const doc = (await s.app.inject({ method: 'GET', url: '/api/docs/json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
    const documented = Object.entries(doc.paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`));
    const covered = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
    const missing = documented.filter((d) => !covered.has(d) && !PUBLIC.includes(d));
    assert.deepEqual(missing, [], 'routes without an access row');
  });

  for (const route of ROUTES) {
    test(`${route.method} ${route.url} answers only ${route.allowed.join(' and ')} keys`, async () => {
      for (const who of WHO) {
        const authorization = who === 'none' ? undefined : who === 'bad key' ? 'Bearer tl_0123456789ab_' + 'x'.repeat(43) : who === 'revoked' ? `Bearer ${revokedKey}` : `Bearer ${s.keys[who]}`;
        // A gateway signs what it sends (its own test below checks what an unsigned request gets).
        const r =
          who === 'gateway' && route.path === '/api/v1/conversations/inbound'
            ? await s.inbound(route.payload as Record<string, string>)
            : await s.app.inject({
                method: route.method,
                url: route.url,
                ...(authorization !== undefined ? { headers: { authorization } } : {}),
                ...(route.payload !== undefined ? { payload: route.payload as Record<string, unknown> } : {}),
              });
        const label = `${route.method} ${route.url} as ${who}: ${r.statusCode} ${r.body.slice(0, 200)}`;
        if (who === 'none' || who === 'bad key' || who === 'revoked') {
          assert.equal(r.statusCode, 401, label);
          assert.deepEqual(Object.keys(r.json()), ['error'], label);
        } else if (route.allowed.includes(who)) {
          assert.ok(r.statusCode !== 401 && r.statusCode !== 403 && r.statusCode < 500, label);
        } else {
          assert.equal(r.statusCode, 403, label);
          assert.deepEqual(Object.keys(r.json()), ['error'], label);
          assert.equal(r.json<{ error: { code: string } }>().error.code, 'forbidden', label);
        }
      }
    });
  }

  test('health and the API documentation need no key and hold no data', async () => {
    const h = await s.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(h.statusCode, 200);
    assert.equal(h.json<{ status: string }>().status, 'ok');
    // Not even how many customers and identifiers the store holds: that is for an admin key.
    assert.deepEqual(h.json(), { status: 'ok', dead_letters: 0 });
    for (const role of ['analyst', 'agent', 'collector'] as const) assert.deepEqual((await s.call(role, { method: 'GET', url: '/healthz' })).json(), { status: 'ok', dead_letters: 0 }, role);
    const full = (await s.call('admin', { method: 'GET', url: '/healthz' })).json<Record<string, unknown>>();
    assert.ok('collector' in full && 'context_cache' in full);
    assert.equal((await s.app.inject({ method: 'GET', url: '/api/docs/json' })).statusCode, 200);
    const ui = await s.app.inject({ method: 'GET', url: '/api/docs' });
    assert.ok(ui.statusCode === 200 || ui.statusCode === 302, String(ui.statusCode));
  });

  test('the hosted survey page takes no key: whoever calls, the signed link is what is checked', async () => {
    for (const who of WHO) {
      const authorization = who === 'none' ? undefined : who === 'bad key' || who === 'revoked' ? `Bearer ${revokedKey}` : `Bearer ${s.keys[who]}`;
      for (const method of ['GET', 'POST'] as const) {
        const r = await s.app.inject({
          method,
          url: '/s/not.a.link',
          ...(authorization !== undefined ? { headers: { authorization } } : {}),
          ...(method === 'POST' ? { payload: 'answer=1', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization !== undefined ? { authorization } : {}) } } : {}),
        });
        assert.equal(r.statusCode, 401, `${method} as ${who}`);
        assert.match(r.body, /This survey link is not valid/, `${method} as ${who}`);
      }
    }
  });

  test('a collector key works as the Segment write key: HTTP Basic user or writeKey in the body', async () => {
    const basic = 'Basic ' + Buffer.from(`${s.keys.collector}:`).toString('base64');
    const r1 = await s.app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic }, payload: { ...track, messageId: 'basic-1' } });
    assert.equal(r1.statusCode, 200, r1.body);
    const r2 = await s.app.inject({ method: 'POST', url: '/v1/track', payload: { ...track, messageId: 'body-1', writeKey: s.keys.collector } });
    assert.equal(r2.statusCode, 200, r2.body);
    const r3 = await s.app.inject({ method: 'POST', url: '/v1/track', payload: { ...track, messageId: 'body-2', writeKey: s.keys.agent } });
    assert.equal(r3.statusCode, 403, r3.body);
    const r4 = await s.app.inject({ method: 'POST', url: '/v1/track', payload: { ...track, messageId: 'body-3' } });
    assert.equal(r4.statusCode, 401, r4.body);
  });

  test('a key is refused once it is revoked over the API', async () => {
    const created = (await s.call('admin', { method: 'POST', url: '/api/v1/keys', payload: { role: 'analyst' } })).json<{ id: string; key: string }>();
    const use = () => s.app.inject({ method: 'GET', url: '/api/v1/journeys', headers: { authorization: `Bearer ${created.key}` } });
    assert.equal((await use()).statusCode, 200);
    assert.equal((await s.call('admin', { method: 'DELETE', url: `/api/v1/keys/${created.id}` })).statusCode, 200);
    assert.equal((await use()).statusCode, 401);
    const listed = (await s.call('admin', { method: 'GET', url: '/api/v1/keys' })).json<{ id: string; revoked_at: string | null }[]>();
    assert.ok(listed.find((k) => k.id === created.id)?.revoked_at !== null);
    assert.ok(!JSON.stringify(listed).includes(created.key.slice(16)), 'keys are never listed');
  });
});
