import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Logger } from '../core/logger.ts';
import { Journal } from './journal.ts';
import type { JournalOptions } from './journal.ts';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'throughline-journal-test-'));
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => undefined, warn: (m) => warnings.push(m) };
}

const options = (overrides: Partial<JournalOptions> = {}): JournalOptions => ({ segmentBytes: 1 << 20, sync: true, logger: recordingLogger(), ...overrides });

/** Opens and recovers a journal from `from`, collecting the lines recovery hands over. */
async function openAt(dir: string, from = 0, o: Partial<JournalOptions> = {}): Promise<{ journal: Journal; lines: unknown[]; recovery: Awaited<ReturnType<Journal['recover']>> }> {
  const journal = Journal.open(dir, options(o));
  const lines: unknown[] = [];
  const recovery = await journal.recover(from, (value) => lines.push(value));
  return { journal, lines, recovery };
}

const segments = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();

test('appends are durable in order, and appends that arrive together share one write and one sync', async () => {
  const dir = tempDir();
  const { journal } = await openAt(dir);
  const ends = await Promise.all(Array.from({ length: 50 }, (_, i) => journal.append(JSON.stringify({ n: i }))));
  assert.deepEqual(ends, [...ends].sort((a, b) => a - b), 'positions follow the order of the calls');
  assert.ok(journal.syncs <= 2, `50 appends in one tick took ${journal.syncs} syncs (the first alone, the rest together)`);
  assert.equal(journal.end, ends.at(-1));
  const read = await journal.read(0, journal.end);
  assert.deepEqual(read.map((l) => l.value), Array.from({ length: 50 }, (_, i) => ({ n: i })));
  assert.deepEqual(read.map((l) => l.end), ends);
  await journal.close();
});

test('a full segment is closed and the next append starts a new one; merged segments are deleted, the open one kept', async () => {
  const dir = tempDir();
  const { journal } = await openAt(dir, 0, { segmentBytes: 64 });
  const ends: number[] = [];
  for (let i = 0; i < 12; i++) ends.push(await journal.append(JSON.stringify({ line: i, pad: 'x'.repeat(10) })));
  const files = segments(dir);
  assert.ok(files.length >= 4, `12 lines of about 30 bytes in 64-byte segments: ${files.join(', ')}`);
  assert.deepEqual(files.map((f) => Number(f.slice(0, 20))).filter((start) => !ends.includes(start) && start !== 0), [], 'every segment starts where a line ends');
  const all = await journal.read(0, journal.end);
  assert.deepEqual(all.map((l) => (l.value as { line: number }).line), [...Array(12).keys()], 'a read crosses segments');
  const part = await journal.read(ends[3]!, ends[7]!);
  assert.deepEqual(part.map((l) => (l.value as { line: number }).line), [4, 5, 6, 7]);

  await journal.release(ends[7]!);
  const left = segments(dir).map((f) => Number(f.slice(0, 20)));
  assert.ok(left[0]! <= ends[7]!, 'the segment holding unmerged lines is kept');
  assert.ok(left.length < files.length, 'segments wholly merged are gone');
  await journal.release(journal.end);
  assert.equal(segments(dir).length, 1, 'the open segment stays even when all of it is merged');
  await journal.close();
});

test('after a restart recovery hands over only the lines past the committed position, and appends continue after them', async () => {
  const dir = tempDir();
  const first = await openAt(dir, 0, { segmentBytes: 80 });
  const ends: number[] = [];
  for (let i = 0; i < 8; i++) ends.push(await first.journal.append(JSON.stringify({ i })));
  await first.journal.close();

  const again = await openAt(dir, ends[4]!, { segmentBytes: 80 });
  assert.deepEqual(again.lines, [{ i: 5 }, { i: 6 }, { i: 7 }]);
  assert.deepEqual([again.recovery.start, again.recovery.end, again.recovery.lines, again.recovery.tornBytes], [ends[4], ends[7], 3, 0]);
  const next = await again.journal.append(JSON.stringify({ i: 8 }));
  assert.deepEqual((await again.journal.read(ends[7]!, next)).map((l) => l.value), [{ i: 8 }]);
  await again.journal.close();
});

test('an incomplete last write left by a crash is cut off and reported, and never handed over', async () => {
  const dir = tempDir();
  const first = await openAt(dir);
  const a = await first.journal.append(JSON.stringify({ ok: 1 }));
  const b = await first.journal.append(JSON.stringify({ ok: 2 }));
  await first.journal.close();
  // What a crash in the middle of a write leaves: part of a line, without its newline.
  const file = path.join(dir, segments(dir).at(-1)!);
  fs.appendFileSync(file, '{"ok":3,"r":[["interactions",1,{"event_id":"e');

  const logger = recordingLogger();
  const again = await openAt(dir, a, { logger });
  assert.deepEqual(again.lines, [{ ok: 2 }]);
  assert.equal(again.recovery.end, b);
  assert.equal(again.recovery.tornBytes, 45);
  assert.match(logger.warnings.join('\n'), /cut off 45 bytes of an incomplete last write at byte \d+ \(a crash during an append; it was never acknowledged\)/);
  assert.equal(fs.statSync(file).size, b, 'the file is cut back to its last complete line');
  const c = await again.journal.append(JSON.stringify({ ok: 4 }));
  assert.deepEqual((await again.journal.read(a, c)).map((l) => l.value), [{ ok: 2 }, { ok: 4 }]);
  await again.journal.close();
});

test('a damaged line before the last segment stops recovery instead of skipping acknowledged records', async () => {
  const dir = tempDir();
  const first = await openAt(dir, 0, { segmentBytes: 40 });
  for (let i = 0; i < 6; i++) await first.journal.append(JSON.stringify({ i, pad: 'yyyyyyyyyy' }));
  await first.journal.close();
  const older = path.join(dir, segments(dir)[0]!);
  const bytes = fs.readFileSync(older);
  bytes[2] = 0x00;
  fs.writeFileSync(older, bytes);
  const journal = Journal.open(dir, options({ segmentBytes: 40 }));
  await assert.rejects(journal.recover(0, () => undefined), /is damaged at byte 0/);
  await journal.close();
});

test('a second process cannot open a journal in use, and is told which process holds it', async () => {
  const dir = tempDir();
  // The parent of this test process is alive and is not this process: it stands for another server.
  fs.writeFileSync(path.join(dir, 'lock'), JSON.stringify({ pid: process.ppid, host: os.hostname(), started_at: '2026-06-01T00:00:00.000Z' }));
  assert.throws(
    () => Journal.open(dir, options()),
    (e: Error & { code?: string }) =>
      e.code === 'locked' && e.message.includes(`in use by another Throughline server (pid ${process.ppid}, started 2026-06-01T00:00:00.000Z)`) && /own --journal directory/.test(String((e as { hint?: string }).hint)),
  );
});

test('a lock left by a process that no longer runs is taken over, and closing gives it back', async () => {
  const dir = tempDir();
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  fs.writeFileSync(path.join(dir, 'lock'), JSON.stringify({ pid: Number(gone.stdout), host: os.hostname(), started_at: '2026-06-01T00:00:00.000Z' }));
  const { journal } = await openAt(dir);
  assert.equal((JSON.parse(fs.readFileSync(path.join(dir, 'lock'), 'utf8')) as { pid: number }).pid, process.pid);
  await journal.close();
  assert.equal(fs.existsSync(path.join(dir, 'lock')), false);
});

test('a journal keeps its id across restarts, and a new directory gets a new one', async () => {
  const dir = tempDir();
  const a = await openAt(dir);
  await a.journal.close();
  const b = await openAt(dir);
  await b.journal.close();
  const c = await openAt(tempDir());
  await c.journal.close();
  assert.equal(a.journal.id, b.journal.id);
  assert.notEqual(a.journal.id, c.journal.id);
});

test('a journal that ends before the committed position continues after it, so no position is used twice', async () => {
  const dir = tempDir();
  const first = await openAt(dir);
  await first.journal.append(JSON.stringify({ i: 1 }));
  await first.journal.close();
  // The store says more was merged than this journal holds (a database restored with a newer journal lost).
  const again = await openAt(dir, 1000);
  assert.deepEqual([again.lines.length, again.recovery.end], [0, 1000]);
  const end = await again.journal.append(JSON.stringify({ i: 2 }));
  assert.ok(end > 1000);
  assert.deepEqual((await again.journal.read(1000, end)).map((l) => l.value), [{ i: 2 }]);
  await again.journal.close();
  const third = await openAt(dir, 1000);
  assert.deepEqual(third.lines, [{ i: 2 }]);
  await third.journal.close();
});
