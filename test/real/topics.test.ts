/**
 * Discovered topics on data this project did not generate: 1,000 public clothing reviews,
 * imported as anonymous survey answers (a review site: no identifier, stars as CSAT) with no
 * taxonomy. The topics must be about clothes, not the telecom words the demo's taxonomy holds,
 * and each of the largest must be mostly about one thing.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { listComments, topicSummary } from '../../src/feedback/comments.ts';
import type { TopicSummary, TopicView } from '../../src/feedback/comments.ts';
import { DEFAULT_TAXONOMY } from '../../src/feedback/taxonomy.ts';
import { createTermReader, features } from '../../src/feedback/terms.ts';
import { importFiles } from '../../src/ingest/import.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../support/fixtures.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
// ../shared beside the clone, as CI has it; THROUGHLINE_SHARED names another place (a worktree's).
const file = path.resolve(process.env.THROUGHLINE_SHARED ?? path.resolve(repoRoot, '..', 'shared'), 'data', 'feedback', 'clothing_reviews_1000.csv');
const skip = fs.existsSync(file) ? false : `${file} is absent (real data lives only beside CI's clone)`;

/** Of the largest topics, the share of each one's texts that hold one of its three first keywords: at least this. */
const PURITY_FLOOR = 0.6;
const LARGEST = 5;
const CLOTHING_WORDS = /\b(fit|size|small|large|fabric|material|color|colour|length|petite|waist|sleeve|dress|top|jean|sweater|shirt|skirt|quality|soft)\b/;
const TELECOM_LABELS = DEFAULT_TAXONOMY.topics.map((t) => t.label.toLowerCase());

let store: Store;
let dir = '';
before(async () => {
  if (skip !== false) return;
  dir = tempDir('throughline-real-topics-');
  store = await openStore(path.join(dir, 'reviews.duckdb'));
  const s = await importFiles(store, [file], {
    kind: 'feedback',
    map: new Map([
      ['comment', 'Review Text'],
      ['score', 'Rating'],
    ]),
    constants: new Map([
      ['ts', '2026-01-01T00:00:00Z'],
      ['survey_id', 'product_reviews'],
      ['metric', 'csat'],
      ['scope', 'transaction'],
    ]),
    rejectsPath: path.join(dir, 'rejects.jsonl'),
    createCases: false,
  });
  assert.ok(s.imported.feedback >= 990, `the reviews import as anonymous answers: ${JSON.stringify(s.imported)}, ${s.rejected} rejected`);
});
after(async () => {
  if (skip !== false) return;
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function purity(t: TopicSummary, view: TopicView): Promise<number> {
  const texts = await listComments(store, { topic: t.topic, view, limit: 10_000 });
  assert.equal(texts.length, t.comments);
  const top = t.keywords.slice(0, 3);
  // Read with the same terms the topics were found in: a text is about the topic's core when it has one of its first keywords.
  const read = await createTermReader();
  const about = texts.filter((c) => top.some((k) => features(read(c.text)).has(k))).length;
  return about / texts.length;
}

for (const view of ['all', 'negative'] as const) {
  test(`clothing reviews give clothing topics, each of the largest mostly about one thing (view ${view})`, { skip }, async () => {
    const topics = await topicSummary(store, { view });
    const labels = topics.map((t) => t.label.toLowerCase());
    assert.ok(topics.length >= 5, `several topics: ${labels.join(' | ')}`);
    for (const l of labels) assert.ok(!TELECOM_LABELS.includes(l), `telecom topic "${l}" in ${labels.join(' | ')}`);
    const largest = [...topics].sort((a, b) => b.comments - a.comments).slice(0, LARGEST);
    const clothing = largest.filter((t) => CLOTHING_WORDS.test(t.keywords.join(' ')));
    assert.ok(clothing.length >= 3, `the largest topics are about clothes: ${largest.map((t) => `${t.label} [${t.keywords.join(', ')}]`).join(' | ')}`);
    for (const t of largest) {
      const p = await purity(t, view);
      assert.ok(p >= PURITY_FLOOR, `${t.label} [${t.keywords.join(', ')}]: ${(p * 100).toFixed(0)}% of its ${t.comments} reviews hold one of its first keywords`);
      assert.ok(t.examples.length > 0);
    }
  });
}
