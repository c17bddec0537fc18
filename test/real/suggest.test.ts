/**
 * Import that meets logs as they are (issue 22, item 11), on the public logs of
 * ../shared/data/logs: receipt.csv (pm4py's column names) imports with exactly the mapping
 * `import --suggest` proposes; bpic2014_incidents.csv (names no tool standardises) with the
 * proposal plus what its `needs` asks for. Both then give maps and variants by activity by
 * default, with the published case counts. Skipped, saying so, where the logs are absent.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { AppError } from '../../src/core/errors.ts';
import { importFiles } from '../../src/ingest/import.ts';
import { openSource } from '../../src/ingest/parsers/open.ts';
import { suggestMapping } from '../../src/ingest/suggest.ts';
import type { Suggestion } from '../../src/ingest/suggest.ts';
import { journeyMap } from '../../src/journey/map.ts';
import { journeyVariants } from '../../src/journey/variants.ts';
import { openStore } from '../../src/store/open.ts';

const logsDir = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'logs');
const skipFor = (name: string): string | undefined =>
  fs.existsSync(path.join(logsDir, name)) ? undefined : `${name} is not in ${logsDir} (the public logs are absent), so this check is skipped`;

const options = (s: Suggestion, timezone?: string) => ({
  map: new Map(Object.entries(s.map)),
  constants: new Map(Object.entries(s.set)),
  ...(timezone !== undefined ? { timezone } : {}),
});

async function withStore(fn: (store: Awaited<ReturnType<typeof openStore>>, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'throughline-suggest-'));
  const store = await openStore(path.join(dir, 'log.duckdb'));
  try {
    await fn(store, dir);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('receipt.csv imports with the mapping --suggest proposes, and maps and variants are by activity', { skip: skipFor('receipt.csv') }, async () => {
  const file = path.join(logsDir, 'receipt.csv');
  const s = await suggestMapping(await openSource(file));
  assert.deepEqual(s, {
    kind: 'interactions',
    format: 'csv',
    map: { journey_id: 'case:concept:name', activity: 'concept:name', ts: 'time:timestamp', agent_id: 'org:resource' },
    set: { channel: 'other' },
    needs: [],
  });
  await withStore(async (store, dir) => {
    const summary = await importFiles(store, [file], { ...options(s), rejectsPath: path.join(dir, 'rejects.jsonl') });
    assert.equal(summary.rejected, 0);
    assert.equal(summary.journeys, 1434);
    const map = await journeyMap(store, {});
    assert.equal(map.by, 'activity');
    assert.equal(map.edges.length, 99, 'pm4py’s DFG of receipt has 99 edges');
    assert.ok(map.nodes.some((n) => n.id === 'Confirmation of receipt'));
    const variants = await journeyVariants(store, {});
    assert.equal(variants.by, 'activity');
    assert.equal(variants.distinct_variants, 116);
  });
});

test('bpic2014_incidents.csv: --suggest says what it needs, and with that given it imports by activity', { skip: skipFor('bpic2014_incidents.csv') }, async () => {
  const file = path.join(logsDir, 'bpic2014_incidents.csv');
  const first = await suggestMapping(await openSource(file));
  assert.deepEqual(first.map, {});
  assert.deepEqual(first.set, { channel: 'other' });
  assert.deepEqual(
    first.needs.map((n) => n.split(':')[0]),
    ['--map journey_id=COLUMN', '--map activity=COLUMN', '--map ts=COLUMN', '--timezone ZONE'],
  );
  assert.match(first.needs[2]!, /"data_stamp" holds timestamps/);

  // What `needs` asks for: the three columns named, and the zone of data_stamp.
  const given = new Map([
    ['journey_id', 'incident_id'],
    ['activity', 'incident_activity_type'],
    ['ts', 'data_stamp'],
  ]);
  const second = await suggestMapping(await openSource(file), { map: given, timezone: 'UTC' });
  assert.deepEqual(second.needs, []);
  assert.deepEqual(second.map, Object.fromEntries(given));

  await withStore(async (store, dir) => {
    // Without the zone the import stops at once with one message, and imports nothing.
    await assert.rejects(
      importFiles(store, [file], { ...options(second), rejectsPath: path.join(dir, 'rejects.jsonl') }),
      (e: unknown) => e instanceof AppError && e.code === 'input' && /data_stamp.*no time zone offset/.test(e.message) && /--timezone/.test(String(e.hint)),
    );
    assert.equal(fs.existsSync(path.join(dir, 'rejects.jsonl')), false, 'no reject per row');

    const summary = await importFiles(store, [file], { ...options(second, 'UTC'), rejectsPath: path.join(dir, 'rejects.jsonl') });
    assert.equal(summary.rejected, 0);
    assert.equal(summary.journeys, 4000);
    const map = await journeyMap(store, {});
    assert.equal(map.by, 'activity');
    assert.ok(map.nodes.some((n) => n.id === 'Closed'));
    const variants = await journeyVariants(store, {});
    assert.equal(variants.by, 'activity');
    assert.equal(variants.journeys, 4000);
  });
});
