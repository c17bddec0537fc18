import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { createTestFeedback, tempDir, writeCsv } from '../../test/support/fixtures.ts';
import { importFiles } from '../ingest/import.ts';
import { openStore } from '../store/open.ts';
import { listComments } from './comments.ts';
import { MIN_EXAMPLES } from './sentiment-model.ts';
import { createTextScorer, latestModel, scoreText, trainSentimentModel } from './sentiment-scorer.ts';

// A company whose customers say "the widget jammed" when unhappy: words the rules do not know.
const unhappy = ['The widget jammed again', 'Widget jammed on day two', 'my widget jammed and the gizmo froze', 'gizmo froze twice this week'];
const happy = ['The widget hums along', 'widget hums, gizmo purrs', 'my gizmo purrs now', 'it hums and purrs'];

function comments(n: number): ReturnType<typeof createTestFeedback>[] {
  return Array.from({ length: n }, (_, i) =>
    createTestFeedback({ response_id: `s${i}`, customer_id: `C${i}`, score: i % 2 === 0 ? 2 : 10, comment: `${(i % 2 === 0 ? unhappy : happy)[i % 4]!} (${i})` }),
  );
}

describe('a sentiment model learnt from scored comments', () => {
  test('below the threshold the rules score every comment, and the output says so', async () => {
    const dir = tempDir();
    const store = await openStore(path.join(dir, 'db.duckdb'));
    try {
      await importFiles(store, [writeCsv(dir, 'feedback.csv', comments(20))], { createCases: false });
      const result = await trainSentimentModel(store);
      assert.equal(result.trained, false);
      assert.match(result.trained ? '' : result.reason, new RegExp(`at least ${MIN_EXAMPLES}.*the rules score every text`));
      const rows = await listComments(store, { limit: 100 });
      assert.equal(rows.length, 20);
      assert.ok(rows.every((r) => r.scorer === 'rules'));
    } finally {
      await store.close();
    }
  });

  test('with enough scored comments a model is trained, stored as a version, and reads texts in the company\'s own words', async () => {
    const dir = tempDir();
    const store = await openStore(path.join(dir, 'db.duckdb'));
    try {
      await importFiles(store, [writeCsv(dir, 'feedback.csv', comments(240))], { createCases: false });
      // Analysing comments trains the first model on demand.
      const rows = await listComments(store, { limit: 1000 });
      assert.ok(rows.every((r) => r.scorer === 'model:v1'), `scorers: ${[...new Set(rows.map((r) => r.scorer))].join(', ')}`);
      const model = await latestModel(store);
      assert.equal(model?.version, 1);
      assert.equal(model?.examples, 240);
      // The rules cannot tell these apart; the model learnt them from the scores.
      assert.equal(scoreText('the gizmo froze').label, 'neutral');
      assert.equal(scoreText('the gizmo froze', model).label, 'negative');
      assert.equal(scoreText('it purrs', model).label, 'positive');
      // Any other text (a message) is scored by the same model, and says so.
      const score = await createTextScorer(store);
      assert.deepEqual([score('my gizmo froze').label, score('my gizmo froze').scorer], ['negative', 'model:v1']);
      // Training again makes a new version, and the comments are read again with it.
      const again = await trainSentimentModel(store);
      assert.deepEqual([again.trained, again.scorer], [true, 'model:v2']);
      assert.ok((await listComments(store, { limit: 5 })).every((r) => r.scorer === 'model:v2'));
    } finally {
      await store.close();
    }
  });
});
