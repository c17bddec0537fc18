import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { importRecords } from '../ingest/import.ts';
import type { RawRecord, RecordsSummary } from '../ingest/import.ts';
import { openStore } from '../store/open.ts';
import type { Queryable, SqlParam, Store } from '../store/store.ts';
import { listDeadLetters } from './dead-letters.ts';
import { Journal } from './journal.ts';
import { startTestServer } from './testing.ts';
import { DEFAULT_WRITE_QUEUE, WriteQueue } from './write-queue.ts';
import type { Importer, QueuedRecord, WriteQueueOptions } from './write-queue.ts';

const silent = { info: () => undefined, warn: () => undefined };
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'throughline-queue-test-'));
  dirs.push(d);
  return d;
}

const summary = (): RecordsSummary => ({
  imported: { profiles: 0, interactions: 0, feedback: 0, holdings: 0, promises: 0, consents: 0, messages: 0, staff: 0, employee_feedback: 0 },
  skipped_duplicates: 0,
  rejected: 0,
  cases_opened: 0,
  seconds: 0,
});

const event = (id: string, line = 1, overrides: Record<string, unknown> = {}): QueuedRecord => ({
  kind: 'interactions',
  fields: { event_id: id, ts: '2026-06-01T09:00:00Z', channel: 'web', activity: 'pay_bill/open', customer_id: `C-${id}`, ...overrides },
  line,
});

/**
 * A store that holds only `settings`, enough for the queue's merged position; the importer
 * under test is a fake that calls the queue's in-transaction hook like importRecords does.
 */
function settingsStore(): { store: Store; settings: Map<string, string>; tx: Queryable } {
  const settings = new Map<string, string>();
  const tx = {
    exec: async (sql: string, params: readonly SqlParam[] = []) => {
      if (sql.startsWith('DELETE FROM settings')) settings.delete(String(params[0]));
      else if (sql.startsWith('INSERT INTO settings')) settings.set(String(params[0]), String(params[1]));
    },
  } as unknown as Queryable; // only exec is used by the queue's position write
  const store = {
    query: async (_sql: string, params: readonly SqlParam[] = []) => {
      const v = settings.get(String(params[0]));
      return v === undefined ? [] : [{ value: v }];
    },
    transaction: async <T>(fn: (t: Queryable) => Promise<T>) => fn(tx),
  } as unknown as Store; // the queue reads and writes its position only
  return { store, settings, tx };
}

/** A fake merge that waits for `gate` (when given), keeps what it merged, and writes the position. */
function fakeImporter(tx: Queryable, merged: RawRecord[][], gate: () => Promise<void> = async () => undefined): Importer {
  return async (records, options) => {
    const list = [...records];
    await gate();
    merged.push(list);
    await options.inTransaction?.(tx);
    return summary();
  };
}

async function openQueue(
  store: Store,
  importer: Importer,
  overrides: { dir?: string; durable?: boolean; options?: Partial<WriteQueueOptions> } = {},
): Promise<{ queue: WriteQueue; journal: Journal; dir: string }> {
  const dir = overrides.dir ?? tempDir();
  const durable = overrides.durable ?? true;
  const options = { ...DEFAULT_WRITE_QUEUE, ...overrides.options };
  const journal = Journal.open(dir, { segmentBytes: options.segmentBytes, sync: durable, logger: silent });
  const queue = await WriteQueue.open({ store, importer, journal, durable, options, logger: silent });
  return { queue, journal, dir };
}

function gate(): { wait: () => Promise<void>; open: () => void } {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { wait: () => p, open };
}

const until = async (check: () => boolean, ms = 5000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('a request is answered once its valid records are in the journal, before the merge, with each invalid record named', async () => {
  const { store, tx, settings } = settingsStore();
  const merged: RawRecord[][] = [];
  const g = gate();
  const { queue, journal } = await openQueue(store, fakeImporter(tx, merged, g.wait));
  const answer = await queue.submit([event('a1', 1), event('bad', 2, { ts: 'yesterday' }), event('a2', 3)]);
  assert.equal(answer.accepted, 2);
  assert.equal(answer.rejected, 1);
  assert.equal(answer.errors[0]!.line, 2);
  assert.match(answer.errors[0]!.reason, /^ts: /, 'the importer validator’s own reason');
  assert.equal(merged.length, 0, 'answered while the merge still runs');
  assert.equal(queue.health().waiting, 2);
  g.open();
  await until(() => merged.length === 1);
  await until(() => queue.health().waiting === 0);
  assert.deepEqual(merged[0]!.map((r) => [r.line, r.fields.event_id]), [[1, 'a1'], [3, 'a2']]);
  assert.equal(settings.get(`collector_journal:${journal.id}`), String(journal.end), 'the merge wrote how far it got, in its transaction');
  await queue.close();
});

test('what arrives while a merge runs goes into the next merge, up to the largest batch', async () => {
  const { store, tx } = settingsStore();
  const merged: RawRecord[][] = [];
  const g = gate();
  const { queue } = await openQueue(store, fakeImporter(tx, merged, g.wait), { options: { maxMergeRecords: 5 } });
  await queue.submit([event('first')]);
  // Merging `first` is under way (an idle merger starts at once); these wait for the next merges.
  await Promise.all(Array.from({ length: 8 }, (_, i) => queue.submit([event(`n${i}`)])));
  g.open();
  await queue.close();
  assert.deepEqual(merged.map((m) => m.length), [1, 5, 3]);
});

test('beyond the backlog bound requests are refused as busy, and health shows the backlog and its age', async () => {
  const { store, tx } = settingsStore();
  const g = gate();
  let now = 1_000_000;
  const dir = tempDir();
  const journal = Journal.open(dir, { segmentBytes: 1 << 20, sync: true, logger: silent });
  const queue = await WriteQueue.open({
    store,
    importer: fakeImporter(tx, [], g.wait),
    journal,
    durable: true,
    options: { ...DEFAULT_WRITE_QUEUE, maxBacklogRecords: 3 },
    logger: silent,
    now: () => now,
  });
  await queue.submit([event('a'), event('b'), event('c')]);
  now += 2500;
  await assert.rejects(queue.submit([event('d')]), (e: Error & { code?: string }) => e.code === 'rate_limited' && /busy/.test(e.message));
  const h = queue.health();
  assert.equal(h.waiting, 3);
  assert.equal(h.lag_ms, 2500);
  assert.ok(Number(h.backlog_bytes) > 0);
  assert.equal(h.acknowledge, 'journal');
  assert.ok(queue.retryAfterSeconds() >= 1);
  g.open();
  await queue.close();
  assert.deepEqual([queue.health().waiting, queue.health().lag_ms], [0, 0]);
});

test('a request that asks to wait for the merge is answered after it; a failed merge fails it and is retried from the journal', async () => {
  const { store, tx } = settingsStore();
  const merged: RawRecord[][] = [];
  let failures = 1;
  const importer: Importer = async (records, options) => {
    const list = [...records];
    if (failures-- > 0) throw new Error('disk full');
    merged.push(list);
    await options.inTransaction?.(tx);
    return summary();
  };
  const { queue } = await openQueue(store, importer);
  await assert.rejects(queue.submit([event('x')], 'merge'), /disk full/);
  await until(() => merged.length === 1);
  assert.deepEqual(merged[0]!.map((r) => r.fields.event_id), ['x'], 'the retry merged the record the journal kept');
  assert.equal(queue.stats.failures, 1);
  assert.deepEqual(await queue.submit([event('y')], 'merge'), { accepted: 1, rejected: 0, errors: [] });
  assert.equal(merged.length, 2, 'answered only after its merge');
  await queue.close();
});

test('with a throwaway journal every request waits for its merge, as nothing would replay the journal', async () => {
  const { store, tx } = settingsStore();
  const merged: RawRecord[][] = [];
  const { queue, dir } = await openQueue(store, fakeImporter(tx, merged), { durable: false });
  await queue.submit([event('t1')]);
  assert.equal(merged.length, 1);
  await queue.close();
  assert.equal(fs.existsSync(dir), false, 'the throwaway journal is deleted on close');
});

test('closing merges what is waiting, then refuses more', async () => {
  const { store, tx } = settingsStore();
  const merged: RawRecord[][] = [];
  const g = gate();
  const { queue } = await openQueue(store, fakeImporter(tx, merged, g.wait));
  await queue.submit([event('a')]);
  await queue.submit([event('b')]);
  setTimeout(g.open, 20);
  await queue.close();
  assert.deepEqual(merged.flat().map((r) => r.fields.event_id), ['a', 'b']);
  await assert.rejects(queue.submit([event('c')]), /shutting down/);
});

// --- With a real store and the real importer.

async function countIds(store: Store): Promise<{ events: Map<string, number>; profiles: number }> {
  const rows = await store.query(`SELECT event_id, count(*) AS n FROM interactions GROUP BY event_id`);
  const [p] = await store.query(`SELECT count(*) AS n FROM profiles`);
  return { events: new Map(rows.map((r) => [String(r.event_id), Number(r.n)])), profiles: Number(p!.n) };
}

const realImporter =
  (store: Store): Importer =>
  (records, options) =>
    importRecords(store, records, options);

test('after a crash, a restart merges what the journal holds past the merged position, each record once', async () => {
  const dbDir = tempDir();
  const store = await openStore(path.join(dbDir, 'db.duckdb'));
  const dir = tempDir();
  try {
    let merge = realImporter(store);
    const first = await openQueue(store, (records, options) => merge(records, options), { dir });
    await first.queue.submit([event('e1', 1), { kind: 'profiles', fields: { customer_id: 'C-e1', name: 'Pat' }, line: 2 }]);
    await until(() => first.queue.health().waiting === 0);
    // From here merges never finish: the process dies with records acknowledged and not merged.
    merge = () => new Promise(() => undefined);
    await first.queue.submit([event('e2', 1), { kind: 'profiles', fields: { customer_id: 'C-e2', name: 'Sam' }, line: 2 }]);
    await first.queue.submit([event('e3', 1), event('e1', 2)]);
    assert.deepEqual([...(await countIds(store)).events.keys()].sort(), ['e1']);

    // The restart: the lock names this same process, as a restarted container's pid 1 would.
    const restarted = await openQueue(store, realImporter(store), { dir });
    await restarted.queue.close();
    const after = await countIds(store);
    assert.deepEqual([...after.events.entries()].sort(), [['e1', 1], ['e2', 1], ['e3', 1]]);
    assert.equal(after.profiles, 2);
    // The dead process's open segment, which its exit would have closed: closed here once the
    // restart is done with the directory (left to garbage collection, Node warns, DEP0137).
    await first.journal.close();
  } finally {
    await store.close();
  }
});

test('a replay of records already merged (identify profiles included) stores nothing twice', async () => {
  const dbDir = tempDir();
  const store = await openStore(path.join(dbDir, 'db.duckdb'));
  const dir = tempDir();
  try {
    const first = await openQueue(store, realImporter(store), { dir });
    await first.queue.submit([event('r1', 1), { kind: 'profiles', fields: { customer_id: 'C-r1', email: 'r1@example.com', name: 'Ria' }, line: 2 }]);
    await first.queue.close();
    const before = await countIds(store);
    // Forget the merged position: the whole journal is merged again, as if the position were lost.
    await store.exec(`DELETE FROM settings WHERE key LIKE 'collector_journal:%'`);
    const again = await openQueue(store, realImporter(store), { dir });
    assert.equal(again.queue.health().waiting, 2, 'both records are replayed');
    await again.queue.close();
    assert.deepEqual(await countIds(store), before);
  } finally {
    await store.close();
  }
});

test('the merged position commits with the records: a merge that fails after writing it leaves neither', async () => {
  const dbDir = tempDir();
  const store = await openStore(path.join(dbDir, 'db.duckdb'));
  try {
    const key = 'collector_journal:test';
    await assert.rejects(
      importRecords(store, [{ source: 't', line: 1, kind: 'interactions', fields: event('p1').fields }], {
        inTransaction: async (tx) => {
          await tx.exec(`INSERT INTO settings (key, value) VALUES ($1, $2)`, [key, '123']);
          throw new Error('crash before commit');
        },
      }),
      /crash before commit/,
    );
    assert.deepEqual(await store.query(`SELECT value FROM settings WHERE key = $1`, [key]), []);
    assert.equal((await countIds(store)).events.size, 0);
  } finally {
    await store.close();
  }
});

test('over HTTP with a journal, a full backlog is a 429 with Retry-After, and /healthz shows the backlog and lag', async () => {
  const journal = tempDir();
  const s = await startTestServer({ journal, writeQueue: { maxBacklogRecords: 2 } });
  try {
    const track = (id: string) => ({ type: 'track', userId: 'u1', event: 'pay_bill/open', messageId: id, timestamp: '2026-06-01T09:00:00Z' });
    const ok = await s.call('collector', { method: 'POST', url: '/v1/batch', payload: { batch: [track('h1'), track('h2')] } });
    assert.equal(ok.statusCode, 200, ok.body);
    // Whether the first merge is done decides whether two more fit; three never do.
    const busy = await s.call('collector', { method: 'POST', url: '/v1/batch', payload: { batch: [track('h3'), track('h4'), track('h5')] } });
    assert.equal(busy.statusCode, 429, busy.body);
    assert.match(String(busy.headers['retry-after']), /^\d+$/);
    assert.match(busy.json<{ error: { message: string } }>().error.message, /busy/);
    const health = (await s.call('admin', { method: 'GET', url: '/healthz' })).json<{ collector: Record<string, unknown> }>();
    for (const field of ['acknowledge', 'journal', 'waiting', 'backlog_bytes', 'lag_ms', 'batches', 'records', 'rejected', 'failures']) assert.ok(field in health.collector, field);
    assert.equal(health.collector.acknowledge, 'journal');
  } finally {
    await s.close();
  }
});

test('merges that keep failing turn /healthz to 503 with the reason; once the store takes them, the journal drains and it is ok again', async () => {
  const journal = tempDir();
  const s = await startTestServer({ journal });
  try {
    const health = async (): Promise<{ code: number; doc: { status: string; reason?: string; collector: Record<string, unknown> } }> => {
      const r = await s.call('admin', { method: 'GET', url: '/healthz' });
      return { code: r.statusCode, doc: r.json() };
    };
    // A store that refuses the merge as a real one can: its table is not where the merge writes.
    await s.store.exec(`ALTER TABLE interactions RENAME TO interactions_away`);
    const track = { type: 'track', userId: 'hf-1', event: 'pay_bill/open', messageId: 'hf-1', timestamp: '2026-06-01T09:00:00Z' };
    const r = await s.call('collector', { method: 'POST', url: '/v1/batch', payload: { batch: [track] } });
    assert.equal(r.statusCode, 200, 'acknowledged: it is in the journal');
    let seen = await health();
    const deadline = Date.now() + 10_000;
    while (seen.code === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = await health();
    }
    assert.equal(seen.code, 503, 'failing after repeated merge failures');
    assert.equal(seen.doc.status, 'failing');
    assert.match(seen.doc.reason ?? '', /the last \d+ merges of collected events into the store failed \(the server log says why\); events wait in the journal/);
    assert.doesNotMatch(JSON.stringify(seen.doc), /interactions|Catalog|Error/, 'no store message on a page that needs no key');
    const keyless = (await s.app.inject({ method: 'GET', url: '/healthz' })).json<Record<string, unknown>>();
    assert.deepEqual(Object.keys(keyless).sort(), ['dead_letters', 'reason', 'status'], 'without a key: only whether it is well');
    assert.equal(keyless.dead_letters, 0, 'a store that refuses every record sets none aside');
    assert.match(String(seen.doc.collector.last_failure_at), /^\d{4}-\d\d-\d\dT/);
    assert.ok(Number(seen.doc.collector.failed_in_a_row) >= 3);
    assert.equal(seen.doc.collector.waiting, 1);

    await s.store.exec(`ALTER TABLE interactions_away RENAME TO interactions`);
    const back = Date.now() + 15_000;
    while ((seen.code !== 200 || seen.doc.collector.waiting !== 0) && Date.now() < back) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = await health();
    }
    assert.equal(seen.code, 200, 'ok again');
    assert.equal(seen.doc.collector.failed_in_a_row, 0);
    assert.deepEqual(await s.store.query(`SELECT event_id FROM interactions WHERE event_id = 'hf-1'`), [{ event_id: 'hf-1' }], 'the journalled event was merged');
  } finally {
    await s.close();
  }
});

test('a record the store refuses is set aside as a dead letter, the rest of its batch merges, and a restart does not replay it', async () => {
  const journal = tempDir();
  const s = await startTestServer({ journal });
  try {
    // A record that passes validation and that this store still refuses: its text must be
    // unique, and one event already holds "POISON".
    await s.load('interactions', [{ event_id: 'seed', ts: '2026-06-01T08:00:00Z', channel: 'web', activity: 'seed', customer_id: 'seed', text: 'POISON' }]);
    await s.store.exec(`CREATE UNIQUE INDEX poison_text ON interactions (text)`);
    const track = (id: string, text?: string) => ({ type: 'track', userId: `dl-${id}`, event: 'pay_bill/open', messageId: id, timestamp: '2026-06-01T09:00:00Z', properties: text === undefined ? {} : { text } });
    const r = await s.call('collector', { method: 'POST', url: '/v1/batch', payload: { batch: [track('g1'), track('bad', 'POISON'), track('g2'), track('g3')] } });
    assert.equal(r.statusCode, 200, r.body);
    const deadline = Date.now() + 20_000;
    let health = (await s.call('admin', { method: 'GET', url: '/healthz' })).json<{ collector: Record<string, unknown> }>();
    while (health.collector.waiting !== 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      health = (await s.call('admin', { method: 'GET', url: '/healthz' })).json();
    }
    assert.equal(health.collector.waiting, 0, 'the journal drained');
    assert.equal(health.collector.dead_letters, 1);
    const ids = (await s.store.query(`SELECT event_id FROM interactions WHERE event_id <> 'seed' ORDER BY event_id`)).map((row) => row.event_id);
    assert.deepEqual(ids, ['g1', 'g2', 'g3'], 'the rest of the batch merged');
    const letters = await listDeadLetters(s.store);
    assert.equal(letters.length, 1);
    assert.equal(letters[0]!.fields.event_id, 'bad');
    assert.equal(letters[0]!.kind, 'interactions');
    assert.equal(letters[0]!.line, 2, 'its place in the request');
    assert.ok(letters[0]!.reason.length > 0);
    // Later events still merge.
    const later = await s.call('collector', { method: 'POST', url: '/v1/track', payload: track('g4') });
    assert.equal(later.statusCode, 200, later.body);
    await s.app.close();
    // A restart on the same journal and database replays nothing: the poison is behind the merged position.
    const { createApp } = await import('./app.ts');
    const app = await createApp({ store: s.store, journal });
    const h = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(h.statusCode, 200);
    assert.equal(h.json<{ dead_letters: number }>().dead_letters, 1, 'counted once, not again');
    await app.close();
    assert.equal((await listDeadLetters(s.store)).length, 1);
  } finally {
    await s.store.close();
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
});
