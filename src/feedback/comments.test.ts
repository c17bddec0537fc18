import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestFeedback, tempDir, writeCsv } from '../../test/support/fixtures.ts';
import { isAppError } from '../core/errors.ts';
import { importFiles } from '../ingest/import.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { analyseComments, listComments, saveTaxonomy, topicSummary } from './comments.ts';
import { createAnalyser } from './sentiment.ts';
import { DEFAULT_TAXONOMY, parseTaxonomy } from './taxonomy.ts';

describe('comment topics and sentiment', () => {
  test('each topic of the default taxonomy is found in the words customers use', async () => {
    const analyse = await createAnalyser();
    const cases: [string, string][] = [
      ['I was overcharged on my bill again, the fees keep going up.', 'billing'],
      ['The website kept failing when I tried to log in.', 'website_app'],
      ['The staff at the store were rude and dismissive.', 'store_staff'],
      ['I was promised a credit and it never showed up.', 'promises_credits'],
      ['Waited on hold for ages before anyone picked up.', 'wait_time'],
      ['Thank you Maria, very patient and helpful.', 'agent_praise'],
    ];
    for (const [text, topic] of cases) assert.ok(analyse(text).topics.includes(topic), `${topic} in "${text}": ${analyse(text).topics.join(',')}`);
    assert.ok(!analyse('The agent was not helpful at all, useless.').topics.includes('agent_praise'), 'praise needs a positive comment');
    assert.equal(analyse('Rude, useless and slow. Terrible.').label, 'negative');
    assert.equal(analyse('Great service, quick and easy, thanks!').label, 'positive');
  });

  test('a taxonomy file is validated with the path of each problem', () => {
    const t = parseTaxonomy(JSON.stringify({ topics: [{ id: 'network', keywords: ['signal', 'coverage', 'drop call'] }] }));
    assert.deepEqual(t.topics[0]!.keywords, ['signal', 'coverage', 'drop call']);
    assert.throws(() => parseTaxonomy(JSON.stringify({ topics: [{ id: 'Bad Id', keywords: [] }] })), (e) => isAppError(e) && /\$\.topics\[0\]\.id/.test(e.message) && /\$\.topics\[0\]\.keywords/.test(e.message));
  });
});

describe('comments in the store', () => {
  let store: Store;
  before(async () => {
    const dir = tempDir();
    store = await openStore(path.join(dir, 'db.duckdb'));
    await importFiles(
      store,
      [
        writeCsv(dir, 'feedback.csv', [
          createTestFeedback({ response_id: 'a', score: 1, comment: 'Waited on hold for ages, and the bill was wrong. Terrible.' }),
          createTestFeedback({ response_id: 'b', score: 10, comment: 'Great service, Maria was so helpful!' }),
          createTestFeedback({ response_id: 'c', score: 8 }),
        ]),
      ],
      { createCases: false },
    );
    // The telecom taxonomy is the demo's: this store takes it as its own.
    await saveTaxonomy(store, DEFAULT_TAXONOMY);
  });
  after(() => store.close());

  test('two requests that analyse comments at once both succeed, as the dashboard makes them', async () => {
    const [topics, comments] = await Promise.all([topicSummary(store), listComments(store, {})]);
    assert.ok(topics.length > 0);
    assert.deepEqual(comments.map((c) => c.response_id).sort(), ['a', 'b']);
  });

  test('every comment is analysed once, and verbatims filter by topic and sentiment', async () => {
    const billing = await listComments(store, { topic: 'billing' });
    assert.deepEqual(billing.map((c) => c.response_id), ['a']);
    assert.deepEqual(billing[0]!.topics.sort(), ['billing', 'wait_time']);
    assert.equal(billing[0]!.label, 'negative');
    assert.equal(await analyseComments(store, DEFAULT_TAXONOMY), 0, 'nothing left to analyse');
    const positive = await listComments(store, { sentiment: 'positive' });
    assert.deepEqual(positive.map((c) => c.response_id), ['b']);
  });

  test('the topic summary counts comments per topic', async () => {
    const s = await topicSummary(store);
    assert.equal(s.length, DEFAULT_TAXONOMY.topics.length);
    const wait = s.find((t) => t.topic === 'wait_time')!;
    assert.deepEqual([wait.comments, wait.negative], [1, 1]);
    assert.equal(s.find((t) => t.topic === 'agent_praise')!.comments, 1);
  });
});
