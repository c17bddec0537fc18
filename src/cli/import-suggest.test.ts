/** `import --suggest` and what an import says about a file it cannot take as it is (issue 22, item 11). */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { tempDir } from '../../test/support/fixtures.ts';
import { run } from './main.ts';
import type { Io } from './output.ts';

function capture(): Io & { outs: string[]; errors: string[] } {
  const outs: string[] = [];
  const errors: string[] = [];
  return { out: (t) => outs.push(t), err: (t) => errors.push(t.trimEnd()), stderrIsTty: false, outs, errors };
}

const dir = tempDir();
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const log = path.join(dir, 'disco.csv');
fs.writeFileSync(log, 'Case ID,Activity,Complete Timestamp,Resource\n1,Register,2024-01-01 09:00:00,Ann\n1,Check,2024-01-01 09:30:00,Bob\n2,Register,2024-01-02 10:00:00,Ann\n');
const db = path.join(dir, 'store.duckdb');

test('--suggest --json prints the mapping and what is still needed, and imports nothing', async () => {
  const io = capture();
  assert.equal(await run(['--db', db, '--json', 'import', '--suggest', log], io), 0);
  const doc = JSON.parse(io.outs.join('')) as { kind: string; format: string; map: Record<string, string>; set: Record<string, string>; needs: string[] };
  assert.deepEqual(doc.map, { journey_id: 'Case ID', activity: 'Activity', ts: 'Complete Timestamp', agent_id: 'Resource' });
  assert.deepEqual(doc.set, { channel: 'other' });
  assert.equal(doc.needs.length, 1);
  assert.match(doc.needs[0]!, /^--timezone/);
  assert.equal(fs.existsSync(db), false, 'no store was created');
});

test('the import without the zone stops with exit 2 and one line; with it, the suggested mapping imports every row', async () => {
  const args = ['--db', db, 'import', log, '--map', 'journey_id=Case ID,activity=Activity,ts=Complete Timestamp,agent_id=Resource', '--set', 'channel=other'];
  const bad = capture();
  assert.equal(await run(args, bad), 2);
  assert.equal(bad.errors.length, 1, bad.errors.join('\n'));
  assert.match(bad.errors[0]!, /"Complete Timestamp" have no time zone offset .*--timezone/);
  assert.equal(fs.existsSync(`${log}.rejects.jsonl`), false);

  const good = capture();
  assert.equal(await run([...args, '--timezone', 'Europe/Amsterdam'], good), 0, good.errors.join('\n'));
  assert.match(good.outs.join('\n'), /Imported 3 interactions/);
});

test('an import with rejects counts them by reason on the console', async () => {
  const p = path.join(dir, 'bad.csv');
  fs.writeFileSync(p, 'Case ID,Activity,Complete Timestamp\n1,A,2024-01-01T09:00:00Z\n1,,2024-01-01T10:00:00Z\n2,B,2024-02-30T09:00:00Z\n3,,2024-01-01T09:00:00Z\n');
  const io = capture();
  assert.equal(await run(['--db', db, 'import', p, '--map', 'journey_id=Case ID,activity=Activity,ts=Complete Timestamp', '--set', 'channel=other'], io), 3);
  assert.ok(io.errors.includes('3 rejected: 2 missing activity, 1 ts: timestamp is not a real date and time'), io.errors.join('\n'));
});
