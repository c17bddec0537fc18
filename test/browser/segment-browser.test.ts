/**
 * Segment's own libraries against `throughline serve` as a process: the browser build of
 * analytics.js (`@segment/analytics-next`, its UMD bundle served from node_modules by a local
 * shop page) in Debian's Chromium, and `@segment/analytics-node`. Their events must appear in the
 * customer's live context. The page's settings are given inline, so the library never asks
 * Segment's CDN; every request outside 127.0.0.1 is refused and must not even be tried.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Analytics } from '@segment/analytics-node';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext } from 'playwright-core';
import { CHROMIUM, NO_BROWSER } from '../support/browser.ts';
import { cli, serve, stop } from '../support/served.ts';
import type { Served } from '../support/served.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BUNDLES = path.join(ROOT, 'node_modules', '@segment', 'analytics-next', 'dist', 'umd');
// No name resolves but 127.0.0.1: the page can reach nothing else. (Not page.route: while
// Playwright intercepts requests it answers every CORS preflight itself, allowing any origin.)
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

/** A shop's page: it loads analytics.js from `/analytics-next/bundles/` of its own origin. */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Shop</title>
<script>window.analytics = { _cdn: location.origin };</script>
<script src="/analytics-next/bundles/index.js"></script>
</head><body><h1>Shop</h1></body></html>`;

/** Serves the shop page and the library's bundles (index.js and the chunks it loads) on 127.0.0.1. */
async function shopServer(): Promise<{ origin: string; close: () => Promise<void> }> {
  const files = new Set(fs.readdirSync(BUNDLES).filter((f) => f.endsWith('.js')));
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const file = url.pathname.startsWith('/analytics-next/bundles/') ? url.pathname.slice('/analytics-next/bundles/'.length) : null;
    if (url.pathname === '/') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    if (file !== null && files.has(file)) return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(fs.readFileSync(path.join(BUNDLES, file)));
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Polls `check` until it returns a value: a merge runs about a second after an acknowledgement. */
async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface ContextDoc {
  profile: { name: string | null; traits: Record<string, unknown> };
  identifiers: { type: string; value: string }[];
  recent: { activity: string; channel: string }[];
}

interface BrowserRun {
  anonymousId: string;
  failed: string[];
}

const skip = NO_BROWSER;

describe('Segment libraries sending to throughline serve', { skip }, () => {
  let dir: string;
  let server: Served;
  let shop: { origin: string; close: () => Promise<void> };
  let otherSite: { origin: string; close: () => Promise<void> };
  let writeKey: string;
  let agentKey: string;
  let browser: Browser;
  let context: BrowserContext;
  /** Requests the page tried outside 127.0.0.1 (which cannot resolve). */
  const outside: string[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'throughline-segment-browser-'));
    const db = path.join(dir, 'shop.duckdb');
    const key = (role: string): string => {
      const r = cli(['--db', db, 'keys', 'create', '--role', role, '--json']);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { key: string }).key;
    };
    writeKey = key('collector');
    agentKey = key('agent');
    shop = await shopServer();
    otherSite = await shopServer();
    server = await serve(db, ['--cors-origin', `https://unrelated.example.com,${shop.origin}`]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    context = await browser.newContext();
    context.on('request', (r) => {
      if (new URL(r.url()).hostname !== '127.0.0.1') outside.push(r.url());
    });
  });

  after(async () => {
    await browser?.close();
    if (server !== undefined) assert.equal(await stop(server), 0, server.stderr());
    await shop?.close();
    await otherSite?.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function customer(id: string): Promise<{ status: number; doc: ContextDoc | null }> {
    const r = await fetch(`${server.url}/api/v1/customers/${encodeURIComponent(id)}/context`, { headers: { authorization: `Bearer ${agentKey}` } });
    return { status: r.status, doc: r.status === 200 ? ((await r.json()) as ContextDoc) : null };
  }

  /**
   * Opens the shop page at `origin`, loads analytics.js with inline settings, runs `calls` in it,
   * and keeps the page open until `settled` says what the page saw is complete.
   */
  type Seen = { responses: string[]; console: string[] };
  async function inBrowser(origin: string, calls: string, settled: (seen: Seen) => boolean, segmentio: Record<string, unknown> = {}): Promise<BrowserRun & { responses: string[]; console: string[] }> {
    const page = await context.newPage();
    const responses: string[] = [];
    const consoleLines: string[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname.startsWith('/v1/')) responses.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`);
    });
    page.on('console', (m) => consoleLines.push(m.text()));
    page.on('pageerror', (e) => consoleLines.push(`uncaught: ${e.message}`));
    try {
      await page.goto(origin);
      const apiHost = `${new URL(server.url).host}/v1`;
      const run = await page.evaluate(
        async ({ writeKey, apiHost, calls, segmentio }) => {
          // The settings Segment's CDN would send, given inline: the Segment.io destination is
          // this server; no metrics are sent anywhere.
          const w = globalThis as unknown as { AnalyticsNext: { AnalyticsBrowser: { load: (...a: unknown[]) => PromiseLike<[Record<string, (...a: unknown[]) => Promise<{ failedDelivery: () => unknown }>> & { user: () => { anonymousId: () => string } }]> } } };
          const [analytics] = await w.AnalyticsNext.AnalyticsBrowser.load(
            { writeKey, cdnSettings: { integrations: { 'Segment.io': { apiKey: writeKey, apiHost, protocol: 'http', ...segmentio } }, metrics: { sampleRate: 0 } } },
            { disableClientPersistence: true, retryQueue: false },
          );
          const failed: string[] = [];
          for (const [method, ...args] of JSON.parse(calls) as [string, ...unknown[]][]) {
            const ctx = await analytics[method]!(...args);
            const f = ctx.failedDelivery();
            if (f !== undefined) failed.push(`${method}: ${String((f as { reason: unknown }).reason)}`);
          }
          return { anonymousId: analytics.user().anonymousId(), failed };
        },
        { writeKey, apiHost, calls, segmentio },
      );
      // A batching library answers each call once it is queued, before its batch is posted.
      await until('the page to see its requests settle', async () => (settled({ responses, console: consoleLines }) ? true : undefined));
      return { ...run, responses, console: consoleLines };
    } finally {
      await page.close();
    }
  }

  test('identify, page and track from analytics.js in Chromium appear in the customer context', async () => {
    const calls = JSON.stringify([
      ['identify', 'web-user-1', { email: 'Sam@Example.com', name: 'Sam Lee' }],
      ['page', 'Pricing'],
      ['track', 'pay_bill/submit_payment', { outcome: 'failure', amount: 80 }],
    ]);
    const run = await inBrowser(shop.origin, calls, (seen) => seen.responses.length >= 3);
    assert.deepEqual(run.failed, [], run.console.join('\n'));
    assert.deepEqual(run.responses, ['POST /v1/i 200', 'POST /v1/p 200', 'POST /v1/t 200'], run.console.join('\n'));
    assert.deepEqual(outside, [], 'the library asked for nothing outside 127.0.0.1');

    const doc = await until('the browser events in the context', async () => {
      const c = await customer('email:sam@example.com');
      return c.doc !== null && c.doc.recent.length >= 2 ? c.doc : undefined;
    });
    assert.equal(doc.profile.name, 'Sam Lee');
    const ids = doc.identifiers.map((i) => `${i.type}:${i.value}`);
    for (const id of ['customer_id:web-user-1', 'email:sam@example.com', `cookie_id:${run.anonymousId}`]) assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
    assert.deepEqual(doc.recent.map((e) => `${e.channel}:${e.activity}`), ['web:pay_bill/submit_payment', 'web:page/Pricing']);
  });

  test('analytics.js set to batch its calls sends them to /v1/b, and they appear in the context', async () => {
    const calls = JSON.stringify([
      ['identify', 'web-user-2', { email: 'kim@example.com' }],
      ['track', 'pay_bill/view_bill'],
    ]);
    // Two calls make a batch: they go as one post.
    const run = await inBrowser(shop.origin, calls, (seen) => seen.responses.length >= 1, { deliveryStrategy: { strategy: 'batching', config: { size: 2, timeout: 60_000 } } });
    assert.deepEqual(run.failed, [], run.console.join('\n'));
    assert.deepEqual(run.responses, ['POST /v1/b 200'], run.console.join('\n'));
    const doc = await until('the batched events in the context', async () => (await customer('email:kim@example.com')).doc ?? undefined);
    assert.deepEqual(doc.recent.map((e) => e.activity), ['pay_bill/view_bill']);
    assert.deepEqual(outside, []);
  });

  test('@segment/analytics-node delivers to the same server, into the same context', async () => {
    const analytics = new Analytics({ writeKey, host: server.url, flushAt: 2, maxRetries: 0 });
    const failures: unknown[] = [];
    analytics.on('error', (e) => failures.push(e));
    analytics.identify({ userId: 'web-user-1', anonymousId: 'backend-anon-1', traits: { plan: 'family' } });
    analytics.track({ userId: 'web-user-1', event: 'pay_bill/payment_retry', properties: { channel: 'app', outcome: 'success' } });
    await analytics.closeAndFlush({ timeout: 20_000 });
    assert.deepEqual(failures, []);
    // The two calls may come in two requests, merged one after the other.
    const doc = await until('the server-side events in the context', async () => {
      const c = await customer('customer_id:web-user-1');
      return c.doc !== null && c.doc.recent.length >= 3 && c.doc.identifiers.length >= 4 ? c.doc : undefined;
    });
    assert.deepEqual(doc.recent.map((e) => `${e.channel}:${e.activity}`), ['app:pay_bill/payment_retry', 'web:pay_bill/submit_payment', 'web:page/Pricing']);
    assert.ok(doc.identifiers.some((i) => i.type === 'cookie_id' && i.value === 'backend-anon-1'), JSON.stringify(doc.identifiers));
    assert.equal(doc.profile.traits.plan, 'family');
  });

  test('a page on an origin the server does not allow cannot send: its preflight gets no CORS header', async () => {
    const pre = await fetch(`${server.url}/v1/t`, { method: 'OPTIONS', headers: { origin: otherSite.origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
    const allowed = await fetch(`${server.url}/v1/t`, { method: 'OPTIONS', headers: { origin: shop.origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get('access-control-allow-origin'), shop.origin);

    const blocked = (line: string): boolean => /blocked by CORS policy/.test(line);
    const run = await inBrowser(otherSite.origin, JSON.stringify([['track', 'blocked/event', { customer: 'no' }]]), (seen) => seen.console.some(blocked));
    assert.equal(run.responses.length, 0, `no answer reached the page: ${run.responses.join(', ')}`);
    assert.ok(run.console.some(blocked), run.console.join('\n'));
    // A server-side event for the same anonymous visitor, sent after: once it is merged, the
    // blocked one would be too, had it arrived.
    const analytics = new Analytics({ writeKey, host: server.url, flushAt: 1, maxRetries: 0 });
    analytics.track({ anonymousId: run.anonymousId, event: 'after/marker' });
    await analytics.closeAndFlush({ timeout: 20_000 });
    const doc = await until('the marker in the context', async () => (await customer(`cookie_id:${run.anonymousId}`)).doc ?? undefined);
    assert.deepEqual(doc.recent.map((e) => e.activity), ['after/marker']);
  });
});
