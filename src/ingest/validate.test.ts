import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RecordOfKind } from '../core/records.ts';
import { createValidator, RepeatCounter } from './validate.ts';

/** A process-log row: case, activity, time, as `--map` hands them over. */
const row = (c: number, a: number, minute: number): Record<string, unknown> => ({
  journey_id: `case-${c}`,
  activity: `step-${a}`,
  ts: new Date(Date.UTC(2026, 0, 1) + minute * 60_000).toISOString(),
  channel: 'other',
});

function derivedIds(rows: readonly Record<string, unknown>[]): string[] {
  const validate = createValidator('interactions', { deriveIds: true });
  return rows.map((r, i) => {
    const result = validate(r, i + 2);
    assert.equal(result.kind, 'ok');
    return (result as { value: RecordOfKind['interactions'] }).value.event_id;
  });
}

test('derived event ids number repeats of identical content, and a re-read gives the same ids', () => {
  // 5,000 distinct rows (past every resize of the repeat table), each repeated up to four times,
  // the repeats spread through the file.
  const rows: Record<string, unknown>[] = [];
  for (let k = 0; k < 4; k++) for (let i = 0; i < 5_000; i++) if (i % 4 >= k) rows.push(row(i % 700, i % 9, i));
  const ids = derivedIds(rows);

  // What the numbering must be: counted by the content of each row.
  const count = new Map<string, number>();
  const bases = new Map<string, string>();
  ids.forEach((id, i) => {
    const content = JSON.stringify(rows[i]);
    const n = (count.get(content) ?? 0) + 1;
    count.set(content, n);
    const base = n === 1 ? id : bases.get(content)!;
    if (n === 1) bases.set(content, id);
    assert.equal(id, n === 1 ? base : `${base}.${n}`, `row ${i} (${content}), occurrence ${n}`);
  });
  assert.match(ids[0]!, /^h-[0-9a-f]{20}$/);
  assert.equal(new Set(ids).size, ids.length, 'every event keeps an id of its own');
  assert.equal(Math.max(...count.values()), 4);
  assert.deepEqual(derivedIds(rows), ids, 're-importing the same file must give the same ids');
});

test('the repeat count tells ids apart by every one of their digits', () => {
  const counter = new RepeatCounter();
  const id = (a: string, b: string, c: string): string => `h-${a}${b}${c}`;
  const zeros = '00000000';
  // Ids that share two of their three words, and the same slot.
  const similar = [id(zeros, zeros, '0001'), id(zeros, zeros, '0002'), id(zeros, '00000001', '0001'), id('00000400', zeros, '0001'), id('ffffffff', 'ffffffff', 'ffff')];
  for (const s of similar) assert.equal(counter.count(s, 2), 1, s);
  for (const s of similar) assert.equal(counter.count(s, 2), 2, s);
  for (let i = 0; i < 3_000; i++) counter.count(id(i.toString(16).padStart(8, '0'), 'abcdef01', '2345'), 2);
  for (const s of similar) assert.equal(counter.count(s, 2), 3, `${s} after the table grew`);
});
