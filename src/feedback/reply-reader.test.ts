import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { CONFIDENT, readReply } from './reply-reader.ts';
import type { CallTime, Expectation, ReplyReading } from './reply-reader.ts';

interface Case {
  question: 'nps' | 'csat' | 'ces' | 'yes_no' | 'make_it_right' | 'text';
  reply: string;
  intent: ReplyReading['intent'];
  score?: number;
  comment?: string | null;
  callAt?: CallTime | null;
}

const corpus = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '..', '..', 'test', 'data', 'survey-replies.json'), 'utf8')) as Case[];

const EXPECTS: Record<Case['question'], Expectation> = {
  nps: { kind: 'score', lo: 0, hi: 10 },
  csat: { kind: 'score', lo: 1, hi: 5 },
  ces: { kind: 'score', lo: 1, hi: 7 },
  yes_no: { kind: 'yes_no' },
  make_it_right: { kind: 'text', offer: true },
  text: { kind: 'text', offer: false },
};

/** What the dialogue does with a reading: below the confidence bar it asks again. */
function acted(r: ReplyReading): ReplyReading['intent'] {
  return r.confidence < CONFIDENT && r.intent !== 'question' ? 'unclear' : r.intent;
}

function mismatch(c: Case, r: ReplyReading): string | null {
  if (acted(r) !== c.intent) return `intent ${acted(r)} (confidence ${r.confidence})`;
  if (c.score !== undefined && r.score !== c.score) return `score ${r.score}`;
  if (c.comment !== undefined && r.comment !== c.comment) return `comment ${JSON.stringify(r.comment)}`;
  if (c.callAt !== undefined && JSON.stringify(r.callAt ?? null) !== JSON.stringify(c.callAt)) return `call time ${JSON.stringify(r.callAt)}`;
  return null;
}

describe('reading survey replies', () => {
  test('the corpus of realistic replies is read right at least 95% of the time, and no comment is a rewritten reply', (t) => {
    assert.ok(corpus.length >= 200, `the corpus has ${corpus.length} replies`);
    const wrong: string[] = [];
    for (const c of corpus) {
      // Monday, so "call me on Monday" is today.
      const r = readReply(c.reply, EXPECTS[c.question], 1);
      const m = mismatch(c, r);
      if (m !== null) wrong.push(`${c.question} "${c.reply}": expected ${c.intent}${c.score === undefined ? '' : ` ${c.score}`}, read ${m}`);
      // A comment is the reply, or the words after a leading score: never a reply with words cut out.
      if (r.comment !== undefined && r.comment !== null) assert.ok(c.reply.includes(r.comment), `"${c.reply}" gave the comment "${r.comment}"`);
    }
    const accuracy = 1 - wrong.length / corpus.length;
    t.diagnostic(`${corpus.length} replies, read right ${(accuracy * 100).toFixed(1)}%${wrong.length === 0 ? '' : `; misread:\n${wrong.join('\n')}`}`);
    assert.ok(accuracy >= 0.95, `accuracy ${(accuracy * 100).toFixed(1)}% is below 95%:\n${wrong.join('\n')}`);
  });

  test('the cases of issue 19 are read for what the question asked', () => {
    assert.equal(readReply('Please fix the payment page', { kind: 'text', offer: true }).intent, 'answer');
    const one = readReply('it was a 1 honestly', { kind: 'score', lo: 0, hi: 10 });
    assert.deepEqual([one.intent, one.score, one.comment], ['score', 1, null]);
    assert.equal(readReply('The bill is still wrong and nobody has fixed it', { kind: 'yes_no' }).intent, 'unclear');
    assert.deepEqual(readReply('call me after 5', { kind: 'yes_no' }).callAt, { day: 0, minute: 17 * 60, relation: 'after' });
  });
});
