/**
 * The server as it really runs: listening on loopback, fed by the official Segment client, run
 * as the `throughline serve` process, killed with SIGKILL in the middle of a collector load. On
 * a DuckDB file and on PostgreSQL.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { Analytics } from '@segment/analytics-node';
import { createApp } from '../../src/server/app.ts';
import { createKey } from '../../src/server/keys.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/store.ts';
import { cli, loadUntilKilled, serve, stop } from '../support/served.ts';
import { describeOn, storeTargets } from '../support/store-targets.ts';

for (const target of storeTargets()) describeOn(target, 'a listening server fed by the official Segment client', () => {
  let store: Store;
  let url: string;
  let writeKey: string;
  let agentKey: string;
  let close: () => Promise<void>;

  before(async () => {
    store = await openStore(await target.freshLocation('segment'));
    writeKey = (await createKey(store, 'collector', 'segment test', Date.now())).key;
    agentKey = (await createKey(store, 'agent', 'segment test', Date.now())).key;
    const app = await createApp({ store });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    close = async () => {
      await app.close();
      await store.close();
    };
  });
  after(() => close());

  test('identify and track calls from @segment/analytics-node appear in the customer context', async () => {
    const analytics = new Analytics({ writeKey, host: url, path: '/v1/batch', flushAt: 1, maxRetries: 0 });
    const failures: unknown[] = [];
    analytics.on('error', (e) => failures.push(e));
    const when = new Date(Date.now() - 5 * 60_000);
    analytics.identify({ userId: 'seg-user-1', anonymousId: 'anon-42', traits: { email: 'Pat@Example.com', phone: '+1 (555) 222-3333', name: 'Pat Kim' } });
    analytics.track({ userId: 'seg-user-1', event: 'pay_bill/submit_payment', properties: { outcome: 'failure', amount: 80 }, timestamp: when });
    await analytics.closeAndFlush({ timeout: 20_000 });
    assert.deepEqual(failures, []);

    const r = await fetch(`${url}/api/v1/customers/${encodeURIComponent('email:pat@example.com')}/context`, { headers: { authorization: `Bearer ${agentKey}` } });
    assert.equal(r.status, 200, await r.clone().text());
    const doc = (await r.json()) as { profile: { name: string }; identifiers: { type: string; value: string }[]; open_journeys: { summary: string }[]; recent: { activity: string }[] };
    assert.equal(doc.profile.name, 'Pat Kim');
    assert.deepEqual(doc.identifiers.map((i) => `${i.type}:${i.value}`), ['customer_id:seg-user-1', 'phone:+15552223333', 'email:pat@example.com', 'cookie_id:anon-42']);
    assert.deepEqual(doc.recent.map((e) => e.activity), ['pay_bill/submit_payment']);
    assert.match(doc.open_journeys[0]!.summary, /^tried to pay the bill on our website 5 minutes ago; it failed at submit_payment$/);
  });
});

// ---------------------------------------------------------------------------------------------

for (const target of storeTargets()) describeOn(target, 'throughline serve as a process', () => {
  let db = '';
  let collectorKey: string;
  let analystKey: string;

  before(async () => {
    db = await target.freshLocation('served');
    const c = cli(['--db', db, 'keys', 'create', '--role', 'collector', '--name', 'load', '--json']);
    assert.equal(c.code, 0, c.stderr);
    const created = JSON.parse(c.stdout) as { id: string; role: string; key: string };
    assert.deepEqual(Object.keys(created).sort(), ['id', 'key', 'name', 'role']);
    collectorKey = created.key;
    analystKey = (JSON.parse(cli(['--db', db, 'keys', 'create', '--role', 'analyst', '--json']).stdout) as { key: string }).key;
  });

  // The single-writer lock, and the note beside the file that names the server holding it, are
  // DuckDB's: on PostgreSQL any number of processes share the database (the next test).
  if (target.dialect === 'duckdb') test('while it runs, the CLI says a server holds the database and what to do; SIGTERM stops it cleanly', async () => {
    const s = await serve(db);
    try {
      const health = await fetch(`${s.url}/healthz`);
      assert.equal(health.status, 200);
      const r = cli(['--db', db, 'journeys']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`held by a running Throughline server \\(pid ${s.child.pid}, ${s.url.replace(/\./g, '\\.')}\\)`));
      assert.match(r.stderr, /send data to POST http:\/\/127\.0\.0\.1:\d+\/api\/v1\/events/);
      assert.match(r.stderr, /or stop it/);
      assert.doesNotMatch(r.stderr, /Could not set lock|IO Error/);
    } finally {
      s.child.kill('SIGTERM');
    }
    assert.equal(await s.exit, 0, s.stderr());
    assert.equal(fs.existsSync(`${db}.server.json`), false, 'the note is removed');
    assert.equal(cli(['--db', db, 'keys', 'list']).code, 0, 'the file is free again');
  });

  if (target.dialect === 'postgres') test('while it runs, the CLI reads and writes the same database beside it; SIGTERM stops it cleanly', async () => {
    const s = await serve(db);
    try {
      assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
      const journeys = cli(['--db', db, 'journeys', '--json']);
      assert.equal(journeys.code, 0, journeys.stderr);
      assert.doesNotThrow(() => JSON.parse(journeys.stdout));
      const created = cli(['--db', db, 'keys', 'create', '--role', 'agent', '--json']);
      assert.equal(created.code, 0, created.stderr);
      const key = (JSON.parse(created.stdout) as { key: string }).key;
      // A key the CLI made is one the running server accepts: they share one database.
      const r = await fetch(`${s.url}/api/v1/journeys`, { headers: { authorization: `Bearer ${analystKey}` } });
      assert.equal(r.status, 200);
      const ctx = await fetch(`${s.url}/api/v1/customers/${encodeURIComponent('customer_id:nobody')}/context`, { headers: { authorization: `Bearer ${key}` } });
      assert.notEqual(ctx.status, 401, 'the new key is accepted');
    } finally {
      s.child.kill('SIGTERM');
    }
    assert.equal(await s.exit, 0, s.stderr());
  });

  test('a server killed with SIGKILL during a collector load loses no acknowledged event and counts none twice', async () => {
    const BATCHES = 60;
    const PER_BATCH = 50;
    const batches = Array.from({ length: BATCHES }, (_, b) => ({
      batch: Array.from({ length: PER_BATCH }, (_, i) => ({
        type: 'track',
        userId: `load-${(b * PER_BATCH + i) % 97}`,
        event: 'browse/view_item',
        messageId: `kill-${b}-${i}`,
        timestamp: new Date(Date.parse('2026-06-01T00:00:00Z') + (b * PER_BATCH + i) * 1000).toISOString(),
      })),
    }));
    const send = (url: string, body: unknown): Promise<Response> =>
      fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${collectorKey}:`).toString('base64')}` }, body: JSON.stringify(body) });

    const s = await serve(db);
    const { acked, killed } = await loadUntilKilled(s, batches, send);
    assert.ok(killed, 'the server was killed during the load');
    assert.ok(acked.size > 0 && acked.size < BATCHES * PER_BATCH, `acknowledged ${acked.size}`);

    // After the crash and a restart: every acknowledged event is stored, none twice.
    const counts = async (): Promise<Map<string, number>> => {
      const store = await openStore(db);
      try {
        const rows = await store.query(`SELECT event_id, count(*) AS n FROM interactions WHERE event_id LIKE 'kill-%' GROUP BY event_id`);
        return new Map(rows.map((r) => [String(r.event_id), Number(r.n)]));
      } finally {
        await store.close();
      }
    };
    // An acknowledged event may be only in the collector's journal (docs/collector.md) until a
    // server starts on the file again and merges it: restart, stop, then count.
    const restarted = await serve(db);
    assert.equal(await stop(restarted), 0, restarted.stderr());
    const afterCrash = await counts();
    const lost = [...acked].filter((id) => afterCrash.get(id) !== 1);
    assert.deepEqual(lost, [], 'acknowledged events missing or stored twice after the crash');
    assert.ok([...afterCrash.values()].every((n) => n === 1), 'no event stored twice');

    // The sender re-delivers everything after a restart: ids make it harmless.
    const again = await serve(db);
    try {
      for (const b of batches) assert.equal((await send(again.url, b)).status, 200);
      const r = await fetch(`${again.url}/api/v1/journeys`, { headers: { authorization: `Bearer ${analystKey}` } });
      assert.equal(r.status, 200);
    } finally {
      await stop(again);
    }
    const final = await counts();
    assert.equal(final.size, BATCHES * PER_BATCH);
    assert.ok([...final.values()].every((n) => n === 1));
  });
});
