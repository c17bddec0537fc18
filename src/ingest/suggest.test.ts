import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AppError } from '../core/errors.ts';
import { createTestDir } from '../journey/testing.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { importFiles } from './import.ts';
import { openSource } from './parsers/open.ts';
import { reasonKind } from './rejects.ts';
import { describeRejects, describeSuggestion, suggestMapping } from './suggest.ts';

let dir = '';
let remove: () => Promise<void>;
let store: Store;
before(async () => {
  ({ dir, remove } = await createTestDir());
  store = await openStore(path.join(dir, 'suggest.duckdb'));
});
after(async () => {
  await store.close();
  await remove();
});

let n = 0;
function file(text: string, ext = 'csv'): string {
  const p = path.join(dir, `f${++n}.${ext}`);
  fs.writeFileSync(p, text);
  return p;
}
const suggest = async (text: string, ext = 'csv') => suggestMapping(await openSource(file(text, ext)));

test('pm4py column names are mapped, the channel set to other, and nothing more is needed', async () => {
  const s = await suggest('case:concept:name,concept:name,time:timestamp,org:resource,lifecycle:transition\nc1,Register,2024-01-01T09:00:00+01:00,Ann,complete\n');
  assert.deepEqual(s, {
    kind: 'interactions',
    format: 'csv',
    map: { journey_id: 'case:concept:name', activity: 'concept:name', ts: 'time:timestamp', agent_id: 'org:resource' },
    set: { channel: 'other' },
    needs: [],
  });
});

test('Disco and Celonis names are recognised whatever their case and spacing; Start Timestamp stays an attribute', async () => {
  const disco = await suggest('Case ID;Activity;Start Timestamp;Complete Timestamp;Resource\n1;Check;2024-01-01 09:00:00Z;2024-01-01 09:10:00Z;Bob\n');
  assert.deepEqual(disco.map, { journey_id: 'Case ID', activity: 'Activity', ts: 'Complete Timestamp', agent_id: 'Resource' });
  assert.deepEqual(disco.needs, []);
  const celonis = await suggest('_CASE_KEY,ACTIVITY_EN,EVENTTIME,USER_NAME\nk1,Approve,2024-01-01T09:00:00Z,u1\n');
  assert.deepEqual(celonis.map, { journey_id: '_CASE_KEY', activity: 'ACTIVITY_EN', ts: 'EVENTTIME', agent_id: 'USER_NAME' });
});

test('a file in the contract needs no mapping and keeps its own channel', async () => {
  const s = await suggest('event_id,ts,channel,activity,customer_id\ne1,2024-01-01T09:00:00Z,web,a/b,C1\n');
  assert.deepEqual([s.kind, s.map, s.set, s.needs], ['interactions', {}, {}, []]);
});

test('timestamps without offset ask for --timezone, naming the column and an example', async () => {
  const s = await suggest('Case ID,Activity,Complete Timestamp\n1,A,2024-01-01 09:00:00\n');
  assert.equal(s.needs.length, 1);
  assert.match(s.needs[0]!, /^--timezone ZONE: the timestamps in "Complete Timestamp" have no offset \(e\.g\. "2024-01-01 09:00:00"\)/);
});

test('names no tool standardises are not guessed: the suggestion says which columns it still needs', async () => {
  const s = await suggest('incident_id,data_stamp,incident_activity_type\nIM1,2013-02-13 12:03:35,Closed\n');
  assert.deepEqual(s.map, {});
  assert.deepEqual(
    s.needs.map((x) => x.split(':')[0]),
    ['--map journey_id=COLUMN', '--map activity=COLUMN', '--map ts=COLUMN', '--timezone ZONE'],
  );
  assert.match(s.needs[2]!, /"data_stamp" holds timestamps/);
  assert.match(describeSuggestion('x.csv', s).join('\n'), /It still needs:/);
});

test('the readable suggestion is a command line that works as printed', async () => {
  const s = await suggest('Case ID,Activity,Complete Timestamp\n1,A,2024-01-01T09:00:00Z\n');
  const lines = describeSuggestion('my log.csv', s);
  assert.ok(lines.includes(`  throughline import 'my log.csv' --map 'journey_id=Case ID,activity=Activity,ts=Complete Timestamp' --set channel=other`), lines.join('\n'));
});

test('a column the whole file lacks stops the import with one message and no reject file', async () => {
  const p = file('case,when\n1,2024-01-01T09:00:00Z\n2,2024-01-01T09:00:00Z\n');
  await assert.rejects(
    importFiles(store, [p], { kind: 'interactions', map: new Map([['journey_id', 'case'], ['ts', 'when']]), constants: new Map([['channel', 'other']]) }),
    (e: unknown) => e instanceof AppError && e.code === 'input' && /has no activity column, and no --map or --set gives it/.test(e.message) && /--suggest/.test(String(e.hint)),
  );
  assert.equal(fs.existsSync(`${p}.rejects.jsonl`), false);
});

test('rejects are counted by reason, without each record’s own values', async () => {
  const p = file('case,activity,ts\n1,a,2024-01-01T09:00:00Z\n1,,2024-01-01T10:00:00Z\n2,b,2024-02-30T09:00:00Z\n3,c,2024-02-31T09:00:00Z\n');
  const s = await importFiles(store, [p], { map: new Map([['journey_id', 'case']]), constants: new Map([['channel', 'other']]) });
  assert.equal(s.rejected, 3);
  assert.deepEqual(s.rejected_by_reason, { 'missing activity': 1, 'ts: timestamp is not a real date and time': 2 });
  assert.equal(describeRejects(s.rejected_by_reason), '3 rejected: 2 ts: timestamp is not a real date and time, 1 missing activity');
  assert.equal(reasonKind('ts: timestamp "x" has no time zone offset; add one'), 'ts: timestamp has no time zone offset');
});
