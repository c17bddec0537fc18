import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import {
  createTestFeedback,
  createTestInteraction,
  readJsonl,
  tempDir,
  writeCsv,
  writeJsonl,
} from '../../test/support/fixtures.ts';
import { isAppError } from '../core/errors.ts';
import { customerSummary, resolveCustomer } from '../identity/customers.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { importFiles } from './import.ts';

async function freshStore(): Promise<{ store: Store; dir: string }> {
  const dir = tempDir();
  return { store: await openStore(path.join(dir, 'db.duckdb')), dir };
}

async function keyOf(store: Store, id: string): Promise<string> {
  return resolveCustomer(store, id);
}

describe('importing every kind of the data contract', () => {
  let store: Store;
  let dir: string;
  before(async () => ({ store, dir } = await freshStore()));
  after(() => store.close());

  test('each file is recognised by its columns and every record is imported', async () => {
    const files = [
      writeCsv(dir, 'profiles.csv', [
        { customer_id: 'C1', account_id: 'ACC-1', phone: '(555) 123-4567', email: ' Ann@X.com ', name: 'Ann', segment: 'gold' },
        { customer_id: 'C2', account_id: 'ACC-2', name: 'Bo' },
      ]),
      writeCsv(dir, 'interactions.csv', [
        createTestInteraction({ event_id: 'i1', customer_id: 'C1', ts: '2026-06-01T09:03:00-05:00' }),
        createTestInteraction({ event_id: 'i2', customer_id: undefined, account_id: 'ACC-2', ts: 1780304580000, channel: 'IVR' }),
      ]),
      writeJsonl(dir, 'feedback.jsonl', [createTestFeedback({ response_id: 'f1', customer_id: 'C1', comment: 'great' })]),
      writeCsv(dir, 'holdings.csv', [{ customer_id: 'C1', product: 'credit_card', since: '2025-01-01T00:00:00Z' }]),
      writeCsv(dir, 'promises.csv', [
        { promise_id: 'p1', customer_id: 'C1', ts: '2026-06-01T10:00:00Z', due: '2026-06-03T10:00:00Z', kind: 'credit', agent_id: 'AG-1' },
      ]),
      writeCsv(dir, 'consents.csv', [{ customer_id: 'C1', channel: 'sms', status: 'deny', timezone: 'America/Chicago', quiet_start: '21:00', quiet_end: '08:00' }]),
    ];
    const gz = path.join(dir, 'more.jsonl.gz');
    fs.writeFileSync(gz, zlib.gzipSync(JSON.stringify(createTestInteraction({ event_id: 'i3', customer_id: 'C2' })) + '\n'));
    const s = await importFiles(store, [...files, gz]);
    assert.deepEqual(s.imported, { profiles: 2, interactions: 3, feedback: 1, holdings: 1, promises: 1, consents: 1, messages: 0, staff: 0, employee_feedback: 0 });
    assert.equal(s.rejected, 0);
    assert.equal(s.rejects_file, null);
    assert.equal(s.customers, 2);
    assert.deepEqual(
      s.files.map((f) => f.kind),
      ['profiles', 'interactions', 'feedback', 'holdings', 'promises', 'consents', 'interactions'],
    );
  });

  test('timestamps with offsets are stored in UTC and identifiers normalised', async () => {
    const [row] = await store.query(`SELECT ts, channel, customer_key FROM interactions WHERE event_id = 'i1'`);
    assert.equal(row!.ts, Date.UTC(2026, 5, 1, 14, 3));
    assert.equal(await keyOf(store, 'phone:555-123-4567'), row!.customer_key);
    assert.equal(await keyOf(store, 'email:ann@x.com'), row!.customer_key);
    const [ivr] = await store.query(`SELECT channel FROM interactions WHERE event_id = 'i2'`);
    assert.equal(ivr!.channel, 'ivr');
  });

  test('a customer summary counts the records of every kind', async () => {
    const c = await customerSummary(store, await keyOf(store, 'customer_id:C1'));
    assert.deepEqual(c.records, { profiles: 1, interactions: 1, feedback: 1, holdings: 1, promises: 1, consents: 1, messages: 0 });
    assert.deepEqual(
      c.identifiers.map((i) => `${i.type}:${i.value}`),
      ['customer_id:C1', 'account_id:ACC-1', 'phone:+15551234567', 'email:ann@x.com'],
    );
  });

  test('unknown columns are kept as attributes', async () => {
    const [p] = await store.query(`SELECT attrs FROM profiles WHERE customer_id = 'C1'`);
    assert.deepEqual(JSON.parse(p!.attrs as string), { name: 'Ann', segment: 'gold' });
  });
});

describe('re-importing and duplicates', () => {
  test('importing the same files again changes nothing', async () => {
    const { store, dir } = await freshStore();
    try {
      const f = writeCsv(dir, 'i.csv', [
        createTestInteraction({ event_id: 'a', customer_id: 'C1' }),
        createTestInteraction({ event_id: 'b', customer_id: 'C2' }),
        createTestInteraction({ event_id: 'a', customer_id: 'C1' }),
      ]);
      const p = writeCsv(dir, 'p.csv', [{ customer_id: 'C1', name: 'Ann' }]);
      const first = await importFiles(store, [f, p]);
      assert.equal(first.imported.interactions, 2);
      assert.equal(first.skipped_duplicates, 1, 'the repeated event_id within the file');
      const keys = await store.query('SELECT event_id, customer_key, journey_id FROM interactions ORDER BY event_id');
      const second = await importFiles(store, [f, p]);
      assert.deepEqual(second.imported, { profiles: 0, interactions: 0, feedback: 0, holdings: 0, promises: 0, consents: 0, messages: 0, staff: 0, employee_feedback: 0 });
      assert.equal(second.skipped_duplicates, 4);
      assert.deepEqual(await store.query('SELECT event_id, customer_key, journey_id FROM interactions ORDER BY event_id'), keys);
      assert.equal(second.journeys, first.journeys);
    } finally {
      await store.close();
    }
  });
});

describe('bad input', () => {
  test('broken records are rejected with their line and reason, and every valid one is imported', async () => {
    const { store, dir } = await freshStore();
    try {
      const file = path.join(dir, 'mixed.csv');
      fs.writeFileSync(
        file,
        [
          'event_id,ts,channel,activity,outcome,customer_id,text',
          'ok1,2026-06-01T09:00:00Z,web,pay_bill/login,success,C1,"a note',
          'over two lines"',
          ',2026-06-01T09:00:00Z,web,pay_bill/login,success,C1,',
          'bad-ts,yesterday,web,pay_bill/login,success,C1,',
          'no-id,2026-06-01T09:00:00Z,web,pay_bill/login,success,,',
          'ok2,2026-06-01T09:05:00+02:00,web,pay_bill/login,odd-outcome,C1,',
          'short,row',
          'ok3,2026-06-01T09:06:00Z,web,pay_bill/login,success,C1,',
        ].join('\n') + '\n',
      );
      const s = await importFiles(store, [file]);
      assert.equal(s.imported.interactions, 3);
      assert.equal(s.rejected, 4);
      assert.equal(s.rejects_file, `${file}.rejects.jsonl`);
      const rejects = readJsonl(s.rejects_file!);
      assert.deepEqual(
        rejects.map((r) => [r.line, r.reason]),
        [
          [4, 'missing event_id'],
          [5, 'ts: timestamp "yesterday" is not ISO 8601 or epoch milliseconds'],
          [6, 'no identifier (customer_id, account_id, phone, email, device_id or cookie_id)'],
          [8, 'row has 2 cells, header has 7'],
        ],
      );
      assert.equal(rejects[0]!.file, file);
      assert.deepEqual((rejects[2]!.record as Record<string, string>).event_id, 'no-id');
      const [note] = await store.query(`SELECT text FROM interactions WHERE event_id = 'ok1'`);
      assert.equal(note!.text, 'a note\nover two lines');
    } finally {
      await store.close();
    }
  });

  test('feedback outside its metric range or with an unknown metric is rejected', async () => {
    const { store, dir } = await freshStore();
    try {
      const file = path.join(dir, 'fb.jsonl');
      fs.writeFileSync(
        file,
        [
          JSON.stringify(createTestFeedback({ response_id: 'good', score: 0 })),
          JSON.stringify(createTestFeedback({ response_id: 'high', metric: 'csat', scope: 'transaction', score: 6 })),
          JSON.stringify(createTestFeedback({ response_id: 'what', metric: 'xyz' })),
          '{not json',
          '',
          JSON.stringify(createTestFeedback({ response_id: 'ces', metric: 'ces', scope: 'transaction', score: 7 })),
        ].join('\n'),
      );
      const s = await importFiles(store, [file], { rejectsPath: path.join(dir, 'out', 'rejects.jsonl') });
      assert.equal(s.imported.feedback, 2);
      assert.deepEqual(
        readJsonl(path.join(dir, 'out', 'rejects.jsonl')).map((r) => r.line),
        [2, 3, 4],
      );
    } finally {
      await store.close();
    }
  });

  test('a missing file or an unreadable gzip stops the import before anything is written', async () => {
    const { store, dir } = await freshStore();
    try {
      const good = writeCsv(dir, 'good.csv', [createTestInteraction()]);
      const missing = await importFiles(store, [good, path.join(dir, 'nope.csv')]).catch((e: unknown) => e);
      assert.ok(isAppError(missing) && missing.code === 'input', String(missing));
      const badGz = path.join(dir, 'bad.csv.gz');
      fs.writeFileSync(badGz, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7]));
      const corrupt = await importFiles(store, [good, badGz]).catch((e: unknown) => e);
      assert.ok(isAppError(corrupt) && corrupt.code === 'input', String(corrupt));
      assert.deepEqual(await store.query('SELECT count(*) AS n FROM interactions'), [{ n: 0 }]);
    } finally {
      await store.close();
    }
  });
});

describe('identity stitching across imports', () => {
  test('households, blocked caller ids, placeholders and anonymous cookies resolve safely', async () => {
    const { store, dir } = await freshStore();
    try {
      await importFiles(store, [
        writeCsv(dir, 'day1.csv', [
          createTestInteraction({ event_id: 'w1', customer_id: undefined, cookie_id: 'ck-1', ts: '2026-06-01T08:00:00Z' }),
          createTestInteraction({ event_id: 'h1', customer_id: 'C1', phone: '555 000 1111' }),
          createTestInteraction({ event_id: 'h2', customer_id: 'C2', phone: '(555) 000-1111' }),
          createTestInteraction({ event_id: 'h3', customer_id: undefined, phone: '5550001111', channel: 'ivr' }),
          createTestInteraction({ event_id: 'b1', customer_id: undefined, phone: '0000000000', channel: 'ivr' }),
          createTestInteraction({ event_id: 'b2', customer_id: undefined, phone: '0000000000', channel: 'ivr' }),
          createTestInteraction({ event_id: 'n1', customer_id: 'C3', email: 'none@none.com', channel: 'store' }),
          createTestInteraction({ event_id: 'n2', customer_id: 'C4', email: 'NONE@none.com', channel: 'store' }),
        ]),
      ]);
      const key = async (e: string): Promise<string> => (await store.query(`SELECT customer_key FROM interactions WHERE event_id = $1`, [e]))[0]!.customer_key as string;
      assert.notEqual(await key('h1'), await key('h2'), 'a shared phone never merges two customers');
      assert.notEqual(await key('h3'), await key('h1'));
      assert.notEqual(await key('h3'), await key('h2'));
      assert.notEqual(await key('b1'), await key('b2'), 'two calls from a blocked caller id are not one customer');
      assert.notEqual(await key('n1'), await key('n2'));
      const c1 = await key('h1');
      const anon = await key('w1');
      assert.notEqual(anon, c1);

      // The cookie logs in the next day: the earlier anonymous visit joins C1, whose key stays.
      await importFiles(store, [writeCsv(dir, 'day2.csv', [createTestInteraction({ event_id: 'w2', customer_id: 'C1', cookie_id: 'ck-1', ts: '2026-06-02T08:00:00Z' })])]);
      assert.equal(await key('w1'), c1);
      assert.equal(await key('w2'), c1);
      assert.equal(await key('h1'), c1);
      const [orphans] = await store.query(`SELECT count(*) AS n FROM journeys WHERE customer_key = $1`, [anon]);
      assert.equal(orphans!.n, 0, 'the anonymous customer journeys were rebuilt under C1');
    } finally {
      await store.close();
    }
  });
});

describe('journeys on import', () => {
  test('a small import rebuilds only the journeys of the customers it touches', async () => {
    const { store, dir } = await freshStore();
    try {
      await importFiles(store, [
        writeCsv(dir, 'a.csv', [
          createTestInteraction({ event_id: 'a1', customer_id: 'C1', ts: '2026-06-01T09:00:00Z' }),
          createTestInteraction({ event_id: 'a2', customer_id: 'C2', ts: '2026-06-01T09:00:00Z' }),
        ]),
      ]);
      // Mark C2's journey: a rebuild would overwrite the mark.
      await store.exec(`UPDATE journeys SET steps = 99 WHERE customer_key = (SELECT customer_key FROM interactions WHERE event_id = 'a2')`);
      const s = await importFiles(store, [
        writeCsv(dir, 'b.csv', [
          createTestInteraction({ event_id: 'b1', customer_id: 'C1', ts: '2026-06-01T10:00:00Z' }),
          createTestInteraction({ event_id: 'b2', customer_id: 'C1', ts: '2026-06-20T10:00:00Z' }),
          createTestInteraction({ event_id: 'b3', customer_id: 'C1', ts: '2026-06-20T10:00:00Z', direction: 'outbound', activity: 'marketing/offer' }),
        ]),
      ]);
      assert.equal(s.journeys, 3, 'C1: one journey within the window, a new one after 19 days; C2: one');
      const rows = await store.query(`SELECT j.steps FROM journeys j JOIN interactions i ON i.customer_key = j.customer_key WHERE i.event_id = 'a2'`);
      assert.deepEqual(rows, [{ steps: 99 }], 'C2 was not rebuilt');
      const [out] = await store.query(`SELECT journey_id FROM interactions WHERE event_id = 'b3'`);
      assert.equal(out!.journey_id, null, 'outbound contacts are not journey steps');
    } finally {
      await store.close();
    }
  });
});
