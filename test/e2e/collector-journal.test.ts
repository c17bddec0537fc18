/**
 * The collector's journal as it really runs (docs/collector.md): `throughline serve` answers a
 * Segment batch once it is on disk in its journal, merges it behind the answer, refuses a
 * journal another server holds, and after SIGKILL in the middle of a load, the restarted server
 * merges what the journal held, so every acknowledged event is stored exactly once. On a DuckDB
 * file (journal beside it by default) and on PostgreSQL (each server given its own --journal).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { openStore } from '../../src/store/open.ts';
import { tempDir } from '../support/fixtures.ts';
import { cli, loadUntilKilled, run, serve, stop } from '../support/served.ts';
import { describeOn, storeTargets } from '../support/store-targets.ts';

async function storedCounts(db: string, prefix: string): Promise<Map<string, number>> {
  const store = await openStore(db);
  try {
    const rows = await store.query(`SELECT event_id, count(*) AS n FROM interactions WHERE event_id LIKE $1 GROUP BY event_id`, [`${prefix}%`]);
    return new Map(rows.map((r) => [String(r.event_id), Number(r.n)]));
  } finally {
    await store.close();
  }
}

for (const target of storeTargets()) describeOn(target, 'the collector journal of throughline serve', () => {
  let db = '';
  let collector = '';
  let agentKey = '';
  let adminKey = '';
  /** Where this server's journal is: beside the DuckDB file by default; named with --journal on PostgreSQL. */
  let journal = '';
  let journalArgs: string[] = [];

  before(async () => {
    db = await target.freshLocation('journal');
    const make = (role: string): string => {
      const r = cli(['--db', db, 'keys', 'create', '--role', role, '--json']);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { key: string }).key;
    };
    collector = `Basic ${Buffer.from(`${make('collector')}:`).toString('base64')}`;
    agentKey = make('agent');
    adminKey = make('admin');
    if (target.dialect === 'duckdb') {
      journal = `${db}.journal`;
    } else {
      journal = path.join(tempDir('throughline-journal-'), 'server-a');
      journalArgs = ['--journal', journal];
    }
  });

  const post = (url: string, body: unknown): Promise<Response> =>
    fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: collector }, body: JSON.stringify(body) });

  test('a Segment batch is answered once it is in the journal, and then reaches the customer context', async () => {
    const s = await serve(db, journalArgs);
    try {
      // The collector's details are an admin's (without a key /healthz says only whether it is well).
      const health = (await (await fetch(`${s.url}/healthz`, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as { collector: { acknowledge: string } };
      assert.equal(health.collector.acknowledge, 'journal');
      const started = performance.now();
      const r = await post(s.url, {
        batch: [
          { type: 'identify', userId: 'fresh-1', traits: { email: 'fresh@example.com', name: 'Fay Resh' }, messageId: 'fresh-id' },
          { type: 'track', userId: 'fresh-1', event: 'pay_bill/submit_payment', properties: { outcome: 'failure' }, timestamp: new Date(Date.now() - 60_000).toISOString(), messageId: 'fresh-1' },
        ],
      });
      assert.equal(r.status, 200, await r.clone().text());
      let recent: string[] = [];
      // Bounded only so that a broken merge fails the test instead of hanging it: how soon the
      // events are visible (normally well under a second) is bench:server's measure, not a test's.
      while (performance.now() - started < 60_000) {
        const ctx = await fetch(`${s.url}/api/v1/customers/${encodeURIComponent('email:fresh@example.com')}/context`, { headers: { authorization: `Bearer ${agentKey}` } });
        if (ctx.status === 200) {
          recent = ((await ctx.json()) as { recent: { activity: string }[] }).recent.map((e) => e.activity);
          if (recent.length > 0) break;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.deepEqual(recent, ['pay_bill/submit_payment']);
    } finally {
      assert.equal(await stop(s), 0, s.stderr());
    }
  });

  test('a second server cannot use a journal directory another one holds, and is told which process holds it', async () => {
    const first = await serve(db, journalArgs);
    try {
      // On DuckDB a second server needs another file (the file has its own lock); on PostgreSQL it shares the database.
      const otherDb = target.dialect === 'duckdb' ? path.join(tempDir('throughline-journal-other-'), 'other.duckdb') : db;
      const second = run(['--db', otherDb, 'serve', '--port', '0', '--journal', journal]);
      const code = await second.exit;
      assert.notEqual(code, 0);
      assert.match(second.stderr(), new RegExp(`journal directory .* is in use by another Throughline server \\(pid ${first.child.pid}, started `));
      assert.match(second.stderr(), /each server needs its own --journal directory/);
      assert.equal((await fetch(`${first.url}/healthz`)).status, 200, 'the first server is unaffected');
    } finally {
      assert.equal(await stop(first), 0, first.stderr());
    }
  });

  test('when its journal cannot be written, the collector answers 503 saying to restart, and /healthz turns 503 for a supervisor', async () => {
    // Its own journal directory, removed under the running server: the first write cannot open a segment.
    const own = path.join(tempDir('throughline-journal-broken-'), 'journal');
    const otherDb = target.dialect === 'duckdb' ? path.join(tempDir('throughline-journal-broken-db-'), 'broken.duckdb') : db;
    const key = cli(['--db', otherDb, 'keys', 'create', '--role', 'collector', '--json']);
    assert.equal(key.code, 0, key.stderr);
    const auth = `Basic ${Buffer.from(`${(JSON.parse(key.stdout) as { key: string }).key}:`).toString('base64')}`;
    const adminOfOther = cli(['--db', otherDb, 'keys', 'create', '--role', 'admin', '--json']);
    assert.equal(adminOfOther.code, 0, adminOfOther.stderr);
    const otherAdmin = (JSON.parse(adminOfOther.stdout) as { key: string }).key;
    const s = await serve(otherDb, ['--journal', own]);
    try {
      const healthy = await fetch(`${s.url}/healthz`);
      assert.equal(healthy.status, 200);
      assert.equal(((await healthy.json()) as { status: string }).status, 'ok');
      fs.rmSync(own, { recursive: true });
      const r = await fetch(`${s.url}/v1/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: auth },
        body: JSON.stringify({ batch: [{ type: 'track', userId: 'jb-1', event: 'browse/view_item', messageId: 'jb-1' }] }),
      });
      assert.equal(r.status, 503);
      const body = (await r.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'unavailable');
      assert.match(body.error.message, /cannot take events until the server is restarted: its journal could not be written/);
      assert.doesNotMatch(body.error.message, /ENOENT|\//, 'no path or OS error in the answer');
      const health = await fetch(`${s.url}/healthz`, { headers: { authorization: `Bearer ${otherAdmin}` } });
      assert.equal(health.status, 503);
      const doc = (await health.json()) as { status: string; collector: { journal: string } };
      assert.equal(doc.status, 'failing');
      assert.equal(doc.collector.journal, 'failed');
      assert.match(s.stderr(), /journal .* a write failed, the collector refuses events until the server restarts: ENOENT/);
    } finally {
      assert.equal(await stop(s), 0, s.stderr());
    }
  });

  test('killed with SIGKILL during a load, the restarted server merges what its journal held: every acknowledged event stored exactly once', async (t) => {
    const BATCHES = 80;
    const PER_BATCH = 50;
    const batches = Array.from({ length: BATCHES }, (_, b) => ({
      batch: Array.from({ length: PER_BATCH }, (_, i) => {
        const n = b * PER_BATCH + i;
        // Every tenth message is an identify: its profile has no id of its own, only its content.
        return n % 10 === 9
          ? { type: 'identify', userId: `jl-${n % 89}`, anonymousId: `anon-${n % 41}`, traits: { email: `jl${n % 89}@example.com` }, messageId: `jk-${b}-${i}` }
          : {
              type: 'track',
              userId: `jl-${n % 89}`,
              event: 'browse/view_item',
              messageId: `jk-${b}-${i}`,
              timestamp: new Date(Date.parse('2026-06-01T00:00:00Z') + n * 1000).toISOString(),
            };
      }),
    }));
    // Identify calls become profiles, not interactions: the event counts are of track calls.
    const isTrack = (id: string): boolean => {
      const [, b, i] = id.split('-').map(Number);
      return (b! * PER_BATCH + i!) % 10 !== 9;
    };
    const tracks = (ids: Iterable<string>): string[] => [...ids].filter(isTrack);

    const s = await serve(db, journalArgs);
    const { acked, killed } = await loadUntilKilled(s, batches, post);
    assert.ok(killed, 'the server was killed during the load');
    assert.ok(acked.size > 0 && acked.size < BATCHES * PER_BATCH, `acknowledged ${acked.size}`);

    const inStore = await storedCounts(db, 'jk-');
    t.diagnostic(`at the crash ${tracks(acked).length} acknowledged track events, ${tracks(acked).filter((id) => inStore.has(id)).length} of them merged; the journal holds the rest`);
    assert.ok([...inStore.values()].every((n) => n === 1), 'nothing stored twice before the restart either');
    if (target.dialect === 'duckdb') {
      // The CLI beside the crashed server's file answers, and says its answer lacks the journal's events.
      const r = cli(['--db', db, 'journeys', '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /warning: the collector's journal .*\.journal holds [\d,]+ KB of events not merged into the database .* until `throughline serve` starts on this database/);
    }
    // A crash in the middle of an append leaves part of a line: the restart cuts it off and says so.
    const segments = fs.readdirSync(journal).filter((f) => f.endsWith('.jsonl')).sort();
    fs.appendFileSync(path.join(journal, segments.at(-1)!), '{"t":1,"r":[["interactions",1,{"event_id":"jk-torn');

    const again = await serve(db, journalArgs);
    await stop(again);
    assert.match(again.stderr(), /cut off \d+ bytes of an incomplete last write .* it was never acknowledged/);
    const afterRestart = await storedCounts(db, 'jk-');
    if (target.dialect === 'duckdb') assert.doesNotMatch(cli(['--db', db, 'journeys', '--json']).stderr, /warning/, 'merged at the restart: no warning');
    assert.deepEqual(tracks(acked).filter((id) => afterRestart.get(id) !== 1), [], 'every acknowledged event is stored once after the restart');
    assert.ok([...afterRestart.values()].every((n) => n === 1), 'no event stored twice');
    assert.equal(afterRestart.has('jk-torn'), false);

    // The sender re-delivers everything: ids (and content ids for profiles) make it harmless.
    const third = await serve(db, journalArgs);
    try {
      for (const b of batches) assert.equal((await post(third.url, b)).status, 200);
    } finally {
      assert.equal(await stop(third), 0, third.stderr());
    }
    const final = await storedCounts(db, 'jk-');
    assert.equal(final.size, tracks(batches.flatMap((b) => b.batch.map((m) => m.messageId))).length);
    assert.ok([...final.values()].every((n) => n === 1));
    const store = await openStore(db);
    try {
      const [dup] = await store.query(`SELECT count(*) AS n FROM (SELECT profile_id FROM profiles GROUP BY profile_id HAVING count(*) > 1) d`);
      assert.equal(dup!.n, 0, 'no profile stored twice');
      const [profiles] = await store.query(`SELECT count(*) AS n FROM profiles WHERE customer_id LIKE 'jl-%'`);
      assert.ok(Number(profiles!.n) > 0);
    } finally {
      await store.close();
    }
    // A stopped server leaves its journal merged: at most the open segment, and no lock.
    assert.ok(fs.readdirSync(journal).filter((f) => f.endsWith('.jsonl')).length <= 1);
    assert.equal(fs.existsSync(path.join(journal, 'lock')), false);
  });
});
