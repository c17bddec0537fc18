import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { createTestInteraction, tempDir, writeCsv } from '../../test/support/fixtures.ts';
import { run } from './main.ts';
import type { Io } from './output.ts';

/** The CLI as a terminal sees it: stderr lines captured, and a TTY on stderr. */
function terminal(): Io & { errors: string[] } {
  const errors: string[] = [];
  return { out: () => undefined, err: (t) => errors.push(t.trimEnd()), stderrIsTty: true, errors };
}

const STEP = /^ {2}(.+): (\d+\.\d+) s$/;

describe('import on a terminal', () => {
  const dir = tempDir();
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = writeCsv(
    dir,
    'interactions.csv',
    Array.from({ length: 40 }, (_, i) => createTestInteraction({ customer_id: `C${i % 7}`, ts: `2026-06-01T09:${String(i).padStart(2, '0')}:00Z` })),
  );

  test('says each step of the merge as it ends, in order, with its time', async () => {
    const io = terminal();
    assert.equal(await run(['--db', path.join(dir, 'a.duckdb'), 'import', file], io), 0);
    const start = io.errors.findIndex((l) => l.startsWith('Stitching identities and building journeys for 40 records'));
    assert.ok(start >= 0, io.errors.join('\n'));
    const steps = io.errors.slice(start + 1).map((l) => STEP.exec(l)).filter((m) => m !== null);
    const names = steps.map((m) => m[1]!);
    for (const name of ['skip stored ids', 'stitch', 'journeys', 'cases', 'totals']) assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    assert.ok(names.indexOf('stitch') < names.indexOf('journeys') && names.indexOf('journeys') < names.indexOf('cases'), names.join(', '));
    assert.equal(names.at(-1), 'totals', 'the last step is counting what the store holds');
    assert.ok(steps.every((m) => m[2]!.split('.')[1]!.length === 1), 'one decimal, as the rest of the progress');
  });

  test('with -v the log says the steps, and they are not said twice', async () => {
    const io = terminal();
    assert.equal(await run(['--db', path.join(dir, 'b.duckdb'), '-v', 'import', file], io), 0);
    const journeys = io.errors.filter((l) => /^ {2}journeys: /.test(l));
    assert.equal(journeys.length, 1, io.errors.join('\n'));
    assert.match(journeys[0]!, /^ {2}journeys: \d+\.\d{2} s$/, 'the log has its own two decimals');
  });

  test('with --json nothing but the document is written', async () => {
    const io = terminal();
    assert.equal(await run(['--db', path.join(dir, 'c.duckdb'), '--json', 'import', file], io), 0);
    assert.deepEqual(io.errors, []);
  });
});
