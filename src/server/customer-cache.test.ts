/**
 * The live context cache must never show what the store no longer says: every context served
 * from memory equals the one read from the store, after preloads, collector merges that re-key
 * customers, case changes and survey-style writes through the routes' store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { customerContext } from '../engage/index.ts';
import { createTestSurvey } from '../feedback/test-fixture.ts';
import { resolveCustomer } from '../identity/customers.ts';
import { ANNOUNCE_MAX_BYTES } from '../store/store.ts';
import { decodeChanges, encodeChanges, writtenTable } from './customer-cache.ts';
import { minutesAgo, startTestServer } from './testing.ts';
import type { TestServer } from './testing.ts';

const NOW = Date.parse('2026-06-10T12:00:00Z');

function world(): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (let c = 1; c <= 8; c++) {
    rows.push({ event_id: `w${c}a`, ts: minutesAgo(NOW, 300 + c), channel: 'web', activity: 'pay_bill/login', outcome: 'success', customer_id: `C${c}`, phone: `555000000${c}` });
    rows.push({ event_id: `w${c}b`, ts: minutesAgo(NOW, 290 + c), channel: 'web', activity: 'pay_bill/submit_payment', outcome: c % 2 ? 'failure' : 'success', customer_id: `C${c}` });
  }
  // A cookie seen alone: an anonymous visitor, until a later record links it.
  rows.push({ event_id: 'anon1', ts: minutesAgo(NOW, 200), channel: 'web', activity: 'support/search', outcome: 'success', cookie_id: 'ck-9' });
  // Another, on an app install: its device is named by no record the linking event carries.
  rows.push({ event_id: 'anon2', ts: minutesAgo(NOW, 190), channel: 'app', activity: 'support/search', outcome: 'success', cookie_id: 'ck-10', device_id: 'd-10' });
  return rows;
}

describe('the live context cache', () => {
  let s: TestServer;
  const context = async (id: string): Promise<unknown> => {
    const r = await s.call('agent', { method: 'GET', url: `/api/v1/customers/${encodeURIComponent(id)}/context` });
    assert.equal(r.statusCode, 200, r.body);
    return r.json();
  };
  /** The context as the store says it, without the cache. */
  const direct = async (id: string): Promise<unknown> =>
    JSON.parse(JSON.stringify(await customerContext(s.store, await resolveCustomer(s.store, id), { now: NOW })));

  before(async () => {
    s = await startTestServer({ now: () => NOW, preloadContextCache: false });
    await s.load('interactions', world());
    await s.load('feedback', [{ response_id: 'f1', ts: minutesAgo(NOW, 100), survey_id: 'rel', metric: 'nps', scope: 'relationship', score: 2, customer_id: 'C3' }]);
    await s.app.customerCache.preload();
  });
  after(() => s.close());

  test('a preloaded context equals the one read from the store, and is served from memory', async () => {
    const before = s.app.customerCache.describe();
    assert.ok(before.customers >= 9, `preloaded ${before.customers} customers`);
    for (let c = 1; c <= 8; c++) assert.deepEqual(await context(`customer_id:C${c}`), await direct(`customer_id:C${c}`), `C${c}`);
    assert.deepEqual(await context('phone:5550000003'), await direct('phone:5550000003'));
    const afterwards = s.app.customerCache.describe();
    assert.equal(afterwards.misses, before.misses, 'no context needed the store for its rows');
    assert.ok(afterwards.hits >= before.hits + 9);
  });

  test('a collector event that links the anonymous cookie to a customer re-keys both, in the next context', async () => {
    const anonBefore = await context('cookie_id:ck-9');
    const r = await s.call('collector', {
      method: 'POST',
      url: '/v1/batch',
      payload: {
        batch: [
          { type: 'track', messageId: 'm1', event: 'pay_bill/submit_payment', userId: 'C2', anonymousId: 'ck-9', properties: { channel: 'app', outcome: 'failure' }, timestamp: minutesAgo(NOW, 2) },
        ],
      },
    });
    assert.equal(r.statusCode, 200, r.body);
    const c2 = (await context('customer_id:C2')) as { recent: { activity: string; channel: string }[]; identifiers: { type: string; value: string }[] };
    assert.deepEqual(c2, await direct('customer_id:C2'));
    assert.equal(c2.recent[0]!.channel, 'app', 'the new event leads the recent steps');
    assert.ok(c2.identifiers.some((i) => i.type === 'cookie_id' && i.value === 'ck-9'), 'the cookie now belongs to C2');
    const cookieNow = (await context('cookie_id:ck-9')) as { customer_key: string };
    assert.notEqual(cookieNow.customer_key, (anonBefore as { customer_key: string }).customer_key, 'the cookie names C2 now, not the anonymous visitor');
    assert.deepEqual(cookieNow, await direct('cookie_id:ck-9'));
  });

  test('an identifier only an old record carries follows its customer when a new event re-keys that record', async () => {
    const anonBefore = (await context('device_id:d-10')) as { customer_key: string };
    const r = await s.call('collector', {
      method: 'POST',
      url: '/v1/batch',
      payload: { batch: [{ type: 'track', messageId: 'm2', event: 'support/chat', userId: 'C4', anonymousId: 'ck-10', timestamp: minutesAgo(NOW, 1) }] },
    });
    assert.equal(r.statusCode, 200, r.body);
    const device = (await context('device_id:d-10')) as { customer_key: string };
    assert.notEqual(device.customer_key, anonBefore.customer_key, 'the device names C4 now, not the anonymous visitor');
    assert.equal(device.customer_key, ((await context('customer_id:C4')) as { customer_key: string }).customer_key);
    assert.deepEqual(device, await direct('device_id:d-10'));
  });

  test('a case changed through the API shows in the next context', async () => {
    const withCase = (await context('customer_id:C3')) as { cases: { case_id: string; status: string }[] };
    assert.equal(withCase.cases.length, 1, 'the detractor answer opened a case');
    const id = withCase.cases[0]!.case_id;
    const r = await s.call('agent', { method: 'POST', url: `/api/v1/cases/${id}/close`, payload: { note: 'called back', root_cause: 'web:pay_bill/submit_payment', issue_resolved: true } });
    assert.equal(r.statusCode, 200, r.body);
    const closed = (await context('customer_id:C3')) as { cases: unknown[] };
    assert.deepEqual(closed.cases, []);
    assert.deepEqual(closed, await direct('customer_id:C3'));
  });

  test('the open-cases index is read even while contexts keep arriving', async () => {
    s.app.customerCache.changed({ customers: [], identifiers: [] }, true);
    assert.equal(s.app.customerCache.describe().open_cases_ready, false);
    // Requests arriving during the read must not make it start over (they once did, forever).
    for (let round = 0; round < 50 && !s.app.customerCache.describe().open_cases_ready; round++) {
      await Promise.all(Array.from({ length: 8 }, (_, c) => context(`customer_id:C${c + 1}`)));
    }
    assert.equal(s.app.customerCache.describe().open_cases_ready, true);
  });

  test('a read that overlaps a change is not kept', async () => {
    const cache = s.app.customerCache;
    const key = await resolveCustomer(s.store, 'customer_id:C5');
    cache.changed({ customers: [key], identifiers: [] });
    const reading = cache.rowsOf(key);
    cache.changed({ customers: [key], identifiers: [] });
    await reading;
    const misses = cache.describe().misses;
    await cache.rowsOf(key);
    assert.equal(cache.describe().misses, misses + 1, 'the overlapping read was not cached');
    await cache.rowsOf(key);
    assert.equal(cache.describe().misses, misses + 1, 'the next read was');
  });

  test("a survey's free-text reply drops only its own customer from the cache, and the next context has the words", async () => {
    const survey = createTestSurvey({ id: 'cache_nps', contact_rules: { cooldown_days: 0, max_per_period: null } }) as { questions: { branches?: { actions?: { type: string }[] }[] }[] };
    // No webhook: tests make no calls off this machine.
    for (const b of survey.questions[0]!.branches ?? []) if (b.actions) b.actions = b.actions.filter((a) => a.type !== 'webhook');
    assert.equal((await s.call('analyst', { method: 'POST', url: '/api/v1/surveys', payload: survey })).statusCode, 201);
    const link = await s.call('agent', { method: 'POST', url: '/api/v1/surveys/cache_nps/links', payload: { customer: 'customer_id:C6' } });
    assert.equal(link.statusCode, 201, link.body);
    const url = link.json<{ url: string }>().url;
    const form = (fields: Record<string, string>) => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });
    const sorry = await s.app.inject({ method: 'POST', url, ...form({ answer: '2' }) });
    assert.equal(sorry.statusCode, 200, sorry.body);
    const session = /name="session" value="([^"]+)"/.exec(sorry.body)?.[1] ?? assert.fail('no session');

    await s.app.customerCache.preload();
    for (let c = 1; c <= 8; c++) await context(`customer_id:C${c}`);
    const before = s.app.customerCache.describe();
    const reply = await s.app.inject({ method: 'POST', url, ...form({ answer: 'A working payment page, please', session }) });
    assert.equal(reply.statusCode, 200, reply.body);
    const after = s.app.customerCache.describe();
    assert.ok(after.customers >= before.customers - 1, `the cache kept ${after.customers} of ${before.customers} customers`);
    assert.ok(after.identifiers >= before.identifiers, `and kept ${after.identifiers} of ${before.identifiers} identifiers`);

    const c6 = (await context('customer_id:C6')) as { feedback: { comment: string | null; answers: { text: string }[] }[] };
    assert.ok(c6.feedback.some((f) => f.answers.some((a) => a.text.includes('A working payment page'))), JSON.stringify(c6.feedback));
    assert.deepEqual(c6, await direct('customer_id:C6'));
    const misses = s.app.customerCache.describe().misses;
    for (const c of [1, 2, 3, 4, 5, 7, 8]) await context(`customer_id:C${c}`);
    assert.equal(s.app.customerCache.describe().misses, misses, 'every other customer is still served from memory');
  });

  test('only writes to tables the cache holds are seen as changes', () => {
    assert.equal(writtenTable('INSERT INTO feedback (seq) VALUES ($1)'), 'feedback');
    assert.equal(writtenTable('  UPDATE cases SET status = $1'), 'cases');
    assert.equal(writtenTable('DELETE FROM journeys WHERE x'), 'journeys');
    assert.equal(writtenTable('SELECT * FROM interactions'), null);
    assert.equal(writtenTable('CREATE TEMP TABLE t AS SELECT 1'), null);
  });

  test('a change is announced in pieces that fit a NOTIFY, and read back whole; a huge one as "everything"', () => {
    const customers = Array.from({ length: 900 }, (_, i) => `c_${String(i).padStart(30, '0')}`);
    const identifiers = Array.from({ length: 300 }, (_, i) => `email:person${i}@example.com`);
    const notices = encodeChanges('me', { customers, identifiers }, true);
    assert.ok(notices.length > 1, 'split into several');
    for (const n of notices) assert.ok(Buffer.byteLength(n) <= ANNOUNCE_MAX_BYTES, `${Buffer.byteLength(n)} bytes`);
    const heard = notices.map((n) => decodeChanges(n)!);
    assert.ok(heard.every((h) => h.origin === 'me'));
    assert.deepEqual(heard.flatMap((h) => (h.changes === 'all' ? [] : h.changes.customers)), customers);
    assert.deepEqual(heard.flatMap((h) => (h.changes === 'all' ? [] : h.changes.identifiers)), identifiers);
    assert.equal(heard.filter((h) => h.cases).length, 1, 'cases are said to have changed once');
    const huge = encodeChanges('me', { customers: Array.from({ length: 100_000 }, (_, i) => `c_${i}`), identifiers: [] }, false);
    assert.deepEqual(huge.map((n) => decodeChanges(n)), [{ origin: 'me', changes: 'all', cases: false }]);
    assert.deepEqual(decodeChanges('not json'), { origin: '', changes: 'all', cases: true }, 'an unreadable notice drops everything');
  });
});
