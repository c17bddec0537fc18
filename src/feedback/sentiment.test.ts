import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundWords, createAnalyser, MAX_WORD_CHARS } from './sentiment.ts';

test('ordinary words reach the analysis unchanged; a run longer than any word is cut to MAX_WORD_CHARS', () => {
  const ordinary = 'The agent was rude, and the app crashed twice! Antidisestablishmentarianism is long but fine.';
  assert.equal(boundWords(ordinary), ordinary);
  const bounded = boundWords(`great ${'x'.repeat(100_000)} service https://example.com/${'a'.repeat(500)}`);
  const tokens = bounded.split(/\s+/);
  assert.deepEqual(tokens.map((t) => t.length), [5, MAX_WORD_CHARS, 7, MAX_WORD_CHARS]);
});

test('the analyser reads a comment with a 1 MB word as it reads the word cut short (work per token is bounded)', { timeout: 300_000 }, async () => {
  // Quadratic in a word's length, as wink-nlp is, this word alone would take hours (20,000
  // characters took 1.5 s); bounded, it is one linear pass.
  const analyse = await createAnalyser();
  const long = `The billing was terrible ${'z'.repeat(1024 * 1024)} and slow`;
  assert.deepEqual(analyse(long), analyse(`The billing was terrible ${'z'.repeat(MAX_WORD_CHARS)} and slow`));
  assert.equal(analyse(long).label, 'negative');
});
