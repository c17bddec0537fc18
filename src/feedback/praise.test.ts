import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { createTestFeedback, createTestInteraction, tempDir, writeCsv } from '../../test/support/fixtures.ts';
import { importFiles } from '../ingest/import.ts';
import { openStore } from '../store/open.ts';
import { topicSummary } from './comments.ts';
import { listPraise } from './praise.ts';
import { DEFAULT_TAXONOMY } from './taxonomy.ts';

test('feedback praise lists the same praising comments the topics count, credited to the agent the answer is about', async () => {
  const dir = tempDir();
  const store = await openStore(path.join(dir, 'db.duckdb'));
  try {
    await importFiles(
      store,
      [
        writeCsv(dir, 'interactions.csv', [createTestInteraction({ event_id: 'e1', customer_id: 'C1', channel: 'chat', agent_id: 'AG-3' })]),
        writeCsv(dir, 'feedback.csv', [
          createTestFeedback({ response_id: 'p1', customer_id: 'C1', event_id: 'e1', metric: 'csat', scope: 'transaction', score: 5, comment: 'So patient and helpful, thank you!' }),
          createTestFeedback({ response_id: 'p2', customer_id: 'C2', agent_id: 'AG-9', score: 10, comment: 'Friendly and knowledgeable, great service.' }),
          createTestFeedback({ response_id: 'p3', customer_id: 'C3', score: 9, comment: 'Really helpful people.' }),
          createTestFeedback({ response_id: 'n1', customer_id: 'C4', score: 1, comment: 'Not helpful at all, still waiting.' }),
        ]),
      ],
      { createCases: false },
    );
    // Praise is read with the built-in taxonomy's agent-praise topic (discovered topics have no fixed ids).
    const topics = await topicSummary(store, { taxonomy: DEFAULT_TAXONOMY, view: 'all' });
    const praiseTopic = topics.find((t) => t.topic === 'agent_praise')!;
    const praise = await listPraise(store);
    assert.equal(praise.length, praiseTopic.comments, 'one praise row per comment the topics read as praise');
    assert.deepEqual(
      praise.map((p) => [p.response_id, p.staff_id, p.team, p.source]).sort(),
      [
        ['p1', 'AG-3', 'queue:chat', 'comment'],
        ['p2', 'AG-9', 'cx-team', 'comment'],
        ['p3', null, 'cx-team', 'comment'],
      ],
    );
    assert.deepEqual((await listPraise(store, { team: 'queue:chat' })).map((p) => p.response_id), ['p1']);
  } finally {
    await store.close();
  }
});
