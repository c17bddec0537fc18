import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestFeedback, tempDir, writeCsv } from '../../test/support/fixtures.ts';
import { describeOn, StoreAnswers, storeTargets } from '../../test/support/store-targets.ts';
import { importFiles } from '../ingest/import.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { listComments, saveTaxonomy, topicSummary } from './comments.ts';
import { DEFAULT_TAXONOMY } from './taxonomy.ts';

/** A bakery's customers: complaints about delivery and stale bread, praise for the cakes. */
const COMPLAINTS = [
  'The delivery arrived three hours late and the driver was rude.',
  'Late delivery again, the driver never called.',
  'My delivery came late and the box was crushed.',
  'Delivery driver left the order at the wrong address, terrible.',
  'The bread was stale and hard, awful.',
  'Stale bread again, very disappointing.',
  'The loaf of bread was stale by the afternoon.',
  'Awful stale bread, I threw it away.',
];
const PRAISE = ['The birthday cake was delicious and beautiful.', 'Wonderful cake, the chocolate cake was perfect.', 'Lovely cake, the kids adored the cake.', 'Amazing cake and friendly staff.'];

const answers = new StoreAnswers();

for (const target of storeTargets()) {
  describeOn(target, 'topics discovered from survey comments and messages', () => {
    let store: Store;
    before(async () => {
      const dir = tempDir();
      store = await openStore(await target.freshLocation('topics'));
      const feedback = [...COMPLAINTS, ...COMPLAINTS, ...PRAISE, ...PRAISE].map((comment, i) =>
        createTestFeedback({ response_id: `f${String(i).padStart(2, '0')}`, comment, score: i < COMPLAINTS.length * 2 ? 2 : 10, customer_id: `C${i}` }),
      );
      const messages = [...COMPLAINTS, ...PRAISE].map((text, i) => ({
        message_id: `m${String(i).padStart(2, '0')}`,
        ts: '2026-06-03T10:00:00Z',
        speaker: 'customer',
        text,
        channel: 'social',
        ...(i % 2 === 0 ? { customer_id: `C${i}` } : {}),
      }));
      messages.push({ message_id: 'm99', ts: '2026-06-03T10:01:00Z', speaker: 'agent', text: 'So sorry about the stale bread, delivery of a fresh loaf today.', channel: 'social', customer_id: 'C0' });
      await importFiles(store, [writeCsv(dir, 'feedback.csv', feedback), writeCsv(dir, 'messages.csv', messages)], { createCases: false });
    });
    after(() => store.close());

    test('with no taxonomy, topics come from the words of the texts, with keywords, counts and examples', async () => {
      const topics = answers.keep(target, 'topics --view all', await topicSummary(store, { view: 'all' }));
      const labels = topics.map((t) => t.label.toLowerCase()).join(' | ');
      for (const word of ['delivery', 'bread', 'cake']) assert.match(labels, new RegExp(word), `a topic about ${word}: ${labels}`);
      assert.ok(!/billing|website|store staff/.test(labels), `no telecom topic: ${labels}`);
      const bread = topics.find((t) => t.keywords.includes('bread'))!;
      assert.equal(bread.origin, 'discovered');
      assert.equal(bread.comments, 8, 'every comment about bread, from survey comments only by default');
      assert.ok(bread.examples.length > 0 && bread.examples.every((e) => /bread/i.test(e.text)));
    });

    test('the default view lists the topics of negative texts first, and the same data gives the same topics', async () => {
      const first = answers.keep(target, 'topics', await topicSummary(store));
      const again = await topicSummary(store);
      assert.deepEqual(again, first);
      assert.ok(first[0]!.negative > 0, 'the first topic holds negative texts');
      assert.ok(first.every((t, i) => i === 0 || first[i - 1]!.negative >= t.negative), 'most negative first');
      assert.ok(!/cake/i.test(first[0]!.label));
    });

    test('--source says which texts are read, and every row says where it comes from', async () => {
      const messages = await listComments(store, { source: 'messages', limit: 100 });
      assert.equal(messages.length, COMPLAINTS.length + PRAISE.length, "customers' messages only, anonymous ones included");
      assert.ok(messages.every((m) => m.source === 'message' && m.message_id === m.id && m.response_id === null));
      assert.ok(messages.some((m) => m.customer_key === null), 'anonymous messages are read too');
      const all = answers.keep(target, 'comments --source all', await listComments(store, { source: 'all', limit: 1000 }));
      assert.deepEqual(
        [all.filter((c) => c.source === 'feedback').length, all.filter((c) => c.source === 'message').length],
        [(COMPLAINTS.length + PRAISE.length) * 2, COMPLAINTS.length + PRAISE.length],
      );
      const allTopics = await topicSummary(store, { source: 'all', view: 'all' });
      const bread = allTopics.find((t) => t.keywords.includes('bread'))!;
      assert.equal(bread.comments, 12, '8 survey comments and 4 messages, not the agent reply');
      const byTopic = await listComments(store, { source: 'all', topic: bread.topic, limit: 100 });
      assert.equal(byTopic.length, 12);
      assert.ok(byTopic.every((c) => c.topics.includes(bread.topic)));
    });

    if (target.dialect !== 'duckdb') {
      test('discovered topics and comments are the same documents as on DuckDB', () => answers.assertSameAsDuckDb(target));
    }

    test('a stored taxonomy overrides discovery, and clearing it discovers again', async () => {
      await saveTaxonomy(store, DEFAULT_TAXONOMY);
      const taxonomy = await topicSummary(store, { view: 'all' });
      assert.deepEqual(taxonomy.map((t) => t.topic).sort(), DEFAULT_TAXONOMY.topics.map((t) => t.id).sort());
      assert.ok(taxonomy.every((t) => t.origin === 'taxonomy'));
      await saveTaxonomy(store, null);
      assert.ok((await topicSummary(store)).every((t) => t.origin === 'discovered'));
    });
  });
}
