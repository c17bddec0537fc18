/**
 * Identity stitching on a held-out dataset: a demo world with a seed no one tuned against,
 * full of duplicates, mixed-case emails with spaces, local-time offsets, household phones,
 * blocked caller ids, placeholder emails and anonymous cookies. Pairwise precision and recall
 * are measured against the generator's ground truth, on DuckDB and on PostgreSQL, and
 * PostgreSQL must give every record the same customer as DuckDB.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { writeDemo } from '../../src/demo/index.ts';
import { importFiles } from '../../src/ingest/import.ts';
import { openStore } from '../../src/store/open.ts';
import { tempDir } from '../support/fixtures.ts';
import { describeOn, once, StoreAnswers, storeTargets } from '../support/store-targets.ts';

const HELD_OUT_SEED = 90210;

interface Truth {
  person: string;
  linkable: boolean;
}

function readTruth(file: string): Map<string, Truth> {
  const truth = new Map<string, Truth>();
  const lines = fs.readFileSync(file, 'utf8').split('\n').slice(1);
  for (const line of lines) {
    if (line === '') continue;
    const [kind, id, person, linkable] = line.split(',');
    truth.set(`${kind}:${id}`, { person: person!, linkable: linkable === '1' });
  }
  return truth;
}

const pairs = (n: number): number => (n * (n - 1)) / 2;

// One world for both stores: generating it is a third of the suite's time.
const heldOutWorld = once(() => writeDemo(path.join(tempDir(), 'data'), { customers: 400, days: 60, seed: HELD_OUT_SEED, end: new Date('2026-06-30T00:00:00Z') }));
const answers = new StoreAnswers();

for (const target of storeTargets()) describeOn(target, 'identity stitching on a held-out dataset', () => {
  let precision = 0;
  let recall = 0;
  let allowedRecall = 0;
  let imported = 0;
  let expectedRecords = 0;
  let duplicates = 0;
  let skipped = 0;

  before(async () => {
    const demo = await heldOutWorld();
    // The customer kinds: the demo's staff directory and employee answers name no customer.
    const customerFiles = Object.values(demo.files).filter((f) => !/staff|employee_feedback/.test(path.basename(f.path)));
    const inputs = customerFiles.map((f) => f.path);
    const store = await openStore(await target.freshLocation('identity'));
    try {
      const summary = await importFiles(store, inputs);
      imported = Object.values(summary.imported).reduce((a, b) => a + b, 0);
      expectedRecords = customerFiles.reduce((a, f) => a + f.records, 0);
      duplicates = demo.planted.duplicate_event_ids.length;
      skipped = summary.skipped_duplicates;
      const truth = readTruth(path.join(demo.dir, 'truth_identity.csv'));
      const rows = await store.query(`
        SELECT 'interactions' AS kind, event_id AS id, customer_key FROM interactions
        UNION ALL SELECT 'feedback', response_id, customer_key FROM feedback
        UNION ALL SELECT 'promises', promise_id, customer_key FROM promises`);
      const byRecord = (r: (typeof rows)[number]): string => `${String(r.kind)}:${String(r.id)}`;
      answers.keep(target, 'the customer of every record', [...rows].sort((a, b) => (byRecord(a) < byRecord(b) ? -1 : 1)));
      answers.keep(target, 'the import summary', { ...summary, seconds: 0 });
      // Contingency counts of (predicted customer, true person) over records with known truth.
      const cell = new Map<string, number>();
      const predicted = new Map<string, number>();
      const actual = new Map<string, number>();
      const actualLinkable = new Map<string, number>();
      for (const r of rows) {
        const t = truth.get(`${r.kind}:${r.id}`);
        assert.ok(t, `truth for ${r.kind} ${r.id}`);
        const k = r.customer_key as string;
        cell.set(`${k}\u0000${t.person}`, (cell.get(`${k}\u0000${t.person}`) ?? 0) + 1);
        predicted.set(k, (predicted.get(k) ?? 0) + 1);
        actual.set(t.person, (actual.get(t.person) ?? 0) + 1);
        if (t.linkable) actualLinkable.set(t.person, (actualLinkable.get(t.person) ?? 0) + 1);
      }
      const tp = [...cell.values()].reduce((a, n) => a + pairs(n), 0);
      const predPairs = [...predicted.values()].reduce((a, n) => a + pairs(n), 0);
      const truePairs = [...actual.values()].reduce((a, n) => a + pairs(n), 0);
      const linkablePairs = [...actualLinkable.values()].reduce((a, n) => a + pairs(n), 0);
      precision = tp / predPairs;
      recall = tp / truePairs;
      // What the identifiers allow: only pairs of records that can be linked at all.
      allowedRecall = linkablePairs / truePairs;
    } finally {
      await store.close();
    }
  });

  test('every record is imported once and every duplicate is skipped', () => {
    assert.ok(duplicates > 0, `the dataset has duplicates to skip (${duplicates})`);
    assert.equal(skipped, duplicates);
    assert.equal(imported, expectedRecords - duplicates);
  });

  test('pairwise precision is at least 0.99', () => {
    assert.ok(precision >= 0.99, `precision ${precision.toFixed(4)}`);
  });

  test('recall is within 2 points of what the identifiers allow', () => {
    assert.ok(allowedRecall < 1, 'some records are unlinkable by design');
    assert.ok(recall >= allowedRecall - 0.02, `recall ${recall.toFixed(4)}, allowed ${allowedRecall.toFixed(4)}`);
  });

  if (target.dialect !== 'duckdb') {
    test('every record has the same customer as on DuckDB, and the import says the same', () => {
      answers.assertSameAsDuckDb(target);
    });
  }
});
