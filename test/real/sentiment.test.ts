/**
 * Comment sentiment against real ratings: 1,000 public clothing reviews, each with a 1–5 star
 * rating. Reviews of 4–5 stars should read more positive than reviews of 1–2 stars. The floors
 * sit a little below what was measured (docs/feedback.md, "Measured agreement").
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createAnalyser } from '../../src/feedback/sentiment.ts';
import { openSource } from '../../src/ingest/parsers/open.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const file = path.resolve(repoRoot, '..', 'shared', 'data', 'feedback', 'clothing_reviews_1000.csv');
const absent = !fs.existsSync(file);

test('wink-nlp sentiment agrees with the star ratings of real reviews', { skip: absent ? `${file} is absent (real data lives only beside CI's clone)` : false }, async (t) => {
  const analyse = await createAnalyser();
  const source = await openSource(file);
  const positive: number[] = [];
  const negative: number[] = [];
  let positiveRight = 0;
  let negativeRight = 0;
  for await (const item of source.items()) {
    if (!item.ok) continue;
    const text = String(item.row.fields['Review Text'] ?? '').trim();
    const rating = Number(item.row.fields.Rating);
    if (text === '' || !(rating >= 1)) continue;
    if (rating !== 3) {
      const a = analyse(text);
      (rating >= 4 ? positive : negative).push(a.sentiment);
      if (rating >= 4 && a.label === 'positive') positiveRight++;
      if (rating <= 2 && a.label !== 'positive') negativeRight++;
    }
  }
  assert.ok(positive.length > 500 && negative.length > 50, `expected many rated reviews, got ${positive.length} + ${negative.length}`);
  // AUC: the chance that a random 4–5 star review scores above a random 1–2 star one.
  let wins = 0;
  for (const p of positive) for (const n of negative) wins += p > n ? 1 : p === n ? 0.5 : 0;
  const auc = wins / (positive.length * negative.length);
  // Balanced accuracy, because 9 reviews in 10 are positive: always saying "positive" scores 0.88
  // on plain accuracy and 0.5 here.
  const accuracy = (positiveRight + negativeRight) / (positive.length + negative.length);
  const balanced = (positiveRight / positive.length + negativeRight / negative.length) / 2;
  t.diagnostic(
    `reviews: ${positive.length} rated 4–5, ${negative.length} rated 1–2; AUC ${auc.toFixed(3)}; ` +
      `label accuracy ${accuracy.toFixed(3)}, balanced ${balanced.toFixed(3)}`,
  );
  assert.ok(auc >= 0.77, `AUC ${auc.toFixed(3)} is below the floor of 0.77 (measured 0.807)`);
  assert.ok(balanced >= 0.65, `balanced accuracy ${balanced.toFixed(3)} is below the floor of 0.65 (measured 0.689)`);
});
