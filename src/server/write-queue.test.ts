import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RawRecord, RecordsSummary } from '../ingest/import.ts';
import { WriteQueue } from './write-queue.ts';
import type { QueuedRecord } from './write-queue.ts';

const silent = { info: () => undefined, warn: () => undefined };
const summary = (rejected = 0): RecordsSummary => ({
  imported: { profiles: 0, interactions: 0, feedback: 0, holdings: 0, promises: 0, consents: 0 },
  skipped_duplicates: 0,
  rejected,
  cases_opened: 0,
  seconds: 0,
});
const rec = (id: string, line = 1): QueuedRecord => ({ kind: 'interactions', fields: { event_id: id }, line });

test('requests that arrive together are merged in one import and each is answered with its own errors', async () => {
  const merges: RawRecord[][] = [];
  const queue = new WriteQueue(
    async (records, options) => {
      const list = [...records];
      merges.push(list);
      for (const r of list) if (String(r.fields.event_id).startsWith('bad')) options.onReject?.(r, 'bad record');
      return summary();
    },
    { maxDelayMs: 20, maxRecords: 1000, maxPending: 10_000 },
    silent,
  );
  const [a, b] = await Promise.all([queue.submit([rec('a1', 1), rec('bad-a', 2)]), queue.submit([rec('b1', 1), rec('b2', 2), rec('bad-b', 3)])]);
  assert.equal(merges.length, 1);
  assert.equal(merges[0]!.length, 5);
  assert.deepEqual(a, { accepted: 1, rejected: 1, errors: [{ line: 2, reason: 'bad record' }] });
  assert.deepEqual(b, { accepted: 2, rejected: 1, errors: [{ line: 3, reason: 'bad record' }] });
  await queue.close();
});

test('nothing is acknowledged before its merge commits, and a failed merge fails every request in it', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let fail = true;
  const queue = new WriteQueue(
    async () => {
      await gate;
      if (fail) throw new Error('disk full');
      return summary();
    },
    { maxDelayMs: 1, maxRecords: 1000, maxPending: 10_000 },
    silent,
  );
  let settled = false;
  const p = queue.submit([rec('x')]).finally(() => (settled = true));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(settled, false, 'no answer while the merge is running');
  release();
  await assert.rejects(p, /disk full/);
  fail = false;
  assert.deepEqual(await queue.submit([rec('y')]), { accepted: 1, rejected: 0, errors: [] });
  await queue.close();
});

test('a full batch is merged without waiting, and closing merges what is waiting then refuses more', async () => {
  let merges = 0;
  const queue = new WriteQueue(
    async () => {
      merges++;
      return summary();
    },
    { maxDelayMs: 60_000, maxRecords: 2, maxPending: 10_000 },
    silent,
  );
  await queue.submit([rec('a'), rec('b')]);
  assert.equal(merges, 1);
  const waiting = queue.submit([rec('c')]);
  await queue.close();
  await waiting;
  assert.equal(merges, 2);
  await assert.rejects(queue.submit([rec('d')]), /shutting down/);
});

test('beyond the pending limit the collector answers busy instead of growing without bound', async () => {
  const queue = new WriteQueue(async () => summary(), { maxDelayMs: 50, maxRecords: 1000, maxPending: 3 }, silent);
  const first = queue.submit([rec('a'), rec('b'), rec('c')]);
  await assert.rejects(queue.submit([rec('d')]), (e: Error & { code?: string }) => e.code === 'rate_limited');
  await first;
  await queue.close();
});
