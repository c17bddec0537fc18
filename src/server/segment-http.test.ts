/**
 * The collector as Segment's libraries reach it over HTTP: analytics.js's short paths, its JSON
 * sent as text/plain with the write key in the body, gzip bodies from server libraries, and CORS
 * for the origins the operator allows. (The real libraries: test/browser/segment-browser.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import type { LightMyRequestResponse } from 'fastify';
import { parseOrigin } from './cors.ts';
import { startTestServer } from './testing.ts';
import type { TestServer } from './testing.ts';

const SHOP = 'https://shop.example.com';

type ErrorAnswer = { error: { code: string; message: string } };

function assertError(r: LightMyRequestResponse, status: number, code: string, message: RegExp): void {
  assert.equal(r.statusCode, status, r.body);
  const body = r.json<ErrorAnswer>();
  assert.deepEqual(Object.keys(body), ['error']);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message']);
  assert.equal(body.error.code, code);
  assert.match(body.error.message, message);
}

describe('the collector as Segment libraries reach it', () => {
  let s: TestServer;
  let writeKey: string;
  const when = (minutes: number): string => new Date(Date.now() - minutes * 60_000).toISOString();

  before(async () => {
    s = await startTestServer({ corsOrigins: [SHOP, 'http://127.0.0.1:8080'] });
    writeKey = s.keys.collector;
  });
  after(() => s.close());

  async function recent(id: string): Promise<string[]> {
    const r = await s.call('agent', { method: 'GET', url: `/api/v1/customers/${encodeURIComponent(id)}/context` });
    assert.equal(r.statusCode, 200, r.body);
    return r.json<{ recent: { activity: string }[] }>().recent.map((e) => e.activity);
  }

  /** A post as analytics.js makes it: text/plain JSON, the write key in the body, no Authorization. */
  const asBrowser = (url: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    s.app.inject({ method: 'POST', url, headers: { 'content-type': 'text/plain;charset=UTF-8', origin: SHOP, ...headers }, payload: JSON.stringify({ writeKey, ...body }) });

  test('text/plain JSON with the write key in the body is taken on every short path analytics.js uses', async () => {
    const user = { userId: 'browser-1', anonymousId: 'anon-b1' };
    const calls: [string, Record<string, unknown>][] = [
      ['/v1/i', { type: 'identify', ...user, traits: { email: 'robin@example.com', name: 'Robin' }, timestamp: when(10) }],
      ['/v1/p', { type: 'page', ...user, name: 'Pricing', properties: { path: '/pricing' }, timestamp: when(9) }],
      ['/v1/t', { type: 'track', ...user, event: 'checkout/start', timestamp: when(8) }],
      ['/v1/s', { type: 'screen', ...user, name: 'Home', timestamp: when(7) }],
      ['/v1/g', { type: 'group', ...user, groupId: 'acme', timestamp: when(7) }],
      ['/v1/a', { type: 'alias', userId: 'browser-1', previousId: 'anon-b1-older', timestamp: when(7) }],
      ['/v1/b', { batch: [{ type: 'track', ...user, event: 'checkout/pay', properties: { outcome: 'failure' }, timestamp: when(6) }], sentAt: when(6) }],
    ];
    for (const [url, body] of calls) {
      const r = await asBrowser(url, body);
      assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
      assert.equal(r.json<{ accepted: number }>().accepted, 1, url);
    }
    assert.deepEqual(await recent('email:robin@example.com'), ['checkout/pay', 'screen/Home', 'checkout/start', 'page/Pricing']);
    assert.deepEqual((await recent('cookie_id:anon-b1-older')).length, 4, 'the alias linked the older anonymous id');
  });

  test('a wrong or missing write key in the body is 401 in the error shape; a key of another role is 403', async () => {
    const track = { type: 'track', userId: 'browser-2', event: 'x' };
    assertError(await asBrowser('/v1/t', { ...track, writeKey: 'tl_wrong' }), 401, 'unauthorized', /not valid/);
    const missing = await s.app.inject({ method: 'POST', url: '/v1/t', headers: { 'content-type': 'text/plain' }, payload: JSON.stringify(track) });
    assertError(missing, 401, 'unauthorized', /needs a write key/);
    assertError(await asBrowser('/v1/t', { ...track, writeKey: s.keys.analyst }), 403, 'forbidden', /analyst key may not call POST \/v1\/t/);
    const plain = await s.app.inject({ method: 'POST', url: '/v1/t', headers: { 'content-type': 'text/plain' }, payload: 'writeKey=' + writeKey });
    assertError(plain, 400, 'input', /not valid JSON/);
  });

  test('gzip bodies are inflated, with the key in a header or in the body; bad gzip is 400, a bomb 413', async () => {
    const basic = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
    const batch = { batch: [{ type: 'track', userId: 'gz-1', event: 'login', timestamp: when(5) }, { type: 'track', userId: 'gz-1', event: 'logout', timestamp: when(4) }] };
    const r = await s.app.inject({ method: 'POST', url: '/v1/batch', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: basic }, payload: zlib.gzipSync(JSON.stringify(batch)) });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json<{ accepted: number }>().accepted, 2);
    const t = await s.app.inject({
      method: 'POST',
      url: '/v1/t',
      headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip' },
      payload: zlib.gzipSync(JSON.stringify({ writeKey, type: 'track', userId: 'gz-1', event: 'help', timestamp: when(3) })),
    });
    assert.equal(t.statusCode, 200, t.body);
    const events = await s.app.inject({
      method: 'POST',
      url: '/api/v1/events?kind=interactions',
      headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip', authorization: `Bearer ${writeKey}` },
      payload: zlib.gzipSync(JSON.stringify({ event_id: 'gz-e1', ts: when(2), channel: 'call', activity: 'support/call', customer_id: 'gz-1' }) + '\n'),
    });
    assert.equal(events.statusCode, 200, events.body);
    assert.deepEqual(await recent('customer_id:gz-1'), ['support/call', 'help', 'logout', 'login']);

    const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: basic };
    assertError(await s.app.inject({ method: 'POST', url: '/v1/batch', headers, payload: Buffer.from(JSON.stringify(batch)) }), 400, 'input', /not valid gzip/);
    const bomb = zlib.gzipSync(JSON.stringify({ type: 'track', userId: 'gz-2', event: 'x', properties: { pad: 'a'.repeat(2_000_000) } }));
    assert.ok(bomb.length < 32 * 1024, 'the compressed body is under the limit');
    assertError(await s.app.inject({ method: 'POST', url: '/v1/track', headers, payload: bomb }), 413, 'too_large', /inflates past 32 KB/);
    assertError(await s.app.inject({ method: 'POST', url: '/v1/batch', headers: { ...headers, 'content-encoding': 'br' }, payload: Buffer.from('x') }), 400, 'input', /Content-Encoding br is not accepted/);
    assertError(await s.app.inject({ method: 'POST', url: '/v1/batch', headers, payload: zlib.gzipSync(JSON.stringify(batch)).subarray(0, 20) }), 400, 'input', /not valid gzip/);
    // A request without a body that says gzip is simply served.
    assert.equal((await s.app.inject({ method: 'GET', url: '/healthz', headers: { 'content-encoding': 'gzip' } })).statusCode, 200);
    // The server goes on taking events after each refusal.
    assert.equal((await s.app.inject({ method: 'POST', url: '/v1/batch', headers, payload: zlib.gzipSync(JSON.stringify(batch)) })).statusCode, 200);
  });

  test('an allowed origin gets its preflight answered and CORS headers on every answer, errors included', async () => {
    const pre = await s.app.inject({
      method: 'OPTIONS',
      url: '/v1/t',
      headers: { origin: SHOP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    assert.equal(pre.statusCode, 204, pre.body);
    assert.equal(pre.headers['access-control-allow-origin'], SHOP);
    assert.equal(pre.headers['access-control-allow-methods'], 'POST');
    assert.equal(pre.headers['access-control-allow-headers'], 'authorization,content-type');
    assert.match(String(pre.headers.vary), /Origin/);
    const ok = await asBrowser('/v1/t', { type: 'track', userId: 'cors-1', event: 'x' });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.headers['access-control-allow-origin'], SHOP);
    const refused = await asBrowser('/v1/t', { type: 'track', userId: 'cors-1', event: 'x', writeKey: 'tl_wrong' });
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.headers['access-control-allow-origin'], SHOP, 'the page can read why it was refused');
    const other = await s.app.inject({ method: 'OPTIONS', url: '/v1/b', headers: { origin: 'http://127.0.0.1:8080', 'access-control-request-method': 'POST' } });
    assert.equal(other.statusCode, 204);
    assert.equal(other.headers['access-control-allow-origin'], 'http://127.0.0.1:8080');
  });

  test('an origin not allowed gets no CORS header, on the preflight or the post; nor does the rest of the API', async () => {
    const evil = 'https://evil.example.net';
    const pre = await s.app.inject({ method: 'OPTIONS', url: '/v1/t', headers: { origin: evil, 'access-control-request-method': 'POST' } });
    assert.equal(pre.headers['access-control-allow-origin'], undefined);
    assertError(pre, 403, 'forbidden', /origin https:\/\/evil\.example\.net may not send events from a browser \(start the server with --cors-origin https:\/\/evil\.example\.net/);
    const post = await asBrowser('/v1/t', { type: 'track', userId: 'cors-2', event: 'x' }, { origin: evil });
    assert.equal(post.headers['access-control-allow-origin'], undefined);
    for (const origin of ['https://shop.example.com.evil.net', 'http://shop.example.com', 'null']) {
      const r = await s.app.inject({ method: 'OPTIONS', url: '/v1/batch', headers: { origin, 'access-control-request-method': 'POST' } });
      assert.equal(r.headers['access-control-allow-origin'], undefined, origin);
    }
    const api = await s.call('analyst', { method: 'GET', url: '/api/v1/journeys', headers: { origin: SHOP } });
    assert.equal(api.statusCode, 200);
    assert.equal(api.headers['access-control-allow-origin'], undefined, 'only the Segment collector answers browsers of other origins');
    const apiPre = await s.app.inject({ method: 'OPTIONS', url: '/api/v1/events', headers: { origin: SHOP, 'access-control-request-method': 'POST' } });
    assert.equal(apiPre.headers['access-control-allow-origin'], undefined);
  });

  test('a server given no origins answers no browser of another origin', async () => {
    const bare = await startTestServer();
    try {
      const pre = await bare.app.inject({ method: 'OPTIONS', url: '/v1/t', headers: { origin: SHOP, 'access-control-request-method': 'POST' } });
      assert.equal(pre.statusCode, 403);
      assert.equal(pre.headers['access-control-allow-origin'], undefined);
      const post = await bare.app.inject({ method: 'POST', url: '/v1/t', headers: { 'content-type': 'text/plain', origin: SHOP }, payload: JSON.stringify({ writeKey: bare.keys.collector, type: 'track', userId: 'u', event: 'x' }) });
      assert.equal(post.statusCode, 200, 'a request that is not from a browser is still served');
      assert.equal(post.headers['access-control-allow-origin'], undefined);
    } finally {
      await bare.close();
    }
  });

  test('an origin is given as scheme, host and port', () => {
    assert.equal(parseOrigin('https://Shop.Example.com'), 'https://shop.example.com');
    assert.equal(parseOrigin('http://127.0.0.1:8080'), 'http://127.0.0.1:8080');
    assert.equal(parseOrigin('https://shop.example.com:443'), 'https://shop.example.com');
    assert.throws(() => parseOrigin('shop.example.com'), /is not an origin/);
    assert.throws(() => parseOrigin('https://shop.example.com/checkout'), (e: Error & { hint?: string }) => /more than an origin/.test(e.message) && e.hint === 'give the scheme, host and port only: https://shop.example.com');
    assert.throws(() => parseOrigin('https://shop.example.com/'), /more than an origin/);
    assert.throws(() => parseOrigin('ftp://shop.example.com'), /http:\/\/ or https:\/\//);
  });
});
