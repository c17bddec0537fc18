/**
 * The OpenAPI description (issue 22, item 15): every operation says what it answers, and those
 * documents never change an answer (a response schema also drives the serializer): on a demo
 * store, each analysis answers exactly what its domain function returns.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeDemo } from '../../src/demo/index.ts';
import { importFiles } from '../../src/ingest/import.ts';
import { ANALYSES } from '../../src/server/routes/analyses.ts';
import { startTestServer } from '../../src/server/testing.ts';
import type { TestServer } from '../../src/server/testing.ts';

const NOW = Date.UTC(2026, 5, 30);

describe('the API description and its documents', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ now: () => NOW });
    const demo = await writeDemo(path.join(s.dir, 'demo'), { customers: 150, days: 30, seed: 7, end: new Date(NOW) });
    const files = Object.values(demo.files).map((f) => f.path);
    await importFiles(s.store, files, { rejectsPath: path.join(s.dir, 'rejects.jsonl') });
    s.app.customerCache.changed('all');
  });
  after(() => s?.close());

  test('every operation documents the answer it gives on success', async () => {
    await s.app.ready();
    const doc = s.app.swagger() as { paths: Record<string, Record<string, { responses?: Record<string, { content?: unknown }> }>> };
    const missing: string[] = [];
    let operations = 0;
    for (const [url, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        operations++;
        const documented = Object.entries(op.responses ?? {}).some(([code, r]) => code.startsWith('2') && r.content !== undefined);
        if (!documented) missing.push(`${method.toUpperCase()} ${url}`);
      }
    }
    assert.ok(operations > 30, `${operations} operations described`);
    assert.deepEqual(missing, [], 'operations without a documented 2xx answer (add it to src/server/documents.ts)');
  });

  for (const a of ANALYSES) {
    test(`/api/v1/${a.name} answers its domain function's document unchanged`, async () => {
      const r = await s.call('admin', { method: 'GET', url: `/api/v1/${a.name}` });
      assert.equal(r.statusCode, 200, r.body);
      // Defaults as the route applies them: the query schema's defaults.
      const query = Object.fromEntries(Object.entries(a.params).flatMap(([k, p]) => ('default' in p ? [[k, (p as { default: unknown }).default]] : [])));
      const expected = JSON.parse(JSON.stringify(await a.run({ store: s.store, now: NOW }, query as Record<string, string | number | boolean>))) as unknown;
      assert.deepEqual(r.json(), expected);
    });
  }
});
