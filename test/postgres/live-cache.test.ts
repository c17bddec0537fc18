/**
 * Servers on one PostgreSQL database each keep a live cache of customer contexts, and none of
 * them may serve what the store no longer says: every writer (a server's collector, its case
 * and survey routes, a CLI command beside them) announces which customers it changed, and each
 * server drops exactly those; a server that lost its listening connection drops everything.
 * The cache holds at most its configured number of customers, and a server answers while its
 * cache is still warming. Each "server" is an app over a store of its own (its own pool and
 * listening connection, as a process has); the "CLI" is a third store on the same database.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { silentLogger } from '../../src/core/logger.ts';
import { customerContext } from '../../src/engage/index.ts';
import { resolveCustomer } from '../../src/identity/customers.ts';
import { importRecords } from '../../src/ingest/import.ts';
import { LiveChanges, watchWrites } from '../../src/server/customer-cache.ts';
import { createApp, createKey } from '../../src/server/index.ts';
import { minutesAgo } from '../../src/server/testing.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/store.ts';
import { describeOn, storeTargets } from '../support/store-targets.ts';

const NOW = Date.parse('2026-06-10T12:00:00Z');
/** A bound on waiting for a notice, so that a test fails rather than hangs; nothing is timed. */
const PATIENCE_MS = 15_000;
const GENEROUS = { perSecond: 100_000, burst: 100_000 };
const LIMITS = { admin: GENEROUS, analyst: GENEROUS, agent: GENEROUS, collector: GENEROUS, gateway: GENEROUS };

function world(): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (let c = 1; c <= 8; c++) {
    rows.push({ event_id: `w${c}a`, ts: minutesAgo(NOW, 300 + c), channel: 'web', activity: 'pay_bill/login', outcome: 'success', customer_id: `C${c}` });
    rows.push({ event_id: `w${c}b`, ts: minutesAgo(NOW, 290 + c), channel: 'web', activity: 'pay_bill/submit_payment', outcome: 'failure', customer_id: `C${c}` });
  }
  rows.push({ event_id: 'anon1', ts: minutesAgo(NOW, 200), channel: 'web', activity: 'support/search', outcome: 'success', cookie_id: 'ck-9' });
  return rows;
}

async function load(store: Store, kind: 'interactions' | 'feedback', records: Record<string, unknown>[]): Promise<void> {
  await importRecords(store, records.map((fields, i) => ({ source: 'test', line: i + 1, kind, fields })), {
    onReject: (r, reason) => {
      throw new Error(`test record ${r.line} rejected: ${reason}`);
    },
  });
}

interface Context {
  customer_key: string;
  recent: { activity: string; channel: string }[];
  cases: { case_id: string }[];
}

/** Asks until `ok` holds of the answer, or fails after PATIENCE_MS saying what was last seen. */
async function eventually(ask: () => Promise<Context>, ok: (c: Context) => boolean, what: string): Promise<Context> {
  const t0 = Date.now();
  for (;;) {
    const c = await ask();
    if (ok(c)) return c;
    if (Date.now() - t0 > PATIENCE_MS) assert.fail(`${what}: still not seen after ${PATIENCE_MS} ms; last answer ${JSON.stringify(c).slice(0, 400)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const target of storeTargets().filter((t) => t.dialect === 'postgres')) {
  describeOn(target, 'live context caches of two servers on one PostgreSQL database', () => {
    let location: string;
    const stores: Store[] = [];
    let a: FastifyInstance;
    let b: FastifyInstance;
    let cli: Store;
    let agent: string;
    let collector: string;

    const context = async (app: FastifyInstance, id: string): Promise<Context> => {
      const r = await app.inject({ method: 'GET', url: `/api/v1/customers/${encodeURIComponent(id)}/context`, headers: { authorization: `Bearer ${agent}` } });
      assert.equal(r.statusCode, 200, r.body);
      return r.json<Context>();
    };
    /** The context as the store says it, without any cache. */
    const direct = async (id: string): Promise<unknown> => JSON.parse(JSON.stringify(await customerContext(cli, await resolveCustomer(cli, id), { now: NOW })));

    before(async () => {
      location = await target.freshLocation('livecache');
      for (let i = 0; i < 3; i++) stores.push(await openStore(location));
      cli = stores[2]!;
      await load(cli, 'interactions', world());
      await load(cli, 'feedback', [{ response_id: 'f1', ts: minutesAgo(NOW, 100), survey_id: 'rel', metric: 'nps', scope: 'relationship', score: 2, customer_id: 'C3' }]);
      agent = (await createKey(cli, 'agent', 'live cache test', Date.now())).key;
      collector = (await createKey(cli, 'collector', 'live cache test', Date.now())).key;
      a = await createApp({ store: stores[0]!, now: () => NOW, rateLimits: LIMITS });
      b = await createApp({ store: stores[1]!, now: () => NOW, rateLimits: LIMITS, preloadContextCache: false });
      await b.customerCache.preload();
    });

    after(async () => {
      await a?.close();
      await b?.close();
      for (const s of stores) await s.close();
    });

    test("an event collected through one server shows in the next context another server serves from its cache", async () => {
      assert.ok(b.customerCache.describe().customers >= 8, 'server B warmed its cache');
      const before = await context(b, 'customer_id:C2');
      assert.deepEqual(before, await direct('customer_id:C2'));
      const cookieBefore = await context(b, 'cookie_id:ck-9');
      const hits = b.customerCache.describe().hits;
      await context(b, 'customer_id:C2');
      assert.equal(b.customerCache.describe().hits, hits + 1, 'B serves C2 from its cache');

      const r = await a.inject({
        method: 'POST',
        url: '/v1/batch',
        headers: { authorization: `Bearer ${collector}` },
        payload: { batch: [{ type: 'track', messageId: 'x1', event: 'support/chat', userId: 'C2', anonymousId: 'ck-9', properties: { channel: 'app', outcome: 'failure' }, timestamp: minutesAgo(NOW, 2) }] },
      });
      assert.equal(r.statusCode, 200, r.body);
      const after = await eventually(() => context(b, 'customer_id:C2'), (c) => c.recent[0]?.activity === 'support/chat', "server B's context of C2 with the event collected by A");
      assert.deepEqual(after, await direct('customer_id:C2'));
      // The cookie now names C2: B must have dropped whom it remembered the cookie naming.
      const cookie = await eventually(() => context(b, 'cookie_id:ck-9'), (c) => c.customer_key === after.customer_key, 'the cookie re-keyed to C2 on B');
      assert.notEqual(cookie.customer_key, cookieBefore.customer_key);
    });

    test('a case closed through one server is gone from the next context of the other', async () => {
      const withCase = await context(b, 'customer_id:C3');
      assert.equal(withCase.cases.length, 1, 'the detractor answer opened a case');
      const r = await a.inject({
        method: 'POST',
        url: `/api/v1/cases/${withCase.cases[0]!.case_id}/close`,
        headers: { authorization: `Bearer ${agent}` },
        payload: { note: 'called back', root_cause: 'web:pay_bill/submit_payment', issue_resolved: true },
      });
      assert.equal(r.statusCode, 200, r.body);
      const closed = await eventually(() => context(b, 'customer_id:C3'), (c) => c.cases.length === 0, "the closed case gone from B's context");
      assert.deepEqual(closed, await direct('customer_id:C3'));
    });

    test('what a CLI command beside the servers imports shows in both servers\' contexts', async () => {
      await context(a, 'customer_id:C5');
      await context(b, 'customer_id:C5');
      const announcing = new LiveChanges(cli, silentLogger);
      await load(watchWrites(cli, announcing), 'interactions', [{ event_id: 'cli1', ts: minutesAgo(NOW, 1), channel: 'store', activity: 'support/visit', outcome: 'success', customer_id: 'C5' }]);
      await announcing.flush();
      for (const [name, app] of [['A', a], ['B', b]] as const) {
        const c = await eventually(() => context(app, 'customer_id:C5'), (x) => x.recent[0]?.activity === 'support/visit', `server ${name}'s context of C5 after the import`);
        assert.deepEqual(c, await direct('customer_id:C5'));
      }
    });

    test('a server that lost its listening connection drops everything it cached', async () => {
      const stale = await context(b, 'customer_id:C6');
      // Written without announcing (as by an older version): B cannot know, and keeps serving what it has.
      await load(cli, 'interactions', [{ event_id: 'quiet1', ts: minutesAgo(NOW, 1), channel: 'phone', activity: 'support/call', outcome: 'success', customer_id: 'C6' }]);
      assert.deepEqual(await context(b, 'customer_id:C6'), stale, 'the unannounced write is not seen yet');
      // Cut every listening connection on this database; the servers reconnect and must assume the worst.
      const admin = new pg.Client({ connectionString: location });
      await admin.connect();
      try {
        const cut = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`);
        assert.ok(cut.rowCount! >= 1, 'a listening connection was cut');
      } finally {
        await admin.end();
      }
      const c = await eventually(() => context(b, 'customer_id:C6'), (x) => x.recent[0]?.activity === 'support/call', "server B's context of C6 after it reconnected");
      assert.deepEqual(c, await direct('customer_id:C6'));
    });
  });

  describeOn(target, 'a bounded live cache that warms in the background', () => {
    let store: Store;
    let app: FastifyInstance;
    let agent: string;
    const LIMIT = 3;
    const context = async (id: string): Promise<unknown> => {
      const r = await app.inject({ method: 'GET', url: `/api/v1/customers/${encodeURIComponent(id)}/context`, headers: { authorization: `Bearer ${agent}` } });
      assert.equal(r.statusCode, 200, r.body);
      return r.json();
    };
    const direct = async (id: string): Promise<unknown> => JSON.parse(JSON.stringify(await customerContext(store, await resolveCustomer(store, id), { now: NOW })));

    before(async () => {
      store = await openStore(await target.freshLocation('livecache_lru'));
      await load(store, 'interactions', world());
      agent = (await createKey(store, 'agent', 'bounded cache test', Date.now())).key;
    });
    after(async () => {
      await app?.close();
      await store?.close();
    });

    test('a server answers contexts from the store before its warm-up has finished', async () => {
      app = await createApp({ store, now: () => NOW, rateLimits: LIMITS, preloadContextCache: false, contextCacheCustomers: 100 });
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let held = false;
      const warming = app.customerCache.preload({
        beforeBatch: async () => {
          held = true;
          await gate;
        },
      });
      try {
        // Held before its first batch of customers: nothing of them is in memory yet.
        while (!held) await new Promise((r) => setTimeout(r, 10));
        assert.equal(app.customerCache.describe().warming, true);
        assert.deepEqual(await context('customer_id:C4'), await direct('customer_id:C4'));
        assert.equal(app.customerCache.describe().warming, true, 'answered while the cache was still warming');
      } finally {
        release();
        await warming;
      }
      const done = app.customerCache.describe();
      assert.equal(done.warming, false);
      assert.equal(done.preloaded, true);
      assert.equal(done.customers, 9, 'every customer with events was warmed');
      await app.close();
    });

    test('the cache never holds more customers than its limit, and those it dropped still answer', async () => {
      app = await createApp({ store, now: () => NOW, rateLimits: LIMITS, contextCacheCustomers: LIMIT, preloadContextCache: false });
      await app.customerCache.preload();
      assert.equal(app.customerCache.describe().customers, LIMIT, 'the warm-up stops at the limit');
      for (let round = 0; round < 2; round++) {
        for (const id of [...Array.from({ length: 8 }, (_, c) => `customer_id:C${c + 1}`), 'cookie_id:ck-9']) {
          assert.deepEqual(await context(id), await direct(id), id);
          const size = app.customerCache.describe();
          assert.ok(size.customers <= LIMIT, `${size.customers} customers cached after ${id}, more than ${LIMIT}`);
          assert.ok(size.identifiers <= LIMIT * 4, `${size.identifiers} identifiers remembered after ${id}`);
        }
      }
      assert.ok(app.customerCache.describe().misses > 0, 'customers dropped from the cache were read from the store');
    });
  });
}
