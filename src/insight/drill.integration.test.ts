import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeDemo } from '../demo/index.ts';
import { topicSummary } from '../feedback/comments.ts';
import { computeMetrics } from '../feedback/metrics.ts';
import { importFiles } from '../ingest/import.ts';
import { brokenSteps } from '../journey/broken.ts';
import { journeyMap } from '../journey/map.ts';
import { journeysDocument } from '../journey/summary.ts';
import { openStore } from '../store/open.ts';
import { testOnEachStore } from '../../test/support/store-targets.ts';
import { drill } from './drill.ts';
import { driversReport } from './drivers.ts';

testOnEachStore('each list behind a figure holds as many rows as the figure counts, with names from profiles', async (target) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'throughline-drill-'));
  const store = await openStore(await target.freshLocation('drill'));
  try {
    const demo = await writeDemo(path.join(dir, 'demo'), { customers: 150, days: 30, seed: 3, end: new Date(Date.UTC(2026, 5, 30)) });
    await importFiles(store, Object.values(demo.files).map((f) => f.path));

    const resolved = await journeysDocument(store, { outcome: 'resolved' });
    const journeys = await drill(store, { of: 'journeys', filter: { outcome: 'resolved' }, limit: 5 });
    assert.equal(journeys.total, resolved.journeys);
    assert.equal(journeys.rows.length, 5, 'limit caps the rows, not the total');
    assert.ok(journeys.rows.some((r) => r.name !== null), 'customers are named from their profiles');

    const map = await journeyMap(store);
    const edge = map.edges[0]!;
    const behindEdge = await drill(store, { of: 'edge', from: edge.from, to: edge.to, limit: 100_000 });
    assert.equal(behindEdge.times, edge.count, 'the times an edge happened are the map count');
    assert.ok(behindEdge.total <= edge.count && behindEdge.total > 0);

    const step = (await brokenSteps(store, {}))[0]!;
    const failed = await drill(store, { of: 'step', node: `${step.channel}:${step.activity}`, failed: true });
    assert.equal(failed.customers, step.customers_affected, 'the customers who met a failure at the step');

    const metrics = await computeMetrics(store, {});
    const n = metrics.nps.relationship!;
    const detractors = await drill(store, { of: 'answers', metric: 'nps', scope: 'relationship', group: 'detractor' });
    assert.equal(detractors.total, n.detractors);

    const driver = (await driversReport(store, {}))[0];
    if (driver !== undefined) {
      const behind = await drill(store, { of: 'driver', factor: driver.factor });
      assert.equal(behind.total, driver.exposed);
      assert.equal(behind.customers, driver.customers);
    }
    const topic = (await topicSummary(store, {}))[0]!;
    assert.equal((await drill(store, { of: 'topic', topic: topic.topic })).total, topic.comments);

    await assert.rejects(drill(store, { of: 'edge', from: edge.from }), /the edge list needs to/);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
