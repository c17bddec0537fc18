import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { createTestFeedback, tempDir, writeCsv } from '../../test/support/fixtures.ts';
import { DEFAULT_TAXONOMY } from '../feedback/taxonomy.ts';
import { run } from './main.ts';
import type { Io } from './output.ts';

function capture(): Io & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { out: (t) => lines.push(t), err: (t) => errors.push(t), stderrIsTty: false, lines, errors };
}

async function json<T>(args: string[]): Promise<T> {
  const io = capture();
  const code = await run(['--json', ...args], io);
  assert.equal(code, 0, io.errors.join('\n'));
  return JSON.parse(io.lines.join('')) as T;
}

describe('feedback comments and topics on the command line, over comments and messages', () => {
  const dir = tempDir();
  const db = path.join(dir, 'cli.duckdb');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('messages import, read back with --source, and export with their source', async () => {
    const files = [
      writeCsv(dir, 'feedback.csv', [
        createTestFeedback({ response_id: 'f1', score: 1, comment: 'The courier lost my parcel and the parcel never arrived.' }),
        createTestFeedback({ response_id: 'f2', score: 2, comment: 'Parcel lost again, courier useless.', customer_id: 'C2' }),
      ]),
      writeCsv(dir, 'messages.csv', [
        { message_id: 'm1', ts: '2026-06-02T10:00:00Z', speaker: 'customer', text: 'Where is my parcel? The courier says delivered but nothing came.', conversation_id: 'c1', customer_id: 'C3' },
        { message_id: 'm2', ts: '2026-06-02T10:01:00Z', speaker: 'agent', text: 'I am sorry, let me check with the courier.', conversation_id: 'c1', agent_id: 'A1' },
      ]),
    ];
    assert.equal(await run(['--db', db, 'import', '--no-cases', ...files], capture()), 0);

    const messages = await json<{ id: string; source: string; text: string }[]>(['--db', db, 'feedback', 'comments', '--source', 'messages']);
    assert.deepEqual(messages.map((m) => [m.id, m.source]), [['m1', 'message']], "only the customer's turn is analysed");
    const all = await json<{ id: string; source: string }[]>(['--db', db, 'feedback', 'comments', '--source', 'all']);
    assert.deepEqual(all.map((c) => `${c.source}:${c.id}`).sort(), ['feedback:f1', 'feedback:f2', 'message:m1']);

    const io = capture();
    assert.equal(await run(['--db', db, 'feedback', 'comments', '--source', 'everything'], io), 2);
    assert.match(io.errors.join(''), /--source everything: use feedback, messages, all/);

    const out = path.join(dir, 'messages.jsonl');
    assert.equal(await run(['--db', db, 'export', 'messages', '--out', out], capture()), 0);
    assert.deepEqual(fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { message_id: string }).message_id), ['m1', 'm2']);
  });

  test('topics are discovered until a taxonomy is stored, and again once it is cleared', async () => {
    const discovered = await json<{ label: string; keywords: string[]; origin: string }[]>(['--db', db, 'feedback', 'topics', '--source', 'all']);
    assert.ok(discovered.some((t) => t.keywords.includes('parcel') || t.keywords.includes('courier')), JSON.stringify(discovered));
    assert.ok(discovered.every((t) => t.origin === 'discovered'));

    const file = path.join(dir, 'taxonomy.json');
    fs.writeFileSync(file, JSON.stringify(DEFAULT_TAXONOMY));
    assert.equal(await run(['--db', db, 'feedback', 'taxonomy', file], capture()), 0);
    const stored = await json<{ topic: string; origin: string }[]>(['--db', db, 'feedback', 'topics']);
    assert.deepEqual(stored.map((t) => t.topic).sort(), DEFAULT_TAXONOMY.topics.map((t) => t.id).sort());

    assert.equal(await run(['--db', db, 'feedback', 'taxonomy', '--clear'], capture()), 0);
    const again = await json<{ origin: string }[]>(['--db', db, 'feedback', 'topics', '--source', 'all']);
    assert.ok(again.length > 0 && again.every((t) => t.origin === 'discovered'));
  });
});
