import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestFeedback, createTestInteraction, readJsonl, tempDir, writeCsv, writeJsonl } from '../../test/support/fixtures.ts';
import { describeOn, storeTargets } from '../../test/support/store-targets.ts';
import { listCases } from '../feedback/cases.ts';
import { computeMetrics } from '../feedback/metrics.ts';
import { saveSurvey } from '../feedback/surveys.ts';
import { createTestSurvey } from '../feedback/test-fixture.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { exportMessages } from './export.ts';
import { importFiles } from './import.ts';

function createTestMessage(overrides: Record<string, string | number | undefined> = {}): Record<string, string | number | undefined> {
  return { message_id: 'm1', ts: '2026-06-02T09:00:00Z', speaker: 'customer', text: 'My bill is wrong again', conversation_id: 'conv-1', channel: 'chat', ...overrides };
}

for (const target of storeTargets()) {
  describeOn(target, 'messages and anonymous answers through the import', () => {
    let store: Store;
    let dir: string;
    before(async () => {
      dir = tempDir();
      store = await openStore(await target.freshLocation('messages'));
    });
    after(() => store.close());

    test('a messages file is recognised by its columns; agent turns take their customer from the conversation', async () => {
      const s = await importFiles(store, [
        writeCsv(dir, 'interactions.csv', [createTestInteraction({ event_id: 'e1', customer_id: 'C1' })]),
        writeCsv(dir, 'messages.csv', [
          createTestMessage({ message_id: 'm1', customer_id: 'C1', event_id: 'e1' }),
          createTestMessage({ message_id: 'm2', speaker: 'Agent', agent_id: 'AG-1', text: 'Sorry to hear that', in_reply_to: 'm1', ts: '2026-06-02T09:01:00Z' }),
          createTestMessage({ message_id: 'm3', ts: '2026-06-02T10:00:00Z', conversation_id: '', text: 'Lovely shop, but the queue was long', channel: 'social' }),
          createTestMessage({ message_id: 'm4', speaker: 'bot', conversation_id: '', text: 'Hello!' }),
          createTestMessage({ message_id: 'm5', speaker: 'robot' }),
          createTestMessage({ message_id: 'm6', text: 'x'.repeat(33 * 1024), customer_id: 'C1' }),
          createTestMessage({ message_id: 'm1', customer_id: 'C1', text: 'a second m1' }),
        ]),
      ]);
      assert.equal(s.files[1]!.kind, 'messages');
      assert.equal(s.imported.messages, 3);
      assert.equal(s.skipped_duplicates, 1);
      assert.deepEqual(
        readJsonl(s.rejects_file!).map((r) => [r.line, r.reason]),
        [
          [5, 'a bot message with no identifier needs a conversation_id'],
          [6, 'speaker "robot" is not one of customer, agent, bot, system'],
          [7, 'field "text" is 33792 bytes; the limit is 32 KB'],
        ],
      );
      const rows = await store.query(`SELECT message_id, speaker, customer_key, conversation_id, in_reply_to, text FROM messages ORDER BY message_id`);
      const [c1] = await store.query(`SELECT customer_key FROM interactions WHERE event_id = 'e1'`);
      assert.deepEqual(
        rows.map((r) => [r.message_id, r.speaker, r.customer_key, r.conversation_id, r.in_reply_to]),
        [
          ['m1', 'customer', c1!.customer_key, 'conv-1', null],
          ['m2', 'agent', null, 'conv-1', 'm1'],
          ['m3', 'customer', null, null, null],
        ],
      );
      assert.equal(rows[0]!.text, 'My bill is wrong again');
    });

    test('an export gives back every message in the contract, with the customer of its conversation', async () => {
      const lines: string[] = [];
      const n = await exportMessages(store, 'jsonl', { write: (t: string) => (lines.push(t), true) } as never);
      assert.equal(n, 3);
      const docs = lines.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(docs.map((d) => [d.message_id, d.speaker, d.customer_id ?? null]), [['m1', 'customer', 'C1'], ['m2', 'agent', null], ['m3', 'customer', null]]);
      assert.equal(docs[0]!.customer_key, docs[1]!.customer_key, 'the agent turn carries its conversation customer');
      assert.equal(docs[2]!.customer_key, undefined, 'an anonymous message names no customer');
    });

    test('anonymous answers count in metrics but link to no customer and open no case', async () => {
      const s = await importFiles(store, [
        writeJsonl(dir, 'feedback.jsonl', [
          createTestFeedback({ response_id: 'a1', customer_id: undefined, score: 0, comment: 'Terrible kiosk' }),
          createTestFeedback({ response_id: 'a2', customer_id: undefined, score: 10 }),
          createTestFeedback({ response_id: 'k1', customer_id: 'C9', score: 1, comment: 'Awful' }),
        ]),
      ]);
      assert.equal(s.imported.feedback, 3);
      assert.equal(s.rejected, 0);
      const keys = await store.query(`SELECT response_id, customer_key FROM feedback ORDER BY response_id`);
      assert.deepEqual(keys.map((r) => [r.response_id, r.customer_key === null]), [['a1', true], ['a2', true], ['k1', false]]);
      const metrics = await computeMetrics(store);
      assert.equal(metrics.nps.relationship?.n, 3);
      const cases = await listCases(store, { now: Date.now() });
      assert.deepEqual(cases.flatMap((c) => c.response_ids), ['k1'], 'only the identified detractor opens a case');
      const [tuples] = await store.query(`SELECT count(*) AS n FROM id_tuples WHERE customer_id IS NULL AND account_id IS NULL AND phone IS NULL AND email IS NULL AND device_id IS NULL AND cookie_id IS NULL`);
      assert.equal(Number(tuples!.n), 0, 'no identity is made of nothing');
    });

    test("a survey defined as opening no cases is counted but opens none (a product-review feed)", async () => {
      await saveSurvey(store, createTestSurvey({ id: 'product_reviews', opens_cases: false }), Date.now());
      const s = await importFiles(store, [
        writeJsonl(dir, 'reviews.jsonl', [
          createTestFeedback({ response_id: 'rv1', survey_id: 'product_reviews', customer_id: 'C20', score: 0, comment: 'Fell apart in a week' }),
          createTestFeedback({ response_id: 'rv2', survey_id: 'rel_nps_q', customer_id: 'C21', score: 0, comment: 'Never again' }),
        ]),
      ]);
      assert.equal(s.imported.feedback, 2);
      assert.equal(s.cases_opened, 1);
      const cases = await listCases(store, { now: Date.now() });
      assert.ok(cases.some((c) => c.response_ids.includes('rv2')));
      assert.ok(!cases.some((c) => c.response_ids.includes('rv1')), 'the review opened no case');
      const metrics = await computeMetrics(store);
      assert.equal(metrics.nps.relationship?.n, 5, 'the review still counts');
    });
  });
}
